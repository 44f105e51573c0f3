//! The store: a vault folder opened with its keys. It knows the folder's layout, the write
//! lock, batches of new objects and how they are placed, the save journal, and how one log entry
//! or object is sealed, opened and checked. It knows nothing of notes or their state (that is
//! crate::state, above it) and never sees a `Vault` (docs/ARCHITECTURE.md draws the layers).

mod batch;
mod commit;
pub mod journal;
mod layout;
mod lock;

pub(crate) use batch::{Batch, NewObject, Sealed, place_objects};
pub(crate) use journal::Journal;
pub use layout::Layout;
pub(crate) use layout::load_or_create_device;
pub(crate) use lock::WriteLock;

use crate::config::Config;
use crate::keys::Keys;
use crate::log::{LogEntry, ObjectKind};
use crate::{Error, Id, Result, crypto};
use std::io::ErrorKind;
use zeroize::Zeroizing;

/// A vault folder with its keys, as this device writes it.
pub(crate) struct Store {
    pub layout: Layout,
    pub config: Config,
    pub keys: Keys,
    /// This device's id (`local/device`).
    pub device: Id,
}

impl Store {
    /// Decrypts and checks one log entry of `device` (signature, place, and the chain after
    /// the entry whose hash is `prev`).
    pub fn open_entry(
        &self,
        device: &Id,
        seq: u64,
        ct: &[u8],
        prev: Option<&str>,
    ) -> Result<(LogEntry, String)> {
        let plain =
            crypto::decrypt(&[self.keys.vault_identity()], ct).map_err(|e| Error::BadLog {
                device: device.to_string(),
                seq,
                reason: format!("cannot decrypt: {e}"),
            })?;
        let (entry, hash) = LogEntry::open(
            &plain,
            &self.keys.verifying_key(),
            &self.config.vault,
            device,
            seq,
        )?;
        entry.check_follows(prev)?;
        Ok((entry, hash))
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
        let plain = match signed {
            Some(signed) => signed.to_vec(),
            None => {
                let ct = self.read_entry_file(device, seq).ok().flatten()?;
                crypto::decrypt(&[self.keys.vault_identity()], &ct)
                    .ok()?
                    .to_vec()
            }
        };
        LogEntry::open(
            &plain,
            &self.keys.verifying_key(),
            &self.config.vault,
            device,
            seq,
        )
        .ok()
        .map(|(e, _)| e)
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
