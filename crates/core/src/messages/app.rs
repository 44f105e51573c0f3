//! What the desktop app shows of contacts and messages, in the shapes it shows them: the
//! owner's card with its QR code, a contact with the safety number, a thread with each body
//! rendered by the sanitizer, and one check of every shared remote's inbox. The app's commands
//! only pass these through.

use super::envelope::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use super::{Contact, ContactCard, Draft, MessageView, ReceiveReport, SafetyNumber, Via};
use crate::render::Prepared;
use crate::sync::RemotePurpose;
use crate::vault::Vault;
use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A QR code as data the UI draws itself (an `<svg>` with one `<path>`): no markup crosses.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QrImage {
    /// The side of the square in modules, quiet zone included (the `viewBox` is `0 0 size size`).
    pub size: u32,
    /// The dark modules as path data: only `M`, `h`, `v`, `z`, digits and spaces.
    pub path: String,
}

/// Modules of white border around a QR code (the standard's quiet zone).
const QUIET_ZONE: u32 = 4;

impl QrImage {
    /// The QR code of a text (a contact card; at level M a card always fits).
    pub fn of(text: &str) -> Result<QrImage> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| Error::Invalid(format!("no QR code for this text: {e}")))?;
        let width = code.width();
        let colors = code.to_colors();
        let mut path = String::new();
        for (y, row) in colors.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                if row[x] == qrcode::Color::Dark {
                    let start = x;
                    while x < width && row[x] == qrcode::Color::Dark {
                        x += 1;
                    }
                    let run = x - start;
                    let q = QUIET_ZONE as usize;
                    path.push_str(&format!("M{} {}h{run}v1h-{run}z", start + q, y + q));
                } else {
                    x += 1;
                }
            }
        }
        Ok(QrImage {
            size: u32::try_from(width).unwrap_or(u32::MAX) + 2 * QUIET_ZONE,
            path,
        })
    }
}

/// This vault's own card, to give to people.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MyCard {
    /// The card text (`coffer-card1:...`).
    pub card: String,
    /// The display name inside it.
    pub name: String,
    /// A short hex fingerprint of this vault's keys, as contacts see it beside your name.
    pub fingerprint: String,
    /// The card as a QR code, for a contact to scan.
    pub qr: QrImage,
}

impl MyCard {
    fn of(card: &ContactCard) -> Result<MyCard> {
        let text = card.encode();
        Ok(MyCard {
            qr: QrImage::of(&text)?,
            name: card.name().to_string(),
            fingerprint: card.fingerprint(),
            card: text,
        })
    }
}

/// A contact with what the verify screen shows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactDetail {
    /// The contact as the contact list shows it.
    pub contact: Contact,
    /// Both sides see the same number: compare it in person or on a call.
    pub safety: SafetyNumber,
    /// The QR code of the contact's card as this vault has it (to compare with theirs).
    pub qr: QrImage,
}

/// One message of a thread with its body rendered (sanitized HTML, like a note's preview).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadMessage {
    /// The message, with its sender, time and attachments.
    pub message: MessageView,
    /// Its body rendered as sanitized HTML (like a note's preview; links to notes do nothing).
    pub html: String,
}

/// A message of a thread and its body, to render without the vault.
pub struct MessageToRender {
    /// The message, with its sender, time and attachments; [`MessageToRender::render`] adds its
    /// body.
    pub message: MessageView,
    body: Prepared,
}

impl MessageToRender {
    /// The message with its body rendered (bounded: crate::render).
    pub fn render(self) -> ThreadMessage {
        ThreadMessage {
            html: self.body.render(),
            message: self.message,
        }
    }
}

/// A message to send, as the app's compose form fills it.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Outgoing {
    /// Contact names (or ids).
    pub to: Vec<String>,
    /// The message text (Markdown).
    pub body: String,
    /// Files to attach, by path (small: together at most 1 MiB).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Continue this conversation (its id); by default the latest with these recipients.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub conversation: Option<Id>,
    /// Deliver through this shared remote; `None`: return an armored block instead.
    #[serde(default)]
    pub remote: Option<String>,
}

