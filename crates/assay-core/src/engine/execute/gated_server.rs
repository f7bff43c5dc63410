//! A local server speaking OpenAI's Chat Completions wire format for the executor's unit tests,
//! whose answers wait at a gate the test opens: so a test holds calls in flight, counts how
//! many are in flight at once, and acts (pause, cancel) while they are, with no sleep and no
//! timing. Plain threads and `std::net`, one per connection, HTTP/1.1 with keep-alive.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the server answers a request: the assistant's text, from the request's JSON body.
pub(crate) type Answerer = dyn Fn(&serde_json::Value) -> String + Send + Sync;

/// The longest a test waits for the server to reach a state before failing.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Shared {
    /// Requests answered at once when true; held at the gate when false.
    open: bool,
    /// Held requests that may go (each takes one).
    passes: usize,
    /// Requests waiting at the gate.
    held: usize,
    /// Requests between arrival and their answer sent.
    in_flight: usize,
    /// The most in flight at once.
    max_in_flight: usize,
    /// Every request body received, in order.
    bodies: Vec<serde_json::Value>,
    /// Answers to give before the answerer's, in order (a judge's junk, say).
    scripted: VecDeque<String>,
    stopped: bool,
}

/// The server; stops (and lets every held request go) when dropped.
pub(crate) struct GatedServer {
    /// `http://127.0.0.1:PORT/v1`.
    pub base: String,
    state: Arc<(Mutex<Shared>, Condvar)>,
}

impl GatedServer {
    /// Starts a server whose gate is open, answering with `answer`.
    pub(crate) fn start(answer: Box<Answerer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new((
            Mutex::new(Shared {
                open: true,
                ..Shared::default()
            }),
            Condvar::new(),
        ));
        let answer: Arc<Answerer> = Arc::from(answer);
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if lock(&shared.0).stopped {
                    break;
                }
                let (state, answer) = (Arc::clone(&shared), Arc::clone(&answer));
                std::thread::spawn(move || serve(conn, &state, answer.as_ref()));
            }
        });
        Self {
            base: format!("http://127.0.0.1:{port}/v1"),
            state,
        }
    }

    /// Holds every request from now on at the gate.
    pub(crate) fn hold(&self) {
        lock(&self.state.0).open = false;
    }

    /// Lets every held request and every later one go.
    pub(crate) fn open(&self) {
        lock(&self.state.0).open = true;
        self.state.1.notify_all();
    }

    /// Lets `n` held (or next) requests go.
    pub(crate) fn release(&self, n: usize) {
        lock(&self.state.0).passes += n;
        self.state.1.notify_all();
    }

    /// Answers the next requests with these texts, in order, before the answerer's.
    pub(crate) fn script(&self, answers: &[&str]) {
        lock(&self.state.0)
            .scripted
            .extend(answers.iter().map(|a| (*a).to_owned()));
    }

    /// Waits until exactly `n` requests are held at the gate.
    pub(crate) fn wait_held(&self, n: usize) {
        self.wait(|s| s.held == n, &format!("{n} requests held"));
    }

    /// Waits until `n` requests have arrived in all.
    pub(crate) fn wait_requests(&self, n: usize) {
        self.wait(|s| s.bodies.len() >= n, &format!("{n} requests"));
    }

    /// The requests received so far.
    pub(crate) fn requests(&self) -> usize {
        lock(&self.state.0).bodies.len()
    }

    /// The most requests in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        lock(&self.state.0).max_in_flight
    }

    /// The models of the requests received, in order.
    pub(crate) fn models(&self) -> Vec<String> {
        lock(&self.state.0)
            .bodies
            .iter()
            .map(|b| b["model"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn wait(&self, done: impl Fn(&Shared) -> bool, what: &str) {
        let deadline = Instant::now() + PATIENCE;
        let mut shared = lock(&self.state.0);
        while !done(&shared) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the server never saw {what}");
            shared = self
                .state
                .1
                .wait_timeout(shared, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for GatedServer {
    fn drop(&mut self) {
        {
            let mut shared = lock(&self.state.0);
            shared.stopped = true;
            shared.open = true;
        }
        self.state.1.notify_all();
    }
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Serves one connection's requests until it closes.
fn serve(conn: TcpStream, state: &(Mutex<Shared>, Condvar), answer: &Answerer) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut out = conn;
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        // The request line, then headers to the blank line.
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let text = {
            let (lock_, wake) = state;
            let mut shared = lock(lock_);
            shared.bodies.push(request.clone());
            shared.in_flight += 1;
            shared.max_in_flight = shared.max_in_flight.max(shared.in_flight);
            shared.held += 1;
            wake.notify_all();
            while !shared.open && shared.passes == 0 {
                shared = wake
                    .wait(shared)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if !shared.open {
                shared.passes -= 1;
            }
            shared.held -= 1;
            wake.notify_all();
            shared.scripted.pop_front()
        }
        .unwrap_or_else(|| answer(&request));
        let reply = reply(request["model"].as_str().unwrap_or_default(), &text);
        // Out of flight before the answer leaves, so the client's next call (sent the moment
        // this one is answered) never counts beside it.
        {
            let mut shared = lock(&state.0);
            shared.in_flight -= 1;
            state.1.notify_all();
        }
        let sent = write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
            reply.len()
        )
        .and_then(|()| out.flush());
        if sent.is_err() {
            return;
        }
    }
}

/// A Chat Completions answer of `model` saying `text`, with 10 prompt and 5 completion tokens.
pub(crate) fn reply(model: &str, text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-gated",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
    .to_string()
}

/// The answer of a judge asked to score: every criterion its schema names scored 4.
pub(crate) fn scores_for(request: &serde_json::Value) -> String {
    let schema = &request["response_format"]["json_schema"]["schema"]["properties"];
    let scores: serde_json::Map<String, serde_json::Value> = schema
        .as_object()
        .map(|criteria| {
            criteria
                .keys()
                .map(|c| (c.clone(), serde_json::json!({"reason": "fine", "score": 4})))
                .collect()
        })
        .unwrap_or_default();
    serde_json::Value::Object(scores).to_string()
}
