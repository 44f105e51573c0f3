//! Tauri's build step, with the list of Coffer's own commands (src/command_list.rs): each gets
//! an `allow-<name>` permission, and capabilities/main.json grants them one by one (nothing is
//! allowed by default).
//!
//! It embeds `ui/dist`, which must exist: if the UI has not been built (a plain
//! `cargo clippy --workspace`), a placeholder page saying so is written there, so the crate still
//! compiles; `scripts/build-app` builds the real UI first.

include!("src/command_list.rs");

/// The last part of each command's path.
macro_rules! names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(names);

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
