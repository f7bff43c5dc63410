//! The control socket: the process that executes a profile's runs listens on an owner-only
//! Unix socket in the profile's directory (itself 0700), so `assay run watch|pause|cancel`
//! in another process, or the app, reach a run while it works. One JSON request per
//! connection, answered by JSON lines.
//!
//! A request is `{"op": "pause" | "cancel" | "watch", "run_id": "…"}`. Pause and cancel
//! answer `{"status": "…"}` (or `{"error": {"code", "message"}}`); watch streams
//! `{"update": …}` lines until the run stops working, or answers `{"outcome": …}` at once
//! for a run this process does not execute.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::control::{Request, RunControl};
use super::lifecycle::RunOutcome;
use super::progress::RunUpdate;
use crate::db::Database;
use crate::error::{Error, ErrorCode, Result};

/// The socket's file name in a profile's directory.
pub const SOCKET_NAME: &str = "control.sock";

/// The socket of the profile in `profile_dir`.
pub fn socket_path(profile_dir: &Path) -> PathBuf {
    profile_dir.join(SOCKET_NAME)
}

/// The runs this process executes in one profile, by id.
#[derive(Debug, Clone, Default)]
pub struct ActiveRuns(Arc<Mutex<HashMap<String, RunControl>>>);

impl ActiveRuns {
    /// Adds a run being executed.
    pub fn add(&self, run_id: &str, control: RunControl) {
        lock(&self.0).insert(run_id.to_owned(), control);
    }

    /// Removes a run that stopped.
    pub fn remove(&self, run_id: &str) {
        lock(&self.0).remove(run_id);
    }

    /// The control of a run being executed.
    pub fn get(&self, run_id: &str) -> Option<RunControl> {
        lock(&self.0).get(run_id).cloned()
    }

    /// The ids of the runs being executed.
    pub fn ids(&self) -> Vec<String> {
        lock(&self.0).keys().cloned().collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Ask {
    op: String,
    run_id: String,
}

/// One line of an answer.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Status(String),
    Update(Box<RunUpdate>),
    Outcome(RunOutcome),
    Error { code: String, message: String },
}

#[cfg(unix)]
pub use unix::{ControlServer, send, watch};

#[cfg(unix)]
mod unix {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread::JoinHandle;

    use super::*;

