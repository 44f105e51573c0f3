//! Changing a vault: every change is a batch, committed under the write lock after catching up
//! with other writers, by one append to the save journal or as files (crate::store), then
//! applied to the state.

use super::{ProblemKind, Vault};
use crate::generations::Generation;
use crate::journal::JournalCheck;
use crate::log::{LogEntry, ObjectKind, ObjectRef};
use crate::note::{Revision, now_millis};
use crate::roster::{Change, KeysNeeded, RosterEvent};
use crate::store::{Batch, NewObject, WriteLock};
use crate::{Error, Id, Result};

impl Vault {
    /// Seals a note revision into a new object.
    pub(crate) fn seal_revision(&self, rev: &Revision) -> Result<NewObject> {
        self.store.seal(
            rev.revision,
            ObjectKind::Note,
            &rev.encode(&self.store.config.vault),
        )
    }

    /// Runs `f` under the vault's write lock, after catching up with other writers, then
    /// commits the batch it returns: objects first, then the log entry (the commit point).
    pub(crate) fn transact<T>(
        &mut self,
        f: impl FnOnce(&mut Vault) -> Result<(T, Batch)>,
    ) -> Result<T> {
        let lock = self.lock_file()?;
        self.refresh()?;
        // Before the batch is made: its objects are encrypted as it is built, to the write
        // generation, which must be one no removed device holds.
        self.hand_out_keys(&lock)?;
        let (out, batch) = f(self)?;
        let result = self.commit(&lock, batch);
        drop(lock);
        result?;
        Ok(out)
    }

    /// The vault's write lock, waiting for it: every writer holds it (the app, the CLI and the
    /// sync worker may write the same vault at once).
    pub(crate) fn lock_file(&self) -> Result<WriteLock> {
        WriteLock::take(&self.store.layout)
    }

    /// The vault's lock if no other handle holds it now (never waits).
    pub(crate) fn lock_file_nowait(&self) -> Result<WriteLock> {
        WriteLock::try_take(&self.store.layout)
    }

    /// The log entry that commits `batch` next on this device.
    pub(crate) fn next_entry(&self, batch: &Batch) -> LogEntry {
        let (seq, prev) = self.own_head();
        LogEntry {
            format: crate::log::LOG_FORMAT,
            vault: self.store.config.vault,
            device: self.store.device,
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
            roster: batch.roster.clone().or_else(|| {
                // A device not in the roster yet (a vault made before devices had keys of
                // their own, whose joining commit did not land) joins with its first entry.
                self.store
                    .roster
                    .member(&self.store.device)
                    .is_none()
                    .then(|| self.store.join_event(&crate::roster::default_device_name()))
            }),
        }
    }

    /// Takes note of this device's entry just committed: its place, and its roster event.
    fn committed(&mut self, entry: &LogEntry, hash: String) {
        if entry.roster.is_some() {
            self.store.roster.record(&hash, entry);
            self.store.settle_roster();
            if let Err(e) = self.upgrade_config() {
                self.push_problem(ProblemKind::Log, format!("coffer.toml: {e}"));
            }
        }
        let state = &mut *self.state;
        state.heads.insert(self.store.device, (entry.seq, hash));
        state
            .prints
            .learn_objects(&entry.objects, &state.purged_objects);
        state.prints.learn_entry(self.store.device, entry.seq, None);
        self.learn_written();
    }

    /// The hashes of the log entry files checkpoints wrote, for the scrub.
    pub(crate) fn learn_written(&mut self) {
        let device = self.store.device;
        let written = self.journal.take_written();
        if written.is_empty() {
            return;
        }
        let prints = &mut self.state.prints;
        for (seq, print) in written {
            prints.learn_entry(device, seq, Some(print));
        }
    }

    /// Commits a batch durably and applies it: a few small note revisions by one append to the
    /// save journal (crate::journal); anything else, after a checkpoint (so this device's log
    /// on disk holds every earlier entry), as files ([`crate::store::Store::commit_files`]).
    /// Key generations the roster asks this device to hand out go first (so the batch is
    /// encrypted to a generation no removed device holds) and, after a roster change, next.
    fn commit(&mut self, lock: &WriteLock, batch: Batch) -> Result<()> {
        if batch.objects.is_empty() && batch.purged.is_empty() && batch.roster.is_none() {
            return Ok(());
        }
        let roster_change = batch.roster.is_some();
        self.hand_out_keys(lock)?;
        self.commit_one(lock, batch)?;
        if roster_change {
            self.hand_out_keys(lock)?;
        }
        Ok(())
    }

    /// Hands out the key generations the roster asks for, under the lock, before work that
    /// encrypts objects outside a transaction (attachments, imports).
    pub(crate) fn ensure_keys(&mut self) -> Result<()> {
        if self.store.keys_needed.is_none() {
            self.refresh()?;
            if self.store.keys_needed.is_none() {
                return Ok(());
            }
        }
        let lock = self.lock_file()?;
        self.refresh()?;
        let done = self.hand_out_keys(&lock);
        drop(lock);
        done
    }

    /// Commits the `keys` event the roster asks for, if it asks for one and this device is
    /// in the roster and not removed (crate::roster::KeysNeeded).
    pub(crate) fn hand_out_keys(&mut self, lock: &WriteLock) -> Result<()> {
        let Some(need) = self.store.keys_needed else {
            return Ok(());
        };
        let me = self.store.roster.member(&self.store.device);
        if me.is_none_or(|m| m.removed.is_some()) {
            return Ok(());
        }
        let event = self.keys_event(need == KeysNeeded::Fresh, None)?;
        self.commit_one(
            lock,
            Batch {
                roster: Some(event),
                ..Default::default()
            },
        )
    }

