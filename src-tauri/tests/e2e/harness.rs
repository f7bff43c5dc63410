//! Launching the app under tauri-driver and talking to it.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

/// How long to wait for a window to appear. Session creation hangs forever if the app never
/// opens one, so this bounds it.
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for an element the UI should render.
const ELEMENT_TIMEOUT: Duration = Duration::from_secs(15);

/// One running app, its data dir and where its artifacts go.
pub struct App {
    client: Client,
    driver: Child,
    data_dir: PathBuf,
    artifacts: PathBuf,
}

impl App {
    /// Launches the app on `data_dir`, which a test may have filled beforehand.
    pub async fn launch_in(test: &str, data_dir: &Path) -> Result<Self> {
        Self::launch_with(test, data_dir, &[]).await
    }

    /// Launches the app on `data_dir` with extra environment variables (fault injection).
    pub async fn launch_with(test: &str, data_dir: &Path, env: &[(&str, &str)]) -> Result<Self> {
        // Tests start on the profile picker, as they were written to, unless one asks for the
        // app's default (reopening the profile used last) by writing its own preferences. An
        // empty data dir is a first launch: nothing to reopen, and it stays empty.
        let prefs = data_dir.join("preferences.json");
        let prepared = std::fs::read_dir(data_dir).is_ok_and(|mut d| d.next().is_some());
        if prepared && !prefs.exists() {
            std::fs::write(&prefs, br#"{"reopen_last_profile": false}"#)
                .context("write the test's preferences")?;
        }
        let artifacts = artifacts_dir(test);
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts).context("create the artifacts dir")?;

        let port = free_port()?;
        let native_port = free_port()?;
        let driver_log = std::fs::File::create(artifacts.join("tauri-driver.log"))?;
        let driver = Command::new(tauri_driver()?)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("ASSAY_DATA_DIR", data_dir)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(driver_log.try_clone()?)
            .stderr(driver_log)
            .kill_on_drop(true)
            .spawn()
            .context("start tauri-driver (install it with `make setup`)")?;
        // tauri-driver listens at once but proxies to WebKitWebDriver, which needs a moment
        // to listen on the native port; a session request before then is dropped.
        wait_for_port(port, Duration::from_secs(10))?;
        wait_for_port(native_port, Duration::from_secs(10))?;

        let mut caps = serde_json::Map::new();
        // `make package-test` points this at the binary extracted from the .deb.
        let app_path = std::env::var("ASSAY_APP_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_assay-desktop").to_owned());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_path }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut attempt = 1;
        let client = loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            let connect = builder.connect(&url);
            match tokio::time::timeout(SESSION_TIMEOUT, connect).await {
                Err(_) => bail!("the app opened no window within {SESSION_TIMEOUT:?}"),
                Ok(Ok(client)) => break client,
                // A request that raced the drivers' start-up fails at once; try twice more.
                Ok(Err(_)) if attempt < 3 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(Err(e)) => return Err(e).context("create a WebDriver session for the app"),
            }
        };
        Ok(Self {
            client,
            driver,
            data_dir: data_dir.to_owned(),
            artifacts,
        })
    }

    /// The data dir the app was started with.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Presses `key` (a WebDriver key code such as `"\u{E014}"` for the right arrow) with the
    /// focus on the element `id`.
    pub async fn press(&self, id: &str, key: &str) -> Result<()> {
        self.unstale(async || Ok(self.element(id).await?.send_keys(key).await?))
            .await
            .with_context(|| format!("press a key on {id:?}"))
    }

    /// The `data-testid` of the focused element, if it has one.
    pub async fn focused(&self) -> Result<Option<String>> {
        let id = self
            .script(
                "return document.activeElement && document.activeElement.dataset.testid || null",
            )
            .await?;
        Ok(id.as_str().map(str::to_owned))
    }

    /// Waits for the element with `data-testid=id` and returns its text.
    pub async fn text(&self, id: &str) -> Result<String> {
        self.unstale(async || Ok(self.element(id).await?.text().await?))
            .await
    }

    /// Waits for the element with `data-testid=id` and clicks it.
    pub async fn click(&self, id: &str) -> Result<()> {
        self.unstale(async || Ok(self.element(id).await?.click().await?))
            .await
            .with_context(|| format!("click {id:?}"))
    }

    /// Waits for the input with `data-testid=id` and types `text` into it.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        self.unstale(async || Ok(self.element(id).await?.send_keys(text).await?))
            .await
            .with_context(|| format!("type into {id:?}"))
    }

    /// Runs `op` again when the element it found was replaced before it acted on it. The UI
    /// re-renders lists when data arrives, so a node found by one WebDriver call can be gone by
    /// the next; any other error is returned at once.
    async fn unstale<T>(&self, mut op: impl AsyncFnMut() -> Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if attempt < 5 && is_stale(&e) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// Chooses `value` in the select `id`, or sets the input `id` to `value`, as a person
    /// would (the element's `change` or `input` event fires).
    pub async fn set_value(&self, id: &str, value: &str) -> Result<()> {
        self.element(id).await?;
        self.script(&format!(
            "const e = document.querySelector(\"[data-testid='{id}']\"); e.value = {value:?};
             e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {{ bubbles: true }}));"
        ))
        .await?;
        Ok(())
    }

    /// Waits until the element with `data-testid=id` has exactly `expected` as its text.
    pub async fn wait_for_text(&self, id: &str, expected: &str) -> Result<()> {
        let deadline = Instant::now() + ELEMENT_TIMEOUT;
        loop {
            let found = self
                .client
                .find_all(Locator::Css(&format!("[data-testid='{id}']")))
                .await?;
            for el in found {
                if el.text().await.is_ok_and(|t| t.trim() == expected) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("no {id:?} with text {expected:?} within {ELEMENT_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The value of attribute `name` on the element with `data-testid=id`.
    pub async fn attr(&self, id: &str, name: &str) -> Result<Option<String>> {
        self.unstale(async || Ok(self.element(id).await?.attr(name).await?))
            .await
    }

    /// The texts of every element with `data-testid=id` (waiting for at least one), read in one
    /// step in the page so a re-render cannot interleave.
    pub async fn texts(&self, id: &str) -> Result<Vec<String>> {
        self.element(id).await?;
        let js = format!(
            "return Array.from(document.querySelectorAll(\"[data-testid='{id}']\")).map(e => e.innerText.trim())"
        );
        let texts = self.script(&js).await?;
        Ok(serde_json::from_value(texts)?)
    }

    /// Waits until no element has `data-testid=id`.
    pub async fn wait_gone(&self, id: &str) -> Result<()> {
        let deadline = Instant::now() + ELEMENT_TIMEOUT;
        let js = format!("return document.querySelectorAll(\"[data-testid='{id}']\").length");
        loop {
            if self.script(&js).await?.as_u64() == Some(0) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{id:?} is still there");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until exactly `n` elements have `data-testid=id`, and returns their texts.
    pub async fn wait_for_count(&self, id: &str, n: usize) -> Result<Vec<String>> {
        let deadline = Instant::now() + ELEMENT_TIMEOUT;
        loop {
            let texts = self.texts(id).await?;
            if texts.len() == n {
                return Ok(texts);
            }
            if Instant::now() > deadline {
                bail!(
                    "expected {n} {id:?} elements, still {}: {texts:?}",
                    texts.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn script(&self, js: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(js, vec![]).await?)
    }

    /// Runs an async script (its last argument is the callback) and returns its string result.
    pub async fn client_async(&self, js: &str) -> Result<String> {
        let v = self.client.execute_async(js, vec![]).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    async fn element(&self, id: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css(&format!("[data-testid='{id}']")))
            .await
            .with_context(|| format!("no element with data-testid={id:?} appeared"))
    }

    /// The window's position and size: `(x, y, width, height)`.
    pub async fn window_rect(&self) -> Result<(u64, u64, u64, u64)> {
        Ok(self.client.get_window_rect().await?)
    }

    /// Moves and resizes the window, as a person dragging it would.
    pub async fn set_window_rect(&self, x: u32, y: u32, width: u32, height: u32) -> Result<()> {
        Ok(self.client.set_window_rect(x, y, width, height).await?)
    }

    /// The text of the document inside the iframe `id`, once its body has text.
    pub async fn frame_text(&self, id: &str) -> Result<String> {
        self.element(id).await?.enter_frame().await?;
        let text = async {
            let deadline = Instant::now() + ELEMENT_TIMEOUT;
            loop {
                let text = self
                    .script("return document.body ? document.body.innerText : ''")
                    .await?;
                let text = text.as_str().unwrap_or_default().trim().to_owned();
                if !text.is_empty() {
                    return Ok(text);
                }
                if Instant::now() > deadline {
                    bail!("the frame {id:?} stayed empty");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        .await;
        self.client.enter_parent_frame().await?;
        text
    }

    /// Answers the native (GTK) save dialog titled `title`, which the app opened outside the
    /// webview, by typing `path` over the suggested name and pressing Enter, as a person would.
    pub async fn answer_file_dialog(&self, title: &str, path: &Path) -> Result<()> {
        self.type_into_dialog(title, path, "ctrl+a").await
    }

    /// Answers the native (GTK) open dialog titled `title` by typing `path` into its location
    /// bar (Ctrl+L) and pressing Enter.
    pub async fn answer_open_dialog(&self, title: &str, path: &Path) -> Result<()> {
        self.type_into_dialog(title, path, "ctrl+l").await
    }

    async fn type_into_dialog(&self, title: &str, path: &Path, select: &str) -> Result<()> {
        let found = Command::new("xdotool")
            .args(["search", "--sync", "--onlyvisible", "--name", title])
            .output();
        let found = tokio::time::timeout(ELEMENT_TIMEOUT, found)
            .await
            .with_context(|| format!("no {title:?} dialog appeared"))?
            .context("run xdotool (install it with `make setup`)")?;
        let window = String::from_utf8_lossy(&found.stdout)
            .lines()
            .next()
            .map(str::to_owned)
            .with_context(|| format!("no {title:?} dialog appeared"))?;
        let path = path.to_str().context("a UTF-8 path")?;
        let status = Command::new("xdotool")
            .args(["windowfocus", "--sync", &window])
            .args(["key", "--clearmodifiers", select])
            .args(["type", "--delay", "2", path])
            .status()
            .await?;
        ensure!(status.success(), "xdotool could not type into the dialog");
        // The chooser completes file names as they are typed; let it settle before Enter.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let status = Command::new("xdotool")
            .args(["windowfocus", "--sync", &window, "key", "Return"])
            .status()
            .await?;
        ensure!(
            status.success(),
            "xdotool could not press Enter in the dialog"
        );
        Ok(())
    }

    /// Waits until one of the `data-testid`s is present and returns which one.
    pub async fn first_of<'a>(&self, ids: &[&'a str]) -> Result<&'a str> {
        let deadline = Instant::now() + ELEMENT_TIMEOUT;
        loop {
            for id in ids {
                let found = self
                    .client
                    .find_all(Locator::Css(&format!("[data-testid='{id}']")))
                    .await?;
                if !found.is_empty() {
                    return Ok(id);
                }
            }
            if Instant::now() > deadline {
                bail!("none of {ids:?} appeared within {ELEMENT_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the app's window, as the X display shows it, to the test's artifacts
    /// dir and returns its path. The pixels are read from the display rather than through
    /// WebDriver: WebKit's own snapshot never returns with software compositing (the mode the
    /// app ships in), and the display shows what a person sees.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // Two animation frames guarantee the current DOM has been painted.
        let paint = "const done = arguments[arguments.length - 1];\
                     requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.client
            .execute_async(paint, vec![])
            .await
            .context("wait for a paint")?;
        let window = self.main_window().await?;
        let png = x11_capture(window).context("read the window from the display")?;
        let path = self.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// The X window id of the visible window titled "Assay".
    async fn main_window(&self) -> Result<u64> {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Assay$"])
            .output()
            .await
            .context("run xdotool (install it with `make setup`)")?;
        Ok(String::from_utf8_lossy(&found.stdout)
            .lines()
            .next()
            .context("no window titled Assay")?
            .trim()
            .parse()?)
    }

    /// Asks the main window to close, as a window manager's close button does: a
    /// WM_DELETE_WINDOW message to the visible window titled "Assay" (WebDriver's own "close
    /// window" tears the webview down instead).
    pub async fn request_close(&self) -> Result<()> {
        x11_delete_window(self.main_window().await?)
    }

    /// Ends the test: on failure saves a screenshot and the app's log first, then closes the
    /// app and stops the driver, and finally panics with the failure.
    pub async fn finish(mut self, outcome: Result<()>) {
        if outcome.is_err() {
            let _ = self.screenshot("failure").await;
            let log = self.data_dir.join("logs/assay.log");
            let _ = std::fs::copy(&log, self.artifacts.join("assay.log"));
        }
        let _ = self.client.close().await;
        stop(&mut self.driver).await;
        app_exited(&self.data_dir).await;
        if let Err(err) = outcome {
            panic!("{err:#}\n(artifacts in {})", self.artifacts.display());
        }
    }
}

/// Runs `body` against a freshly launched app, with artifacts saved on failure.
pub async fn with_app(test: &str, body: impl AsyncFnOnce(&App) -> Result<()>) {
    let dir = tempfile::tempdir().expect("temp data dir");
    with_app_in(test, dir.path(), body).await;
}

/// Runs `body` against the app launched on a prepared data dir, which outlives the app so a
/// test can look at it, change it, and launch again.
pub async fn with_app_in(test: &str, data_dir: &Path, body: impl AsyncFnOnce(&App) -> Result<()>) {
    let app = match App::launch_in(test, data_dir).await {
        Ok(app) => app,
        Err(e) => {
            let artifacts = artifacts_dir(test);
            let _ = std::fs::copy(data_dir.join("logs/assay.log"), artifacts.join("assay.log"));
            panic!(
                "launch the app: {e:#}\n(artifacts in {})",
                artifacts.display()
            )
        }
    };
    let outcome = body(&app).await;
    app.finish(outcome).await;
}

/// The profiles of `dir` as the app will see them (same keyring namespace), for preparing
/// data dirs before launch.
pub fn profiles_in(dir: &Path) -> assay_core::profile::Profiles {
    assay_core::profile::Profiles::open_at(dir).expect("profiles")
}

/// Whether a WebDriver error means the element was replaced between finding and using it.
fn is_stale(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("was not found") || text.contains("stale element")
}

fn artifacts_dir(test: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("e2e")
        .join(test)
}

/// tauri-driver from TAURI_DRIVER, the PATH, or cargo's bin dir.
fn tauri_driver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Ok(path.into());
    }
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(std::env::var_os("CARGO_HOME").map(|h| PathBuf::from(h).join("bin")))
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")));
    candidates
        .map(|dir| dir.join("tauri-driver"))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("tauri-driver is not installed; run `make setup`"))
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn wait_for_port(port: u16, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            bail!("the WebDriver did not listen on port {port} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Stops tauri-driver with SIGTERM so it takes WebKitWebDriver and the app down with it
/// (SIGKILL would leave both running); SIGKILL only if it does not exit in time.
/// Waits until the app on `data_dir` has exited, killing it after 10 s. The app holds a
/// single-instance D-Bus name for its data dir, so a relaunch on the same dir while the old
/// process lingers would be refused (and focus the old window).
#[allow(
    clippy::print_stderr,
    reason = "a slow exit is worth seeing in the test output"
)]
async fn app_exited(data_dir: &Path) {
    let id = assay_core::identity::read(data_dir)
        .ok()
        .flatten()
        .map(|identity| identity.id)
        .unwrap_or_default();
    let name = format!(
        "string:{}.d{}.SingleInstance",
        assay_core::paths::APP_IDENTIFIER,
        assay_core::identity::instance_tag(&id)
    );
    let ask = async |method: &str| {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
            ])
            .args(["/org/freedesktop/DBus", method, &name])
            .output()
            .await
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // Wait for a clean exit; after 10 s kill the app, and still wait until its name is gone.
    let started = Instant::now();
    let mut killed = false;
    while ask("org.freedesktop.DBus.GetNameOwner").await.is_some() {
        let waited = started.elapsed();
        if waited > Duration::from_secs(10) && !killed {
            if let Some(pid) = ask("org.freedesktop.DBus.GetConnectionUnixProcessID").await
                && let Some(pid) = pid.split_whitespace().last()
            {
                let _ = Command::new("kill").args(["-KILL", pid]).status().await;
            }
            killed = true;
        }
        if waited > Duration::from_secs(20) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if started.elapsed() > Duration::from_secs(2) {
        eprintln!(
            "the app took {:?} to exit (killed: {killed})",
            started.elapsed()
        );
    }
}

async fn stop(driver: &mut Child) {
    if let Some(pid) = driver.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(5), driver.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = driver.kill().await;
}

/// Sends `window` a WM_PROTOCOLS / WM_DELETE_WINDOW client message on `$DISPLAY`.
fn x11_delete_window(window: u64) -> Result<()> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};
    use x11rb::wrapper::ConnectionExt as _;
    let (conn, _) = x11rb::connect(None).context("connect to the X display")?;
    let protocols = conn.intern_atom(false, b"WM_PROTOCOLS")?.reply()?.atom;
    let delete = conn.intern_atom(false, b"WM_DELETE_WINDOW")?.reply()?.atom;
    let window = u32::try_from(window)?;
    let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
    conn.send_event(false, window, EventMask::NO_EVENT, event)?;
    conn.sync()?;
    conn.flush()?;
    Ok(())
}

/// The pixels of `window` on `$DISPLAY` (a 24-bit TrueColor visual, 32 bits per pixel, as
/// Xvfb runs), as a PNG.
fn x11_capture(window: u64) -> Result<Vec<u8>> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};
    let (conn, screen) = x11rb::connect(None).context("connect to the X display")?;
    let window = u32::try_from(window)?;
    let geometry = conn.get_geometry(window)?.reply()?;
    let (width, height) = (geometry.width, geometry.height);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, !0)?
        .reply()?;
    let visual = conn.setup().roots[screen]
        .allowed_depths
        .iter()
        .flat_map(|d| &d.visuals)
        .find(|v| v.visual_id == image.visual)
        .context("the window's visual")?;
    let channel = |pixel: u32, mask: u32| -> u8 {
        let shifted = (pixel & mask) >> mask.trailing_zeros();
        (shifted * 255 / (mask >> mask.trailing_zeros()).max(1)) as u8
    };
    let mut rgb = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for px in image.data.chunks_exact(4) {
        let pixel = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
        rgb.extend([
            channel(pixel, visual.red_mask),
            channel(pixel, visual.green_mask),
            channel(pixel, visual.blue_mask),
        ]);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, u32::from(width), u32::from(height));
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(out)
}
