//! The commands the UI calls. Each one delegates to coffer-core through the session; none holds
//! logic of its own. Async, so that slow ones (unlock runs scrypt) never block the window.

use crate::error::ApiResult;
use crate::picker::{PickedState, Purpose};
use crate::session::{Session, on_session, on_vault};
use crate::windows::notes_changed;
use coffer_core::VerifyReport;
use coffer_core::note::Attachment;
use coffer_core::passphrase::{self, Strength};
use coffer_core::transfer::{ExportReport, ImportReport};
use coffer_core::{
    Conflict, Id, NameCount, NewNote, Note, NoteChange, NoteFilter, NoteSummary, Progress,
    RevisionInfo, SearchHit, Settlement,
};
use coffer_views::{LockedEvent, Settings, VaultStatus};
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, State, WebviewWindow};

type S<'a> = State<'a, Session>;

/// Reports progress of a long operation to the UI as `progress` events.
fn progress(app: &AppHandle) -> impl FnMut(&Progress) + '_ {
    move |p| {
        let _ = app.emit("progress", p);
    }
}

#[tauri::command]
pub async fn vault_status(s: S<'_>) -> ApiResult<VaultStatus> {
    let exists = coffer_core::LockedVault::open(&s.dir).is_ok();
    let (unlocked, path) = (s.is_unlocked(), s.dir.display().to_string());
    Ok(VaultStatus {
        exists,
        unlocked,
        path,
    })
}

/// How hard a passphrase being chosen is to guess (the meter under the field). Nothing is
/// kept: the copy is wiped when the estimate is made.
#[tauri::command]
pub async fn passphrase_strength(passphrase: String) -> ApiResult<Strength> {
    Ok(passphrase::strength(
        &crate::session::secret(passphrase),
        &["coffer"],
    ))
}

#[tauri::command]
pub async fn create_vault(app: AppHandle, passphrase: String) -> ApiResult<()> {
    on_session(app, move |s| s.create(passphrase)).await
}

#[tauri::command]
pub async fn unlock(app: AppHandle, passphrase: String) -> ApiResult<()> {
    on_session(app.clone(), move |s| s.unlock(passphrase)).await?;
    read_attachments_in_background(app.clone());
    scrub_in_background(app.clone());
    // Every other window shows the unlock screen still: they go on too.
    Ok(app.emit("unlocked", ())?)
}

/// Checks every file the log names against its signed hash after an unlock (the scrub), on a
/// thread of its own at the lowest priority, without the session's lock while it reads. Damage
/// becomes an alarm: the sync worker counts it and the windows show it. A lock meanwhile stops
/// it (its findings are dropped; the next unlock checks again).
pub(crate) fn scrub_in_background(app: AppHandle) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tauri::Manager;
    let s = app.state::<Session>();
    let Some(plan) = s.peek(|v| v.scrub_plan()) else {
        return;
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let Ok(running) = plan.run_in_background(cancel.clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let s = app.state::<Session>();
        // Polls for a lock while the scrub runs, so that a locked vault's folder is not read on.
        while !running.is_finished() {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if !s.is_unlocked() {
                cancel.store(true, Ordering::Relaxed);
            }
        }
        let Ok(found) = running.join() else { return };
        if found.cancelled {
            return;
        }
        let damaged = s
            .peek(|v| v.confirm_damage(found))
            .and_then(Result::ok)
            .is_some_and(|r| !r.damaged.is_empty());
        if damaged {
            app.state::<crate::sync::SyncService>().alarms_raised();
        }
    });
}