    /// A `keys` event sealing every generation held (and, if `fresh`, a new one, held from
    /// now on) to every device not removed; `retired`: a key rotation's.
    pub(crate) fn keys_event(
        &mut self,
        fresh: bool,
        retired: Option<std::collections::BTreeMap<crate::Id, u64>>,
    ) -> Result<RosterEvent> {
        let fresh = fresh.then(Generation::generate);
        let members: Vec<_> = self.store.roster.active().cloned().collect();
        let recipients: Vec<age::x25519::Recipient> = members
            .iter()
            .filter_map(|m| m.recipient.parse().ok())
            .collect();
        let sealed =
            self.store
                .generations
                .seal(fresh.as_ref(), &recipients, &self.store.config.vault)?;
        let newest = match fresh {
            Some(g) => {
                let id = g.id.clone();
                // Held now, so that the entry can be encrypted to it.
                self.store.generations.add(g);
                id
            }
            None => self.store.generations.write_id().to_string(),
        };
        Ok(RosterEvent {
            after: self.store.roster.heads(),
            change: Change::Keys {
                newest,
                to: members.iter().map(|m| m.device).collect(),
                sealed,
                retired,
            },
        })
    }

    /// [`Self::commit`] of one batch, as one entry.
    fn commit_one(&mut self, lock: &WriteLock, batch: Batch) -> Result<()> {
        if self.look_only {
            return Err(Error::LookOnly);
        }
        let me = self.store.roster.member(&self.store.device);
        if me.is_some_and(|m| m.signing != self.store.device_keys.verifying_key()) {
            // local/device.age was lost or damaged and made again: entries signed with the new
            // key would be refused everywhere, so none is written.
            return Err(Error::DamagedLocalFile {
                path: self.store.layout.device_keys(),
                reason: "this device's key is not the one the roster holds for it; go on under a new id with `coffer device continue-as-new`".into(),
            });
        }
        if let Some(removal) = me.and_then(|m| m.removed.clone()) {
            return Err(Error::DeviceRemoved {
                by: self.store.roster.name_of(&removal.by),
                time: crate::note::millis_to_words(removal.time),
            });
        }
        if let Some(seq) = self.rolled_back {
            return Err(Error::LogRolledBack {
                device: self.store.device,
                seq,
            });
        }
        if crate::journal::takes(&batch) {
            let entry = self.next_entry(&batch);
            let head = self.own_head().0;
            let (hash, problems) =
                self.journal
                    .append_entry(&self.store, lock, &entry, batch.objects, head)?;
            self.add_load_problems(ProblemKind::Journal, problems);
            self.committed(&entry, hash);
            for rev in batch.revisions {
                self.state.apply_revision(rev, Some(self.store.device));
            }
            self.unsnapshotted += 1;
            return Ok(());
        }
        let head = self.own_head().0;
        let problems = if batch.purged.is_empty() {
            self.journal.write_out(&self.store, lock, head)?
        } else {
            self.journal
                .write_out_and_replace(&self.store, lock, head)?
        };
        self.add_load_problems(ProblemKind::Journal, problems);
        let entry = self.next_entry(&batch);
        let (hash, print) = self.store.commit_files(lock, &entry, &batch)?;
        self.committed(&entry, hash);
        self.state
            .prints
            .learn_entry(self.store.device, entry.seq, Some(print));
        self.store.remove_purged(lock, &batch.purged)?;
        for rev in batch.revisions {
            self.state.apply_revision(rev, Some(self.store.device));
        }
        for p in &batch.purged {
            self.state.apply_purge(p);
        }
        self.unsnapshotted += 1;
        Ok(())
    }

    /// Writes every journal record out as the usual files (objects, then log entries) and
    /// starts an empty journal: a checkpoint. Takes the vault's lock; cheap when there is
    /// nothing to write. Saves are durable without it; the CLI runs one when a command ends
    /// and the app when it is idle, before a sync and when it locks.
    pub fn checkpoint(&mut self) -> Result<()> {
        let lock = self.lock_file()?;
        let result = self.checkpoint_locked(&lock);
        drop(lock);
        result
    }

    /// [`Self::checkpoint`] for a caller holding the lock.
    pub(crate) fn checkpoint_locked(&mut self, lock: &WriteLock) -> Result<()> {
        if self.look_only {
            return Ok(()); // the journal's records stay where they are, for `verify` to check
        }
        self.refresh()?;
        let head = self.own_head().0;
        let problems = self.journal.write_out(&self.store, lock, head)?;
        self.add_load_problems(ProblemKind::Journal, problems);
        self.learn_written();
        Ok(())
    }

    /// Whether this handle saved anything that no checkpoint has written out since.
    pub fn has_unwritten_saves(&self) -> bool {
        self.journal.has_unwritten_saves()
    }

    /// For `verify`: checks the journal's records after this device's entry `seq` (hash
    /// `prev`), without changing anything.
    pub(crate) fn check_journal(&self, seq: u64, prev: Option<String>) -> Result<JournalCheck> {
        crate::store::Journal::check(&self.store, seq, prev)
    }

    /// A device's log entry `seq`, opened (this device's from the journal while it is there).
    pub(crate) fn read_log_entry(&self, device: &Id, seq: u64) -> Option<LogEntry> {
        let held = self
            .journal
            .entry(seq)
            .filter(|_| device == &self.store.device);
        self.store.read_entry(device, seq, held)
    }

    /// Writes the encrypted snapshot cache now (after writing out the save journal: the
    /// snapshot may name only revisions whose files exist, which a later open reads bodies
    /// from when the cache of bodies is stale).
    pub fn save_snapshot(&mut self) -> Result<()> {
        if self.look_only {
            return Err(Error::LookOnly);
        }
        self.checkpoint()?;
        crate::snapshot::write(&self.store, &mut self.state)?;
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
}
