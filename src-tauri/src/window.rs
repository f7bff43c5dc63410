//! The main window: brought forward when a second launch is refused, and reopened where the
//! person left it (see `assay_core::window_state`).

use std::path::PathBuf;

use assay_core::window_state::{Area, Saver, WindowState};
use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, WebviewWindow, WindowEvent};

const MAIN: &str = "main";

/// Shows, unminimizes and focuses the main window.
pub fn focus_main(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    log::info!("a second launch was refused; focusing the running window");
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}

/// Whether the person asked for WebKit's GPU compositing and its defaults
/// (`ASSAY_GPU_COMPOSITING=1`), instead of the lean settings below.
fn gpu_compositing_asked() -> bool {
    std::env::var_os("ASSAY_GPU_COMPOSITING").is_some_and(|v| v == "1")
}

/// Sets the one WebKit setting that only the environment carries: the DMA-BUF renderer off
/// (`WEBKIT_DISABLE_DMABUF_RENDERER=1`), so frames reach the window through shared memory
/// rather than GPU buffers. Measured with compositing already off (see [`lean_webview`]): about
/// 8 MiB less idle on home (`make memory`; docs/decisions.md). The web process inherits the
/// variable. Left alone when it is already set or when `ASSAY_GPU_COMPOSITING=1`.
///
/// Call it first in `main`, before any thread exists.
#[allow(
    unsafe_code,
    reason = "setting the environment is unsafe only while other threads may read it"
)]
pub fn lean_webkit_environment() {
    const DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if !cfg!(target_os = "linux") || gpu_compositing_asked() || std::env::var_os(DMABUF).is_some() {
        return;
    }
    // SAFETY: `main` calls this before it starts the app, so no other thread exists yet to
    // read the environment while it changes.
    unsafe { std::env::set_var(DMABUF, "1") };
}

/// Keeps the main window's WebKit web process small: hardware-accelerated compositing off
/// (measured with `make memory`: it about halves the web process) and the document-viewer
/// cache model (one page, no back/forward cache, small memory caches); the UI needs neither a
/// GPU nor a page cache. `ASSAY_GPU_COMPOSITING=1` keeps WebKit's defaults. The allocator
/// and [`lean_webkit_environment`] complete the memory settings.
pub fn lean_webview(app: &tauri::App) {
    if gpu_compositing_asked() {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window(MAIN) {
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = view.settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                settings.set_enable_page_cache(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = applied {
            log::warn!("could not set the webview's compositing: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// Closing the main window while runs work or edits are unsaved asks the person first, in the app (the UI shows
/// the dialog on [`crate::runs::AppEvent::QuitRequested`] and calls `app_quit` to go on).
pub fn ask_before_quitting_runs(app: &tauri::App) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let handle = app.handle().clone();
    window.on_window_event(move |event| {
        let WindowEvent::CloseRequested { api, .. } = event else {
            return;
        };
        let state = handle.state::<crate::state::AppState>();
        let runs = crate::runs::count(&state);
        let unsaved = state
            .unsaved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(MAIN);
        if runs == 0 && !unsaved {
            return;
        }
        if state
            .app_events
            .send(MAIN, crate::runs::AppEvent::QuitRequested { runs, unsaved })
        {
            api.prevent_close();
        }
    });
}

/// Restores the main window's saved size and position, and saves them as they change.
pub fn remember_state(app: &tauri::App, file: PathBuf) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let loaded = WindowState::load(&file);
    if let Some(saved) = loaded {
        restore(&window, saved);
    }
    let saver = Saver::spawn(file, loaded);
    let watched = window.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::Moved(_) | WindowEvent::Resized(_) = event
            && let Some(state) = current(&watched)
        {
            saver.note(state);
        }
    });
}

fn restore(window: &WebviewWindow, saved: WindowState) {
    let _ = window.set_size(PhysicalSize::new(saved.width, saved.height));
    let screens: Vec<Area> = window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| Area {
            x: m.position().x,
            y: m.position().y,
            width: m.size().width,
            height: m.size().height,
        })
        .collect();
    if saved.is_reachable_on(&screens) {
        let _ = window.set_position(PhysicalPosition::new(saved.x, saved.y));
    } else {
        log::info!("the saved window position is off every screen; using the default");
    }
    if saved.maximized {
        let _ = window.maximize();
    }
}

fn current(window: &WebviewWindow) -> Option<WindowState> {
    let position = window.outer_position().ok()?;
    let size = window.inner_size().ok()?;
    Some(WindowState {
        x: position.x,
        y: position.y,
        width: size.width,
        height: size.height,
        maximized: window.is_maximized().unwrap_or(false),
    })
}
