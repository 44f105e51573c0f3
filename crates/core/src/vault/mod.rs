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
//! instead, one durable write, and a checkpoint writes them out soon after (crate::journal).
//! Writers hold an exclusive lock on `local/lock`, and re-read the logs under it, so the app
//! and the CLI can write the same vault at once.
//!
//! `Vault` is the facade: the folder and keys are a [`Store`] (crate::store), the notes a
//! [`StateCell`] (crate::state); `replay.rs` loads what the log holds, `commit.rs` changes it,
//! and the operations (notes, attachments, sync, messages, ...) live in their own modules.

use crate::config::{Config, VAULT_FORMAT};
use crate::crypto;
use crate::fsutil::{self, write_atomic};
use crate::keys::Keys;
use crate::state::StateCell;
pub use crate::store::Layout;
use crate::store::{
    Journal, Store, load_or_create_device, load_or_create_device_keys, read_device,
    read_device_keys,
};
use crate::{Error, Id, Result};
use age::secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

mod commit;
mod problem;
mod replay;

pub use problem::{LoadProblem, ProblemKind};
#[cfg(test)]
mod tests;

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

    /// The vault's id (from coffer.toml): every signed entry and object names it.
    pub fn vault_id(&self) -> Id {
        self.config.vault
    }

    /// Unlocks with the passphrase and loads the notes.
    pub fn unlock(self, passphrase: &SecretString) -> Result<Vault> {
        let keys = self.read_keys(passphrase)?;
        let mut vault = Vault::load(self.layout, self.config, keys, Opening::Use)?;
        vault.resume_rotation(passphrase)?;
        vault.join_if_upgrading();
        Ok(vault)
    }

    /// Unlocks with the passphrase only to look (what `verify` needs): nothing in the folder is
    /// written, renamed or removed. The save journal is read, not written out; an interrupted
    /// key rotation is not finished; a device without its local files gets them in memory
    /// only. Saving through this handle fails with [`Error::LookOnly`].
    pub fn unlock_to_look(self, passphrase: &SecretString) -> Result<Vault> {
        let keys = self.read_keys(passphrase)?;
        Vault::load(self.layout, self.config, keys, Opening::Look)
    }

    /// The vault's keys, from identity.age opened with the passphrase.
    fn read_keys(&self, passphrase: &SecretString) -> Result<Keys> {
        let ct =
            crate::limits::read_file(self.layout.identity(), crate::limits::IDENTITY).map_err(
                Error::io(format!("reading {}", self.layout.identity().display())),
            )?;
        let plain = crypto::decrypt_with_passphrase(passphrase, &ct)?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| Error::BadIdentity("identity.age does not hold text".into()))?;
        Keys::from_identity_file(text, &self.config.vault)
    }
}

/// What a vault is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opening {
    /// To read and change, with the search index built in the background at once.
    Use,
    /// To read and change, the index built at the first search (the app's sync worker).
    UseWithoutSearch,
    /// To look only (`verify`): nothing is written.
    Look,
}