    /// Listens for one profile while this process executes its runs; stops and removes the
    /// socket when dropped.
    #[derive(Debug)]
    pub struct ControlServer {
        path: PathBuf,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl ControlServer {
        /// Listens at `profile_dir`'s socket. The caller holds the profile's lock, so a
        /// socket file left there is a dead process's and is replaced.
        pub fn listen(profile_dir: &Path, db: Arc<Database>, runs: ActiveRuns) -> Result<Self> {
            let path = socket_path(profile_dir);
            let _ = std::fs::remove_file(&path);
            let listener = UnixListener::bind(&path)
                .map_err(|e| Error::io("listen on the control socket", &path, e))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io("restrict the control socket", &path, e))?;
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            let thread = std::thread::Builder::new()
                .name("assay-control".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if flag.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(conn) = conn else { continue };
                        let (db, runs) = (Arc::clone(&db), runs.clone());
                        let _ = std::thread::Builder::new()
                            .name("assay-control-conn".into())
                            .spawn(move || serve(conn, &db, &runs));
                    }
                })
                .map_err(|e| Error::io("start the control socket", &path, e))?;
            Ok(Self {
                path,
                stop,
                thread: Some(thread),
            })
        }
    }

    impl Drop for ControlServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            // Wakes the accept loop so it sees the flag.
            let _ = UnixStream::connect(&self.path);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
            let _ = std::fs::remove_file(&self.path);
        }
    }

    fn serve(conn: UnixStream, db: &Database, runs: &ActiveRuns) {
        let mut reader = BufReader::new(match conn.try_clone() {
            Ok(c) => c,
            Err(_) => return,
        });
        let mut out = conn;
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let send_line = |out: &mut UnixStream, l: &Line| -> bool {
            let Ok(mut text) = serde_json::to_string(l) else {
                return false;
            };
            text.push('\n');
            out.write_all(text.as_bytes()).is_ok()
        };
        let Ok(ask) = serde_json::from_str::<Ask>(&line) else {
            let _ = send_line(
                &mut out,
                &Line::Error {
                    code: "INVALID_INPUT".into(),
                    message: "not a control request".into(),
                },
            );
            return;
        };
        let active = runs.get(&ask.run_id);
        let reply = match (ask.op.as_str(), active) {
            ("watch", Some(control)) => {
                let updates = control.watch();
                for update in updates {
                    if !send_line(&mut out, &Line::Update(Box::new(update))) {
                        return;
                    }
                }
                return;
            }
            ("watch", None) => match outcome_of(db, &ask.run_id) {
                Ok(o) => Line::Outcome(o),
                Err(e) => error_line(&e),
            },
            ("pause", Some(control)) => {
                control.pause();
                Line::Status("running".into())
            }
            ("cancel", Some(control)) => {
                control.cancel();
                Line::Status("running".into())
            }
            (op @ ("pause" | "cancel"), None) => {
                let request = if op == "pause" {
                    Request::Pause
                } else {
                    Request::Cancel
                };
                match super::super::lifecycle::request_directly(db, &ask.run_id, request) {
                    Ok(status) => Line::Status(status),
                    Err(e) => error_line(&e),
                }
            }
            _ => Line::Error {
                code: "INVALID_INPUT".into(),
                message: format!("unknown operation {:?}", ask.op),
            },
        };
        let _ = send_line(&mut out, &reply);
    }

    fn error_line(e: &Error) -> Line {
        Line::Error {
            code: e.code().as_str().into(),
            message: e.to_string(),
        }
    }

    fn connect(profile_dir: &Path, op: &str, run_id: &str) -> Option<BufReader<UnixStream>> {
        let mut stream = UnixStream::connect(socket_path(profile_dir)).ok()?;
        let mut ask = serde_json::to_string(&Ask {
            op: op.into(),
            run_id: run_id.into(),
        })
        .ok()?;
        ask.push('\n');
        stream.write_all(ask.as_bytes()).ok()?;
        Some(BufReader::new(stream))
    }

    /// Asks the process executing the profile's runs to pause or cancel `run_id`; returns
    /// the status it reports, or `None` when no process listens.
    pub fn send(profile_dir: &Path, run_id: &str, request: Request) -> Result<Option<String>> {
        let op = match request {
            Request::Pause => "pause",
            Request::Cancel => "cancel",
            Request::None | Request::Interrupt => return Ok(None),
        };
        let Some(mut reader) = connect(profile_dir, op, run_id) else {
            return Ok(None);
        };
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| Error::io("read the control socket", socket_path(profile_dir), e))?;
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Status(status)) => Ok(Some(status)),
            Ok(Line::Error { code, message }) => Err(remote_error(&code, message)),
            _ => Err(Error::InvalidInput(
                "the process running the run gave no answer".into(),
            )),
        }
    }

    /// Follows `run_id` through the process executing it, calling `on_update` for each
    /// update; returns the outcome, or `None` when no process listens.
    pub fn watch(
        profile_dir: &Path,
        run_id: &str,
        on_update: &mut dyn FnMut(&RunUpdate),
    ) -> Result<Option<RunOutcome>> {
        let Some(reader) = connect(profile_dir, "watch", run_id) else {
            return Ok(None);
        };
        let mut last: Option<RunUpdate> = None;
        for line in reader.lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Update(update)) => {
                    on_update(&update);
                    last = Some(*update);
                }
                Ok(Line::Outcome(outcome)) => return Ok(Some(outcome)),
                Ok(Line::Error { code, message }) => return Err(remote_error(&code, message)),
                _ => {}
            }
        }
        Ok(last.map(|u| RunOutcome {
            run_id: u.run_id,
            // The process ended the watch without a final state: it stopped working (it
            // died, or the app quit), so the run is interrupted.
            status: if u.status == "running" {
                "interrupted".into()
            } else {
                u.status
            },
            progress: u.progress,
        }))
    }

    fn remote_error(code: &str, message: String) -> Error {
        let code = match code {
            "RUN_STATE" => ErrorCode::RunState,
            "NOT_FOUND" => ErrorCode::NotFound,
            "DISK_FULL" => ErrorCode::DiskFull,
            _ => ErrorCode::InvalidInput,
        };
        Error::Relayed { code, message }
    }
}

/// A run's outcome as stored: its status and progress.
pub fn outcome_of(db: &Database, run_id: &str) -> Result<RunOutcome> {
    db.read(|c| crate::store::runs::detail(c, run_id))?
        .map(|d| RunOutcome {
            run_id: run_id.to_owned(),
            status: d.summary.status,
            progress: d.progress,
        })
        .ok_or_else(|| Error::NoSuchItem {
            what: "run",
            id: run_id.into(),
        })
}
