//! Helpers for the core's unit tests: a real, seeded SQLCipher profile in a temp dir. It is
//! a passphrase profile, so no keyring is involved (the storage tests use the real one).

use std::sync::Arc;

use crate::error::Result;
use crate::profile::{KeyProtection, OpenProfile, Profiles};
use crate::secrets::wrapped::KdfParams;
use crate::secrets::{Passphrase, SecretStore};

/// A secret store with nothing in it; passphrase profiles never ask it for anything.
#[derive(Debug)]
struct NoKeyring;

impl SecretStore for NoKeyring {
    fn check_available(&self) -> Result<()> {
        Ok(())
    }
    fn get(&self, _: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<()> {
        Ok(())
    }
    fn list(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// An open, seeded profile and the temp data dir it lives in (removed when dropped).
#[derive(Debug)]
pub(crate) struct TestProfile {
    /// Declared first so the profile closes before its directory goes.
    pub open: OpenProfile,
    pub _profiles: Profiles,
    pub dir: tempfile::TempDir,
}

/// Creates and opens (so seeds) a passphrase profile named `name` in a new temp data dir.
pub(crate) fn seeded_profile(name: &str) -> TestProfile {
    let dir = tempfile::tempdir().expect("temp");
    let fast = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let profiles = Profiles::open_with(dir.path(), Arc::new(NoKeyring))
        .expect("profiles")
        .with_kdf_params(fast);
    let pass = Passphrase::new("unit tests".into());
    profiles
        .create(name, KeyProtection::Passphrase(pass.clone()))
        .expect("create");
    let open = profiles.open_profile(name, Some(&pass)).expect("open");
    TestProfile {
        open,
        _profiles: profiles,
        dir,
    }
}