/// Whether the reader of attachments for search is at work.
static READING_ATTACHMENTS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Reads the text of the vault's attachments for search (after an unlock, a sync, or a change
/// to notes, which may have brought attachments) on a thread of its own, one at a time: the
/// session's lock is held to decrypt one and to keep its text, not while it is read (a PDF is
/// read in a child process, which may take seconds). Does not count as activity (auto-lock
/// still comes); stops when all are read or the vault is locked. Does nothing if it is already
/// at work.
pub(crate) fn read_attachments_in_background(app: AppHandle) {
    use std::sync::atomic::Ordering;
    if READING_ATTACHMENTS.swap(true, Ordering::AcqRel) {
        return;
    }
    std::thread::spawn(move || {
        use std::time::{Duration, Instant};
        use tauri::Manager;
        let s = app.state::<Session>();
        let next = || s.peek(|v| v.next_attachment_to_read()).flatten();
        // Windows search again when text was read, at most twice a second.
        let (mut found, mut told) = (false, Instant::now());
        let mut one = next();
        loop {
            let Some(this) = one.take() else {
                READING_ATTACHMENTS.store(false, Ordering::Release);
                // A change that came while the last one was read found the reader at work:
                // look once more, unless another reader has started since.
                match next() {
                    Some(more) if !READING_ATTACHMENTS.swap(true, Ordering::AcqRel) => {
                        one = Some(more);
                        continue;
                    }
                    _ => break,
                }
            };
            let read = this.read();
            found |= read.has_text();
            if s.peek(|v| v.keep_attachment_text(read)).is_none() {
                READING_ATTACHMENTS.store(false, Ordering::Release);
                break;
            }
            if found && told.elapsed() >= Duration::from_millis(500) {
                let _ = app.emit("attachments-read", ());
                (found, told) = (false, Instant::now());
            }
            one = next();
        }
        if found {
            let _ = app.emit("attachments-read", ());
        }
    });
}

#[tauri::command]
pub async fn lock(app: AppHandle, s: S<'_>) -> ApiResult<()> {
    s.lock();
    Ok(app.emit(
        "locked",
        LockedEvent {
            reason: "manual".into(),
        },
    )?)
}

/// User activity in the window (typing, clicking): postpones auto-lock.
#[tauri::command]
pub async fn touch(s: S<'_>) -> ApiResult<()> {
    s.touch();
    Ok(())
}

#[tauri::command]
pub async fn list(s: S<'_>, filter: NoteFilter) -> ApiResult<Vec<NoteSummary>> {
    s.with(|v| Ok(v.list(&filter)))
}

#[tauri::command]
pub async fn note(s: S<'_>, id: Id) -> ApiResult<Note> {
    s.with(|v| v.note(&id))
}

#[tauri::command]
pub async fn create(s: S<'_>, w: WebviewWindow, note: NewNote) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.create(note)))
}

/// Returns the new revision id.
#[tauri::command]
pub async fn update(s: S<'_>, w: WebviewWindow, id: Id, change: NoteChange) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.update(&id, change)))
}

#[tauri::command]
pub async fn trash(s: S<'_>, w: WebviewWindow, id: Id) -> ApiResult<()> {
    notes_changed(&w, s.with(|v| v.trash(&id)))
}

#[tauri::command]
pub async fn restore(s: S<'_>, w: WebviewWindow, id: Id) -> ApiResult<()> {
    notes_changed(&w, s.with(|v| v.restore(&id)))
}

#[tauri::command]
pub async fn purge(s: S<'_>, w: WebviewWindow, id: Id) -> ApiResult<()> {
    notes_changed(&w, s.with(|v| v.purge(&id)))
}

#[tauri::command]
pub async fn history(s: S<'_>, id: Id) -> ApiResult<Vec<RevisionInfo>> {
    s.with(|v| v.history(&id))
}

#[tauri::command]
pub async fn note_at(s: S<'_>, id: Id, revision: Id) -> ApiResult<Note> {
    s.with(|v| v.note_at(&id, &revision))
}

#[tauri::command]
pub async fn revert(s: S<'_>, w: WebviewWindow, id: Id, revision: Id) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.revert(&id, &revision)))
}

#[tauri::command]
pub async fn conflict(s: S<'_>, id: Id) -> ApiResult<Conflict> {
    s.with(|v| v.conflict(&id))
}

#[tauri::command]
pub async fn settle_conflict(
    s: S<'_>,
    w: WebviewWindow,
    id: Id,
    settlement: Settlement,
) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.settle_conflict(&id, settlement)))
}

#[tauri::command]
pub async fn keep_both(s: S<'_>, w: WebviewWindow, id: Id, shown: Id, other: Id) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.keep_both(&id, &shown, &other)))
}

#[tauri::command]
pub async fn search(s: S<'_>, query: String) -> ApiResult<Vec<SearchHit>> {
    // What is read of attachments so far is searched: they are read in the background after
    // an unlock, a sync and any change to notes (`notes_changed`).
    s.with(|v| Ok(v.search(&query, 50)))
}

/// Titles holding what was typed after `[[`, under the search's folding rules.
#[tauri::command]
pub async fn titles_matching(s: S<'_>, typed: String) -> ApiResult<Vec<String>> {
    s.with(|v| Ok(v.titles_matching(&typed, 30)))
}

