//! A vault on disk: creating, unlocking, loading its state, and committing changes durably.
//!
//! Layout (docs/FORMAT.md is the full specification):
//! ```text
//! coffer.toml              plaintext: format version, vault id
//! identity.age             the keys, encrypted with the passphrase (age scrypt)
//! objects/xx/<id>.age      immutable objects: note revisions, attachments
//! log/<device>/<seq>.age   per-device signed, hash-chained change log
//! local/                   this device only: device id, lock, save journal, snapshot cache
//! ```
//! Every change is a batch: its objects are written first, then one log entry naming them.
//! The log entry is the commit point. A note save appends the same bytes to the journal
//! instead, one durable write, and a checkpoint writes them out soon after (crate::journal). Writers hold an exclusive lock on `local/lock`, and
//! re-read the logs under it, so the app and the CLI can write the same vault at once.

use crate::config::{Config, VAULT_FORMAT};
use crate::crypto;
use crate::fsutil::{self, write_atomic};
use crate::keys::Keys;
use crate::log::{LogEntry, ObjectKind, ObjectRef};
use crate::note::{Revision, now_millis};
use crate::state::StateCell;
pub use crate::store::Layout;
pub(crate) use crate::store::{Batch, NewObject, Sealed};
use crate::store::{WriteLock, load_or_create_device, place_objects};
use crate::{Error, Id, Result};
use age::secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// After this many log entries replayed past the snapshot, the snapshot is rewritten.
const SNAPSHOT_STALE_AFTER: usize = 32;

/// Options for creating a vault.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// scrypt work factor (log2 N) for identity.age.
    pub work_factor: u8,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            work_factor: crypto::DEFAULT_WORK_FACTOR,
        }
    }
}

/// A vault folder that has been found but not unlocked.
#[derive(Debug)]
pub struct LockedVault {
    layout: Layout,
    config: Config,
}

impl LockedVault {
    /// Opens the vault folder at `dir` (reads coffer.toml only).
    pub fn open(dir: &Path) -> Result<LockedVault> {
        let layout = Layout {
            root: dir.to_path_buf(),
        };
        let text =
            match crate::limits::read_file(layout.config(), crate::limits::CONFIG).and_then(|b| {
                String::from_utf8(b).map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))
            }) {
                Ok(t) => t,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    return Err(Error::NoVault(dir.to_path_buf()));
                }
                Err(e) if e.kind() == ErrorKind::InvalidData => {
                    return Err(Error::ForeignFolder {
                        path: dir.to_path_buf(),
                        reason: "coffer.toml is not a text file".into(),
                    });
                }
                Err(e) => {
                    return Err(Error::io(format!("reading {}", layout.config().display()))(
                        e,
                    ));
                }
            };
        let config = Config::parse(&text, dir)?;
        Ok(LockedVault { layout, config })
    }

    pub fn vault_id(&self) -> Id {
        self.config.vault
    }

    /// Unlocks with the passphrase and loads the notes.
    pub fn unlock(self, passphrase: &SecretString) -> Result<Vault> {
        let ct =
            crate::limits::read_file(self.layout.identity(), crate::limits::IDENTITY).map_err(
                Error::io(format!("reading {}", self.layout.identity().display())),
            )?;
        let plain = crypto::decrypt_with_passphrase(passphrase, &ct)?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| Error::BadIdentity("identity.age does not hold text".into()))?;
        let keys = Keys::from_identity_file(text, &self.config.vault)?;
        let mut vault = Vault::load(self.layout, self.config, keys, true)?;
        vault.resume_rotation(passphrase)?;
        Ok(vault)
    }
}

