//! State shared by the commands of one app process.
//!
//! Each window has at most one open profile. A command takes an `Arc` of its window's profile
//! when it starts, so it finishes on that profile even if the window switches meanwhile; the
//! profile closes (and its lock is released) when the last such `Arc` is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use assay_core::paths::DataDir;
use assay_core::profile::{OpenProfile, Profiles};

/// The app's managed state.
#[derive(Debug)]
pub struct AppState {
    data_dir: DataDir,
    profiles: OnceLock<Arc<Profiles>>,
    windows: Mutex<Windows>,
    /// The runs this process executes, per profile id: each holds its profile open, so a
    /// run goes on when its window switches to another profile.
    pub runs: Mutex<HashMap<String, crate::runs::Executing>>,
    /// Where each window hears of app events (a quit asked while runs work).
    pub app_events: crate::runs::EventChannels,
    /// Windows whose UI holds edits not yet saved: closing them asks first.
    pub unsaved: Mutex<std::collections::HashSet<String>>,
}

/// Per window: the open profile, and the ticket of the latest open request.
#[derive(Debug, Default)]
struct Windows {
    sessions: HashMap<String, Arc<OpenProfile>>,
    latest_open: HashMap<String, u64>,
    next_ticket: u64,
}

impl AppState {
    /// State for an app using `data_dir`.
    pub fn new(data_dir: DataDir) -> Self {
        Self {
            data_dir,
            profiles: OnceLock::new(),
            windows: Mutex::new(Windows::default()),
            runs: Mutex::new(HashMap::new()),
            app_events: crate::runs::EventChannels::default(),
            unsaved: Mutex::new(std::collections::HashSet::new()),
        }
    }

    /// The data directory this process uses.
    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    /// The data dir's profiles, opened (with its recovery sweep) on first use.
    pub fn profiles(&self) -> Result<Arc<Profiles>, assay_core::Error> {
        if let Some(p) = self.profiles.get() {
            return Ok(Arc::clone(p));
        }
        let opened = Arc::new(Profiles::open(&self.data_dir)?);
        Ok(Arc::clone(self.profiles.get_or_init(|| opened)))
    }

    /// The profile open in `window`, if any.
    pub fn session(&self, window: &str) -> Option<Arc<OpenProfile>> {
        self.lock().sessions.get(window).cloned()
    }

    /// The profile open in `window`, or the error the UI shows when none is.
    pub fn require_session(
        &self,
        window: &str,
    ) -> Result<Arc<OpenProfile>, crate::error::IpcError> {
        self.session(window)
            .ok_or_else(crate::error::IpcError::no_profile)
    }

    /// Makes `profile` the one open in `window`, returning the one it replaces.
    #[cfg(test)]
    pub fn set_session(&self, window: &str, profile: Arc<OpenProfile>) -> Option<Arc<OpenProfile>> {
        self.lock().sessions.insert(window.to_owned(), profile)
    }

    /// Starts an open request in `window`; the ticket makes it the latest one there.
    pub fn begin_open(&self, window: &str) -> u64 {
        let mut windows = self.lock();
        windows.next_ticket += 1;
        let ticket = windows.next_ticket;
        windows.latest_open.insert(window.to_owned(), ticket);
        ticket
    }

    /// Ends the open request `ticket`: its profile becomes the window's only if no later
    /// request started meanwhile, so the profile a person picked last always wins, whatever
    /// order the opens finish in. A superseded profile is handed back (to be dropped).
    pub fn finish_open(
        &self,
        window: &str,
        ticket: u64,
        profile: Arc<OpenProfile>,
    ) -> Result<(), Arc<OpenProfile>> {
        let mut windows = self.lock();
        if windows.latest_open.get(window) != Some(&ticket) {
            return Err(profile);
        }
        windows.sessions.insert(window.to_owned(), profile);
        Ok(())
    }