/// A message that was sent, and the armored block when it was sent as one.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentMessage {
    /// The message as it now appears in its conversation.
    pub message: MessageView,
    /// The ASCII-armored block to hand to the recipients, when no remote was given; `None` when
    /// the message went into their inboxes on a remote.
    pub armored: Option<String>,
}

/// A remote whose inbox could not be checked.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxFailure {
    /// The name of the remote that failed.
    pub remote: String,
    /// The stable error code (as [`Error::code`] gives it).
    pub code: String,
    /// What went wrong, in words to show the user.
    pub message: String,
}

/// One check of the inboxes on every shared remote.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxCheck {
    /// The remotes checked (none: no remote is set up, only armored messages can arrive).
    pub remotes: Vec<String>,
    /// What came in, all remotes together.
    pub report: ReceiveReport,
    /// Remotes whose inbox could not be checked, and why; the others were checked all the same.
    pub failures: Vec<InboxFailure>,
}

/// What discarding held messages did, all shared remotes together.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiscardReport {
    /// Held messages deleted from the inboxes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub discarded: u64,
    /// Remotes where held messages could not be deleted, and why; the others were done all the
    /// same.
    pub failures: Vec<InboxFailure>,
}

/// Reads files to attach, refusing a missing file, too many or too large ones before sending.
pub fn read_attachments(paths: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
    if paths.len() > MAX_ATTACHMENTS {
        return Err(Error::Invalid(format!(
            "at most {MAX_ATTACHMENTS} attachments per message, not {}",
            paths.len()
        )));
    }
    let mut total = 0u64;
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let path = PathBuf::from(p);
        let io = |source| Error::Io {
            context: format!("reading {}", path.display()),
            source,
        };
        let size = std::fs::metadata(&path).map_err(io)?.len();
        total += size;
        if total > MAX_ATTACHMENT_BYTES as u64 {
            return Err(Error::MessageTooLarge {
                size: total,
                limit: MAX_ATTACHMENT_BYTES as u64,
            });
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, bytes));
    }
    Ok(out)
}

impl Vault {
    /// This vault's card with its QR code.
    pub fn my_card_view(&mut self) -> Result<MyCard> {
        MyCard::of(&self.my_card()?)
    }

    /// Sets the display name and returns the new card.
    pub fn set_display_name_view(&mut self, name: &str) -> Result<MyCard> {
        MyCard::of(&self.set_display_name(name)?)
    }

    /// A contact with the safety number and the QR code of their card.
    pub fn contact_detail(&mut self, query: &str) -> Result<ContactDetail> {
        let contact = self.contact(query)?;
        let safety = self.safety_number(&contact.id.to_string())?;
        Ok(ContactDetail {
            qr: QrImage::of(&contact.card)?,
            contact,
            safety,
        })
    }

    /// A conversation, oldest first, each body rendered; marks it read.
    pub fn open_conversation(&mut self, conversation: &Id) -> Result<Vec<ThreadMessage>> {
        Ok(self
            .conversation_to_render(conversation)?
            .into_iter()
            .map(MessageToRender::render)
            .collect())
    }

