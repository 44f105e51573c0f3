//! Copying note text: the clipboard is cleared after 30 seconds (or the delay given with
//! `--clipboard-seconds` / `$COFFER_CLIPBOARD_SECONDS`), unless something else has been copied
//! since. Only a hash of the copied text is kept to compare.

use crate::error::{ApiError, ApiResult};
use std::time::Duration;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroize;

/// How long copied note text stays on the clipboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClearAfter(pub Duration);

impl Default for ClearAfter {
    fn default() -> Self {
        ClearAfter(Duration::from_secs(30))
    }
}

pub fn copy_then_clear(app: &AppHandle, mut text: String, after: ClearAfter) -> ApiResult<()> {
    let hash = coffer_core::crypto::sha256_hex(text.as_bytes());
    let written = app.clipboard().write_text(text.as_str());
    text.zeroize();
    written.map_err(|e| ApiError::new("clipboard", format!("cannot copy: {e}")))?;
    let app = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after.0);
        if let Ok(mut now) = app.clipboard().read_text() {
            if coffer_core::crypto::sha256_hex(now.as_bytes()) == hash {
                let _ = app.clipboard().clear();
            }
            now.zeroize();
        }
    });
    Ok(())
}
