//! The app window's remembered size and position, one file per data dir
//! (`window-state.json`). Losing it is harmless, so a missing or bad file just means the
//! default window; writes are debounced on a background thread so dragging a window does not
//! write a file per pixel.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// Smallest remembered size; anything smaller is treated as a bad file.
pub const MIN_SIZE: (u32, u32) = (480, 360);
/// Largest remembered size.
pub const MAX_SIZE: u32 = 16_384;
/// How long the window must stay still before its state is written.
pub const QUIET: Duration = Duration::from_millis(300);

/// Where and how big the window was, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowState {
    /// Left edge of the outer window.
    pub x: i32,
    /// Top edge of the outer window.
    pub y: i32,
    /// Inner width.
    pub width: u32,
    /// Inner height.
    pub height: u32,
    /// Whether it was maximized; the other fields then keep the size it returns to.
    pub maximized: bool,
}

/// A screen area a window may be shown on, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl WindowState {
    /// The state saved at `path`, if there is a sane one. A missing file is the first launch;
    /// an unreadable or nonsensical one is logged and ignored.
    pub fn load(path: &Path) -> Option<Self> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                log::warn!("ignoring the window state at {}: {err}", path.display());
                return None;
            }
        };
        match serde_json::from_slice::<Self>(&text) {
            Ok(state) if state.is_sane() => Some(state),
            Ok(state) => {
                log::warn!("ignoring an implausible window state: {state:?}");
                None
            }
            Err(err) => {
                log::warn!("ignoring the window state at {}: {err}", path.display());
                None
            }
        }
    }

    /// Writes the state to `path` atomically.
    pub fn save(&self, path: &Path) -> crate::error::Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| {
            crate::Error::InvalidInput(format!("could not encode the window state: {e}"))
        })?;
        json.push(b'\n');
        crate::fs::write_atomic(path, &json)
    }

    fn is_sane(&self) -> bool {
        let size_ok = |v: u32, min: u32| (min..=MAX_SIZE).contains(&v);
        size_ok(self.width, MIN_SIZE.0)
            && size_ok(self.height, MIN_SIZE.1)
            && self.x.unsigned_abs() <= MAX_SIZE * 4
            && self.y.unsigned_abs() <= MAX_SIZE * 4
    }

    /// Whether enough of the window (its top 48 px strip, at least 96 px wide) would be on one
    /// of `screens` for a person to grab it. A state saved on a monitor that is gone is not.
    pub fn is_reachable_on(&self, screens: &[Area]) -> bool {
        let (left, top) = (i64::from(self.x), i64::from(self.y));
        let right = left + i64::from(self.width);
        screens.iter().any(|s| {
            let (s_left, s_top) = (i64::from(s.x), i64::from(s.y));
            let (s_right, s_bottom) = (s_left + i64::from(s.width), s_top + i64::from(s.height));
            let overlap = right.min(s_right) - left.max(s_left);
            overlap >= 96 && top >= s_top && top + 48 <= s_bottom
        })
    }
}

/// Saves window states on a background thread, once the window has been still for [`QUIET`],
/// and once more when the saver is dropped (the app closing).
#[derive(Debug)]
pub struct Saver {
    tx: Option<Sender<WindowState>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Saver {
    /// A saver writing to `path`, starting from what was loaded (so a maximized window keeps
    /// the size it returns to).
    pub fn spawn(path: PathBuf, loaded: Option<WindowState>) -> Self {
        let (tx, rx) = mpsc::channel::<WindowState>();
        let thread = std::thread::Builder::new()
            .name("window-state".into())
            .spawn(move || {
                let mut last_normal = loaded.filter(|s| !s.maximized);
                let mut pending: Option<WindowState> = None;
                loop {
                    let wait = if pending.is_some() {
                        QUIET
                    } else {
                        Duration::MAX
                    };
                    match rx.recv_timeout(wait) {
                        Ok(mut state) => {
                            if state.maximized {
                                if let Some(normal) = last_normal {
                                    state = WindowState {
                                        maximized: true,
                                        ..normal
                                    };
                                }
                            } else {
                                last_normal = Some(state);
                            }
                            pending = Some(state);
                        }
                        Err(RecvTimeoutError::Timeout) => write(&path, pending.take()),
                        Err(RecvTimeoutError::Disconnected) => {
                            write(&path, pending.take());
                            return;
                        }
                    }
                }
            })
            .map_err(|err| log::warn!("window state will not be remembered: {err}"))
            .ok();
        Self {
            tx: thread.is_some().then_some(tx),
            thread,
        }
    }

    /// Notes the window's current state; it is written once the window is still.
    pub fn note(&self, state: WindowState) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(state);
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write(path: &Path, state: Option<WindowState>) {
    if let Some(state) = state.filter(WindowState::is_sane)
        && let Err(err) = state.save(path)
    {
        log::warn!("could not remember the window state: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NORMAL: WindowState = WindowState {
        x: 100,
        y: 80,
        width: 1000,
        height: 700,
        maximized: false,
    };

    #[test]
    fn a_saved_state_loads_back_and_bad_files_load_as_none() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("window-state.json");
        assert_eq!(WindowState::load(&path), None, "first launch");
        NORMAL.save(&path).expect("save");
        assert_eq!(WindowState::load(&path), Some(NORMAL));
        std::fs::write(&path, b"{ not json").expect("write");
        assert_eq!(WindowState::load(&path), None);
        let tiny = WindowState { width: 3, ..NORMAL };
        tiny.save(&path).expect("save");
        assert_eq!(
            WindowState::load(&path),
            None,
            "a 3 px window is not restored"
        );
    }

    #[test]
    fn a_window_on_a_monitor_that_is_gone_is_not_reachable() {
        let laptop = Area {
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
        };
        assert!(NORMAL.is_reachable_on(&[laptop]));
        let on_old_monitor = WindowState { x: 2500, ..NORMAL };
        assert!(!on_old_monitor.is_reachable_on(&[laptop]));
        let title_bar_above_screen = WindowState { y: -30, ..NORMAL };
        assert!(!title_bar_above_screen.is_reachable_on(&[laptop]));
        let external = Area {
            x: 1920,
            y: 0,
            width: 2560,
            height: 1440,
        };
        assert!(on_old_monitor.is_reachable_on(&[laptop, external]));
    }

    #[test]
    fn the_saver_writes_the_last_state_and_keeps_the_normal_size_when_maximized() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("window-state.json");
        let saver = Saver::spawn(path.clone(), None);
        for width in 900..=960 {
            saver.note(WindowState { width, ..NORMAL });
        }
        saver.note(WindowState {
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
            maximized: true,
        });
        drop(saver);
        assert_eq!(
            WindowState::load(&path),
            Some(WindowState {
                width: 960,
                maximized: true,
                ..NORMAL
            })
        );
    }

    #[test]
    fn the_saver_writes_after_the_window_is_still() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("window-state.json");
        let saver = Saver::spawn(path.clone(), None);
        saver.note(NORMAL);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while WindowState::load(&path).is_none() {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(WindowState::load(&path), Some(NORMAL));
        drop(saver);
    }
}
