//! Contacts, conversations and messages in the vault, and the [`Vault`] methods over them.
//!
//! Each is a vault object (encrypted to the vault key, named by a signed log entry, synced
//! between one person's devices like notes):
//! - kind `contact`: one revision of a contact (or, with `me: true`, of the owner's display
//!   name); the newest revision of each contact id wins; a revision with `removed: true` is the
//!   tombstone of a removed contact (kept, so the removal wins on every device);
//! - kind `message`: one message, sent or received; its body is the signed plaintext, so it is
//!   verified again whenever it is loaded;
//! - kind `conversation`: a read marker (for unread counts); the newest wins.
//!
//! The decrypted state lives in memory beside the notes' state, built by reading the log
//! itself (so the note state and its snapshot stay untouched), and cached encrypted in
//! `local/messages.age`.
//!
//! Here: the records and the state's shape. `state.rs` answers questions of the state (who a
//! card belongs to, a conversation's participants), `objects.rs` encodes and decodes the
//! objects, `load.rs` builds the state from the log and its cache and commits new objects;
//! the [`Vault`] methods are in `contacts.rs`, `send.rs`, `receive.rs` and `read.rs`.

use super::card::{ContactCard, clean_new_name};
use super::envelope::{self, Envelope, MESSAGE_FORMAT, Opened, WireAttachment, WireNote};
use super::{
    AttachmentInfo, Contact, ConversationSummary, Draft, Held, MessageHit, MessageView, Party,
    ReceiveReport, Rejected, SafetyNumber, SharedNote,
};
use crate::log::ObjectKind;
use crate::note::{Millis, now_millis};
use crate::object::{self, Header, Kind};
use crate::search::attachments::{MAX_TOTAL_TEXT, Readable, readable};
use crate::store::{Batch, NewObject, Sealed};
use crate::sync::{Remote, RemotePurpose};
use crate::vault::Vault;
use crate::{Error, Id, NewNote, Result, crypto};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;