/// An unlocked vault: keys in memory and the decrypted state of every note.
pub struct Vault {
    /// The folder, its keys and this device.
    pub(crate) store: Store,
    /// Every note, and the search index.
    pub(crate) state: StateCell,
    /// Log entries applied since the snapshot was written.
    unsnapshotted: usize,
    /// Problems found while loading (damaged objects or logs); the rest stays usable.
    load_problems: Vec<LoadProblem>,
    /// This device's log ends before an entry its snapshot had counted (the folder was
    /// restored from an older copy): nothing is committed, so nothing lands after a gap.
    rolled_back: Option<u64>,
    /// Contacts and messages (crate::messages), loaded on first use.
    pub(crate) messages: Option<Box<crate::messages::MessageState>>,
    /// The text of attachments, read for search (crate::search::attachments), in memory only.
    pub(crate) attachment_search: crate::search::attachments::AttachmentSearch,
    /// What this handle knows of the save journal (crate::journal).
    pub(crate) journal: Journal,
    /// Opened to look only (`verify`): nothing is written.
    pub(crate) look_only: bool,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("root", &self.store.layout.root)
            .field("vault", &self.store.config.vault)
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
        let mut vault = Vault::load(layout, config, keys, Opening::Use)?;
        // The save journal's space, made now rather than in the first save.
        let lock = vault.lock_file()?;
        vault.journal.start_new(&vault.store, &lock)?;
        drop(lock);
        Ok(vault)
    }

    /// Loads the state (from the snapshot and the log), for what `opening` says: a handle that
    /// never searches, like the app's sync worker, saves the index's memory and work (its first
    /// search, if any, builds the index then); one that only looks writes nothing.
    pub(crate) fn load(
        layout: Layout,
        config: Config,
        keys: Keys,
        opening: Opening,
    ) -> Result<Vault> {
        let look_only = opening == Opening::Look;
        let search = opening == Opening::Use;
        let (device, device_keys) = if look_only {
            // A device whose local files are gone has no log of its own to check; an id and
            // keys in memory stand in, and nothing is written.
            let device = read_device(&layout)?.unwrap_or_else(Id::random);
            let device_keys = read_device_keys(&layout, &config, &keys, &device)?
                .unwrap_or_else(crate::keys::DeviceKeys::generate);
            (device, device_keys)
        } else {
            let device = load_or_create_device(&layout)?;
            let device_keys = load_or_create_device_keys(&layout, &config, &keys, &device)?;
            (device, device_keys)
        };
        let generations = crate::generations::Generations::first(keys.vault_identity());
        let mut vault = Vault {
            store: Store {
                layout,
                config,
                keys,
                device,
                device_keys,
                roster: Default::default(),
                generations,
                keys_needed: None,
            },
            state: StateCell::default(),
            unsnapshotted: 0,
            load_problems: Vec::new(),
            rolled_back: None,
            messages: None,
            attachment_search: Default::default(),
            journal: Default::default(),
            look_only,
        };
        match crate::snapshot::read(&vault.store, search) {
            Ok(Some((state, roster))) => {
                vault.state = state;
                vault.store.roster = roster;
                vault.store.settle_roster();
            }
            Ok(None) => {}
            Err(e) => vault.load_problems.push(LoadProblem::new(
                ProblemKind::Snapshot,
                format!("snapshot ignored: {e}"),
            )),
        }
        vault.check_not_rolled_back();
        vault.replay_logs(true)?;
        if look_only {
            return Ok(vault);
        }
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

    /// A device that wrote entries before devices had keys of their own joins the roster
    /// with its first unlock by this Coffer (a new device joins once it has pulled, or with
    /// its first change). If it cannot (joining closed, a read-only folder), that is a load
    /// problem and the vault still opens.
    fn join_if_upgrading(&mut self) {
        let wrote = self.state.meta().heads.contains_key(&self.store.device);
        if wrote
            && self.store.roster.member(&self.store.device).is_none()
            && let Err(e) = self.join_roster(&crate::roster::default_device_name())
        {
            self.push_problem(
                ProblemKind::Log,
                format!("this device could not join the roster of devices: {e}"),
            );
        }
        // An upgrade stopped between this device's joining entry and coffer.toml (a crash)
        // is finished here.
        if self.store.roster.member(&self.store.device).is_some()
            && let Err(e) = self.upgrade_config()
        {
            self.push_problem(ProblemKind::Log, format!("coffer.toml: {e}"));
        }
    }

    /// The vault folder.
    pub fn root(&self) -> &Path {
        &self.store.layout.root
    }

    /// The vault's id (from coffer.toml): every signed entry and object names it.
    pub fn vault_id(&self) -> Id {
        self.store.config.vault
    }

    /// This device's id.
    pub fn device_id(&self) -> Id {
        self.store.device
    }

    /// The keys (for the messaging and sync layers).
    pub fn keys(&self) -> &Keys {
        &self.store.keys
    }

    /// Problems met while loading: damaged objects or log entries that were skipped.
    pub fn load_problems(&self) -> &[LoadProblem] {
        &self.load_problems
    }

    /// Keeps a problem met after loading (once: the same problem found again is not repeated).
    pub(crate) fn add_load_problem(&mut self, kind: ProblemKind, message: String) {
        if !self.load_problems.iter().any(|p| p.message == message) {
            self.load_problems.push(LoadProblem::new(kind, message));
        }
    }

    /// Keeps one problem met while loading.
    pub(crate) fn push_problem(&mut self, kind: ProblemKind, message: String) {
        self.load_problems.push(LoadProblem::new(kind, message));
    }

    /// Keeps problems of one kind met while loading.
    pub(crate) fn add_load_problems(&mut self, kind: ProblemKind, messages: Vec<String>) {
        self.load_problems
            .extend(messages.into_iter().map(|m| LoadProblem::new(kind, m)));
    }

    /// Fails with [`Error::WrongPassphrase`] unless `passphrase` opens this vault's
    /// identity.age (as it is on disk now); returns the scrypt work factor it was made with.
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<u8> {
        let path = self.store.layout.identity();
        let ct = crate::limits::read(
            &path,
            crate::limits::IDENTITY,
            format!("reading {}", path.display()),
        )?;
        crypto::decrypt_with_passphrase(passphrase, &ct)?;
        Ok(crypto::scrypt_work_factor(&ct).unwrap_or(crypto::DEFAULT_WORK_FACTOR))
    }

    /// Changes the passphrase: re-encrypts identity.age only.
    pub fn change_passphrase(&mut self, new: &SecretString, work_factor: u8) -> Result<()> {
        if new.expose_secret().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let identity = self.store.keys.to_identity_file(&self.store.config.vault);
        let ct =
            crypto::encrypt_with_passphrase(new, work_factor, identity.expose_secret().as_bytes())?;
        let _lock = self.lock_file()?;
        write_atomic(&self.store.layout.identity(), &ct)
    }

    /// Writes the plaintext age identity (readable by `age -d -i`) to a new file, mode 0600:
    /// the keys of identity.age, every later generation of the vault key this device holds,
    /// and this device's own age key (which opens the generations' sealed files).
    pub fn export_identity(&self, path: &Path) -> Result<()> {
        // Sized once, so that no reallocation leaves a copy behind unzeroed.
        let mut text = zeroize::Zeroizing::new(String::with_capacity(
            1024 + 160 * self.store.generations.len(),
        ));
        text.push_str(
            self.store
                .keys
                .to_identity_file(&self.store.config.vault)
                .expose_secret(),
        );
        self.store.generations.append_later_to(&mut text);
        text.push_str(&format!(
            "# coffer-device-key: {}
",
            self.store.device
        ));
        text.push_str(
            self.store
                .device_keys
                .identity()
                .to_string()
                .expose_secret(),
        );
        text.push('\n');
        let mut f = fsutil::create_private(path)?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(Error::io(format!("writing {}", path.display())))
    }

    /// The public recipient of the vault key's newest generation, for `age -r` (kept private:
    /// anyone holding it could encrypt files to this vault, which import would then accept).
    pub fn vault_recipient(&self) -> String {
        self.store.write_recipient().to_string()
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
        if !self.journal.has_unwritten_saves() {
            return;
        }
        let Ok(lock) = self.lock_file_nowait() else {
            return;
        };
        let _ = self.checkpoint_locked(&lock);
        drop(lock);
    }
}
