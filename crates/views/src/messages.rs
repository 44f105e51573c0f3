//! Contacts and messages as the app shows them: the owner's card with its QR code, a contact
//! with the safety number, and sending what the compose form holds.

use coffer_core::messages::envelope::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use coffer_core::messages::{Contact, ContactCard, Draft, MessageView, SafetyNumber, Via};
use coffer_core::sync::RemotePurpose;
use coffer_core::{Error, Id, Result, Vault};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use ts_rs::TS;

/// A QR code as data the UI draws itself (an `<svg>` with one `<path>`): no markup crosses.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, TS)]
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
#[derive(Clone, Debug, Serialize, PartialEq, Eq, TS)]
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
    /// The card of `card`, with its QR code.
    pub fn of(card: &ContactCard) -> Result<MyCard> {
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
#[derive(Clone, Debug, Serialize, PartialEq, Eq, TS)]
pub struct ContactDetail {
    /// The contact as the contact list shows it.
    pub contact: Contact,
    /// Both sides see the same number: compare it in person or on a call.
    pub safety: SafetyNumber,
    /// The QR code of the contact's card as this vault has it (to compare with theirs).
    pub qr: QrImage,
}

/// A message to send, as the app's compose form fills it.
#[derive(Clone, Debug, Default, Deserialize, TS)]
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
    #[ts(type = "string | null")]
    pub conversation: Option<Id>,
    /// Deliver through this shared remote; `None`: return an armored block instead.
    #[serde(default)]
    pub remote: Option<String>,
}

/// A message that was sent, and the armored block when it was sent as one.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, TS)]
pub struct SentMessage {
    /// The message as it now appears in its conversation.
    pub message: MessageView,
    /// The ASCII-armored block to hand to the recipients, when no remote was given; `None` when
    /// the message went into their inboxes on a remote.
    pub armored: Option<String>,
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

/// What the app asks of a vault about contacts and messages, in its shapes.
pub trait MessageViews {
    /// This vault's card with its QR code.
    fn my_card_view(&mut self) -> Result<MyCard>;

    /// Sets the display name and returns the new card.
    fn set_display_name_view(&mut self, name: &str) -> Result<MyCard>;

    /// A contact with the safety number and the QR code of their card.
    fn contact_detail(&mut self, query: &str) -> Result<ContactDetail>;

    /// Sends what the compose form holds: through `remote`, or as an armored block.
    fn send_outgoing(&mut self, o: &Outgoing) -> Result<SentMessage>;

    /// Shares a note with contacts, through `remote` or as an armored block.
    fn share_note_with(
        &mut self,
        note: &Id,
        to: &[String],
        remote: Option<&str>,
    ) -> Result<SentMessage>;
}

impl MessageViews for Vault {
    /// This vault's card with its QR code.
    fn my_card_view(&mut self) -> Result<MyCard> {
        MyCard::of(&self.my_card()?)
    }

    /// Sets the display name and returns the new card.
    fn set_display_name_view(&mut self, name: &str) -> Result<MyCard> {
        MyCard::of(&self.set_display_name(name)?)
    }

    /// A contact with the safety number and the QR code of their card.
    fn contact_detail(&mut self, query: &str) -> Result<ContactDetail> {
        let contact = self.contact(query)?;
        let safety = self.safety_number(&contact.id.to_string())?;
        Ok(ContactDetail {
            qr: QrImage::of(&contact.card)?,
            contact,
            safety,
        })
    }

    /// Sends what the compose form holds: through `remote`, or as an armored block.
    fn send_outgoing(&mut self, o: &Outgoing) -> Result<SentMessage> {
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
    fn share_note_with(
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