/// An unlocked vault: keys in memory and the decrypted state of every note.
pub struct Vault {
    pub(crate) layout: Layout,
    pub(crate) config: Config,
    pub(crate) keys: Keys,
    pub(crate) device: Id,
    pub(crate) state: StateCell,
    /// Log entries applied since the snapshot was written.
    pub(crate) unsnapshotted: usize,
    /// Problems found while loading (damaged objects or logs); the rest stays usable.
    pub(crate) load_problems: Vec<String>,
    /// This device's log ends before an entry its snapshot had counted (the folder was
    /// restored from an older copy): nothing is committed, so nothing lands after a gap.
    pub(crate) rolled_back: Option<u64>,
    /// Contacts and messages (crate::messages), loaded on first use.
    pub(crate) messages: Option<Box<crate::messages::MessageState>>,
    /// What this handle knows of the save journal (crate::journal).
    pub(crate) journal: crate::journal::JournalView,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("root", &self.layout.root)
            .field("vault", &self.config.vault)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new vault in `dir` (which must be absent or empty).
    pub fn init(dir: &Path, passphrase: &SecretString, opts: &InitOptions) -> Result<Vault> {
        if passphrase.expose_secret().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        if !(1..=crypto::MAX_WORK_FACTOR).contains(&opts.work_factor) {
            return Err(Error::Invalid(format!(
                "work factor must be between 1 and {}",
                crypto::MAX_WORK_FACTOR
            )));
        }
        let layout = Layout {
            root: dir.to_path_buf(),
        };
        if layout.config().exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        if let Ok(mut entries) = fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(Error::FolderNotEmpty(dir.to_path_buf()));
        }
        crate::fsutil::create_dirs(dir)
            .map_err(Error::io(format!("creating {}", dir.display())))?;
        let config = Config {
            format: VAULT_FORMAT,
            vault: Id::random(),
        };
        let keys = Keys::generate();
        let identity = keys.to_identity_file(&config.vault);
        let ct = crypto::encrypt_with_passphrase(
            passphrase,
            opts.work_factor,
            identity.expose_secret().as_bytes(),
        )?;
        for d in [layout.objects(), layout.logs(), layout.local()] {
            crate::fsutil::create_dirs(&d)
                .map_err(Error::io(format!("creating {}", d.display())))?;
        }
        write_atomic(&layout.identity(), &ct)?;
        // coffer.toml last: a folder without it is not (yet) a vault.
        write_atomic(&layout.config(), config.to_toml().as_bytes())?;
        let mut vault = Vault::load(layout, config, keys, true)?;
        // The save journal's space, made now rather than in the first save.
        vault.new_journal()?;
        Ok(vault)
    }

    /// Loads the state (from the snapshot and the log). `search`: build the search index in
    /// the background right away (a handle that never searches, like the app's sync worker,
    /// saves that memory and work; its first search, if any, builds the index then).
    pub(crate) fn load(layout: Layout, config: Config, keys: Keys, search: bool) -> Result<Vault> {
        let device = load_or_create_device(&layout)?;
        let mut vault = Vault {
            layout,
            config,
            keys,
            device,
            state: StateCell::default(),
            unsnapshotted: 0,
            load_problems: Vec::new(),
            rolled_back: None,
            messages: None,
            journal: Default::default(),
        };
        match crate::snapshot::read(&vault, search) {
            Ok(Some(state)) => vault.state = state,
            Ok(None) => {}
            Err(e) => vault.load_problems.push(format!("snapshot ignored: {e}")),
        }
        vault.check_not_rolled_back();
        vault.replay_logs(true)?;
        if vault.journal.has_records() {
            // Left by a crash, or by a process still running: written out now, so the files
            // are whole for `age -d`, sync and verify. If that fails, the records stay in the
            // journal (already applied above) and the next checkpoint tries again.
            let _ = vault.checkpoint();
        }
        if vault.unsnapshotted >= SNAPSHOT_STALE_AFTER {
            // Only a cache: a vault on a full disk still opens.
            let _ = vault.save_snapshot();
        }
        Ok(vault)
    }

    /// The vault folder.
    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    pub fn vault_id(&self) -> Id {
        self.config.vault
    }

    /// This device's id.
    pub fn device_id(&self) -> Id {
        self.device
    }

    /// The keys (for the messaging and sync layers).
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Problems met while loading: damaged objects or log entries that were skipped.
    pub fn load_problems(&self) -> &[String] {
        &self.load_problems
    }

    /// Reads log entries written since this state was loaded (by another process on this
    /// machine, or brought in by sync) and applies them.
    pub fn refresh(&mut self) -> Result<()> {
        self.replay_logs(false)
    }

    /// Applies new log entries, then new records of the save journal. With `check_gaps` (at
    /// unlock), a missing entry followed by later ones is reported; that costs a listing of the
    /// device's log folder, so the frequent refreshes between commands skip it (`verify`
    /// always checks).
    fn replay_logs(&mut self, check_gaps: bool) -> Result<()> {
        let problems = self.state.take_problems();
        self.load_problems.extend(problems);
        let devices = match fs::read_dir(self.layout.logs()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<Id>().ok()))
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("listing the log")(e)),
        };
        // Objects that could not be read, reported at the end unless a later entry purged them
        // (a purge deletes the objects that earlier entries name).
        let mut unreadable: Vec<(Id, String)> = Vec::new();
        for device in devices {
            loop {
                // The metadata answers without waiting for note bodies loading in the
                // background: most refreshes find no new entry and need none.
                let (seq, prev) = self
                    .state
                    .meta()
                    .heads
                    .get(&device)
                    .map(|(s, h)| (*s, Some(h.clone())))
                    .unwrap_or((0, None));
                let path = self.layout.log_entry(&device, seq + 1);
                let ct = match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                    Ok(ct) => ct,
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        if check_gaps {
                            self.report_gap(&device, seq + 1);
                        }
                        break;
                    }
                    Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
                };
                match self.open_entry(&device, seq + 1, &ct, prev.as_deref()) {
                    Ok((entry, hash)) => {
                        self.apply_entry(&entry, &mut unreadable);
                        self.state.heads.insert(device, (seq + 1, hash));
                        self.unsnapshotted += 1;
                    }
                    Err(e) => {
                        self.load_problems.push(e.to_string());
                        break;
                    }
                }
            }
        }
        for (id, problem) in unreadable {
            if !self.state.meta().purged_objects.contains(&id) {
                self.load_problems.push(problem);
            }
        }
        self.replay_journal()
    }

    /// Every device's last entry the snapshot counts must still be in the log: one that is
    /// gone means the vault folder was rolled back (restored from an older copy, or entries
    /// deleted). Reported for every device; for this one, commits are refused from then on.
    fn check_not_rolled_back(&mut self) {
        let heads: Vec<(Id, u64)> = self
            .state
            .meta()
            .heads
            .iter()
            .map(|(d, (s, _))| (*d, *s))
            .collect();
        for (device, seq) in heads {
            if seq == 0 || self.layout.log_entry(&device, seq).exists() {
                continue;
            }
            let e = Error::LogRolledBack { device, seq };
            self.load_problems.push(e.to_string());
            if device == self.device {
                self.rolled_back = Some(seq);
            }
        }
    }

    /// Entry `missing` of `device` is absent: if later entries exist, they cannot be chained
    /// and are ignored, which must not happen silently (a dropped entry would hide them).
    fn report_gap(&mut self, device: &Id, missing: u64) {
        let Ok(rd) = fs::read_dir(self.layout.log_dir(device)) else {
            return;
        };
        let later = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name();
                name.to_str()?.strip_suffix(".age")?.parse::<u64>().ok()
            })
            .filter(|s| *s > missing)
            .min();
        if let Some(later) = later {
            let problem = Error::BadLog {
                device: device.to_string(),
                seq: missing,
                reason: format!(
                    "it is missing while entry {later} exists (a gap): the entries after it are ignored"
                ),
            }
            .to_string();
            if !self.load_problems.contains(&problem) {
                self.load_problems.push(problem);
            }
        }
    }

    /// Decrypts and checks one log entry (signature, place, chain).
    pub(crate) fn open_entry(
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

    pub(crate) fn apply_entry(&mut self, entry: &LogEntry, unreadable: &mut Vec<(Id, String)>) {
        for obj in &entry.objects {
            if obj.kind != ObjectKind::Note || self.state.purged_objects.contains(&obj.id) {
                continue;
            }
            match self.read_revision_checked(&obj.id, Some(&obj.sha256)) {
                Ok(rev) => self.state.apply_revision(rev),
                Err(e) => unreadable.push((obj.id, e.to_string())),
            }
        }
        for p in &entry.purged {
            self.state.apply_purge(p);
        }
    }

    /// Reads and decrypts one note revision object, checking its ciphertext hash if known.
    pub(crate) fn read_revision_checked(&self, id: &Id, sha256: Option<&str>) -> Result<Revision> {
        Revision::decode(&self.decrypt_object(id, sha256)?, &self.config.vault, id)
    }

    /// Reads one object (from the journal while a record there holds it, else its file),
    /// checks its ciphertext against the hash the log names (when known) and decrypts it whole
    /// with the vault key.
    pub(crate) fn decrypt_object(
        &self,
        id: &Id,
        sha256: Option<&str>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let read;
        let ct = match self.journal_object(id) {
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

    /// Seals a note revision into a new object.
    pub(crate) fn seal_revision(&self, rev: &Revision) -> Result<NewObject> {
        let plain = rev.encode(&self.config.vault);
        let ct = crypto::encrypt(&[&self.keys.vault_recipient()], &plain)?;
        Ok(NewObject {
            id: rev.revision,
            kind: ObjectKind::Note,
            sha256: crypto::sha256_hex(&ct),
            sealed: Sealed::Bytes(ct),
        })
    }

    /// Runs `f` under the vault's write lock, after catching up with other writers, then
    /// commits the batch it returns: objects first, then the log entry (the commit point).
    pub(crate) fn transact<T>(
        &mut self,
        f: impl FnOnce(&mut Vault) -> Result<(T, Batch)>,
    ) -> Result<T> {
        let lock = self.lock()?;
        self.refresh()?;
        let (out, batch) = f(self)?;
        let result = self.commit(batch);
        drop(lock);
        result?;
        Ok(out)
    }

    /// The vault's write lock, waiting for it: every writer holds it (the app, the CLI and the
    /// sync worker may write the same vault at once).
    pub(crate) fn lock_file(&self) -> Result<WriteLock> {
        WriteLock::take(&self.layout)
    }

    fn lock(&self) -> Result<WriteLock> {
        WriteLock::take(&self.layout)
    }

    /// The vault's lock if no other handle holds it now (never waits).
    pub(crate) fn lock_file_nowait(&self) -> Result<WriteLock> {
        WriteLock::try_take(&self.layout)
    }

    /// The log entry that commits `batch` next on this device, and its sequence number.
    pub(crate) fn next_entry(&self, batch: &Batch) -> (LogEntry, u64) {
        let (seq, prev) = self
            .state
            .heads
            .get(&self.device)
            .map(|(s, h)| (*s, Some(h.clone())))
            .unwrap_or((0, None));
        let entry = LogEntry {
            format: crate::log::LOG_FORMAT,
            vault: self.config.vault,
            device: self.device,
            seq: seq + 1,
            prev,
            time: now_millis(),
            objects: batch
                .objects
                .iter()
                .map(|o| ObjectRef {
                    id: o.id,
                    kind: o.kind,
                    sha256: o.sha256.clone(),
                })
                .collect(),
            purged: batch.purged.clone(),
        };
        (entry, seq + 1)
    }

    /// Commits a batch durably: a few small note revisions by one append to the save journal
    /// (crate::journal); anything else, after a checkpoint (so this device's log on disk holds
    /// every earlier entry), as files, in an order that survives a crash at any instant, with
    /// two rounds of waiting for the disk:
    /// 1. every object is written at its final name (no log entry names it yet, so until the
    ///    commit point it is an ignored left-over, torn or not) and synced with its folder, on
    ///    other threads, while this one signs and encrypts the log entry, writes it to a temp
    ///    file and syncs that: one round of waiting, with the entry's work done meanwhile;
    /// 2. the entry is renamed into place and its folder synced: the commit point, reached
    ///    only after everything it names is durable;
    /// 3. only then are purged objects deleted (the entry that names the purge exists first).
    fn commit(&mut self, batch: Batch) -> Result<()> {
        if batch.objects.is_empty() && batch.purged.is_empty() {
            return Ok(());
        }
        if let Some(seq) = self.rolled_back {
            return Err(Error::LogRolledBack {
                device: self.device,
                seq,
            });
        }
        if crate::journal::takes(&batch) {
            return self.commit_to_journal(batch);
        }
        if batch.purged.is_empty() {
            self.write_out()?;
        } else {
            self.write_out_and_replace()?;
        }
        let (entry, seq) = self.next_entry(&batch);
        let log_path = self.layout.log_entry(&self.device, seq);
        let log_dir = log_path
            .parent()
            .expect("log entries have a folder")
            .to_path_buf();

        // 1. Objects on their way to the disk while the entry is made.
        let ((placed, objects), entry_side) = std::thread::scope(|s| {
            let objects = s.spawn(|| place_objects(&self.layout, &batch.objects));
            let entry_side = (|| {
                let (plain, hash) = entry.seal(&self.keys);
                let ct = crypto::encrypt(&[&self.keys.vault_recipient()], &plain)?;
                Ok((hash, fsutil::write_temp_synced(&log_path, &ct)?))
            })();
            let objects = objects.join().expect("the object writer panicked");
            (objects, entry_side)
        });
        // Undoes step 1 (before the commit point nothing names these files).
        let undo = |log_tmp: Option<&Path>| {
            for path in placed.iter().map(PathBuf::as_path).chain(log_tmp) {
                let _ = fs::remove_file(path);
            }
            for obj in &batch.objects {
                if let Sealed::TempFile(tmp) = &obj.sealed {
                    let _ = fs::remove_file(tmp);
                }
            }
        };
        let (hash, log_tmp) = match (objects, entry_side) {
            (Ok(()), Ok(written)) => written,
            (objects, entry_side) => {
                let log_tmp = entry_side.as_ref().ok().map(|(_, tmp)| tmp.as_path());
                undo(log_tmp);
                return Err(objects.err().or(entry_side.err()).expect("one side failed"));
            }
        };
        // 2. The commit point.
        if let Err(e) = fs::rename(&log_tmp, &log_path) {
            undo(Some(&log_tmp));
            return Err(Error::io(format!("renaming into {}", log_path.display()))(
                e,
            ));
        }
        fsutil::sync_dir(&log_dir)?;
        self.state.heads.insert(self.device, (seq, hash));
        // 3. Purged objects go only once the entry naming the purge is durable.
        for p in &batch.purged {
            for id in &p.objects {
                match fs::remove_file(self.layout.object(id)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("removing object {id}"))(e)),
                }
            }
        }
        for rev in batch.revisions {
            self.state.apply_revision(rev);
        }
        for p in &batch.purged {
            self.state.apply_purge(p);
        }
        self.unsnapshotted += 1;
        Ok(())
    }

    /// Writes the encrypted snapshot cache now (after writing out the save journal: the
    /// snapshot may name only revisions whose files exist, which a later open reads bodies
    /// from when the cache of bodies is stale).
    pub fn save_snapshot(&mut self) -> Result<()> {
        self.checkpoint()?;
        crate::snapshot::write(self)?;
        self.unsnapshotted = 0;
        Ok(())
    }

    /// Writes the snapshot if enough has changed since the last one. Call before exiting.
    pub fn save_snapshot_if_stale(&mut self) -> Result<()> {
        if self.unsnapshotted > 0 {
            self.save_snapshot()?;
        }
        Ok(())
    }

    /// Changes the passphrase: re-encrypts identity.age only.
    pub fn change_passphrase(&mut self, new: &SecretString, work_factor: u8) -> Result<()> {
        if new.expose_secret().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let identity = self.keys.to_identity_file(&self.config.vault);
        let ct =
            crypto::encrypt_with_passphrase(new, work_factor, identity.expose_secret().as_bytes())?;
        let _lock = self.lock()?;
        write_atomic(&self.layout.identity(), &ct)
    }

    /// Writes the plaintext age identity (readable by `age -d -i`) to a new file, mode 0600.
    pub fn export_identity(&self, path: &Path) -> Result<()> {
        let identity = self.keys.to_identity_file(&self.config.vault);
        let mut f = fsutil::create_private(path)?;
        f.write_all(identity.expose_secret().as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(Error::io(format!("writing {}", path.display())))
    }

    /// The public recipient of the vault key, for `age -r` (kept private: anyone holding it
    /// could encrypt files to this vault, which import would then accept).
    pub fn vault_recipient(&self) -> String {
        self.keys.vault_recipient().to_string()
    }

    /// All devices that have written to this vault, with their latest log sequence number.
    pub fn devices(&self) -> BTreeMap<Id, u64> {
        self.state
            .meta()
            .heads
            .iter()
            .map(|(d, (s, _))| (*d, *s))
            .collect()
    }
}

impl Drop for Vault {
    /// Writes out this handle's journal records if the lock is free at once (never waits:
    /// whatever stays in the journal is written out by the next open or checkpoint).
    fn drop(&mut self) {
        if !self.journal.appended {
            return;
        }
        let Ok(lock) = self.lock_file_nowait() else {
            return;
        };
        let _ = self.checkpoint_locked();
        drop(lock);
    }
}
