//! Tauri's build step, with the list of Coffer's own commands: each gets an `allow-<name>`
//! permission, and capabilities/main.json grants them one by one (nothing is allowed by default).
//!
//! It embeds `ui/dist`, which must exist: if the UI has not been built (a plain
//! `cargo clippy --workspace`), a placeholder page saying so is written there, so the crate still
//! compiles; `scripts/build-app` builds the real UI first.

const COMMANDS: &[&str] = &[
    "vault_status",
    "create_vault",
    "unlock",
    "lock",
    "touch",
    "list",
    "note",
    "create",
    "update",
    "trash",
    "restore",
    "purge",
    "history",
    "note_at",
    "revert",
    "search",
    "render_markdown",
    "notebooks",
    "tags",
    "pick",
    "attach",
    "extract",
    "copy_note",
    "open_link",
    "change_passphrase",
    "rotate_keys",
    "verify",
    "import_dir",
    "export_dir",
    "get_settings",
    "set_settings",
    "remotes",
    "check_remote",
    "add_remote",
    "remove_remote",
    "sync_now",
    "sync_status",
    "sync_alarms",
    "acknowledge_alarms",
    "devices",
    "get_sync_settings",
    "set_sync_settings",
    "my_card",
    "set_display_name",
    "contacts",
    "add_contact",
    "replace_contact_keys",
    "contact_detail",
    "verify_contact",
    "remove_contact",
    "conversations",
    "open_conversation",
    "send_message",
    "share_note",
    "open_armored",
    "check_inbox",
    "discard_held",
    "save_message_as_note",
    "save_message_attachment",
    "copy_public_text",
];

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("creating ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Coffer</title>\
             <p>The UI was not built: run <code>scripts/build-app</code>.</p>\n",
        )
        .expect("writing ui/dist/index.html");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
