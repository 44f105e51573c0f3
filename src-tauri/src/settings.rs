//! The settings file: `local/coffer-app.json` in the vault folder. Plain JSON, no secrets.

use crate::error::{ApiError, ApiResult};
use coffer_views::Settings;
use std::path::{Path, PathBuf};

fn path(vault: &Path) -> PathBuf {
    vault.join("local").join("coffer-app.json")
}

/// The saved settings, or the defaults if there are none (or the file is unreadable).
pub fn load(vault: &Path) -> Settings {
    std::fs::read(path(vault))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Checks and saves the settings (the vault folder must exist).
pub fn save(vault: &Path, s: &Settings) -> ApiResult<()> {
    if !(1..=240).contains(&s.auto_lock_minutes) {
        return Err(ApiError::new(
            "invalid_input",
            format!(
                "the auto-lock delay must be between 1 and 240 minutes, not {}",
                s.auto_lock_minutes
            ),
        ));
    }
    let json = serde_json::to_vec_pretty(s).map_err(|e| ApiError::new("app", e.to_string()))?;
    coffer_core::create_dirs(&vault.join("local"))
        .map_err(|e| ApiError::new("io", format!("creating the settings folder: {e}")))?;
    Ok(coffer_core::write_atomic(&path(vault), &json)?)
}
