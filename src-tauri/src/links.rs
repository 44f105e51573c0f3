//! External links: only `https`, only after the user confirmed the real host in a dialog that
//! Coffer shows itself (not one the web view draws, which a script could skip).

use crate::error::{ApiError, ApiResult};
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
use tauri_plugin_opener::OpenerExt;

/// Checks that `url` is an https URL with a host; returns it parsed.
pub fn https_url(url: &str) -> ApiResult<tauri::Url> {
    let u = tauri::Url::parse(url)
        .map_err(|e| ApiError::new("invalid_input", format!("not a link: {url:?} ({e})")))?;
    if u.scheme() != "https" || u.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::new(
            "invalid_input",
            format!("only https links are opened, not {url:?}"),
        ));
    }
    // `https://bank.example@evil.example/` goes to evil.example: a link that names a user
    // (or a password) before its host is never opened, whatever the confirmation showed.
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ApiError::new(
            "invalid_input",
            format!(
                "the link names a user before its host, which hides where it goes: not opened ({})",
                u.host_str().unwrap_or("")
            ),
        ));
    }
    Ok(u)
}

/// Asks "Open <host>?" in a native dialog and opens the link if the user says so; whether it
/// was opened. Blocks until the dialog is answered.
pub fn confirm_and_open(
    app: &AppHandle,
    window: &tauri::WebviewWindow,
    url: &str,
) -> ApiResult<bool> {
    let u = https_url(url)?;
    let host = u.host_str().unwrap_or_default();
    let yes = app
        .dialog()
        .message(format!(
            "This link opens in your web browser, outside Coffer:\n\n{host}\n\n{}",
            u.as_str()
        ))
        .title(format!("Open {host}?"))
        .parent(window)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            format!("Open {host}"),
            "Cancel".into(),
        ))
        .blocking_show();
    if !yes {
        return Ok(false);
    }
    app.opener()
        .open_url(u.as_str(), None::<&str>)
        .map_err(|e| ApiError::new("app", format!("cannot open the link: {e}")))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::https_url;

    #[test]
    fn only_https_links_with_a_host() {
        assert!(https_url("https://example.com/a?b").is_ok());
        for bad in [
            "http://example.com",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "coffer:note/00",
            "data:text/html,x",
            "not a url",
            "https://bank.example@evil.example/",
            "https://user:pw@evil.example/",
        ] {
            let e = https_url(bad).expect_err(bad);
            assert_eq!(e.code, "invalid_input");
        }
    }
}
