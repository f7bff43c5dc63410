//! Generates Tauri's context and one permission per app command (`allow-<command>`), so
//! `capabilities/main.json` must grant each command by name: nothing is allowed by default.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "profiles_overview",
        "profile_create",
        "profile_open",
        "profile_retry_setup",
        "profile_close",
        "profile_rename",
        "profile_delete",
        "profile_adopt",
        "profile_export",
        "profile_import",
        "content_list",
        "content_get",
        "content_save",
        "content_delete",
        "preset_list",
        "preset_save",
        "run_list",
        "run_evaluation",
        "open_external",
        "run_report_save",
        "endpoint_list",
        "endpoint_add",
        "endpoint_update",
        "endpoint_remove",
        "endpoint_key_set",
        "endpoint_key_clear",
        "endpoint_test",
        "endpoint_loads",
        "endpoint_models",
        "price_list",
        "price_set",
        "price_clear",
        "usage_list",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
