//! The per-device change log: one signed, hash-chained entry per batch of changes, naming each
//! object the device added (with the SHA-256 of its ciphertext) and each note it purged.
//! Stored as `log/<device>/<seq>.age`, encrypted to the vault key. Sync reads it
//! incrementally; `verify` checks every object against it.

use crate::keys::{DeviceKeys, Keys, LOG_SIGNATURE_CONTEXT, verify_signature};
use crate::note::Millis;
use crate::roster::RosterEvent;
use crate::{Error, Id, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

/// Version of the log entry format this Coffer writes: entries signed by their device's own
/// key (crate::roster says which key that is).
pub const LOG_FORMAT: u32 = 2;
/// The first format: entries signed with the vault's shared signing key (in identity.age),
/// written before devices had keys of their own. Still read.
pub const SHARED_KEY_FORMAT: u32 = 1;

/// A key that can sign log entries: the shared key of identity.age (format 1, and key
/// rotation's new log) or a device's own key (format 2).
pub trait EntrySigner {
    /// Signs `message` under a domain-separation `context`.
    fn sign_bytes(&self, context: &[u8], message: &[u8]) -> [u8; 64];
}

impl EntrySigner for Keys {
    fn sign_bytes(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        self.sign(context, message)
    }
}

impl EntrySigner for DeviceKeys {
    fn sign_bytes(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        self.sign(context, message)
    }
}

/// What kind of object a log entry names (so readers can skip attachments when loading).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    /// One revision of a note.
    Note,
    /// The bytes of an attached file (possibly large; loading notes skips them).
    Attachment,
    /// Messages and contacts (crate::messages).
    Contact,
    /// One stored message, sent or received.
    Message,
    /// A conversation's read marker.
    Conversation,
}

/// An object added by a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object's id; it is stored as `objects/<xx>/<id>.age`.
    pub id: Id,
    /// What the object holds.
    pub kind: ObjectKind,
    /// SHA-256 of the object's ciphertext, hex.
    pub sha256: String,
}

/// A note destroyed on purpose (purged from the trash), with the objects that held it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purge {
    /// The note destroyed.
    pub note: Id,
    /// Every object that held it (its revisions and their attachments), to be deleted.
    pub objects: Vec<Id>,
}

/// The signed content of a log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The entry format: [`SHARED_KEY_FORMAT`] or [`LOG_FORMAT`]; others are refused.
    pub format: u32,
    /// The id of the vault the entry belongs to.
    pub vault: Id,
    /// The device that wrote the entry; must match its `log/<device>/` folder.
    pub device: Id,
    /// The entry's place in its device's log, from 1; must match its file name.
    pub seq: u64,
    /// Hash of the previous entry of this device (`None` for seq 1).
    pub prev: Option<String>,
    /// When the batch was written, by the writer's clock, in milliseconds since the Unix
    /// epoch (UTC).
    pub time: Millis,
    /// The objects the batch added, each with the hash its ciphertext must have.
    pub objects: Vec<ObjectRef>,
    /// The notes the batch purged from the trash (none if absent from the JSON).
    #[serde(default)]
    pub purged: Vec<Purge>,
    /// A change to the roster of devices (format 2 only; absent in most entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<RosterEvent>,
}

/// A log entry whose place (format, vault, device, seq) was checked but whose signature was
/// not yet: the key to check it with depends on the roster, which may be in this very entry.
pub struct Unverified {
    /// The entry as parsed.
    pub entry: LogEntry,
    signed: String,
    sig: Vec<u8>,
}

impl Unverified {
    /// Checks the signature with `key`; returns the entry and its hash.
    pub fn verify(self, key: &VerifyingKey) -> Result<(LogEntry, String)> {
        if !verify_signature(
            key,
            LOG_SIGNATURE_CONTEXT,
            self.signed.as_bytes(),
            &self.sig,
        ) {
            return Err(self.fault("the signature does not verify (forged or altered)"));
        }
        let hash = crate::crypto::sha256_hex(self.signed.as_bytes());
        Ok((self.entry, hash))
    }

    /// The hash this entry has (SHA-256 of its signed text), whether or not it verifies.
    pub fn hash(&self) -> String {
        crate::crypto::sha256_hex(self.signed.as_bytes())
    }

    /// The error that refuses this entry for `reason`.
    pub fn fault(&self, reason: &str) -> Error {
        Error::BadLog {
            device: self.entry.device.to_string(),
            seq: self.entry.seq,
            reason: reason.to_string(),
        }
    }
}