    /// Closes `window`'s profile; an open still under way there will not take its place.
    pub fn clear_session(&self, window: &str) -> Option<Arc<OpenProfile>> {
        let mut windows = self.lock();
        windows.latest_open.remove(window);
        windows.sessions.remove(window)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use assay_core::profile::{KeyProtection, Profiles};
    use assay_core::secrets::Passphrase;

    use super::*;

    /// App state on a temp data dir holding passphrase profiles A and B (cheap KDF).
    fn two_passphrase_profiles() -> (tempfile::TempDir, AppState, Profiles, Passphrase) {
        let dir = tempfile::tempdir().expect("temp");
        let data_dir = DataDir::resolve_from(Some(dir.path()), None, || None).expect("data dir");
        let state = AppState::new(data_dir);
        let profiles = Profiles::open_at(dir.path())
            .expect("profiles")
            .with_kdf_params(assay_core::secrets::wrapped::KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            });
        let pass = Passphrase::new("switch test passphrase".into());
        for name in ["A", "B"] {
            profiles
                .create(name, KeyProtection::Passphrase(pass.clone()))
                .expect("create");
        }
        (dir, state, profiles, pass)
    }

    #[test]
    fn a_command_holding_profile_a_finishes_on_a_after_the_window_switches_to_b() {
        let (_dir, state, profiles, pass) = two_passphrase_profiles();
        state.set_session(
            "main",
            Arc::new(profiles.open_profile("a", Some(&pass)).expect("open A")),
        );

        // A command starts on A and takes its profile...
        let in_flight = state.session("main").expect("A is open");
        // ...the person switches the window to B...
        state.set_session(
            "main",
            Arc::new(profiles.open_profile("b", Some(&pass)).expect("open B")),
        );
        // ...and the command still works on A, whose lock it keeps until it finishes.
        assert_eq!(in_flight.record().name, "A");
        assert!(
            assay_core::library::Library::of(&in_flight)
                .expect("A is still usable")
                .runs(10, None)
                .is_ok()
        );
        assert_eq!(state.session("main").expect("B").record().name, "B");
        // Held: nothing can take A alone (as a delete would) while the command has it.
        let a_dir = profiles.profile_dir(&in_flight.record().id);
        assert_eq!(
            assay_core::fs::DirLock::try_acquire(&a_dir, "A")
                .expect_err("A is still held by the command")
                .code(),
            assay_core::ErrorCode::ProfileInUse
        );
        drop(in_flight);
        assay_core::fs::DirLock::try_acquire(&a_dir, "A")
            .expect("A is released once the command ends");
    }

    #[test]
    fn the_profile_picked_last_wins_whatever_order_the_opens_finish_in() {
        let (_dir, state, profiles, pass) = two_passphrase_profiles();
        // The person picks A, then B before A has finished opening.
        let ticket_a = state.begin_open("main");
        let ticket_b = state.begin_open("main");
        let b = Arc::new(profiles.open_profile("b", Some(&pass)).expect("open B"));
        assert!(state.finish_open("main", ticket_b, b).is_ok());
        // A finishes last, and is refused rather than replacing B.
        let a = Arc::new(profiles.open_profile("a", Some(&pass)).expect("open A"));
        let refused = state
            .finish_open("main", ticket_a, a)
            .expect_err("A was superseded");
        assert_eq!(refused.record().name, "A");
        assert_eq!(state.session("main").expect("open").record().name, "B");
        drop(refused);
        // Closing the window's profile also drops an open still under way.
        let pending = state.begin_open("main");
        state.clear_session("main");
        let late = Arc::new(profiles.open_profile("a", Some(&pass)).expect("open A"));
        assert!(state.finish_open("main", pending, late).is_err());
        assert!(state.session("main").is_none());
        // Another window's opens are independent.
        let other = state.begin_open("second");
        let a = Arc::new(
            profiles
                .open_profile("a", Some(&pass))
                .expect("A is free again"),
        );
        assert!(state.finish_open("second", other, a).is_ok());
        assert_eq!(state.session("second").expect("open").record().name, "A");
    }
}
