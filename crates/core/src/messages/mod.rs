//! Verified contacts and signed, end-to-end encrypted messages.
//!
//! age encrypts but does not say who wrote a file: anyone who knows a public key can encrypt to
//! it. Coffer adds a signature (Ed25519, under its own domain-separation context) over
//! everything that matters in a message, and contacts whose keys are checked out of band with a
//! safety number. docs/FORMAT.md ("Messages and contacts") specifies every byte; docs/SECURITY.md
//! says what this protects and what it does not (no forward secrecy in this version).
//!
//! The pieces, each in its own file:
//! - [`card`]: the contact card, `coffer-card1:...`, a short line (and a QR code) with a
//!   display name, the X25519 messaging key and the Ed25519 verifying key, with a checksum.
//! - [`safety`]: the safety number both sides compute identically (Signal's numeric
//!   fingerprint model: 60 digits in 12 groups of 5).
//! - [`envelope`]: the signed message and its age encryption to every recipient and the sender.
//! - [`armor`]: the same message as an ASCII-armored text block, for any channel.
//! - [`inbox`]: per-recipient inboxes on a shared remote (folder, S3 or WebDAV) whose names
//!   reveal nothing.
//! - `store`: contacts, conversations and messages as vault objects (so they are encrypted to
//!   the vault key, named by the signed device log, and synced between one person's devices),
//!   the in-memory state and its search index, and the [`Vault`](crate::Vault) methods the CLI
//!   and the app call.
//!
//! ```no_run
//! # fn main() -> coffer_core::Result<()> {
//! use coffer_core::messages::Draft;
//! # let mut alice: coffer_core::Vault = todo!();
//! # let mut bob: coffer_core::Vault = todo!();
//! let card = bob.my_card()?.encode();                 // Bob gives Alice his card
//! alice.add_contact(&card, "Bob")?;
//! let number = alice.safety_number("Bob")?;          // both read it aloud and compare
//! alice.verify_contact("Bob")?;
//! let (_, armored) = alice.send_armored(&["Bob"], Draft::text("Hello"))?;
//! bob.add_contact(&alice.my_card()?.encode(), "Alice")?;
//! let received = bob.open_armored(&armored)?;
//! assert_eq!(received.body, "Hello");
//! # let _ = number; Ok(()) }
//! ```

pub mod armor;
pub mod card;
pub mod envelope;
pub mod inbox;
mod inboxes;
pub mod safety;
mod store;
mod thread;

pub use card::ContactCard;
pub use inboxes::{DiscardReport, InboxCheck, InboxFailure};
pub use safety::SafetyNumber;
pub use store::{DEFAULT_DISPLAY_NAME, Sent, Via};
pub(crate) use store::{MessageState, cache_path, live_objects};
pub use thread::{MessageToRender, ThreadMessage};

use crate::Id;
use crate::note::Millis;
use serde::Serialize;

/// What to send: a body (Markdown, rendered like a note), optional small attachments.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// The message text (Markdown).
    pub body: String,
    /// Small files: (name, bytes). Together at most [`envelope::MAX_ATTACHMENT_BYTES`].
    pub attachments: Vec<(String, Vec<u8>)>,
    /// Continue this conversation; by default the most recent conversation with exactly these
    /// recipients, else a new one.
    pub conversation: Option<Id>,
}

impl Draft {
    /// A message with only a body.
    pub fn text(body: impl Into<String>) -> Draft {
        Draft {
            body: body.into(),
            ..Draft::default()
        }
    }
}

/// A contact as the app and the CLI show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Contact {
    /// Stable local id of the contact.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The name this user gave the contact.
    pub name: String,
    /// The name inside the contact's card (what they call themselves; not checked by anyone).
    pub card_name: String,
    /// Their current contact card.
    pub card: String,
    /// A short hex fingerprint of their keys.
    pub fingerprint: String,
    /// The safety number was compared and confirmed (reset when the keys change).
    pub verified: bool,
    /// Their keys were replaced after they were first added, and the new ones are not verified
    /// yet: show a loud warning.
    pub key_changed: bool,
    /// Cards this contact had before a key change, oldest first (kept on record).
    pub previous_cards: Vec<String>,
    /// When the contact was first added, in milliseconds since the Unix epoch, UTC.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub added: Millis,
    /// When the contact last changed (renamed, verified, keys replaced), in milliseconds since the
    /// Unix epoch, UTC.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: Millis,
}

/// Who a message is from (or who takes part in a conversation), as far as this vault knows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Party {
    /// This vault's own keys.
    Me,
    /// A contact with these exact keys.
    Contact {
        /// The contact's id.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        id: Id,
        /// The name this user gave the contact.
        name: String,
        /// Whether the safety number of these keys was compared and confirmed.
        verified: bool,
    },
    /// Keys a contact had before a key change.
    PreviousKey {
        /// The id of the contact who had these keys.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        id: Id,
        /// The name this user gave that contact.
        name: String,
    },
    /// Keys of no contact: never shown as a contact. `claimed` is the name in their card.
    Unknown {
        /// The name in their card: their own claim, checked by no one (empty if it could not be
        /// read).
        claimed: String,
        /// A short hex fingerprint of their keys (empty if their card could not be read).
        fingerprint: String,
    },
}

