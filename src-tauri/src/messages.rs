//! Contacts and messages: thin commands over coffer-core's messages module and the shapes of
//! coffer-views. Sending through a remote and checking inboxes
//! reach the network, so they run off the async runtime's threads.

use crate::error::{ApiError, ApiResult};
use crate::picker::{PickedState, Purpose};
use crate::session::Session;
use coffer_core::Id;
use coffer_core::messages::{
    Contact, ConversationSummary, DiscardReport, InboxCheck, MessageHit, MessageView, ThreadMessage,
};
use coffer_views::{ContactDetail, MessageViews, MyCard, Outgoing, SentMessage};
use std::path::{Path, PathBuf};
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

type S<'a> = State<'a, Session>;

use crate::commands::read_attachments_in_background;
use crate::session::on_vault;

#[tauri::command]
pub async fn my_card(s: S<'_>) -> ApiResult<MyCard> {
    s.with(|v| v.my_card_view())
}

#[tauri::command]
pub async fn set_display_name(s: S<'_>, name: String) -> ApiResult<MyCard> {
    s.with(|v| v.set_display_name_view(&name))
}

#[tauri::command]
pub async fn contacts(s: S<'_>) -> ApiResult<Vec<Contact>> {
    s.with(|v| v.contacts())
}

#[tauri::command]
pub async fn add_contact(s: S<'_>, card: String, name: String) -> ApiResult<Contact> {
    s.with(|v| v.add_contact(&card, &name))
}

/// Accepts new keys for a known contact: flagged as changed until verified again.
#[tauri::command]
pub async fn replace_contact_keys(s: S<'_>, contact: String, card: String) -> ApiResult<Contact> {
    s.with(|v| v.replace_contact_keys(&contact, &card))
}

#[tauri::command]
pub async fn contact_detail(s: S<'_>, contact: String) -> ApiResult<ContactDetail> {
    s.with(|v| v.contact_detail(&contact))
}

/// Marks a contact verified (the UI asks only after the numbers were compared).
#[tauri::command]
pub async fn verify_contact(s: S<'_>, contact: String) -> ApiResult<Contact> {
    s.with(|v| v.verify_contact(&contact))
}

/// Removes a contact on every device (the UI asks first, naming them); returns it as it was.
#[tauri::command]
pub async fn remove_contact(s: S<'_>, contact: String) -> ApiResult<Contact> {
    s.with(|v| v.remove_contact(&contact))
}

#[tauri::command]
pub async fn conversations(s: S<'_>) -> ApiResult<Vec<ConversationSummary>> {
    s.with(|v| v.conversations())
}

/// Messages matching a search (their own group beside the notes found), newest first.
#[tauri::command]
pub async fn search_messages(s: S<'_>, query: String) -> ApiResult<Vec<MessageHit>> {
    s.with(|v| v.search_messages(&query, 20))
}

/// A conversation with every body rendered; marks it read.
#[tauri::command]
pub async fn open_conversation(s: S<'_>, conversation: Id) -> ApiResult<Vec<ThreadMessage>> {
    let parts = s.with(|v| v.conversation_to_render(&conversation))?;
    // Rendered without the session's lock, so a hostile message cannot keep the app unlocked.
    crate::session::blocking(move || Ok(parts.into_iter().map(|m| m.render()).collect())).await
}

#[tauri::command]
pub async fn send_message(
    app: AppHandle,
    picked: PickedState<'_>,
    outgoing: Outgoing,
) -> ApiResult<SentMessage> {
    for file in &outgoing.attachments {
        picked.check(Purpose::SendFiles, Path::new(file))?;
    }
    let sent = on_vault(app.clone(), move |v| v.send_outgoing(&outgoing)).await?;
    read_attachments_in_background(app);
    Ok(sent)
}

#[tauri::command]
pub async fn share_note(
    app: AppHandle,
    note: Id,
    to: Vec<String>,
    remote: Option<String>,
) -> ApiResult<SentMessage> {
    on_vault(app, move |v| {
        v.share_note_with(&note, &to, remote.as_deref())
    })
    .await
}

/// Opens a pasted armored message (then reads its attachments' text for search, as for
/// messages taken from an inbox or sent).
#[tauri::command]
pub async fn open_armored(app: AppHandle, s: S<'_>, text: String) -> ApiResult<MessageView> {
    let m = s.with(|v| v.open_armored(&text))?;
    read_attachments_in_background(app);
    Ok(m)
}

#[tauri::command]
pub async fn check_inbox(app: AppHandle) -> ApiResult<InboxCheck> {
    let check = on_vault(app.clone(), |v| v.check_inboxes()).await?;
    read_attachments_in_background(app);
    Ok(check)
}

/// Deletes the held messages named by the last check from the own inbox on every shared
/// remote (the core refuses any other key).
#[tauri::command]
pub async fn discard_held(app: AppHandle, keys: Vec<String>) -> ApiResult<DiscardReport> {
    on_vault(app, move |v| v.discard_held(&keys)).await
}

/// Saves a received message (a shared note keeps its title and tags) as a note; its id.
#[tauri::command]
pub async fn save_message_as_note(s: S<'_>, w: tauri::WebviewWindow, message: Id) -> ApiResult<Id> {
    crate::windows::notes_changed(&w, s.with(|v| v.save_shared_note(&message)))
}

#[tauri::command]
pub async fn save_message_attachment(
    s: S<'_>,
    picked: PickedState<'_>,
    message: Id,
    name: String,
    to: PathBuf,
) -> ApiResult<()> {
    picked.check(Purpose::SaveFile, &to)?;
    s.with(|v| v.save_message_attachment(&message, &name, &to))
}

/// Copies a contact card or an armored block: public or encrypted text, so not cleared later.
/// Anything else is refused (note text goes through `copy_note`, which clears the clipboard).
#[tauri::command]
pub async fn copy_public_text(app: AppHandle, text: String) -> ApiResult<()> {
    let card = coffer_core::messages::ContactCard::parse(&text).is_ok();
    let armored = coffer_core::messages::armor::dearmor(&text).is_ok();
    let pairing = coffer_core::sync::PairingCode::parse(&text).is_ok();
    if !card && !armored && !pairing {
        return Err(ApiError::new(
            "invalid_input",
            "only a contact card, an armored message or a pairing code can be copied this way",
        ));
    }
    app.clipboard()
        .write_text(text)
        .map_err(|e| ApiError::new("clipboard", format!("cannot copy: {e}")))
}

// The TypeScript client's entries for this file's commands, made by build.rs from their
// signatures above (see typescript::client).
include!(concat!(env!("OUT_DIR"), "/client_messages.rs"));
