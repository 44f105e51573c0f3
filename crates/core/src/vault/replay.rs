//! Loading a vault's state: the log entries (and save journal records) written since the
//! snapshot, applied in order, with what could not be read kept as load problems.

use super::{ProblemKind, SNAPSHOT_STALE_AFTER as SNAPSHOT_REWRITE, Vault};
use crate::log::{LogEntry, ObjectKind, Unverified};
use crate::note::Revision;
use crate::scrub::Sha;
use crate::{Error, Id, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::io::ErrorKind;

/// A log entry read, not yet verified; or one not decryptable yet.
enum Pending {
    Read(Unverified),
    Sealed { seq: u64, ct: Vec<u8> },
}

impl Vault {
    /// Reads log entries written since this state was loaded (by another process on this
    /// machine, or brought in by sync) and applies them.
    pub fn refresh(&mut self) -> Result<()> {
        self.replay_logs(false)
    }

    /// Applies new log entries, then new records of the save journal. With `check_gaps` (at
    /// unlock), a missing entry followed by later ones is reported; that costs a listing of the
    /// device's log folder, so the frequent refreshes between commands skip it (`verify`
    /// always checks).
    ///
    /// The roster decides whose entries count, and its events are in the entries: so every new
    /// entry is read first, then verified in rounds (an entry whose device a roster event in
    /// another device's log adds waits for it), then the roster settles, and only then are
    /// the entries it admits applied, each device's in order.
    pub(super) fn replay_logs(&mut self, check_gaps: bool) -> Result<()> {
        let problems = self.state.take_problems();
        self.add_load_problems(ProblemKind::Object, problems);
        let (mut pending, prints) = self.read_new_entries(check_gaps)?;
        let verified = self.verify_in_rounds(&mut pending);
        for (device, queue) in &pending {
            // What is left waits for a key the roster does not have, or for a key generation
            // no `keys` event handed to this device.
            match queue.front() {
                Some(Pending::Read(u)) => {
                    if let Err(why) = self
                        .store
                        .roster
                        .signer(&u.entry, &self.store.keys.verifying_key())
                    {
                        self.push_problem(ProblemKind::Log, u.fault(&why).to_string());
                    }
                }
                Some(Pending::Sealed { seq, ct }) => {
                    if let Err(e) = self.store.decrypt_entry(device, *seq, ct) {
                        self.push_problem(ProblemKind::Log, e.to_string());
                    }
                }
                None => {}
            }
        }
        let reordered = self
            .state
            .meta()
            .heads
            .iter()
            .any(|(d, (seq, _))| !self.store.roster.still_admits(d, *seq));
        if reordered {
            // A roster event learned now refuses entries applied before (a removal that
            // names an earlier last entry than was applied, or a reordering of concurrent
            // changes): the state is rebuilt from the log under the roster as it now stands.
            return self.rebuild_state();
        }
        // Objects that could not be read, reported at the end unless a later entry purged them
        // (a purge deletes the objects that earlier entries name).
        let mut unreadable: Vec<(Id, String)> = Vec::new();
        for (device, entries) in verified {
            for (entry, hash) in entries {
                if let Err(why) = self.store.roster.admits_entry(&entry, &hash) {
                    let e = Error::BadLog {
                        device: device.to_string(),
                        seq: entry.seq,
                        reason: why,
                    };
                    self.push_problem(ProblemKind::Log, e.to_string());
                    break;
                }
                self.apply_entry(&entry, &mut unreadable);
                self.state.heads.insert(device, (entry.seq, hash));
                let print = prints.get(&(device, entry.seq)).copied();
                self.state.prints.learn_entry(device, entry.seq, print);
                self.unsnapshotted += 1;
            }
        }
        for (id, problem) in unreadable {
            if !self.state.meta().purged_objects.contains(&id) {
                self.push_problem(ProblemKind::Object, problem);
            }
        }
        self.replay_journal()
    }

    /// Every log entry after each device's last applied one, decrypted and placed (device,
    /// seq), not yet verified; a device's entries stop at the first that is absent or fails.
    /// Also the SHA-256 of each entry file read, for the scrub (crate::scrub).
    #[allow(clippy::type_complexity)]
    fn read_new_entries(
        &mut self,
        check_gaps: bool,
    ) -> Result<(BTreeMap<Id, VecDeque<Pending>>, HashMap<(Id, u64), Sha>)> {
        let mut prints = HashMap::new();
        let devices = match fs::read_dir(self.store.layout.logs()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<Id>().ok()))
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("listing the log")(e)),
        };
        let mut pending = BTreeMap::new();
        for device in devices {
            // The metadata answers without waiting for note bodies loading in the
            // background: most refreshes find no new entry and need none.
            let mut seq = self.state.meta().heads.get(&device).map_or(0, |(s, _)| *s);
            let mut queue = VecDeque::new();
            loop {
                let Some(ct) = self.store.read_entry_file(&device, seq + 1)? else {
                    if check_gaps {
                        self.report_gap(&device, seq + 1);
                    }
                    break;
                };
                prints.insert((device, seq + 1), Sha256::digest(&ct).into());
                let Ok(plain) = self.store.decrypt_entry(&device, seq + 1, &ct) else {
                    // Encrypted to a generation a `keys` event read later may hand over.
                    queue.push_back(Pending::Sealed { seq: seq + 1, ct });
                    seq += 1;
                    continue;
                };
                match LogEntry::read(&plain, &self.store.config.vault, &device, seq + 1) {
                    Ok(u) => queue.push_back(Pending::Read(u)),
                    Err(e) => {
                        self.push_problem(ProblemKind::Log, e.to_string());
                        break;
                    }
                }
                seq += 1;
            }
            if !queue.is_empty() {
                pending.insert(device, queue);
            }
        }
        Ok((pending, prints))
    }

    /// Verifies pending entries (signature by the key the roster names, chain), recording their
    /// roster events, in rounds until no entry moves: what is left waits for a key the roster
    /// does not have. A device stops at its first entry that fails.
    fn verify_in_rounds(
        &mut self,
        pending: &mut BTreeMap<Id, VecDeque<Pending>>,
    ) -> BTreeMap<Id, Vec<(LogEntry, String)>> {
        let mut verified: BTreeMap<Id, Vec<(LogEntry, String)>> = BTreeMap::new();
        let shared = self.store.keys.verifying_key();
        loop {
            let mut moved = false;
            // The roster settles once a round (each settling reads every event): an entry
            // whose key an event of this round brings waits for the next round.
            let mut recorded = false;
            for (device, queue) in pending.iter_mut() {
                while let Some(front) = queue.front_mut() {
                    if let Pending::Sealed { seq, ct } = front {
                        // A generation learned since may open it now.
                        let Ok(plain) = self.store.decrypt_entry(device, *seq, ct) else {
                            break;
                        };
                        match LogEntry::read(&plain, &self.store.config.vault, device, *seq) {
                            Ok(u) => *front = Pending::Read(u),
                            Err(e) => {
                                self.push_problem(ProblemKind::Log, e.to_string());
                                queue.clear();
                                break;
                            }
                        }
                    }
                    let Some(Pending::Read(u)) = queue.front() else {
                        break;
                    };
                    let Ok(key) = self.store.roster.signer(&u.entry, &shared) else {
                        break;
                    };
                    let Some(Pending::Read(u)) = queue.pop_front() else {
                        unreachable!("looked at it");
                    };
                    let prev = match verified.get(device).and_then(|v| v.last()) {
                        Some((_, h)) => Some(h.clone()),
                        None => self.state.meta().heads.get(device).map(|(_, h)| h.clone()),
                    };
                    let checked = u
                        .verify(&key)
                        .and_then(|(e, h)| e.check_follows(prev.as_deref()).map(|()| (e, h)));
                    match checked {
                        Ok((entry, hash)) => {
                            if entry.roster.is_some() {
                                self.store.roster.record(&hash, &entry);
                                recorded = true;
                            }
                            verified.entry(*device).or_default().push((entry, hash));
                            moved = true;
                        }
                        Err(e) => {
                            self.push_problem(ProblemKind::Log, e.to_string());
                            queue.clear();
                        }
                    }
                }
            }
            if recorded {
                self.store.settle_roster();
            }
            if !moved {
                return verified;
            }
        }
    }

    /// Forgets the state and loads it again from the whole log (after the roster changed what
    /// counts). The caches describe the state as it was: they go.
    fn rebuild_state(&mut self) -> Result<()> {
        self.state = Default::default();
        self.store.roster = Default::default();
        self.journal = Default::default();
        self.messages = None;
        self.unsnapshotted = SNAPSHOT_REWRITE;
        let local = self.store.layout.local();
        // A handle that only looks leaves them: they are only caches.
        if !self.look_only {
            for cache in [
                self.store.layout.snapshot(),
                local.join("bodies.age"),
                crate::messages::cache_path(self),
            ] {
                let _ = fs::remove_file(cache);
            }
        }
        self.replay_logs(false)
    }

    /// Every device's last entry the snapshot counts must still be in the log: one that is
    /// gone means the vault folder was rolled back (restored from an older copy, or entries
    /// deleted). Reported for every device; for this one, commits are refused from then on.
    pub(super) fn check_not_rolled_back(&mut self) {
        let heads: Vec<(Id, u64)> = self
            .state
            .meta()
            .heads
            .iter()
            .map(|(d, (s, _))| (*d, *s))
            .collect();
        for (device, seq) in heads {
            if seq == 0 || self.store.layout.log_entry(&device, seq).exists() {
                continue;
            }
            let e = Error::LogRolledBack { device, seq };
            self.push_problem(ProblemKind::RolledBack, e.to_string());
            if device == self.store.device {
                self.rolled_back = Some(seq);
            }
        }
    }

    /// Entry `missing` of `device` is absent: if later entries exist, they cannot be chained
    /// and are ignored, which must not happen silently (a dropped entry would hide them).
    fn report_gap(&mut self, device: &Id, missing: u64) {
        let Ok(rd) = fs::read_dir(self.store.layout.log_dir(device)) else {
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
            self.add_load_problem(ProblemKind::Log, problem);
        }
    }

    pub(crate) fn apply_entry(&mut self, entry: &LogEntry, unreadable: &mut Vec<(Id, String)>) {
        let state = &mut *self.state;
        state
            .prints
            .learn_objects(&entry.objects, &state.purged_objects);
        for obj in &entry.objects {
            if obj.kind != ObjectKind::Note || self.state.purged_objects.contains(&obj.id) {
                continue;
            }
            match self.read_revision_checked(&obj.id, Some(&obj.sha256)) {
                Ok(rev) => self.state.apply_revision(rev, Some(entry.device)),
                Err(e) => unreadable.push((obj.id, e.to_string())),
            }
        }
        for p in &entry.purged {
            self.state.apply_purge(p);
        }
    }

    /// Reads and decrypts one note revision object, checking its ciphertext hash if known.
    pub(crate) fn read_revision_checked(&self, id: &Id, sha256: Option<&str>) -> Result<Revision> {
        Revision::decode(
            &self.decrypt_object(id, sha256)?,
            &self.store.config.vault,
            id,
        )
    }

    /// Reads one object (from the journal while a record there holds it, else its file),
    /// checks its ciphertext against the hash the log names (when known) and decrypts it whole
    /// with the vault key.
    pub(crate) fn decrypt_object(
        &self,
        id: &Id,
        sha256: Option<&str>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        self.store
            .decrypt_object(id, sha256, self.journal.object(id))
    }

    /// Reads records of the save journal appended since this handle last looked (by this or
    /// another process) and applies those that continue this device's chain.
    fn replay_journal(&mut self) -> Result<()> {
        let head = self.own_head();
        let mut unreadable = Vec::new();
        for r in self.journal.read_new(&self.store, head)? {
            if r.entry.roster.is_some() {
                self.store.roster.record(&r.hash, &r.entry);
                self.store.settle_roster();
            }
            self.apply_entry(&r.entry, &mut unreadable);
            self.state.heads.insert(self.store.device, (r.seq, r.hash));
            self.unsnapshotted += 1;
        }
        for (_, problem) in unreadable {
            self.push_problem(ProblemKind::Object, problem);
        }
        Ok(())
    }

    /// This device's last entry: sequence number and hash.
    pub(crate) fn own_head(&self) -> (u64, Option<String>) {
        self.state
            .meta()
            .heads
            .get(&self.store.device)
            .map(|(s, h)| (*s, Some(h.clone())))
            .unwrap_or((0, None))
    }
}
