//! # coffer-app
//!
//! The desktop shell of Coffer: a window showing the UI in `ui/`, and commands that delegate to
//! coffer-core. Everything the app knows about notes, keys and files is in coffer-core; this
//! crate holds the session (the unlocked vault or nothing), auto-lock, the clipboard rule,
//! settings, and the window's security rules.
//!
//! Usage: `coffer-app [--vault DIR] [--version]` (vault default: `$COFFER_VAULT`, else the data
//! folder). For tests: `--autolock-seconds N`, `--clipboard-seconds N`.
#![forbid(unsafe_code)]

#[macro_use]
mod command_list;
mod clipboard;
mod commands;
pub mod error;
mod instance;
mod links;
mod messages;
mod pairing;
mod picker;
mod session;
mod settings;
mod sync;
pub mod typescript;
mod windows;

use session::Session;
use std::path::PathBuf;
use std::time::Duration;
use tauri::{Manager, RunEvent};

/// The Tauri handler of every command in the list.
macro_rules! handler {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri::generate_handler![$($module::$command),*]
    };
}

/// The last part of each command's path.
macro_rules! names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

/// The name of every command the web view may call (as it calls them).
pub const COMMAND_NAMES: &[&str] = with_commands!(names);

/// Command-line options.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub vault: Option<PathBuf>,
    /// Auto-lock after this many seconds idle, instead of the setting (for tests).
    pub autolock_seconds: Option<u64>,
    /// Clear copied note text from the clipboard after this many seconds instead of 30.
    pub clipboard_seconds: Option<u64>,
    /// Print the version and exit (`--version`).
    pub version: bool,
}

/// Parses `--vault DIR`, `--vault=DIR`, `--autolock-seconds N` and `--clipboard-seconds N`;
/// unknown arguments are an error.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{key} needs a value"))
        };
        match key.as_str() {
            "--version" | "-V" => o.version = true,
            "--vault" => o.vault = Some(PathBuf::from(value()?)),
            "--autolock-seconds" => {
                let v = value()?;
                o.autolock_seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--autolock-seconds: {v:?} is not a number"))?,
                );
            }
            "--clipboard-seconds" => {
                let v = value()?;
                o.clipboard_seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--clipboard-seconds: {v:?} is not a number"))?,
                );
            }
            _ => {
                return Err(format!(
                    "unknown argument {a:?}; usage: coffer-app [--vault DIR] [--version]"
                ));
            }
        }
    }
    Ok(o)
}

/// Whether a window may navigate to `url`: only the app itself and the preview frame.
pub fn navigation_allowed(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        "about" => matches!(url.path(), "blank" | "srcdoc"),
        _ => false,
    }
}

pub fn run() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("coffer-app: {e}");
            std::process::exit(2);
        }
    };
    if opts.version {
        println!("coffer-app {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let dir = opts.vault.unwrap_or_else(coffer_core::default_vault_dir);
    let listener = match instance::claim(&dir) {
        instance::Claim::First(l) => Some(l),
        instance::Claim::Running => {
            eprintln!(
                "coffer-app: Coffer is already open on {}; it was brought to the front",
                dir.display()
            );
            return;
        }
        instance::Claim::Silent => {
            eprintln!(
                "coffer-app: another Coffer app holds {} and does not answer; close it first",
                dir.display()
            );
            std::process::exit(1);
        }
        instance::Claim::Unavailable(why) => {
            eprintln!("coffer-app: cannot make sure this is the only app on the vault: {why}");
            None
        }
    };
    let autolock = opts
        .autolock_seconds
        .or_else(|| {
            std::env::var("COFFER_AUTOLOCK_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
        })
        .map(Duration::from_secs);
    let clipboard = opts
        .clipboard_seconds
        .or_else(|| {
            std::env::var("COFFER_CLIPBOARD_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
        })
        .map(|s| clipboard::ClearAfter(Duration::from_secs(s)))
        .unwrap_or_default();

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .manage(Session::new(dir, autolock))
        .manage(sync::SyncService::default())
        .manage(clipboard)
        .manage(picker::Picked::default())
        .manage(pairing::Pairing::default())
        .manage(windows::Windows::default())
        .on_webview_event(|webview, event| {
            // Files dropped on the window are ones the person chose, as in the dialog. This runs
            // in the same turn of the window's thread that passes the drop to the page, before
            // the page can ask to attach them.
            if let tauri::WebviewEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                webview
                    .state::<picker::Picked>()
                    .chose(picker::Purpose::Attach, paths);
            }
        })
        .setup(|app| {
            windows::open_main(app)?;
            if let Some(l) = listener {
                let handle = app.handle().clone();
                l.serve(move || windows::bring_to_front(&handle));
            }
            let handle = app.handle().clone();
            std::thread::spawn(move || Session::autolock_loop(handle));
            sync::start(app.handle());
            Ok(())
        })
        .invoke_handler(with_commands!(handler))
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("coffer-app: cannot start: {e}");
            std::process::exit(1);
        });
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            handle.state::<Session>().lock();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Options, String> {
        parse_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_arguments() {
        assert_eq!(args(&[]).unwrap_or_default(), Options::default());
        let o = args(&["--vault", "/tmp/v", "--autolock-seconds=3"]).expect("valid");
        assert_eq!(o.vault, Some(PathBuf::from("/tmp/v")));
        assert_eq!(o.autolock_seconds, Some(3));
        assert!(args(&["--version"]).expect("valid").version);
        let o = args(&["--clipboard-seconds", "5"]).expect("valid");
        assert_eq!(o.clipboard_seconds, Some(5));
        assert!(args(&["--clipboard-seconds=x"]).is_err_and(|e| e.contains("not a number")));
        assert_eq!(
            args(&["--vault=/x"]).expect("valid").vault,
            Some(PathBuf::from("/x"))
        );
        assert!(args(&["--vault"]).is_err_and(|e| e.contains("needs a value")));
        assert!(args(&["--autolock-seconds", "soon"]).is_err_and(|e| e.contains("not a number")));
        assert!(args(&["--bogus"]).is_err_and(|e| e.contains("unknown argument")));
    }

    #[test]
    fn navigation_stays_inside_the_app() {
        let ok = |s: &str| navigation_allowed(&s.parse().expect("url"));
        assert!(ok("tauri://localhost/index.html"));
        assert!(ok("about:srcdoc"));
        assert!(!ok("https://example.com/"));
        assert!(!ok("http://127.0.0.1:8080/"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("javascript:alert(1)"));
        assert!(!ok("tauri://evil.example/"));
    }
}
