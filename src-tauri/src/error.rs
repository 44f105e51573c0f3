//! Errors as they cross to the UI: `{code, message}`. The code is coffer-core's stable
//! `Error::code()` (or one of the app's own: `locked`, `app`), so the UI never matches on text.

use serde::Serialize;

/// An error of a command, as the UI receives it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The vault is locked (or was locked while the request was on its way).
    pub fn locked() -> ApiError {
        ApiError::new("locked", "the vault is locked; unlock it first")
    }
}

impl From<coffer_core::Error> for ApiError {
    fn from(e: coffer_core::Error) -> ApiError {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<tauri::Error> for ApiError {
    fn from(e: tauri::Error) -> ApiError {
        ApiError::new("app", e.to_string())
    }
}

/// What every command returns.
pub type ApiResult<T> = Result<T, ApiError>;
