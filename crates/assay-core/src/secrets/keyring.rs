//! The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
//!
//! All entries of one data dir share a service name derived from that dir's id
//! (`crate::identity`), so a test data dir and the real one never see each other's entries,
//! the recovery sweep can list exactly the entries that belong to its data dir, and the same
//! data dir reached by another spelling of its path finds its keys.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

use super::SecretStore;
use crate::error::{Error, Result};
use crate::paths::{APP_IDENTIFIER, dir_tag};

/// The OS keyring, namespaced to one data dir. The connection is made on first use, so
/// commands that never touch a key do not need a keyring at all.
///
/// If the keyring service goes away mid-session (gnome-keyring-daemon can abort and be
/// restarted by D-Bus or systemd), an operation reconnects once and runs again. Every operation
/// here is idempotent, so running one twice is safe.
pub struct KeyringStore {
    service: String,
    store: Mutex<Option<Arc<CredentialStore>>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// The keyring namespace of the data dir with identity `id` (`crate::identity`): service
    /// `dev.assay.desktop:<id>`. However the data dir's path is spelled, this is the same.
    pub fn for_data_dir_id(id: &str) -> Self {
        Self {
            service: format!("{APP_IDENTIFIER}:{id}"),
            store: Mutex::new(None),
        }
    }

    /// The namespace older versions used for the data dir at `data_dir` as typed:
    /// `dev.assay.desktop:<16 hex of the path's sha256>`. Only for moving such entries to
    /// [`KeyringStore::for_data_dir_id`] names, and for tests that make an old data dir.
    pub fn legacy_for_path(data_dir: &Path) -> Self {
        Self {
            service: format!("{APP_IDENTIFIER}:{}", dir_tag(data_dir)),
            store: Mutex::new(None),
        }
    }

    /// Whether `service` is a namespace of the legacy, path-derived kind.
    fn is_legacy_service(service: &str) -> bool {
        service
            .strip_prefix(APP_IDENTIFIER)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|tag| tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// Every other namespace of this app that holds `entry`, with its secret: legacy ones
    /// first. Used to move an old data dir's keys to their id-based names.
    pub fn find_elsewhere(&self, entry: &str) -> Result<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let spec = HashMap::from([("username", entry)]);
        let found = self.with_store(|store| store.search(&spec))?;
        let mut out = Vec::new();
        for credential in &found {
            let Some((service, user)) = credential.get_specifiers() else {
                continue;
            };
            let ours = service
                .strip_prefix(APP_IDENTIFIER)
                .is_some_and(|rest| rest.starts_with(':'));
            if !ours || service == self.service || user != entry {
                continue;
            }
            let secret = self.with_store(|_| match credential.get_secret() {
                Ok(secret) => Ok(Some(Zeroizing::new(secret))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            })?;
            if let Some(secret) = secret {
                out.push((service, secret));
            }
        }
        out.sort_by_key(|(service, _)| !Self::is_legacy_service(service));
        Ok(out)
    }

    /// Removes `entry` from every legacy namespace that holds it (see
    /// [`KeyringStore::legacy_for_path`]); id-based namespaces of other data dirs are left
    /// alone, whatever they hold.
    pub fn delete_legacy(&self, entry: &str) -> Result<()> {
        let spec = HashMap::from([("username", entry)]);
        let found = self.with_store(|store| store.search(&spec))?;
        for credential in &found {
            let legacy = credential
                .get_specifiers()
                .is_some_and(|(service, user)| Self::is_legacy_service(&service) && user == entry);
            if legacy {
                self.with_store(|_| match credential.delete_credential() {
                    Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                    Err(e) => Err(e),
                })?;
            }
        }
        Ok(())
    }

    /// The service name all of this data dir's entries use.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The connection, made now if there is none.
    fn connect(&self) -> keyring_core::Result<Arc<CredentialStore>> {
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let store = platform_store()?;
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }

    /// Forgets `store` if it is still the current connection.
    fn forget(&self, store: &Arc<CredentialStore>) {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take_if(|current| Arc::ptr_eq(current, store));
    }

    /// Runs `op` on the connection. If the service vanished under it (while connecting or
    /// during `op`), waits a moment, reconnects and runs `op` again, up to [`ATTEMPTS`] times.
    fn with_store<T>(&self, op: impl Fn(&CredentialStore) -> keyring_core::Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            let (result, connected) = match self.connect() {
                Ok(store) => {
                    let result = op(&*store);
                    if let Err(err) = &result
                        && service_vanished(err)
                    {
                        self.forget(&store);
                    }
                    (result, true)
                }
                Err(err) => (Err(err), false),
            };
            match result {
                Ok(value) => return Ok(value),
                Err(err) if attempt < ATTEMPTS && service_vanished(&err) => {
                    log::warn!(
                        "the keyring service went away ({}); reconnecting",
                        describe(&err)
                    );
                    std::thread::sleep(RETRY_PAUSE * attempt);
                    attempt += 1;
                }
                // No connection at all means no keyring, whatever the platform's reason.
                Err(err) if !connected => {
                    return Err(Error::KeyringUnavailable {
                        detail: describe(&err),
                    });
                }
                Err(err) => return Err(map_error(err)),
            }
        }
    }

    fn entry(&self, store: &CredentialStore, name: &str) -> keyring_core::Result<Entry> {
        store.build(&self.service, name, None)
    }
}

impl SecretStore for KeyringStore {
    fn check_available(&self) -> Result<()> {
        // A search touches the service for real: a missing daemon or a locked collection
        // fails here, before any profile state is written.
        self.list().map(|_| ())
    }

    fn get(&self, entry: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.with_store(|store| match self.entry(store, entry)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(&self, entry: &str, secret: &[u8]) -> Result<()> {
        self.with_store(|store| self.entry(store, entry)?.set_secret(secret))
    }

    fn delete(&self, entry: &str) -> Result<()> {
        self.with_store(
            |store| match self.entry(store, entry)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            },
        )
    }

    fn list(&self) -> Result<Vec<String>> {
        let spec = HashMap::from([("service", self.service.as_str())]);
        let found = self.with_store(|store| store.search(&spec))?;
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

/// How many times an operation is tried when the keyring service vanishes under it.
const ATTEMPTS: u32 = 3;
/// The pause before the second attempt; the third waits twice as long.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Whether `err` says the keyring service itself went away (its process died, or the session
/// we opened with it no longer exists), as opposed to refusing or failing one request.
fn service_vanished(err: &keyring_core::Error) -> bool {
    const VANISHED: [&str; 5] = [
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.Secret.Error.NoSession",
    ];
    matches!(
        err,
        keyring_core::Error::PlatformFailure(_) | keyring_core::Error::NoStorageAccess(_)
    ) && VANISHED.iter().any(|name| describe(err).contains(name))
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
        let a = KeyringStore::for_data_dir_id("a1b2");
        let b = KeyringStore::for_data_dir_id("c3d4");
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
    fn legacy_namespaces_are_told_apart_from_id_based_ones() {
        let legacy = KeyringStore::legacy_for_path(Path::new("/tmp/a"));
        assert!(KeyringStore::is_legacy_service(legacy.service()));
        let by_id = KeyringStore::for_data_dir_id(&uuid::Uuid::new_v4().to_string());
        assert!(!KeyringStore::is_legacy_service(by_id.service()));
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
