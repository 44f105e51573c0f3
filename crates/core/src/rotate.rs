//! `rotate-keys`: a new generation of the vault key for every device of the roster, which
//! retires the passphrase's keys (docs/FORMAT.md, "Key generations"); and `rotate-keys
//! --anew`: new keys, and every object re-encrypted to them, as a new vault.
//!
//! The second is crash-safe in place: the new keys are first saved (passphrase-encrypted) in
//! `local/rotation.age`; objects are then re-encrypted one by one (each write atomic, and a
//! rerun skips objects already done); a fresh log signed by the new key is written under a new
//! device id; identity.age is replaced (the commit point); the old logs are removed last.
//! An interrupted rotation is finished at the next unlock.

use crate::keys::Keys;
use crate::log::{LogEntry, ObjectKind, ObjectRef, SHARED_KEY_FORMAT};
use crate::note::now_millis;
use crate::roster::Change;
use crate::store::Batch;
use crate::vault::Vault;
use crate::{Error, Id, Progress, ProgressFn, Result, crypto, fsutil};
use age::secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};

const ROTATION_DEVICE: &str = "# rotation-device: ";

/// What a key rotation did.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rotation {
    /// The id of the new generation of the vault key.
    pub generation: String,
    /// The devices it was sealed to (this one included), by name.
    pub devices: Vec<String>,
}

impl Vault {
    fn rotation_path(&self) -> std::path::PathBuf {
        self.store.layout.local().join("rotation.age")
    }

    /// Makes a new generation of the vault key, sealed to every device of the roster not
    /// removed, in a signed roster event that also retires the passphrase's keys: joining with
    /// the passphrase closes, and entries signed with the shared key are refused from then on.
    /// Everything this device writes from now on is encrypted to the new generation, and so is
    /// what the others write once they have synced (no new remote, no setting up again).
    /// Files written before stay encrypted to the generations they were written to. Asks for
    /// the passphrase (`wrong_passphrase`), as any change of keys does.
    pub fn rotate_keys(&mut self, passphrase: &SecretString) -> Result<Rotation> {
        self.check_passphrase(passphrase)?;
        if self.store.roster.member(&self.store.device).is_none() {
            self.join_roster(&crate::roster::default_device_name())?;
        }
        let rotation = self.transact(|v| {
            let legacy = v.store.roster.legacy_heads(&v.state.meta().heads);
            let event = v.keys_event(true, Some(legacy))?;
            let Change::Keys { newest, to, .. } = &event.change else {
                unreachable!("keys_event makes a keys event")
            };
            let rotation = Rotation {
                generation: newest.clone(),
                devices: to.iter().map(|d| v.store.roster.label(d)).collect(),
            };
            Ok((
                rotation,
                Batch {
                    roster: Some(event),
                    ..Default::default()
                },
            ))
        })?;
        let (seq, hash) = self.own_head();
        match hash.as_deref().and_then(|h| self.store.roster.refusal(h)) {
            Some(why) => Err(Error::Invalid(format!(
                "the roster refused the key rotation (entry {seq}): {why}"
            ))),
            None => Ok(rotation),
        }
    }

    /// Makes new keys and re-encrypts everything to them, as a new vault with a new log and
    /// an empty roster. Other devices must be set up again from this vault afterwards (they
    /// hold the old keys), through a new remote.
    pub fn rotate_keys_anew(
        &mut self,
        passphrase: &SecretString,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let new_keys = Keys::generate();
        let device = Id::random();
        let mut text = new_keys
            .to_identity_file(&self.store.config.vault)
            .expose_secret()
            .to_string();
        text.push_str(&format!("{ROTATION_DEVICE}{device}\n"));
        let ct = crypto::encrypt_with_passphrase(
            passphrase,
            crypto::scrypt_work_factor(
                &crate::limits::read_file(self.store.layout.identity(), crate::limits::IDENTITY)
                    .map_err(Error::io("reading identity.age"))?,
            )
            .unwrap_or(crypto::DEFAULT_WORK_FACTOR),
            text.as_bytes(),
        )?;
        zeroize::Zeroize::zeroize(&mut text);
        fsutil::write_atomic(&self.rotation_path(), &ct)?;
        self.finish_rotation(passphrase, new_keys, device, progress)
    }

