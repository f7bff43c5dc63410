//! Secrets: key material types, the OS keyring, and passphrase-wrapped keys.
//!
//! Invariants:
//! - Key material lives in [`zeroize::Zeroizing`] buffers inside types whose `Debug` prints
//!   `<redacted>` and which implement neither `Display` nor `Serialize`.
//! - Only this module talks to the keyring. Entries are namespaced per data dir
//!   ([`KeyringStore::for_data_dir`]), so two data dirs (tests and real use) never collide.
//! - A key is never written to a file in plaintext: without a keyring it is wrapped with a
//!   passphrase ([`wrapped`]), or the operation fails.

mod key;
mod keyring;
mod passphrase;
pub mod wrapped;

pub use key::DbKey;
pub use keyring::KeyringStore;
pub use passphrase::Passphrase;

use crate::error::{Error, Result};

/// Fills `buf` from the OS random number generator, the source of every key, salt, nonce and
/// IV Assay makes.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Keyring(format!("the OS random generator failed: {e}")))
}

/// A store of named secrets, e.g. the OS keyring. Entry names are relative to the store's
/// namespace.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// Fails with `KEYRING_UNAVAILABLE` if the store cannot be reached right now.
    fn check_available(&self) -> Result<()>;
    /// The secret under `entry`, or `None` if there is none.
    fn get(&self, entry: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>>;
    /// Stores `secret` under `entry`, replacing any previous value.
    fn set(&self, entry: &str, secret: &[u8]) -> Result<()>;
    /// Removes `entry`. Removing an entry that does not exist is not an error.
    fn delete(&self, entry: &str) -> Result<()>;
    /// The names of all entries in this store's namespace.
    fn list(&self) -> Result<Vec<String>>;
}
