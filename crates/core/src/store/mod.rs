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
pub(crate) use device::{load_or_create_device_keys, read_device_keys, write_device_keys};
pub(crate) use journal::Journal;
pub use layout::Layout;
pub(crate) use layout::{load_or_create_device, read_device};
pub(crate) use lock::WriteLock;

use crate::config::Config;
use crate::generations::Generations;
use crate::keys::{DeviceKeys, JOIN_PROOF_CONTEXT, Keys};
use crate::log::{EntrySigner, LogEntry, ObjectKind, Unverified};
use crate::roster::{Change, KeysNeeded, Roster, RosterEvent, join_statement, signing_text};
use crate::{Error, Id, Result, crypto};
use age::x25519;
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
    /// The generations of the vault key this device holds (crate::generations).
    pub generations: Generations,
    /// What this device must hand out before its next change (crate::roster::KeysNeeded).
    pub keys_needed: Option<KeysNeeded>,
}

/// The keys a synced file may be encrypted to, for a device holding `gens` and `device`.
pub(crate) fn read_identities<'a>(
    gens: &'a Generations,
    device: &'a DeviceKeys,
) -> Vec<&'a x25519::Identity> {
    let mut ids = gens.identities();
    ids.extend(device.identities());
    ids
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
        let plain = self.decrypt_entry(device, seq, ct)?;
        LogEntry::read(&plain, &self.config.vault, device, seq)
    }

    /// Decrypts a log entry file with every key generation held.
    pub fn decrypt_entry(&self, device: &Id, seq: u64, ct: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        crypto::decrypt(&self.read_identities(), ct).map_err(|e| Error::BadLog {
            device: device.to_string(),
            seq,
            reason: format!("cannot decrypt: {e}"),
        })
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

    /// The roster event by which `device`, with `keys`, goes on from the id `from`, whose
    /// keys `old` sign the proof.
    pub fn continue_event_for(
        &self,
        device: &Id,
        from: &Id,
        keys: &DeviceKeys,
        name: &str,
        old: &DeviceKeys,
    ) -> RosterEvent {
        let signing = signing_text(&keys.verifying_key());
        let recipient = keys.recipient().to_string();
        let statement = join_statement(&self.config.vault, device, &signing, &recipient);
        let proof = old.sign(crate::keys::CONTINUE_PROOF_CONTEXT, &statement);
        let passphrase_proof = self.keys.sign(JOIN_PROOF_CONTEXT, &statement);
        RosterEvent {
            after: self.roster.heads(),
            change: Change::Continue {
                device: *device,
                name: name.to_string(),
                signing,
                recipient,
                from: *from,
                proof: base64::engine::general_purpose::STANDARD.encode(proof),
                passphrase_proof: Some(
                    base64::engine::general_purpose::STANDARD.encode(passphrase_proof),
                ),
            },
        }
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

    /// Settles the roster after new events were recorded, and takes the key generations it
    /// hands to this device.
    pub fn settle_roster(&mut self) {
        let key = self.keys.verifying_key();
        self.roster.settle(&self.config.vault, &key);
        let mut gens = std::mem::replace(
            &mut self.generations,
            Generations::first(self.keys.vault_identity()),
        );
        self.learn_generations(&mut gens, &self.roster);
        self.keys_needed = self.roster.keys_needed(gens.write_id(), gens.first_id());
        self.generations = gens;
    }

    /// Opens the sealed generations of `roster`'s `keys` events addressed to this device (each
    /// once) and picks the one to write with: the newest of the last event whose newest
    /// generation is held, or the first. A sealed file that does not open adds nothing (then
    /// [`Roster::keys_needed`] asks for a new generation or a new grant).
    pub fn learn_generations(&self, gens: &mut Generations, roster: &Roster) {
        for k in roster.key_events() {
            if gens.was_tried(&k.hash) {
                continue;
            }
            // Sealed to this device, or to an id it had before (a restored device that went
            // on under a new id).
            let key = if k.to.contains(&self.device) {
                Some(&self.device_keys)
            } else {
                k.to.iter().find_map(|d| self.device_keys.former(d))
            };
            if let Some(key) = key {
                let _ = gens.open_sealed(&k.hash, &k.sealed, key.identity(), &self.config.vault);
            }
        }
        // The generation introduced last (first named as `newest` latest, in the roster's
        // order) among those held: a later grant of an older one (made before its writer
        // saw a newer one) does not take the vault back to it.
        let mut introduced: Vec<&str> = Vec::new();
        for k in roster.key_events() {
            if !introduced.contains(&k.newest.as_str()) {
                introduced.push(&k.newest);
            }
        }
        let newest = match introduced.iter().rev().find(|g| gens.holds(g)) {
            Some(g) => g.to_string(),
            None => gens.first_id().to_string(),
        };
        gens.write_with(&newest);
    }

    /// Every key a synced file may be encrypted to: the generations held, newest first, then
    /// this device's own key (`keys` entries are encrypted to it).
    pub fn read_identities(&self) -> Vec<&x25519::Identity> {
        read_identities(&self.generations, &self.device_keys)
    }

    /// What new synced files (objects, log entries) are encrypted to.
    pub fn write_recipient(&self) -> x25519::Recipient {
        self.generations.write_recipient()
    }

    /// What a new log entry's file is encrypted to: the generation written with; for a `keys`
    /// entry, its newest generation and every device it is sealed to (which may not hold that
    /// generation yet), and for a key rotation's the first generation too: a device about to
    /// join with the passphrase reads that joining is closed (the entry holds nothing secret,
    /// its generations are sealed to the devices).
    pub fn entry_recipients(&self, entry: &LogEntry) -> Vec<x25519::Recipient> {
        let Some(RosterEvent {
            change:
                Change::Keys {
                    newest,
                    to,
                    retired,
                    ..
                },
            ..
        }) = &entry.roster
        else {
            return vec![self.write_recipient()];
        };
        let mut out = vec![
            self.generations
                .recipient_of(newest)
                .unwrap_or_else(|| self.write_recipient()),
        ];
        for d in to {
            if let Some(r) = self
                .roster
                .member(d)
                .and_then(|m| m.recipient.parse::<x25519::Recipient>().ok())
            {
                out.push(r);
            }
        }
        if retired.is_some() {
            out.push(self.keys.vault_recipient());
        }
        out
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
        crypto::decrypt(&self.read_identities(), ct)
            .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))
    }

    /// Encrypts `plain` to the vault key's newest generation as a new object `id` of `kind`.
    pub fn seal(&self, id: Id, kind: ObjectKind, plain: &[u8]) -> Result<NewObject> {
        let ct = crypto::encrypt(&[&self.write_recipient()], plain)?;
        Ok(NewObject {
            id,
            kind,
            sha256: crypto::sha256_hex(&ct),
            sealed: Sealed::Bytes(ct),
        })
    }
}
