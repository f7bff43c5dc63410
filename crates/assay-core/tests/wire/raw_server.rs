//! A bare HTTP/1.1 server on a socket, for what wiremock cannot do: reset a connection,
//! close a kept-alive one, and count calls in flight and when each began.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with request number `n` (from 0, over all connections).
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer after `delay`; `close` closes the connection afterwards without saying so.
    Respond {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
        delay: Duration,
        close: bool,
    },
    /// Reset the connection (RST) instead of answering.
    Reset,
    /// Close the connection (FIN) instead of answering, as a server whose idle timeout fired
    /// just as the request arrived.
    Close,
}

impl Action {
    /// A 200 with a Chat Completions answer, after `delay`.
    pub fn ok(delay: Duration) -> Self {
        Self::Respond {
            status: 200,
            headers: Vec::new(),
            body: r#"{"model":"m","choices":[{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#.into(),
            delay,
            close: false,
        }
    }

    /// A 429 asking for a retry after `ms` milliseconds.
    pub fn too_many(ms: u64) -> Self {
        Self::Respond {
            status: 429,
            headers: vec![("retry-after-ms", ms.to_string())],
            body: r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#.into(),
            delay: Duration::ZERO,
            close: false,
        }
    }
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub starts: Mutex<Vec<Instant>>,
}

impl Stats {
    /// The gaps between consecutive request arrivals.
    pub fn gaps(&self) -> Vec<Duration> {
        let starts = self.starts.lock().expect("starts");
        starts.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// A running server.
#[derive(Debug)]
pub struct RawServer {
    pub url: String,
    pub stats: Arc<Stats>,
}

/// The action for request `n` overall, which is request `on_connection` (from 0) of its
/// connection.
type Behaviour = Arc<dyn Fn(usize, usize) -> Action + Send + Sync>;

impl RawServer {
    pub async fn start(behaviour: impl Fn(usize, usize) -> Action + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let stats = Arc::new(Stats::default());
        let behaviour: Behaviour = Arc::new(behaviour);
        tokio::spawn({
            let stats = Arc::clone(&stats);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, Arc::clone(&behaviour), Arc::clone(&stats)));
                }
            }
        });
        Self { url, stats }
    }
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, stats: Arc<Stats>) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    for on_connection in 0.. {
        let Some(request_len) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        buffer.drain(..request_len);
        let n = stats.requests.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        stats.starts.lock().expect("starts").push(Instant::now());
        let action = behaviour(n, on_connection);
        match action {
            Action::Reset => {
                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.set_zero_linger();
                return;
            }
            Action::Close => {
                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.shutdown().await;
                return;
            }
            Action::Respond {
                status,
                headers,
                body,
                delay,
                close,
            } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                head.push_str(&body);
                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                // One write, so Nagle's algorithm never holds the body back for an ACK.
                if stream.write_all(head.as_bytes()).await.is_err() || close {
                    return;
                }
            }
        }
    }
}

/// Reads one request (head and content-length body) into `buffer`; returns its length, or
/// `None` when the peer closed.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<usize> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            if buffer.len() >= total {
                return Some(total);
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
