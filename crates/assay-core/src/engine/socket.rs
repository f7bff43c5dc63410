//! The control socket: the process that executes a profile's runs listens on an owner-only
//! Unix socket in the profile's directory (itself 0700), so `assay run watch|pause|cancel`
//! in another process, or the app, reach a run while it works. One JSON request per
//! connection, answered by JSON lines.
//!
//! Bounds: a request line is at most [`MAX_REQUEST_LINE`] bytes and must arrive within
//! [`REQUEST_WITHIN`]; a reader that stops reading for [`WRITE_WITHIN`] is dropped; at most
//! [`MAX_CONNECTIONS`] connections are served at once (each on a thread of its own), and one
//! past that is told so and closed. So no client, slow or hostile, can grow the run's memory
//! or threads without bound.
//!
//! A request is `{"op": "pause" | "cancel" | "watch", "run_id": "…"}`. Pause and cancel
//! answer `{"status": "…"}` (or `{"error": {"code", "message"}}`); watch streams
//! `{"update": …}` lines until the run stops working, then its stored `{"outcome": …}`; for a
//! run this process does not execute, the outcome at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::control::{Request, RunControl};
use super::lifecycle::RunOutcome;
use super::updates::RunUpdate;
use crate::db::Database;
use crate::domain::states::RunStatus;
use crate::error::{Error, ErrorCode, Result};

/// The socket's file name in a profile's directory.
pub const SOCKET_NAME: &str = "control.sock";

/// The longest request line read; a longer one is refused unread.
pub const MAX_REQUEST_LINE: u64 = 64 * 1024;

/// How long a connection may take to send its request.
pub const REQUEST_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a watcher may leave an answer line unread before it is dropped.
pub const WRITE_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;

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
    Status(RunStatus),
    Update(Box<RunUpdate>),
    Outcome(RunOutcome),
    Error { code: String, message: String },
}

#[cfg(unix)]
pub use unix::{ControlServer, send, watch};

#[cfg(unix)]
mod unix {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::thread::JoinHandle;

    use super::*;