impl Party {
    /// A one-line label: the contact's name, "me", or an unmistakable unknown marker.
    pub fn label(&self) -> String {
        match self {
            Party::Me => "me".into(),
            Party::Contact { name, .. } => name.clone(),
            Party::PreviousKey { name, .. } => format!("{name} (OLD KEY)"),
            Party::Unknown {
                claimed,
                fingerprint,
            } => format!("UNKNOWN {fingerprint} (calls themselves {claimed:?})"),
        }
    }
}

/// A note shared as a message: its title and tags (the body is the message body).
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharedNote {
    /// Title of the shared note (at most 1024 bytes).
    pub title: String,
    /// Tags of the shared note (at most 64).
    pub tags: Vec<String>,
}

/// An attachment of a message: its name and size (the bytes via
/// [`Vault::message_attachment`](crate::Vault::message_attachment)).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AttachmentInfo {
    /// The file name the sender gave it: a plain name, no folders or control characters.
    pub name: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// One message as the app and the CLI show it. The body is untrusted text: render it with
/// [`Vault::render_message`](crate::Vault::render_message) (sanitized, like notes).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    /// The message id (chosen and signed by the sender).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// The conversation it belongs to (an id chosen by whoever started the conversation).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub conversation: Id,
    /// Who signed it: this vault's owner, a contact, a contact's old keys, or unknown keys.
    pub from: Party,
    /// The other recipients (everyone but the sender).
    pub to: Vec<Party>,
    /// Sent by this vault's owner.
    pub outgoing: bool,
    /// The sender's time (signed), milliseconds since the epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: Millis,
    /// When this vault stored it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: Millis,
    /// The text (Markdown) exactly as the sender wrote it: untrusted, so render it with
    /// [`Vault::render_message`](crate::Vault::render_message) rather than as HTML.
    pub body: String,
    /// Set when the message shares a note (save it with `save_shared_note`).
    pub note: Option<SharedNote>,
    /// The attached files' names and sizes, in the sender's order.
    pub attachments: Vec<AttachmentInfo>,
    /// The message names a previous message this vault does not have (one was lost or held
    /// back on the way).
    pub missing_previous: bool,
    /// How it came: "remote:NAME", "armor", or "sent".
    pub carrier: String,
}

/// A conversation in the list, newest first.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationSummary {
    /// The conversation's id (chosen by whoever started it), to open its thread.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: Id,
    /// Everyone taking part except this vault's owner.
    pub with: Vec<Party>,
    /// How many messages it holds, sent and received.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub messages: u64,
    /// Incoming messages received since the conversation was last marked read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread: u64,
    /// The sender's time of its newest message (by their clock), in milliseconds since the Unix
    /// epoch, UTC.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_time: Millis,
    /// The start of the last message's body.
    pub last_excerpt: String,
}

/// A message that could not be accepted from an inbox, with the reason.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rejected {
    /// The inbox file it came from.
    pub key: String,
    /// The stable error code (`bad_signature`, `not_a_recipient`, ...).
    pub code: String,
    /// The reason in words, to show the user.
    pub message: String,
    /// Whether the file was removed from the inbox: only a file that opened as a message
    /// encrypted to this vault is; anything else is left where it is.
    pub removed: bool,
}

/// A message from keys that are not a contact's: kept apart, left in the inbox until its
/// sender is added as a contact (or it is discarded: [`Vault::discard_held_from`]), never
/// stored as from a contact.
///
/// [`Vault::discard_held_from`]: crate::Vault::discard_held_from
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Held {
    /// The inbox file it is in: pass it to [`Vault::discard_held`](crate::Vault::discard_held) to
    /// delete it.
    pub key: String,
    /// `unknown_sender` or `contact_key_changed`.
    pub code: String,
    /// The reason in words, to show the user.
    pub message: String,
    /// The sender's card as the message carries it (add it to accept their messages).
    pub sender_card: String,
    /// Whose keys they are as far as this vault knows: unknown keys or a contact's old ones.
    pub from: Party,
}

/// What one check of an inbox did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceiveReport {
    /// Messages accepted and stored, oldest first.
    pub received: Vec<MessageView>,
    /// Messages from unknown or changed keys (not stored; they stay in the inbox until
    /// discarded).
    pub held: Vec<Held>,
    /// Files refused (each with a clear reason); see [`Rejected::removed`].
    pub rejected: Vec<Rejected>,
    /// Copies of messages already stored (duplicates, replays), removed from the inbox.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duplicates: u64,
}

/// A message search result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageHit {
    /// The matching message (newest first in the results).
    pub message: MessageView,
    /// About 160 characters of its text around the first match, split into plain and
    /// matching pieces; `…` marks text left out.
    pub snippet: Vec<crate::search::Segment>,
    /// The attachment whose text matched, when the message's own text did not (the snippet
    /// is then from the attachment).
    pub attachment: Option<String>,
}
