//! The Assay desktop app's entry point; everything is in the library so tests can reach it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// jemalloc returns what the app freed to the system; glibc's malloc kept it in per-thread
// arenas, so the app's heap grew with each run view opened (`make memory`, docs/decisions.md).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // First, while the process has one thread: WebKit reads this from the environment.
    assay_desktop::lean_webkit_environment();
    assay_desktop::run()
}