const CACHE_FORMAT: u32 = 2;
/// Version 2 added the removed mark of contacts; a version 1 cache is not read (rebuilt from
/// the log).
const CACHE_MAGIC: &[u8; 8] = b"cofmsgs2";
/// After this many objects applied from the log since the cache was written, it is rewritten.
const CACHE_STALE_AFTER: usize = 64;
/// The start of the display name in the owner's card until one is set; the card's fingerprint
/// follows, so no two vaults share a default name (a shared one made every stranger look like
/// the contact of that name).
pub const DEFAULT_DISPLAY_NAME: &str = "Coffer user";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ContactRecord {
    object: Id,
    contact: Id,
    name: String,
    card: String,
    verified: bool,
    key_changed: bool,
    previous: Vec<String>,
    added: Millis,
    updated: Millis,
    /// A tombstone: the contact was removed (not listed, not a sender, not a recipient).
    removed: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProfileRecord {
    object: Id,
    name: String,
    updated: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredMessage {
    object: Id,
    hash: String,
    envelope: Envelope,
    outgoing: bool,
    received: Millis,
    carrier: String,
    /// The owner's card when it was stored (the keys may have been rotated since).
    owner: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReadMark {
    object: Id,
    read_until: Millis,
    updated: Millis,
}

/// The decrypted messaging state of a vault.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct MessageState {
    /// Per device: the last log entry read (sequence number, hash).
    marks: BTreeMap<Id, (u64, String)>,
    /// Objects already applied.
    seen: HashSet<Id>,
    contacts: HashMap<Id, ContactRecord>,
    profile: Option<ProfileRecord>,
    /// By message id.
    messages: HashMap<Id, StoredMessage>,
    /// By conversation id.
    read: HashMap<Id, ReadMark>,
    /// Key ids (see [`ContactCard::key_id`]) the owner had: before a key rotation too.
    own: HashSet<String>,
    #[serde(skip)]
    index: Option<Index>,
    #[serde(skip)]
    unsaved: usize,
    /// The text read of attachments for search, by message and attachment name (`None`: it
    /// has none); kept in memory for the unlock only, like the text of notes' attachments.
    #[serde(skip)]
    attachment_text: HashMap<(Id, String), Option<String>>,
    /// The bytes of text kept in `attachment_text`.
    #[serde(skip)]
    attachment_total: usize,
}

/// Words of message bodies, note titles, attachment names and sender names.
#[derive(Default)]
struct Index {
    words: BTreeMap<String, HashSet<Id>>,
}

/// What a message search reads of a message: its text, a shared note's title and tags, and
/// the names of its attachments.
fn searched_text(m: &StoredMessage) -> String {
    let e = &m.envelope;
    let mut text = String::with_capacity(e.body.len() + 64);
    text.push_str(&e.body);
    if let Some(n) = &e.note {
        text.push('\n');
        text.push_str(&n.title);
        for t in &n.tags {
            text.push(' ');
            text.push_str(t);
        }
    }
    for a in &e.attachments {
        text.push('\n');
        text.push_str(&a.name);
    }
    text
}

impl Index {
    fn add(&mut self, m: &StoredMessage) {
        self.add_text(m.envelope.message, &searched_text(m));
    }

    fn add_text(&mut self, message: Id, text: &str) {
        for w in crate::search::tokenize(text) {
            self.words.entry(w).or_default().insert(message);
        }
    }

    fn search(&self, query: &str) -> HashSet<Id> {
        let mut result: Option<HashSet<Id>> = None;
        for q in crate::search::tokenize(query) {
            let mut hits = HashSet::new();
            for (_, ids) in self
                .words
                .range(q.clone()..)
                .take_while(|(w, _)| w.starts_with(&q))
            {
                hits.extend(ids.iter().copied());
            }
            result = Some(match result {
                None => hits,
                Some(r) => r.intersection(&hits).copied().collect(),
            });
        }
        result.unwrap_or_default()
    }
}

/// A decoded messaging object.
enum Decoded {
    Contact(ContactRecord),
    Profile(ProfileRecord),
    Message(StoredMessage),
    Read(Id, ReadMark),
}

pub(super) fn clean_contact_name(name: &str) -> Result<String> {
    clean_new_name(name).map_err(|m| Error::Invalid(format!("contact name: {m}")))
}

/// How a message leaves this vault.
pub enum Via<'a> {
    /// Into the recipients' inboxes on a shared remote; `name` is how the remote is shown.
    Remote {
        /// The shared remote whose inboxes receive the message.
        remote: &'a dyn Remote,
        /// The name the remote was added under; the message records it as `remote:NAME`.
        name: &'a str,
    },
    /// As an ASCII-armored block returned to the caller.
    Armor,
}

/// A message that was sent.
#[derive(Clone, Debug, Serialize)]
pub struct Sent {
    /// The message as it now appears in its conversation.
    pub message: MessageView,
    /// The armored block, when sent [`Via::Armor`].
    pub armored: Option<String>,
}

/// How far ahead of this device's clock a message's time may be (clocks differ); a message
/// further ahead would stay on top of every list.
pub(super) const MAX_CLOCK_AHEAD: Millis = 24 * 3600 * 1000;

/// Inbox files received are committed in groups of about this many bytes.
pub const RECEIVE_GROUP_BYTES: usize = 16 << 20;

/// How the reason of a message that could not be decrypted at all begins (so it was never
/// shown to be one for this user, and is not removed from an inbox).
pub(super) const NOT_OPENED: &str = envelope::NOT_DECRYPTED;

/// Classifies why a message could not be accepted: held apart (a sender who is not a contact)
/// or rejected.
pub(super) fn is_held(e: &Error) -> bool {
    matches!(
        e,
        Error::UnknownSender { .. } | Error::ContactKeyChanged { .. }
    )
}

mod contacts;
mod load;
mod objects;
mod read;
mod receive;
mod send;
mod state;
#[cfg(test)]
mod tests;

use load::*;
pub(crate) use load::{cache_path, live_objects};
use objects::*;
