//! The store: a vault folder opened with its keys. It knows the folder's layout, the write
//! lock, batches of new objects and how they are placed, the save journal, and how one log entry
//! or object is sealed, opened and checked. It knows nothing of notes or their state (that is
//! crate::state, above it) and never sees a `Vault` (docs/ARCHITECTURE.md draws the layers).

mod batch;
mod commit;
mod device;
pub mod journal;
mod layout;
mod lock;

pub(crate) use batch::{Batch, NewObject, Sealed, place_objects};
pub(crate) use device::{load_or_create_device_keys, write_device_keys};
pub(crate) use journal::Journal;
pub use layout::Layout;
pub(crate) use layout::load_or_create_device;
pub(crate) use lock::WriteLock;

use crate::config::Config;
use crate::keys::{DeviceKeys, JOIN_PROOF_CONTEXT, Keys};
use crate::log::{EntrySigner, LogEntry, ObjectKind, Unverified};
use crate::roster::{Change, Roster, RosterEvent, join_statement, signing_text};
use crate::{Error, Id, Result, crypto};
use base64::Engine;
use std::io::ErrorKind;
use zeroize::Zeroizing;

/// A vault folder with its keys, as this device writes it.
pub(crate) struct Store {
    pub layout: Layout,
    pub config: Config,
    pub keys: Keys,
    /// This device's id (`local/device`).
    pub device: Id,
    /// This device's own keys (`local/device.age`).
    pub device_keys: DeviceKeys,
    /// Which devices belong and under which keys, as far as the log has been read.
    pub roster: Roster,
}

impl Store {
    /// Decrypts and checks one log entry of `device`: its place, its signature by the key the
    /// roster names, the chain after the entry whose hash is `prev`, and that the roster
    /// admits it.
    pub fn open_entry(
        &self,
        device: &Id,
        seq: u64,
        ct: &[u8],
        prev: Option<&str>,
    ) -> Result<(LogEntry, String)> {
        let (entry, hash) = self.verify_entry(self.read_unverified(device, seq, ct)?)?;
        entry.check_follows(prev)?;
        self.roster
            .admits(device, seq, entry.format)
            .map_err(|why| Error::BadLog {
                device: device.to_string(),
                seq,
                reason: why,
            })?;
        Ok((entry, hash))
    }

    /// Decrypts a log entry file and checks its place, not yet its signature.
    pub fn read_unverified(&self, device: &Id, seq: u64, ct: &[u8]) -> Result<Unverified> {
        let plain =
            crypto::decrypt(&[self.keys.vault_identity()], ct).map_err(|e| Error::BadLog {
                device: device.to_string(),
                seq,
                reason: format!("cannot decrypt: {e}"),
            })?;
        LogEntry::read(&plain, &self.config.vault, device, seq)
    }

    /// Checks an entry's signature with the key the roster names for it.
    pub fn verify_entry(&self, u: Unverified) -> Result<(LogEntry, String)> {
        let key = self
            .roster
            .signer(&u.entry, &self.keys.verifying_key())
            .map_err(|why| u.fault(&why))?;
        u.verify(&key)
    }

    /// Signs a new entry of this device with its own key; returns the file plaintext and hash.
    pub fn sign_entry(&self, entry: &LogEntry) -> (Vec<u8>, String) {
        entry.seal(&self.device_keys as &dyn EntrySigner)
    }

    /// The roster event by which this device adds itself, as one that knows the passphrase.
    pub fn join_event(&self, name: &str) -> RosterEvent {
        self.join_event_for(&self.device, &self.device_keys, name)
    }

    /// The roster event by which `device`, with `keys`, adds itself with the passphrase.
    pub fn join_event_for(&self, device: &Id, keys: &DeviceKeys, name: &str) -> RosterEvent {
        let signing = signing_text(&keys.verifying_key());
        let recipient = keys.recipient().to_string();
        let statement = join_statement(&self.config.vault, device, &signing, &recipient);
        let proof = self.keys.sign(JOIN_PROOF_CONTEXT, &statement);
        RosterEvent {
            after: self.roster.heads(),
            change: Change::Add {
                device: *device,
                name: name.to_string(),
                signing,
                recipient,
                proof: Some(base64::engine::general_purpose::STANDARD.encode(proof)),
            },
        }
    }

    /// Settles the roster after new events were recorded.
    pub fn settle_roster(&mut self) {
        let key = self.keys.verifying_key();
        self.roster.settle(&self.config.vault, &key);
    }

    /// The file of a device's log entry `seq` (encrypted), or `None` if there is none.
    pub fn read_entry_file(&self, device: &Id, seq: u64) -> Result<Option<Vec<u8>>> {
        let path = self.layout.log_entry(device, seq);
        match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
            Ok(ct) => Ok(Some(ct)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
        }
    }

    /// Reads a device's log entry `seq` and opens it, without checking the chain: `signed` is
    /// its plaintext where the caller has it already (this device's entries in the journal).
    pub fn read_entry(&self, device: &Id, seq: u64, signed: Option<&[u8]>) -> Option<LogEntry> {
        let u = match signed {
            Some(signed) => LogEntry::read(signed, &self.config.vault, device, seq).ok()?,
            None => {
                let ct = self.read_entry_file(device, seq).ok().flatten()?;
                self.read_unverified(device, seq, &ct).ok()?
            }
        };
        self.verify_entry(u).ok().map(|(e, _)| e)
    }

    /// Decrypts one object whole with the vault key, after checking its ciphertext against the
    /// hash the log names (when known). `held`: its ciphertext where the caller has it already
    /// (a journal record not yet written out); otherwise its file is read.
    pub fn decrypt_object(
        &self,
        id: &Id,
        sha256: Option<&str>,
        held: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let read;
        let ct = match held {
            Some(ct) => ct,
            None => {
                let path = self.layout.object(id);
                read = crate::limits::read_file(&path, crate::limits::OBJECT).map_err(|e| {
                    if e.kind() == ErrorKind::NotFound {
                        Error::corrupt(id, "the file is missing")
                    } else {
                        Error::io(format!("reading {}", path.display()))(e)
                    }
                })?;
                &read[..]
            }
        };
        if let Some(h) = sha256
            && crypto::sha256_hex(ct) != h
        {
            return Err(Error::corrupt(
                id,
                "its ciphertext differs from the one the log names (swapped or altered)",
            ));
        }
        crypto::decrypt(&[self.keys.vault_identity()], ct)
            .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))
    }

    /// Encrypts `plain` to the vault key as a new object `id` of `kind`.
    pub fn seal(&self, id: Id, kind: ObjectKind, plain: &[u8]) -> Result<NewObject> {
        let ct = crypto::encrypt(&[&self.keys.vault_recipient()], plain)?;
        Ok(NewObject {
            id,
            kind,
            sha256: crypto::sha256_hex(&ct),
            sealed: Sealed::Bytes(ct),
        })
    }
}