    /// Listens for one profile while this process executes its runs; stops and removes the
    /// socket when dropped.
    #[derive(Debug)]
    pub struct ControlServer {
        path: PathBuf,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
        open: Arc<AtomicUsize>,
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
            let open = Arc::new(AtomicUsize::new(0));
            let connections = Arc::clone(&open);
            let thread = std::thread::Builder::new()
                .name("assay-control".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if flag.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(mut conn) = conn else { continue };
                        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                            open.fetch_sub(1, Ordering::SeqCst);
                            let _ = conn.set_write_timeout(Some(REQUEST_WITHIN));
                            let _ = write_line(
                                &mut conn,
                                &Line::Error {
                                    code: "BUSY".into(),
                                    message: format!(
                                        "the run's control socket serves {MAX_CONNECTIONS} \
                                         connections at once; try again"
                                    ),
                                },
                            );
                            continue;
                        }
                        let (db, runs, count) = (Arc::clone(&db), runs.clone(), Arc::clone(&open));
                        let spawned = std::thread::Builder::new()
                            .name("assay-control-conn".into())
                            .spawn(move || {
                                serve(conn, &db, &runs);
                                count.fetch_sub(1, Ordering::SeqCst);
                            });
                        if spawned.is_err() {
                            open.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                })
                .map_err(|e| Error::io("start the control socket", &path, e))?;
            Ok(Self {
                path,
                stop,
                thread: Some(thread),
                open: connections,
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
            // Connections still served hold the database; they end soon (a watch of a run
            // that ended has its last line to send; an idle one its request deadline).
            let deadline =
                std::time::Instant::now() + REQUEST_WITHIN + std::time::Duration::from_secs(1);
            while self.open.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }

    fn write_line(out: &mut UnixStream, l: &Line) -> bool {
        let Ok(mut text) = serde_json::to_string(l) else {
            return false;
        };
        text.push('\n');
        out.write_all(text.as_bytes()).is_ok()
    }

    /// The request line, read within [`REQUEST_WITHIN`] and [`MAX_REQUEST_LINE`] bytes;
    /// `None` for one too slow, too long or not text.
    fn request_line(conn: &UnixStream) -> Option<String> {
        conn.set_read_timeout(Some(REQUEST_WITHIN)).ok()?;
        let mut bytes = Vec::new();
        BufReader::new(conn.try_clone().ok()?.take(MAX_REQUEST_LINE + 1))
            .read_until(b'\n', &mut bytes)
            .ok()?;
        if bytes.len() as u64 > MAX_REQUEST_LINE || bytes.last() != Some(&b'\n') {
            return None;
        }
        String::from_utf8(bytes).ok()
    }

    fn serve(conn: UnixStream, db: &Database, runs: &ActiveRuns) {
        let _ = conn.set_write_timeout(Some(WRITE_WITHIN));
        let line = request_line(&conn);
        let mut out = conn;
        let send_line = write_line;
        let Some(ask) = line.and_then(|l| serde_json::from_str::<Ask>(&l).ok()) else {
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
                // The run stopped working and its end is stored: that is the answer, never a
                // guess from the last update.
                match outcome_of(db, &ask.run_id) {
                    Ok(o) => Line::Outcome(o),
                    Err(e) => error_line(&e),
                }
            }
            ("watch", None) => match outcome_of(db, &ask.run_id) {
                Ok(o) => Line::Outcome(o),
                Err(e) => error_line(&e),
            },
            ("pause", Some(control)) => {
                control.pause();
                Line::Status(RunStatus::Running)
            }
            ("cancel", Some(control)) => {
                control.cancel();
                Line::Status(RunStatus::Running)
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
    pub fn send(profile_dir: &Path, run_id: &str, request: Request) -> Result<Option<RunStatus>> {
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
            status: if u.status == RunStatus::Running {
                RunStatus::Interrupted
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

#[cfg(all(test, unix))]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    use super::*;

    fn listening() -> (crate::test_support::TestProfile, ControlServer, PathBuf) {
        let profile = crate::test_support::seeded_profile("socket");
        let dir = profile.dir.path().join("sock");
        crate::fs::private::create_dir_all(&dir).expect("dir");
        let server =
            ControlServer::listen(&dir, Arc::clone(profile.open.db()), ActiveRuns::default())
                .expect("listen");
        (profile, server, socket_path(&dir))
    }

    fn answer(stream: UnixStream) -> String {
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).expect("read");
        line
    }

    #[test]
    fn a_request_line_past_its_bound_is_refused_without_being_read_whole() {
        let (_p, _server, path) = listening();
        let mut stream = UnixStream::connect(&path).expect("connect");
        // 1 MiB with no newline: the server stops at 64 KiB and answers.
        let chunk = vec![b'x'; 1024 * 1024];
        let _ = stream.write_all(&chunk);
        let line = answer(stream);
        assert!(line.contains("not a control request"), "{line}");
    }

    #[test]
    fn connections_past_the_cap_are_told_so_and_closed() {
        let (_p, _server, path) = listening();
        // Idle connections that never send: each holds a slot until its request times out.
        let idle: Vec<UnixStream> = (0..MAX_CONNECTIONS)
            .map(|_| UnixStream::connect(&path).expect("connect"))
            .collect();
        let extra = UnixStream::connect(&path).expect("connect");
        let line = answer(extra);
        assert!(line.contains("BUSY"), "{line}");
        // An idle connection is closed once its request is overdue.
        let mut first = idle.into_iter().next().expect("one");
        let mut rest = Vec::new();
        first.read_to_end(&mut rest).expect("closed by the server");
        assert!(
            String::from_utf8_lossy(&rest).contains("not a control request"),
            "the overdue request is answered and the connection closed"
        );
    }
}