/// Where `query` occurs in `text` (the open note, or the preview's text) under the search's
/// folding rules, as UTF-16 offsets (what the editor and the page count in): the query whole,
/// or with `words`, each word and phrase of a search query (what a note found highlights).
#[tauri::command]
pub async fn find_in_text(text: String, query: String, words: bool) -> ApiResult<Vec<[u32; 2]>> {
    let found = if words {
        coffer_core::search::find_words(&text, &query)
    } else {
        coffer_core::search::find(&text, &query)
    };
    Ok(utf16_ranges(&text, &found))
}

/// Byte ranges of `text` (in order, not overlapping) as UTF-16 offsets.
fn utf16_ranges(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<[u32; 2]> {
    let mut out = Vec::with_capacity(ranges.len());
    let (mut byte, mut unit) = (0usize, 0u32);
    let to = |at: usize, byte: &mut usize, unit: &mut u32| {
        *unit += text[*byte..at]
            .chars()
            .map(|c| c.len_utf16() as u32)
            .sum::<u32>();
        *byte = at;
        *unit
    };
    for r in ranges {
        let start = to(r.start, &mut byte, &mut unit);
        let end = to(r.end, &mut byte, &mut unit);
        out.push([start, end]);
    }
    out
}

/// Texts folded as search folds words, for the command palette's matching (at most 10,000
/// texts of 1,000 characters each are folded; longer ones are cut).
#[tauri::command]
pub async fn fold_for_search(texts: Vec<String>) -> ApiResult<Vec<String>> {
    Ok(texts
        .iter()
        .take(10_000)
        .map(|t| {
            let cut: String = t.chars().take(1000).collect();
            coffer_core::search::fold_text(&cut)
        })
        .collect())
}

/// Sanitized HTML of a draft (the live preview).
#[tauri::command]
pub async fn render_markdown(s: S<'_>, text: String) -> ApiResult<String> {
    let prepared = s.with(|v| Ok(v.prepare_markdown(text)))?;
    // Rendered without the session's lock (bounded in depth, size and time: core::render).
    crate::session::blocking(move || Ok(prepared.render())).await
}

/// The draft with its `index`-th task ticked or unticked (a checkbox clicked in the preview,
/// counted among the preview's task checkboxes); `None` if there is no such task.
#[tauri::command]
pub async fn toggle_task(text: String, index: u32) -> ApiResult<Option<String>> {
    crate::session::blocking(move || Ok(coffer_core::render::toggle_task(&text, index as usize)))
        .await
}

#[tauri::command]
pub async fn notebooks(s: S<'_>) -> ApiResult<Vec<NameCount>> {
    s.with(|v| Ok(v.notebooks()))
}

#[tauri::command]
pub async fn templates(s: S<'_>) -> ApiResult<Vec<NoteSummary>> {
    s.with(|v| Ok(v.templates()))
}

/// `day` is the person's local date (YYYY-MM-DD), which the web view knows.
#[tauri::command]
pub async fn create_from_template(
    s: S<'_>,
    w: WebviewWindow,
    template: Id,
    title: String,
    day: String,
    notebook: Option<String>,
) -> ApiResult<Id> {
    notes_changed(
        &w,
        s.with(|v| v.create_from_template(&template, &title, &day, notebook.as_deref())),
    )
}

#[tauri::command]
pub async fn daily_note(s: S<'_>, w: WebviewWindow, day: String) -> ApiResult<Id> {
    notes_changed(&w, s.with(|v| v.daily_note(&day).map(|(id, _)| id)))
}

#[tauri::command]
pub async fn rename_notebook(
    s: S<'_>,
    w: WebviewWindow,
    old: String,
    new: String,
) -> ApiResult<usize> {
    notes_changed(&w, s.with(|v| v.rename_notebook(&old, &new)))
}

#[tauri::command]
pub async fn remove_notebook(s: S<'_>, w: WebviewWindow, name: String) -> ApiResult<usize> {
    notes_changed(&w, s.with(|v| v.remove_notebook(&name)))
}

#[tauri::command]
pub async fn notebook_size(s: S<'_>, name: String) -> ApiResult<usize> {
    s.with(|v| Ok(v.notebook_size(&name)))
}

#[tauri::command]
pub async fn tags(s: S<'_>) -> ApiResult<Vec<NameCount>> {
    s.with(|v| Ok(v.tags()))
}

#[tauri::command]
pub async fn attach(
    app: AppHandle,
    w: WebviewWindow,
    picked: PickedState<'_>,
    id: Id,
    path: PathBuf,
) -> ApiResult<Attachment> {
    picked.check(Purpose::Attach, &path)?;
    notes_changed(&w, on_vault(app, move |v| v.attach(&id, &path, None)).await)
}

#[tauri::command]
pub async fn extract(
    app: AppHandle,
    picked: PickedState<'_>,
    id: Id,
    name: String,
    to: PathBuf,
) -> ApiResult<()> {
    picked.check(Purpose::SaveFile, &to)?;
    on_vault(app, move |v| v.extract(&id, &name, &to)).await
}

/// Copies a note's text; the clipboard is cleared after 30 s (or the delay the app was started
/// with) if it still holds it. Returns that delay in seconds, for the UI to say.
#[tauri::command]
pub async fn copy_note(
    app: AppHandle,
    s: S<'_>,
    after: State<'_, crate::clipboard::ClearAfter>,
    id: Id,
) -> ApiResult<u64> {
    let body = s.with(|v| v.note(&id).map(|n| n.body))?;
    crate::clipboard::copy_then_clear(&app, body, *after)?;
    Ok(after.0.as_secs())
}

/// Opens an https link in the system browser once the user confirmed its host in a dialog
/// Coffer shows itself; whether it was opened.
#[tauri::command]
pub async fn open_link(app: AppHandle, window: WebviewWindow, url: String) -> ApiResult<bool> {
    crate::session::blocking(move || crate::links::confirm_and_open(&app, &window, &url)).await
}

#[tauri::command]
pub async fn change_passphrase(app: AppHandle, current: String, new: String) -> ApiResult<()> {
    on_session(app, move |s| s.change_passphrase(current, new)).await
}

#[tauri::command]
pub async fn rotate_keys(app: AppHandle, passphrase: String) -> ApiResult<coffer_core::Rotation> {
    on_session(app, move |s| s.rotate_keys(passphrase)).await
}

#[tauri::command]
pub async fn verify(app: AppHandle) -> ApiResult<VerifyReport> {
    let events = app.clone();
    on_vault(app, move |v| v.verify(&mut progress(&events))).await
}

/// Imports a folder of Markdown (Obsidian, Joplin, a Coffer export) and `.age` files.
#[tauri::command]
pub async fn import_dir(
    app: AppHandle,
    w: WebviewWindow,
    picked: PickedState<'_>,
    path: PathBuf,
) -> ApiResult<ImportReport> {
    picked.check(Purpose::ImportFolder, &path)?;
    let events = app.clone();
    let report = on_vault(app, move |v| v.import_dir(&path, &mut progress(&events))).await;
    notes_changed(&w, report)
}

/// Writes every live note as Markdown into `path` (which must be empty or absent).
#[tauri::command]
pub async fn export_dir(
    app: AppHandle,
    picked: PickedState<'_>,
    path: PathBuf,
) -> ApiResult<ExportReport> {
    picked.check(Purpose::ExportFolder, &path)?;
    let events = app.clone();
    on_vault(app, move |v| v.export_dir(&path, &mut progress(&events))).await
}

#[tauri::command]
pub async fn get_settings(s: S<'_>) -> ApiResult<Settings> {
    Ok(crate::settings::load(&s.dir))
}

#[tauri::command]
pub async fn set_settings(s: S<'_>, settings: Settings) -> ApiResult<()> {
    crate::settings::save(&s.dir, &settings)
}

// The TypeScript client's entries for this file's commands, made by build.rs from their
// signatures above (see typescript::client).
include!(concat!(env!("OUT_DIR"), "/client_commands.rs"));

#[cfg(test)]
mod tests {
    use super::utf16_ranges;

    #[test]
    fn ranges_are_counted_in_utf16_units() {
        // "é" is 2 bytes and 1 unit; "🙂" 4 bytes and 2 units; "会" 3 bytes and 1 unit.
        let text = "é🙂会x";
        let ranges = [0..2, 2..6, 6..9, 9..10];
        assert_eq!(
            utf16_ranges(text, &ranges),
            [[0, 1], [1, 3], [3, 4], [4, 5]]
        );
        assert!(utf16_ranges(text, &[]).is_empty());
    }
}