    /// Finishes a rotation left half-done by a crash, if there is one. Called on unlock.
    pub(crate) fn resume_rotation(&mut self, passphrase: &SecretString) -> Result<()> {
        let ct = match crate::limits::read_file(self.rotation_path(), crate::limits::LOCAL_FILE) {
            Ok(ct) => ct,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("reading local/rotation.age")(e)),
        };
        let plain = crypto::decrypt_with_passphrase(passphrase, &ct)?;
        let text =
            std::str::from_utf8(&plain).map_err(|_| Error::BadIdentity("rotation file".into()))?;
        let device = text
            .lines()
            .find_map(|l| l.strip_prefix(ROTATION_DEVICE))
            .ok_or_else(|| Error::BadIdentity("rotation file without device".into()))?
            .parse()?;
        let new_keys = Keys::from_identity_file(text, &self.store.config.vault)?;
        self.finish_rotation(passphrase, new_keys, device, &mut |_| {})
    }

    fn finish_rotation(
        &mut self,
        passphrase: &SecretString,
        new_keys: Keys,
        device: Id,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let lock = self.lock_file()?;
        let committed =
            new_keys.vault_recipient().to_string() == self.store.keys.vault_recipient().to_string();
        if !committed {
            // Re-encrypts files: the journal's records (encrypted to the old keys) first become
            // files, and the journal starts empty.
            self.checkpoint_locked(&lock)?;
            let refs = self.reencrypt_all(&new_keys, progress)?;
            // Signed with the new shared key, in the first format: the new log starts a new
            // roster, which this device joins with its next entry (under new device keys).
            let entry = LogEntry {
                format: SHARED_KEY_FORMAT,
                vault: self.store.config.vault,
                device,
                seq: 1,
                prev: None,
                time: now_millis(),
                objects: refs,
                purged: vec![],
                roster: None,
            };
            let (plain, _) = entry.seal(&new_keys);
            let ct = crypto::encrypt(&[&new_keys.vault_recipient()], &plain)?;
            let _ = fs::remove_dir_all(self.store.layout.log_dir(&device));
            fsutil::write_atomic(&self.store.layout.log_entry(&device, 1), &ct)?;
            // Sync's local files (remotes, marks) follow the keys.
            crate::sync::rekey_local_files(self, &new_keys)?;
            // The commit point: identity.age now holds the new keys.
            self.write_identity(passphrase, &new_keys)?;
        }
        // Clean up: only the new log remains.
        for e in fs::read_dir(self.store.layout.logs())
            .map_err(Error::io("listing the log"))?
            .flatten()
        {
            if e.file_name().to_string_lossy() != device.to_string() {
                fs::remove_dir_all(e.path()).map_err(Error::io("removing an old log"))?;
            }
        }
        fsutil::write_atomic(
            &self.store.layout.device(),
            format!("{device}\n").as_bytes(),
        )?;
        // The state cache is encrypted to the old keys: both of its files go, and so do the
        // device keys of the old id (new ones are made for the new id).
        let _ = fs::remove_file(self.store.layout.snapshot());
        let _ = fs::remove_file(self.store.layout.local().join("bodies.age"));
        let device_keys = crate::keys::DeviceKeys::generate();
        crate::store::write_device_keys(
            &self.store.layout,
            &self.store.config,
            &new_keys,
            &device,
            &device_keys,
        )?;
        fs::remove_file(self.rotation_path()).map_err(Error::io("removing local/rotation.age"))?;
        drop(lock);
        // Every object is now encrypted to the new keys alone: their vault key is the first
        // generation of a new line.
        self.store.generations = crate::generations::Generations::first(new_keys.vault_identity());
        self.store.keys_needed = None;
        self.store.keys = new_keys;
        self.store.device = device;
        self.store.device_keys = device_keys;
        self.store.roster = Default::default();
        self.state = Default::default();
        self.refresh()?;
        self.save_snapshot()
    }

    /// Re-encrypts every live object (notes in the state, their attachments, contacts and
    /// messages) to the new keys; returns them as the new log's first entry names them.
    fn reencrypt_all(
        &mut self,
        new_keys: &Keys,
        progress: ProgressFn<'_>,
    ) -> Result<Vec<ObjectRef>> {
        // Every live object: notes in the state, their attachments.
        let mut objects: Vec<(Id, ObjectKind)> = Vec::new();
        for n in self.state.notes.values() {
            for (rid, m) in &n.revisions {
                objects.push((*rid, ObjectKind::Note));
                objects.extend(m.attachments.iter().map(|a| (*a, ObjectKind::Attachment)));
            }
        }
        objects.extend(crate::messages::live_objects(self)?);
        objects.sort_by_key(|o| o.0);
        objects.dedup_by_key(|o| o.0);
        let total = objects.len() as u64;
        let mut refs = Vec::with_capacity(objects.len());
        for (i, (id, kind)) in objects.iter().enumerate() {
            let sha = self.reencrypt(id, new_keys)?;
            refs.push(ObjectRef {
                id: *id,
                kind: *kind,
                sha256: sha,
            });
            progress(&Progress {
                stage: "re-encrypting".into(),
                done: i as u64 + 1,
                total,
            });
        }
        Ok(refs)
    }

    /// Writes identity.age with `new_keys`, under the passphrase and work factor it has now.
    fn write_identity(&self, passphrase: &SecretString, new_keys: &Keys) -> Result<()> {
        let identity = new_keys.to_identity_file(&self.store.config.vault);
        let old = crate::limits::read_file(self.store.layout.identity(), crate::limits::IDENTITY)
            .map_err(Error::io("reading identity.age"))?;
        let wf = crypto::scrypt_work_factor(&old).unwrap_or(crypto::DEFAULT_WORK_FACTOR);
        let ct =
            crypto::encrypt_with_passphrase(passphrase, wf, identity.expose_secret().as_bytes())?;
        fsutil::write_atomic(&self.store.layout.identity(), &ct)?;
        Ok(())
    }

    /// Re-encrypts one object in place to the new keys (skipping it if already done); returns
    /// the new ciphertext's hash.
    fn reencrypt(&self, id: &Id, new_keys: &Keys) -> Result<String> {
        let path = self.store.layout.object(id);
        let mut ids: Vec<&dyn age::Identity> = vec![new_keys.vault_identity()];
        ids.extend(
            self.store
                .read_identities()
                .into_iter()
                .map(|i| i as &dyn age::Identity),
        );
        let open = || -> Result<age::stream::StreamReader<BufReader<File>>> {
            let f = File::open(&path).map_err(Error::io(format!("reading {}", path.display())))?;
            let dec = age::Decryptor::new_buffered(BufReader::new(f))
                .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))?;
            dec.decrypt(ids.iter().copied())
                .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))
        };
        // Already done by an earlier, interrupted run?
        let ct = fs::read(&path).map_err(Error::io(format!("reading {}", path.display())))?;
        if crypto::decrypt(&[new_keys.vault_identity()], &ct[..ct.len().min(4096)]).is_ok()
            || age::Decryptor::new_buffered(&ct[..])
                .and_then(|d| {
                    d.decrypt(std::iter::once(
                        new_keys.vault_identity() as &dyn age::Identity
                    ))
                })
                .is_ok()
        {
            return Ok(crypto::sha256_hex(&ct));
        }
        drop(ct);
        let mut reader = open()?;
        let dir = path.parent().expect("objects have a folder");
        let tmp = fsutil::temp_path(dir);
        let result = (|| {
            let out = fsutil::new_private_file()
                .open(&tmp)
                .map_err(Error::io("creating a temp file"))?;
            let mut out = BufWriter::new(out);
            let mut w = crypto::encrypt_stream(&[&new_keys.vault_recipient()], &mut out)?;
            std::io::copy(&mut reader, &mut w)
                .map_err(|e| Error::corrupt(id, format!("damaged or truncated: {e}")))?;
            w.finish().map_err(Error::io("writing"))?;
            out.flush().map_err(Error::io("writing"))?;
            drop(out);
            fsutil::commit_temp(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result?;
        let ct = fs::read(&path).map_err(Error::io(format!("reading {}", path.display())))?;
        Ok(crypto::sha256_hex(&ct))
    }
}
