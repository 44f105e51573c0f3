//! File dialogs, opened by Rust, and the paths they chose. The web view never names a path of
//! its own: it asks for a dialog for a purpose ([`pick`]), shows what came back, and passes
//! those paths to the command that uses them, which refuses any path the user did not choose
//! in a dialog for that purpose ([`Picked::check`]). So a script in the web view, if one ever
//! ran, could not make Coffer read or write anywhere the user did not point it to.

use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tauri::{AppHandle, Manager, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;

/// What a dialog is for: the title it shows and where its answer may be used.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Files to attach to a note.
    Attach,
    /// Files to send with a message.
    SendFiles,
    /// Where to save an attachment (of a note or a message).
    SaveFile,
    /// A folder of notes to import.
    ImportFolder,
    /// A new folder to export every note into.
    ExportFolder,
    /// A folder to sync with (or to share messages through).
    RemoteFolder,
}

impl Purpose {
    fn title(self) -> &'static str {
        match self {
            Purpose::Attach => "Attach files",
            Purpose::SendFiles => "Send files",
            Purpose::SaveFile => "Save the attachment as",
            Purpose::ImportFolder => "Import a folder of notes",
            Purpose::ExportFolder => "Export all notes into a new folder",
            Purpose::RemoteFolder => "Choose a folder to sync through",
        }
    }
}

/// The paths chosen in this run of the app, each with its purpose.
#[derive(Default)]
pub struct Picked(Mutex<HashSet<(Purpose, PathBuf)>>);

impl Picked {
    /// Records paths the person chose (in a dialog, or by dropping files on the window).
    pub fn chose(&self, purpose: Purpose, paths: &[PathBuf]) {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.extend(paths.iter().map(|p| (purpose, p.clone())));
    }

    /// `path` was chosen in a dialog for `purpose`; otherwise `not_chosen`. A place to write
    /// (a file to save, a folder to export into) is used once: the next write there asks again.
    pub fn check(&self, purpose: Purpose, path: &Path) -> ApiResult<()> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let key = (purpose, path.to_path_buf());
        let chosen = if matches!(purpose, Purpose::SaveFile | Purpose::ExportFolder) {
            set.remove(&key)
        } else {
            set.contains(&key)
        };
        if chosen {
            Ok(())
        } else {
            Err(ApiError::new(
                "not_chosen",
                format!(
                    "{} was not chosen in Coffer's “{}” dialog: Coffer only uses files and folders you picked",
                    path.display(),
                    purpose.title()
                ),
            ))
        }
    }
}

/// Opens the file dialog for `purpose` (a save dialog suggests `name`); the chosen paths, none
/// if it was cancelled. They stay usable for that purpose until the app quits.
#[tauri::command]
pub async fn pick(
    app: AppHandle,
    window: WebviewWindow,
    purpose: Purpose,
    name: Option<String>,
) -> ApiResult<Vec<String>> {
    let handle = app.clone();
    let paths = crate::session::blocking(move || {
        let mut d = handle
            .dialog()
            .file()
            .set_parent(&window)
            .set_title(purpose.title());
        // A dialog opens in the home folder rather than "Recent", so a typed path is taken.
        if let Ok(home) = handle.path().home_dir() {
            d = d.set_directory(home);
        }
        let chosen = match purpose {
            Purpose::Attach | Purpose::SendFiles => d.blocking_pick_files(),
            Purpose::SaveFile => d
                .set_file_name(name.unwrap_or_default())
                .blocking_save_file()
                .map(|p| vec![p]),
            Purpose::ExportFolder => d
                .set_file_name(name.unwrap_or_else(|| "Coffer export".into()))
                .blocking_save_file()
                .map(|p| vec![p]),
            Purpose::ImportFolder | Purpose::RemoteFolder => {
                d.blocking_pick_folder().map(|p| vec![p])
            }
        };
        chosen
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                p.into_path()
                    .map_err(|e| ApiError::new("app", format!("the dialog gave no path: {e}")))
            })
            .collect::<ApiResult<Vec<PathBuf>>>()
    })
    .await?;
    app.state::<Picked>().chose(purpose, &paths);
    Ok(paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// The picked-paths state, for commands.
pub type PickedState<'a> = State<'a, Picked>;

// The TypeScript client's entries for this file's commands, made by build.rs from their
// signatures above (see typescript::client).
include!(concat!(env!("OUT_DIR"), "/client_picker.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_chosen_for_the_purpose_pass() {
        let p = Picked::default();
        p.chose(Purpose::Attach, &[PathBuf::from("/home/a/scan.pdf")]);
        assert!(
            p.check(Purpose::Attach, Path::new("/home/a/scan.pdf"))
                .is_ok()
        );
        let e = p
            .check(Purpose::SaveFile, Path::new("/home/a/scan.pdf"))
            .expect_err("another purpose");
        assert_eq!(e.code, "not_chosen");
        assert!(p.check(Purpose::Attach, Path::new("/etc/passwd")).is_err());
        // Reading a chosen file again is fine; writing a chosen place is allowed once.
        assert!(
            p.check(Purpose::Attach, Path::new("/home/a/scan.pdf"))
                .is_ok()
        );
        p.chose(Purpose::SaveFile, &[PathBuf::from("/home/a/out.pdf")]);
        assert!(
            p.check(Purpose::SaveFile, Path::new("/home/a/out.pdf"))
                .is_ok()
        );
        assert!(
            p.check(Purpose::SaveFile, Path::new("/home/a/out.pdf"))
                .is_err()
        );
    }
}
