//! `coffer-app`: the desktop app. Everything is in the library (`coffer_app`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

fn main() {
    coffer_core::harden_process()
        .unwrap_or_else(|e| eprintln!("coffer-app: core dumps stay enabled: {e}"));
    coffer_app::run();
}