/// The plaintext of a log entry file.
#[derive(Serialize, Deserialize)]
struct SignedEntry {
    /// The entry as JSON text: the exact bytes that were signed.
    signed: String,
    /// Ed25519 signature over `LOG_SIGNATURE_CONTEXT || signed`, base64.
    sig: String,
}

impl LogEntry {
    /// Signs the entry; returns the file plaintext and the entry's hash.
    pub fn seal(&self, key: &dyn EntrySigner) -> (Vec<u8>, String) {
        let signed = serde_json::to_string(self).expect("log entries serialize");
        let sig = key.sign_bytes(LOG_SIGNATURE_CONTEXT, signed.as_bytes());
        let hash = crate::crypto::sha256_hex(signed.as_bytes());
        let file = SignedEntry {
            signed,
            sig: B64.encode(sig),
        };
        (
            serde_json::to_vec(&file).expect("log entries serialize"),
            hash,
        )
    }

    /// Parses an entry's plaintext and checks its place (format, vault, device, sequence
    /// number), leaving the signature to [`Unverified::verify`].
    pub fn read(plaintext: &[u8], vault: &Id, device: &Id, seq: u64) -> Result<Unverified> {
        let bad = |m: &str| Error::BadLog {
            device: device.to_string(),
            seq,
            reason: m.to_string(),
        };
        let file: SignedEntry =
            serde_json::from_slice(plaintext).map_err(|_| bad("not a log entry"))?;
        let sig = B64
            .decode(&file.sig)
            .map_err(|_| bad("bad signature encoding"))?;
        let entry: LogEntry =
            serde_json::from_str(&file.signed).map_err(|_| bad("unreadable entry"))?;
        if entry.format != LOG_FORMAT && entry.format != SHARED_KEY_FORMAT {
            return Err(bad(&format!(
                "log format {} is not supported",
                entry.format
            )));
        }
        if entry.format == SHARED_KEY_FORMAT && entry.roster.is_some() {
            return Err(bad("a format 1 entry cannot change the roster"));
        }
        if &entry.vault != vault {
            return Err(bad("it belongs to another vault"));
        }
        if &entry.device != device || entry.seq != seq {
            return Err(bad(&format!(
                "it is entry {} of device {} under another name (replayed or moved)",
                entry.seq, entry.device
            )));
        }
        Ok(Unverified {
            entry,
            signed: file.signed,
            sig,
        })
    }

    /// Parses, places and verifies an entry signed by `key`.
    pub fn open(
        plaintext: &[u8],
        key: &VerifyingKey,
        vault: &Id,
        device: &Id,
        seq: u64,
    ) -> Result<(LogEntry, String)> {
        LogEntry::read(plaintext, vault, device, seq)?.verify(key)
    }
}

impl LogEntry {
    /// Checks that this entry comes right after the entry with hash `prev` (`None`: first).
    pub fn check_follows(&self, prev: Option<&str>) -> Result<()> {
        if self.prev.as_deref() == prev {
            return Ok(());
        }
        Err(Error::BadLog {
            device: self.device.to_string(),
            seq: self.seq,
            reason: "it does not follow the previous entry (the chain is broken)".into(),
        })
    }
}

/// The file name of entry `seq`: zero-padded so names sort in order.
pub fn entry_file_name(seq: u64) -> String {
    format!("{seq:012}.age")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_signed_and_placed() {
        let keys = Keys::generate();
        let (v, d) = (Id::random(), Id::random());
        let e = LogEntry {
            format: LOG_FORMAT,
            vault: v,
            device: d,
            seq: 3,
            prev: Some("ab".into()),
            time: 5,
            objects: vec![],
            purged: vec![],
            roster: None,
        };
        let (bytes, hash) = e.seal(&keys);
        let (e2, h2) = LogEntry::open(&bytes, &keys.verifying_key(), &v, &d, 3).unwrap();
        assert_eq!((e2, h2), (e.clone(), hash));
        assert!(LogEntry::open(&bytes, &keys.verifying_key(), &v, &d, 4).is_err());
        let other = Keys::generate();
        assert!(LogEntry::open(&bytes, &other.verifying_key(), &v, &d, 3).is_err());
        let tampered = String::from_utf8(bytes)
            .unwrap()
            .replace("\\\"time\\\":5", "\\\"time\\\":6");
        assert!(LogEntry::open(tampered.as_bytes(), &keys.verifying_key(), &v, &d, 3).is_err());
    }
}
