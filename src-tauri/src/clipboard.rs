//! Copying note text: the clipboard is cleared after 30 seconds, unless something else has
//! been copied since. Only a hash of the copied text is kept to compare.

use crate::error::{ApiError, ApiResult};
use std::time::Duration;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroize;

const CLEAR_AFTER: Duration = Duration::from_secs(30);

pub fn copy_then_clear(app: &AppHandle, mut text: String) -> ApiResult<()> {
    let hash = coffer_core::crypto::sha256_hex(text.as_bytes());
    let written = app.clipboard().write_text(text.as_str());
    text.zeroize();
    written.map_err(|e| ApiError::new("clipboard", format!("cannot copy: {e}")))?;
    let app = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(CLEAR_AFTER);
        if let Ok(mut now) = app.clipboard().read_text() {
            if coffer_core::crypto::sha256_hex(now.as_bytes()) == hash {
                let _ = app.clipboard().clear();
            }
            now.zeroize();
        }
    });
    Ok(())
}