    /// A conversation, oldest first, with each body ready to render without the vault (a
    /// contact's message can be slow to render: see crate::render); marks it read.
    pub fn conversation_to_render(&mut self, conversation: &Id) -> Result<Vec<MessageToRender>> {
        let messages = self.thread(conversation)?;
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let body = self.message_body(&m.id)?;
            out.push(MessageToRender {
                message: m,
                body: Prepared::without_links(body),
            });
        }
        self.mark_read(conversation)?;
        Ok(out)
    }

    /// Sends what the compose form holds: through `remote`, or as an armored block.
    pub fn send_outgoing(&mut self, o: &Outgoing) -> Result<SentMessage> {
        let draft = Draft {
            body: o.body.clone(),
            attachments: read_attachments(&o.attachments)?,
            conversation: o.conversation,
        };
        let to: Vec<&str> = o.to.iter().map(String::as_str).collect();
        let sent = match &o.remote {
            Some(name) => self.send_to_remote(name, &to, draft)?,
            None => self.send(&to, draft, Via::Armor)?,
        };
        Ok(SentMessage {
            message: sent.message,
            armored: sent.armored,
        })
    }

    /// Shares a note with contacts, through `remote` or as an armored block.
    pub fn share_note_with(
        &mut self,
        note: &Id,
        to: &[String],
        remote: Option<&str>,
    ) -> Result<SentMessage> {
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        let sent = match remote {
            Some(name) => {
                let r = self.open_remote_for(name, RemotePurpose::Messages)?;
                self.share_note(note, &to, Via::Remote { remote: &r, name })?
            }
            None => self.share_note(note, &to, Via::Armor)?,
        };
        Ok(SentMessage {
            message: sent.message,
            armored: sent.armored,
        })
    }

    /// Checks the inbox on every remote shared for messages; a remote that fails does not stop
    /// the others.
    pub fn check_inboxes(&mut self) -> Result<InboxCheck> {
        let mut out = InboxCheck::default();
        for name in self.remote_names(RemotePurpose::Messages)? {
            out.remotes.push(name.clone());
            match self.receive_from_remote(&name) {
                Ok(rep) => {
                    out.report.received.extend(rep.received);
                    out.report.held.extend(rep.held);
                    out.report.rejected.extend(rep.rejected);
                    out.report.duplicates += rep.duplicates;
                }
                Err(e) => out.failures.push(InboxFailure {
                    remote: name,
                    code: e.code().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    /// Deletes the held messages named by `keys` (from an [`InboxCheck`]'s held list) from this
    /// vault's own inbox on every shared remote, those still held (see
    /// [`Vault::discard_held_from`]); a remote that fails does not stop the others. A key
    /// outside the own inbox is refused before any remote is contacted.
    pub fn discard_held(&mut self, keys: &[String]) -> Result<DiscardReport> {
        let me = self.my_card()?;
        super::inbox::check_all_in_inbox(&me, keys)?;
        let mut out = DiscardReport::default();
        for name in self.remote_names(RemotePurpose::Messages)? {
            match self.discard_held_on(&name, keys) {
                Ok(n) => out.discarded += n,
                Err(e) => out.failures.push(InboxFailure {
                    remote: name,
                    code: e.code().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    /// Writes a message's attachment to a file the user chose.
    pub fn save_message_attachment(&mut self, id: &Id, name: &str, to: &Path) -> Result<()> {
        let bytes = self.message_attachment(id, name)?;
        crate::fsutil::write_atomic(to, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_path_is_inert_data() {
        let q = QrImage::of("coffer-card1:example").expect("fits");
        assert!(q.size >= 21 + 8);
        assert!(!q.path.is_empty());
        assert!(
            q.path
                .chars()
                .all(|c| c.is_ascii_digit() || " Mhvz-".contains(c))
        );
    }

    #[test]
    fn attachments_are_checked_before_sending() {
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.bin");
        std::fs::write(&big, vec![0u8; MAX_ATTACHMENT_BYTES + 1]).expect("write");
        let err = read_attachments(&[big.display().to_string()]).expect_err("too large");
        assert_eq!(err.code(), "message_too_large");
        let missing = dir.path().join("nope.txt").display().to_string();
        assert_eq!(
            read_attachments(&[missing]).expect_err("missing").code(),
            "io"
        );
        let small = dir.path().join("a.txt");
        std::fs::write(&small, b"hi").expect("write");
        let got = read_attachments(&[small.display().to_string()]).expect("reads");
        assert_eq!(got, vec![("a.txt".to_string(), b"hi".to_vec())]);
    }
}
