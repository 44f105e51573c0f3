//! `coffer-app`: the desktop app. Everything is in the library (`coffer_app`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

/// mimalloc returns freed memory to the system; with glibc's per-thread arenas the app grew by
/// about 95 MiB per round of searches at 10k notes (docs/BENCHMARKS.md, "The desktop app").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // PDFs attached to notes are read for search in a child of this program, with limits.
    coffer_core::search::attachments::pdf_reader::serve_or_register();
    coffer_core::harden_process()
        .unwrap_or_else(|e| eprintln!("coffer-app: core dumps stay enabled: {e}"));
    coffer_app::run();
}
