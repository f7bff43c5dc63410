//! Provider keys: stored in the keyring (or the encrypted DB), shown only as the last 4,
//! and removed with their profile.

use assay_core::ErrorCode;
use assay_core::domain::endpoint::{EndpointChanges, EndpointKind};
use assay_core::profile::KeyProtection;
use assay_core::providers;
use assay_core::providers::ProviderKey;

use crate::{Env, passphrase, snapshot};

const KEY: &str = "sk-test-PROVIDERKEY-9f8e7d6c5b4a";

fn key() -> ProviderKey {
    ProviderKey::new(KEY.into()).expect("valid key")
}

#[test]
fn a_keyring_profiles_key_lives_in_the_keyring_owned_by_the_profile() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Keys", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("keys", None).expect("open");
    let info = providers::set_endpoint_key(&env.profiles, &open, "openai", &key()).expect("set");
    assert_eq!(
        info.key_last4.as_deref(),
        Some("5b4a"),
        "only the last 4 characters"
    );
    let shown = serde_json::to_string(&providers::endpoints(&open).expect("list")).expect("json");
    assert!(
        !shown.contains(KEY) && !shown.contains("PROVIDERKEY"),
        "the key never comes back: {shown}"
    );

    let entry = format!("profile/{}/provider/openai", p.id);
    assert!(
        env.keyring_entries().contains(&entry),
        "stored in the keyring"
    );
    assert!(
        env.profiles
            .show("keys")
            .expect("row")
            .keyring_entries
            .contains(&entry),
        "owned by the profile's row"
    );
    let got = providers::endpoint_key(&env.profiles, &open, "openai")
        .expect("get")
        .expect("set");
    assert_eq!(format!("{got:?}"), "ProviderKey(<redacted>)");
    drop(open);
    for (path, bytes) in snapshot(&env.profile_dir(&p.id)) {
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{} holds the key",
            path.display()
        );
    }

    env.profiles.delete("keys").expect("delete the profile");
    assert!(
        env.keyring_entries().is_empty(),
        "deleting the profile removes its provider keys too"
    );
}

#[test]
fn a_passphrase_profiles_key_lives_only_in_the_encrypted_database() {
    let env = Env::new();
    let pass = passphrase("provider key test pass");
    let p = env
        .profiles
        .create("Sealed", KeyProtection::Passphrase(pass.clone()))
        .expect("create");
    let open = env
        .profiles
        .open_profile("sealed", Some(&pass))
        .expect("open");
    providers::set_endpoint_key(&env.profiles, &open, "anthropic", &key()).expect("set");
    assert!(
        env.keyring_entries().is_empty(),
        "no keyring in passphrase mode"
    );
    assert!(
        providers::endpoint_key(&env.profiles, &open, "anthropic")
            .expect("get")
            .is_some()
    );
    drop(open);
    for (path, bytes) in snapshot(&env.profile_dir(&p.id)) {
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{} holds the key in plaintext",
            path.display()
        );
    }
}

#[test]
fn deleting_a_key_removes_the_secret_and_the_ownership_record() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Del", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("del", None).expect("open");
    providers::set_endpoint_key(&env.profiles, &open, "google", &key()).expect("set");
    let info = providers::clear_endpoint_key(&env.profiles, &open, "google").expect("delete");
    assert_eq!(info.key_last4, None);
    assert_eq!(
        env.keyring_entries(),
        vec![format!("profile/{}/db-key", p.id)]
    );
    assert_eq!(
        env.profiles.show("del").expect("row").keyring_entries,
        vec![format!("profile/{}/db-key", p.id)]
    );
    assert!(
        providers::endpoint_key(&env.profiles, &open, "google")
            .expect("get")
            .is_none()
    );
}

#[test]
fn bad_keys_and_limits_are_refused_with_the_field_named() {
    let env = Env::new();
    env.profiles
        .create("Limits", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("limits", None).expect("open");
    let err = ProviderKey::new("has space inside".into()).expect_err("spaces");
    assert!(
        err.to_string().starts_with("key:") && !err.to_string().contains("inside"),
        "{err}"
    );
    let limits = EndpointChanges {
        base_url: None,
        max_concurrent: Some(2),
        min_delay_ms: Some(250),
        requests_per_minute: Some(60),
    };
    let err = providers::add_endpoint(&open, "custom", EndpointKind::OpenaiCompatible, None)
        .expect_err("an openai-compatible endpoint needs a URL");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().starts_with("base_url:"), "{err}");
    let info = providers::update_endpoint(&open, "openai", &limits).expect("limits");
    assert_eq!(
        (
            info.max_concurrent,
            info.min_delay_ms,
            info.requests_per_minute
        ),
        (2, 250, Some(60))
    );
    drop(open);
    let again = env.reopen().open_profile("limits", None).expect("reopen");
    let stored = providers::endpoint(&again, "openai").expect("openai");
    assert_eq!(
        stored.requests_per_minute,
        Some(60),
        "limits persist per profile"
    );
}
