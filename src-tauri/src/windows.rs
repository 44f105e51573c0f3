//! The app's windows: the main one, and more on the same session (a note opened in a new
//! window, to read or write two notes side by side). Every window shows the one unlocked vault;
//! a change of notes made in one is told to the others (`notes-changed`), which reload what
//! they show, and an unlock in one is told to all (`unlocked`).

use crate::error::ApiResult;
use coffer_core::Id;
use coffer_views::NotesChanged;
use std::sync::atomic::{AtomicU32, Ordering};
use tauri::{
    AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder,
};

/// The label of the first window. Windows opened later are `note-1`, `note-2`, ...: the
/// capability (capabilities/main.json) grants its commands to `main` and `note-*` only.
pub const MAIN: &str = "main";

/// Numbers the windows opened after the first.
#[derive(Default)]
pub struct Windows {
    opened: AtomicU32,
}

/// Makes a window of the app showing `url` (a page of the app itself, which alone it may
/// navigate to), zoomable from the keyboard. Its title is the app's name only: a note's title would reach the window
/// manager, the task bar and any screen sharing.
fn build<R: Runtime, M: Manager<R>>(
    manager: &M,
    label: &str,
    url: &str,
    width: f64,
) -> tauri::Result<WebviewWindow<R>> {
    WebviewWindowBuilder::new(manager, label, WebviewUrl::App(url.into()))
        .title("Coffer")
        .inner_size(width, 780.0)
        .min_inner_size(600.0, 480.0)
        .on_navigation(crate::navigation_allowed)
        // Ctrl+= and Ctrl+- (and Ctrl+wheel) zoom the page, 20% a step.
        .zoom_hotkeys_enabled(true)
        .build()
}

/// The first window, when the app starts.
pub fn open_main<R: Runtime, M: Manager<R>>(manager: &M) -> tauri::Result<()> {
    build(manager, MAIN, "index.html", 1200.0).map(|_| ())
}

/// Brings a window of the app to the front (a second app started on the same vault asked):
/// the main one, or if it was closed, another.
pub fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    let windows = app.webview_windows();
    let w = windows.get(MAIN).or_else(|| windows.values().next());
    if let Some(w) = w {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Opens another window on the same session, showing the note `note` (or the list, if none).
#[tauri::command]
pub async fn open_window(
    app: AppHandle,
    windows: tauri::State<'_, Windows>,
    note: Option<Id>,
) -> ApiResult<()> {
    let n = windows.opened.fetch_add(1, Ordering::Relaxed) + 1;
    // An id is hex: nothing in it needs escaping in a query.
    let url = match note {
        Some(id) => format!("index.html?note={id}"),
        None => "index.html".to_string(),
    };
    // A note alone (its window starts without the sidebar and the list): narrower, to sit
    // beside another.
    let w = build(&app, &format!("note-{n}"), &url, 760.0)?;
    let _ = w.set_focus();
    Ok(())
}

/// Tells the other windows that notes changed, when `result` says a change was made by the
/// window `by`; passes `result` on.
pub fn notes_changed<T>(by: &WebviewWindow, result: ApiResult<T>) -> ApiResult<T> {
    if result.is_ok() {
        // The change may have brought attachments (attached, imported, restored): their text,
        // for search.
        crate::commands::read_attachments_in_background(by.app_handle().clone());
        let _ = by.app_handle().emit(
            "notes-changed",
            NotesChanged {
                by: by.label().to_string(),
            },
        );
    }
    result
}

// The TypeScript client's entries for this file's commands, made by build.rs from their
// signatures above (see typescript::client).
include!(concat!(env!("OUT_DIR"), "/client_windows.rs"));
