//! The one list of commands (src/command_list.rs) is what the window may call
//! (capabilities/main.json grants exactly these), and every command the UI calls is in it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn listed() -> BTreeSet<&'static str> {
    coffer_app::COMMAND_NAMES.iter().copied().collect()
}

#[test]
fn the_capability_grants_exactly_the_listed_commands() {
    let text = std::fs::read_to_string(root().join("src-tauri/capabilities/main.json"))
        .expect("capabilities/main.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let granted: BTreeSet<String> = json["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let listed: BTreeSet<String> = listed().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        granted, listed,
        "capabilities/main.json and src/command_list.rs differ"
    );
    assert_eq!(
        coffer_app::COMMAND_NAMES.len(),
        listed.len(),
        "a command is listed twice"
    );
}

/// Every `call("name", ...)` in the UI's sources.
fn ui_calls(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "node_modules" {
                ui_calls(&path, out);
            }
            continue;
        }
        if !(name.ends_with(".ts") || name.ends_with(".svelte")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("text");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("call") {
            rest = &rest[at + 4..];
            // call("x" or call<T>("x"
            let after = match rest.strip_prefix('<') {
                Some(r) => r.split_once(">(").map(|(_, r)| r),
                None => rest.strip_prefix('('),
            };
            if let Some(name) = after
                .and_then(|r| r.strip_prefix('"'))
                .and_then(|r| r.split_once('"'))
                .map(|(n, _)| n)
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            {
                out.insert(name.to_string());
            }
        }
    }
}

/// The UI reaches Rust only through the generated client (ui/src/generated/commands.ts, made
/// from the commands' signatures): no other file calls a command by its name.
#[test]
fn only_the_generated_client_calls_commands() {
    let mut by_hand = BTreeSet::new();
    for dir in ["ui/src/lib", "ui/src/components"] {
        ui_calls(&root().join(dir), &mut by_hand);
    }
    let app = std::fs::read_to_string(root().join("ui/src/App.svelte")).expect("App.svelte");
    assert!(
        by_hand.is_empty() && !app.contains("call(") && !app.contains("invoke("),
        "commands called by name outside ui/src/generated: {by_hand:?}"
    );
}

#[test]
fn every_command_the_ui_calls_is_listed() {
    let mut called = BTreeSet::new();
    ui_calls(&root().join("ui/src"), &mut called);
    assert!(
        called.len() > 40,
        "the UI's calls were not found: {called:?}"
    );
    let listed = listed();
    let missing: Vec<&String> = called
        .iter()
        .filter(|c| !listed.contains(c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "called by the UI but not listed: {missing:?}"
    );
}
