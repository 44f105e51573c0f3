//! External links: only `https`, only after the UI had the user confirm the real host.

use crate::error::{ApiError, ApiResult};
use tauri::AppHandle;
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

pub fn open_https(app: &AppHandle, url: &str) -> ApiResult<()> {
    let u = https_url(url)?;
    app.opener()
        .open_url(u.as_str(), None::<&str>)
        .map_err(|e| ApiError::new("app", format!("cannot open the link: {e}")))
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
