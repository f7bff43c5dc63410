//! The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
//!
//! All entries of one data dir share a service name derived from that dir's path, so a test
//! data dir and the real one never see each other's entries, and the recovery sweep can list
//! exactly the entries that belong to its data dir.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SecretStore;
use crate::error::{Error, Result};
use crate::paths::APP_IDENTIFIER;

/// The OS keyring, namespaced to one data dir. The connection is made on first use, so
/// commands that never touch a key do not need a keyring at all.
pub struct KeyringStore {
    service: String,
    store: OnceLock<std::result::Result<Arc<CredentialStore>, String>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// The keyring namespace for `data_dir`: service `dev.assay.desktop:<16 hex of sha256>`.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
        let tag: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Self {
            service: format!("{APP_IDENTIFIER}:{tag}"),
            store: OnceLock::new(),
        }
    }

    /// The service name all of this data dir's entries use.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn store(&self) -> Result<&Arc<CredentialStore>> {
        self.store
            .get_or_init(|| platform_store().map_err(|e| describe(&e)))
            .as_ref()
            .map_err(|detail| Error::KeyringUnavailable {
                detail: detail.clone(),
            })
    }

    fn entry(&self, name: &str) -> Result<Entry> {
        self.store()?
            .build(&self.service, name, None)
            .map_err(map_error)
    }
}

impl SecretStore for KeyringStore {
    fn check_available(&self) -> Result<()> {
        // A search touches the service for real: a missing daemon or a locked collection
        // fails here, before any profile state is written.
        self.list().map(|_| ())
    }

    fn get(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(entry)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.entry(entry)?.set_secret(secret).map_err(map_error)
    }

    fn delete(&self, entry: &str) -> Result<()> {
        match self.entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    fn list(&self) -> Result<Vec<String>> {
        let spec = HashMap::from([("service", self.service.as_str())]);
        let found = self.store()?.search(&spec).map_err(map_error)?;
        Ok(found
            .iter()
            .filter_map(Entry::get_specifiers)
            .filter(|(service, _)| *service == self.service)
            .map(|(_, user)| user)
            .collect())
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

fn map_error(err: keyring_core::Error) -> Error {
    match err {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::NoDefaultStore => {
            Error::KeyringUnavailable {
                detail: describe(&err),
            }
        }
        other => Error::Keyring(describe(&other)),
    }
}

/// A description of a keyring error that never includes secret bytes: the variants that carry
/// a secret (`BadEncoding`, `BadDataFormat`) are described without their payload.
fn describe(err: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match err {
        E::PlatformFailure(inner) => format!("platform failure: {inner}"),
        E::NoStorageAccess(inner) => format!("no access to the credential store: {inner}"),
        E::NoEntry => "no such entry".into(),
        E::BadEncoding(_) => "a stored secret is not valid UTF-8".into(),
        E::BadDataFormat(_, _) => "a stored secret has an unexpected format".into(),
        E::BadStoreFormat(_) => "the credential store has an unexpected format".into(),
        E::TooLong(name, limit) => format!("{name} is longer than the store allows ({limit})"),
        E::Invalid(what, why) => format!("invalid {what}: {why}"),
        E::Ambiguous(entries) => format!("{} entries match one name", entries.len()),
        E::NoDefaultStore => "no credential store is configured".into(),
        E::NotSupportedByStore(what) => format!("not supported by this store: {what}"),
        _ => "unexpected credential store error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_data_dirs_get_different_keyring_namespaces() {
        let a = KeyringStore::for_data_dir(Path::new("/tmp/a"));
        let b = KeyringStore::for_data_dir(Path::new("/tmp/b"));
        assert_ne!(
            a.service(),
            b.service(),
            "namespaces must differ per data dir"
        );
        assert!(
            a.service().starts_with("dev.assay.desktop:"),
            "{}",
            a.service()
        );
    }

    #[test]
    fn a_secret_carrying_keyring_error_is_described_without_the_secret() {
        let err = keyring_core::Error::BadEncoding(b"hunter2-secret".to_vec());
        assert!(
            !describe(&err).contains("hunter2"),
            "described: {}",
            describe(&err)
        );
        assert!(!map_error(err).to_string().contains("hunter2"));
    }
}
