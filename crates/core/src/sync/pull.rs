//! Pull: every other device's new log entries from the remote, checked like local ones, and the
//! objects they name, checked against the SHA-256 the signed entry gives; this device's own
//! last entry must still be there unchanged.

use super::*;
use crate::fsutil;
use crate::log::ObjectRef;
use std::path::PathBuf;

/// One pull within a sync.
pub(super) struct Pull<'a, 'r> {
    pub(super) run: &'a mut Run<'r>,
    /// New entries read and checked, in order for each device.
    incoming: Vec<Incoming>,
    /// Log entries asked for so far (for progress).
    fetched: u64,
    /// Devices whose first entry does not even decrypt with this vault's keys.
    foreign: usize,
    /// The roster as this vault has it, with the events of the entries read in this pull.
    roster: crate::roster::Roster,
    /// The key generations this vault holds, with those the roster learned in this pull
    /// hands to it.
    gens: crate::generations::Generations,
    /// Devices whose next entry is signed by a key the roster does not hold yet (a roster
    /// event of another device read later may add it): where each stopped.
    waiting: Vec<Waiting>,
}

/// A device whose entry `seq + 1` waits for a key (its chain so far ends at `prev`).
struct Waiting {
    device: Id,
    seq: u64,
    prev: Option<String>,
    /// The entry's file.
    ct: Vec<u8>,
    /// Why it cannot be read yet: its signer, or the key it is encrypted to, is not known.
    fault: EntryFault,
}

impl Pull<'_, '_> {
    pub(super) fn alarm(&mut self, kind: AlarmKind, key: String, message: String) {
        self.run.alarm(kind, key, message);
    }

    /// News of the user's devices (not an alarm), in the report.
    fn news(&mut self, kind: AlarmKind, key: String, message: String) {
        self.run.report.news.push(Alarm {
            kind,
            remote: self.run.name.to_string(),
            key,
            message,
            time: crate::note::now_millis(),
        });
    }

    /// An alarm about object `obj` of entry `inc`: `what` is said of it, with `{id}`, `{seq}`
    /// and `{device}` standing for the object, the entry and its device.
    fn object_alarm(&mut self, kind: AlarmKind, inc: &Incoming, obj: &ObjectRef, what: &str) {
        let message = what
            .replace("{id}", &obj.id.to_string())
            .replace("{seq}", &inc.seq.to_string())
            .replace("{device}", &inc.device.to_string());
        self.alarm(kind, object_key(&obj.id), message);
    }

    /// The remote does not hold an object a new entry names.
    pub(super) fn dropped(&mut self, inc: &Incoming, obj: &ObjectRef) {
        let what = "object {id} named by entry {seq} of device {device} is missing on the remote (dropped); that device's later changes wait until it is back";
        self.object_alarm(AlarmKind::DroppedObject, inc, obj, what);
    }

    /// The remote holds other bytes than a new entry names for an object.
    pub(super) fn swapped(&mut self, inc: &Incoming, obj: &ObjectRef) {
        let what = "object {id} differs from the one entry {seq} of device {device} names (swapped or altered); it was not used";
        self.object_alarm(AlarmKind::SwappedObject, inc, obj, what);
    }

    /// This vault holds other bytes than a new entry names for an object: the local file is
    /// kept.
    pub(super) fn local_conflict(&mut self, inc: &Incoming, obj: &ObjectRef) {
        let what = "the local object {id} differs from the one device {device}'s entry {seq} names; the local file was kept and this entry is not applied";
        self.object_alarm(AlarmKind::LocalConflict, inc, obj, what);
    }
}

impl Vault {
    pub(super) fn pull(&mut self, run: &mut Run<'_>, progress: ProgressFn<'_>) -> Result<()> {
        self.refresh()?;
        let remote = run.remote;
        let mut p = Pull {
            run,
            incoming: Vec::new(),
            fetched: 0,
            foreign: 0,
            roster: self.store.roster.clone(),
            gens: self.store.generations.clone(),
            waiting: Vec::new(),
        };
        let devices = self.remote_devices(&mut p)?;
        // 1. New entries of every other device, checked.
        let first_contact = p.run.marks.seen.is_empty() && p.run.marks.pushed == 0;
        for device in devices.iter().copied() {
            if device == self.store.device {
                self.check_own_log(&mut p)?;
                continue;
            }
            self.fetch_entries(&mut p, device, None, progress)?;
        }
        self.fetch_waiting(&mut p, progress)?;
        self.screen_by_roster(&mut p);
        let others = devices.iter().filter(|d| **d != self.store.device).count();
        if first_contact && others > 0 && p.foreign == others {
            // Nothing here is this vault's under its keys: do not push into it either.
            return Err(Error::RemoteMismatch {
                remote: remote.describe(),
                reason: "no log entry on it can be decrypted with this vault's keys: the keys were probably rotated on another device (set this device up again with `coffer clone` from that device's remote), or the remote is not to be trusted".into(),
            });
        }
        if p.incoming.is_empty() {
            return Ok(());
        }
        // 2. Objects, then entries, written locally in order.
        self.take_incoming(&mut p, progress)?;
        self.refresh()
    }

    /// The devices with a log on the remote; a device seen there before that is gone, and this
    /// device's log gone after an upload, are alarms (rollback).
    fn remote_devices(&self, p: &mut Pull<'_, '_>) -> Result<Vec<Id>> {
        let listed = p.run.remote.list_dirs("log")?;
        let mut devices = Vec::new();
        for d in &listed {
            match d.parse::<Id>() {
                Ok(id) => devices.push(id),
                Err(_) => p.alarm(
                    AlarmKind::UnnamedObject,
                    format!("log/{d}"),
                    "not a device log folder; ignored".into(),
                ),
            }
        }
        // Devices seen here before must still be there.
        let gone: Vec<(Id, u64)> = p
            .run
            .marks
            .seen
            .iter()
            .filter(|(d, _)| !devices.contains(d))
            .map(|(d, (seq, _))| (*d, *seq))
            .collect();
        for (d, seq) in gone {
            {
                p.alarm(
                    AlarmKind::Rollback,
                    format!("log/{d}"),
                    format!(
                        "the log of device {d} is gone, though entry {seq} was seen here (rolled back or deleted); nothing local was changed"
                    ),
                );
            }
        }
        let pushed = p.run.marks.pushed;
        if pushed > 0 && !devices.contains(&self.store.device) {
            p.run.marks.pushed = 0;
            p.alarm(
                AlarmKind::Rollback,
                format!("log/{}", self.store.device),
                format!(
                    "this device's log is gone, though entry {pushed} was uploaded (rolled back or deleted); it will be uploaded again"
                ),
            );
        }
        Ok(devices)
    }

    /// Writes the incoming entries' objects, then the entries, in order; a device stops at its
    /// first entry whose objects cannot be had whole. Groups of consecutive entries with up to
    /// [`BATCH`] objects (at least one entry) are fetched several at a time and made durable
    /// together; the marks are saved after each group, so a killed process resumes there.
    fn take_incoming(&self, p: &mut Pull<'_, '_>, progress: ProgressFn<'_>) -> Result<()> {
        let incoming = std::mem::take(&mut p.incoming);
        let mut purged: HashSet<Id> = self.state.purged_objects.clone();
        for inc in &incoming {
            for p in &inc.entry.purged {
                purged.extend(p.objects.iter().copied());
            }
        }
        let total: u64 = incoming.iter().map(|i| i.entry.objects.len() as u64).sum();
        let mut done = 0u64;
        let mut blocked: HashSet<Id> = HashSet::new();
        let mut rest: &[Incoming] = &incoming;
        while !rest.is_empty() {
            let mut n = 0;
            let mut objects = 0;
            while n < rest.len() && (n == 0 || objects + rest[n].entry.objects.len() <= BATCH) {
                objects += rest[n].entry.objects.len();
                n += 1;
            }
            let (group, later) = rest.split_at(n);
            rest = later;
            // Objects are fetched without the vault's lock (nothing names them until their
            // entries are in place), so saves on this device need not wait for the network.
            let whole = self.pull_objects(p, group, &purged, &blocked)?;
            done += objects as u64;
            progress(&Progress {
                stage: "downloading".into(),
                done,
                total,
            });
            let lock = self.lock_file()?;
            let applied = self.place_entries(p, group, &whole, &mut blocked)?;
            for inc in applied {
                p.run
                    .marks
                    .seen
                    .insert(inc.device, (inc.seq, inc.hash.clone()));
                p.run.report.pulled_entries += 1;
            }
            // Saved now: a process killed later resumes from here.
            self.save_marks_locked(p.run.name, &p.run.marks)?;
            drop(lock);
        }
        Ok(())
    }

    /// Places the entries of a group whose objects are all here, in order, durable together
    /// (after their objects); returns them. An entry whose place holds a different local file
    /// is an alarm, and stops its device. The caller holds the lock.
    fn place_entries<'g>(
        &self,
        p: &mut Pull<'_, '_>,
        group: &'g [Incoming],
        whole: &[bool],
        blocked: &mut HashSet<Id>,
    ) -> Result<Vec<&'g Incoming>> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut applied: Vec<&Incoming> = Vec::new();
        for (inc, ok) in group.iter().zip(whole) {
            if blocked.contains(&inc.device) {
                continue;
            }
            if !ok {
                blocked.insert(inc.device);
                continue;
            }
            match self.store.read_entry_file(&inc.device, inc.seq)? {
                Some(local) if local == inc.ct => applied.push(inc),
                Some(_) => {
                    p.alarm(
                        AlarmKind::LocalConflict,
                        entry_key(&inc.device, inc.seq),
                        "a different local file holds this log entry; it was kept".into(),
                    );
                    blocked.insert(inc.device);
                }
                None => {
                    let path = self.store.layout.log_entry(&inc.device, inc.seq);
                    staged.push((fsutil::write_temp(&path, &inc.ct)?, path));
                    applied.push(inc);
                }
            }
        }
        fsutil::rename_synced(&staged)?;
        Ok(applied)
    }

    /// Reads a device's entries from the last one seen here, checking that the seen one is
    /// still there unchanged (rollback, fork) and that each new one is signed and chained.
    fn fetch_entries(
        &self,
        p: &mut Pull<'_, '_>,
        device: Id,
        from: Option<(u64, Option<String>)>,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let resumed = from.is_some();
        let (mut seq, mut prev) = match from {
            Some(from) => from,
            None => match p.run.marks.seen.get(&device) {
                Some((s, h)) => (*s, Some(h.clone())),
                None => (0, None),
            },
        };
        if !resumed && seq > 0 && !self.seen_entry_unchanged(p, device, seq, prev.as_deref())? {
            return Ok(());
        }
        let local = self.state.heads.get(&device).cloned();
        // Entries are read a window at a time; the window doubles while every entry in it is
        // there (a sync after one change reads one new entry and two that do not exist yet).
        let mut window: u64 = 1;
        let mut queue: std::collections::VecDeque<Option<Vec<u8>>> = Default::default();
        loop {
            if queue.is_empty() {
                let keys: Vec<String> = (seq + 1..=seq + window)
                    .map(|s| entry_key(&device, s))
                    .collect();
                for got in p.run.remote.get_many(&keys, crate::limits::LOG_ENTRY) {
                    queue.push_back(got?);
                }
                window = (window * 2).min(MAX_WINDOW);
                p.fetched += keys.len() as u64;
                progress(&Progress {
                    stage: "reading the log".into(),
                    done: p.fetched,
                    total: 0,
                });
            }
            seq += 1;
            let Some(ct) = queue.pop_front().flatten() else {
                break;
            };
            let checked = check_entry(
                &self.store,
                (&p.roster, &p.gens),
                &device,
                seq,
                &ct,
                prev.as_deref(),
            );
            let (entry, hash) = match checked {
                Ok(opened) => opened,
                Err(fault @ (EntryFault::Unknown(_) | EntryFault::Sealed(_))) => {
                    p.waiting.push(Waiting {
                        device,
                        seq: seq - 1,
                        prev,
                        ct,
                        fault,
                    });
                    break;
                }
                Err(fault) => {
                    self.entry_refused(p, device, seq, &ct, fault);
                    break;
                }
            };
            // A roster event counts for this pull only once its entry is known not to fork
            // what this vault holds.
            let learn = |p: &mut Pull<'_, '_>, entry: &LogEntry| {
                if entry.roster.is_some() {
                    p.roster.record(&hash, entry);
                    p.roster
                        .settle(&self.store.config.vault, &self.store.keys.verifying_key());
                    self.store.learn_generations(&mut p.gens, &p.roster);
                }
            };
            if local.as_ref().is_some_and(|(s, _)| seq <= *s) {
                // Known already (e.g. through another remote): must be the same entry.
                if !self.same_as_local((&p.roster, &p.gens), &device, seq, &ct, &hash) {
                    p.alarm(
                        AlarmKind::Fork,
                        entry_key(&device, seq),
                        format!(
                            "entry {seq} of device {device} differs from the one this vault holds (a fork); nothing local was changed"
                        ),
                    );
                    break;
                }
                learn(p, &entry);
                p.run.marks.seen.insert(device, (seq, hash.clone()));
            } else {
                learn(p, &entry);
                p.incoming.push(Incoming {
                    device,
                    seq,
                    ct,
                    entry,
                    hash: hash.clone(),
                });
            }
            prev = Some(hash);
        }
        Ok(())
    }

    /// Whether entry `seq` of `device`, seen on this remote before with hash `prev`, is still
    /// there unchanged; if not, an alarm says how (gone, altered, another one).
    fn seen_entry_unchanged(
        &self,
        p: &mut Pull<'_, '_>,
        device: Id,
        seq: u64,
        prev: Option<&str>,
    ) -> Result<bool> {
        let key = entry_key(&device, seq);
        let Some(ct) = p.run.remote.get(&key, crate::limits::LOG_ENTRY)? else {
            p.alarm(
                AlarmKind::Rollback,
                key,
                format!(
                    "entry {seq} of device {device}, seen here before, is gone (rolled back); nothing local was changed"
                ),
            );
            return Ok(false);
        };
        match open_signed(&self.store, (&p.roster, &p.gens), &device, seq, &ct) {
            Err(EntryFault::Forged(why) | EntryFault::Unknown(why) | EntryFault::Sealed(why)) => {
                p.alarm(
                    AlarmKind::ForgedEntry,
                    key,
                    format!("entry {seq} of device {device}, seen here before, was altered: {why}"),
                );
                Ok(false)
            }
            Err(EntryFault::Fork) => unreachable!("the chain is not checked here"),
            Ok((_, hash)) if Some(hash.as_str()) != prev => {
                p.alarm(
                    AlarmKind::Fork,
                    key,
                    format!(
                        "entry {seq} of device {device} is not the one seen here before (a fork, or a rollback to another history); nothing local was changed"
                    ),
                );
                Ok(false)
            }
            Ok(_) => Ok(true),
        }
    }

    /// Whether the entry this vault holds as `seq` of `device` is the one read (`ct`, `hash`).
    fn same_as_local(
        &self,
        known: Known<'_>,
        device: &Id,
        seq: u64,
        ct: &[u8],
        hash: &str,
    ) -> bool {
        match crate::limits::read_file(
            self.store.layout.log_entry(device, seq),
            crate::limits::LOG_ENTRY,
        ) {
            Ok(l) => {
                l == ct
                    || open_signed(&self.store, known, device, seq, &l)
                        .is_ok_and(|(_, h)| h == hash)
            }
            Err(_) => false,
        }
    }

    /// The alarm for an entry that did not check; a first entry that does not even decrypt
    /// counts its device as foreign.
    fn entry_refused(
        &self,
        p: &mut Pull<'_, '_>,
        device: Id,
        seq: u64,
        ct: &[u8],
        fault: EntryFault,
    ) {
        let key = entry_key(&device, seq);
        let removed = p
            .roster
            .member(&self.store.device)
            .and_then(|m| m.removed.clone());
        match fault {
            EntryFault::Sealed(_) if let Some(r) = removed => {
                let (by, when) = (p.roster.name_of(&r.by), crate::note::millis_to_words(r.time));
                p.alarm(
                    AlarmKind::DeviceRemoved,
                    key,
                    format!(
                        "this device was removed by {by} on {when}: entry {seq} of device {device}, written since, is encrypted to a key it no longer gets"
                    ),
                );
            }
            EntryFault::Forged(why) | EntryFault::Sealed(why) => {
                if seq == 1
                    && crypto::decrypt(
                        &crate::store::read_identities(&p.gens, &self.store.device_keys),
                        ct,
                    )
                    .is_err()
                {
                    p.foreign += 1;
                }
                p.alarm(
                    AlarmKind::ForgedEntry,
                    key,
                    format!("entry {seq} of device {device} was rejected: {why}"),
                );
            }
            EntryFault::Unknown(why) => p.alarm(
                AlarmKind::RefusedEntry,
                key,
                format!("entry {seq} of device {device} was refused: {why}"),
            ),
            EntryFault::Fork => p.alarm(
                AlarmKind::Fork,
                key,
                format!(
                    "entry {seq} of device {device} is signed but does not follow entry {} (a fork); it and later ones were not used",
                    seq - 1
                ),
            ),
        }
    }

    /// Devices that waited for a key: read again while the roster learned in this pull lets
    /// any of them go on; what still waits then is refused.
    fn fetch_waiting(&self, p: &mut Pull<'_, '_>, progress: ProgressFn<'_>) -> Result<()> {
        loop {
            let waiting = std::mem::take(&mut p.waiting);
            if waiting.is_empty() {
                return Ok(());
            }
            let before = p.incoming.len();
            for w in waiting {
                self.fetch_entries(p, w.device, Some((w.seq, w.prev)), progress)?;
            }
            if p.incoming.len() == before {
                for w in std::mem::take(&mut p.waiting) {
                    self.entry_refused(p, w.device, w.seq + 1, &w.ct, w.fault);
                }
                return Ok(());
            }
        }
    }

    /// With every new entry read, the roster as they leave it decides which are taken: a
    /// device's entries stop at the first it refuses (an alarm). New devices and removals are
    /// announced.
    ///
    /// A refused entry's roster events (and those of its device's later entries) must not
    /// shape the decision on the others, nor the news: the roster is then made again from the
    /// events of the entries still taken, and they are screened again, until none is refused.
    fn screen_by_roster(&self, p: &mut Pull<'_, '_>) {
        loop {
            // The entries a round keeps of a device are those before its first refused one.
            let mut stopped: HashSet<Id> = HashSet::new();
            let incoming = std::mem::take(&mut p.incoming);
            for inc in incoming {
                if stopped.contains(&inc.device) {
                    continue;
                }
                if let Err(why) = p.roster.admits_entry(&inc.entry, &inc.hash) {
                    p.alarm(
                        AlarmKind::RefusedEntry,
                        entry_key(&inc.device, inc.seq),
                        format!(
                            "entry {} of device {} was refused and not applied: {why}",
                            inc.seq, inc.device
                        ),
                    );
                    stopped.insert(inc.device);
                    continue;
                }
                p.incoming.push(inc);
            }
            if stopped.is_empty() {
                break;
            }
            let mut roster = self.store.roster.clone();
            for inc in &p.incoming {
                roster.record(&inc.hash, &inc.entry);
            }
            roster.settle(&self.store.config.vault, &self.store.keys.verifying_key());
            p.roster = roster;
        }
        // An entry taken whose roster change is refused: the rest of it counts, the change
        // does not, and the user is told.
        let refused: Vec<(String, String)> = p
            .incoming
            .iter()
            .filter_map(|inc| {
                let why = p.roster.refusal(&inc.hash)?;
                Some((
                    entry_key(&inc.device, inc.seq),
                    format!(
                        "the roster change in entry {} of device {} was refused and not applied: {why}",
                        inc.seq, inc.device
                    ),
                ))
            })
            .collect();
        for (key, message) in refused {
            p.alarm(AlarmKind::RefusedEntry, key, message);
        }
        let before = &self.store.roster;
        if before.member(&self.store.device).is_none() {
            // A device that has not joined yet (a new one pulling for the first time) has
            // every other device before it: nothing is news to it.
            return;
        }
        let roster = p.roster.clone();
        for m in roster.members() {
            if m.device == self.store.device {
                continue;
            }
            let known = before.member(&m.device);
            if known.is_none() && m.added_by.is_none() {
                p.news(
                    AlarmKind::NewDevice,
                    format!("log/{}", m.device),
                    format!(
                        "new device '{}' joined with the passphrase on {}",
                        m.name,
                        crate::note::millis_to_words(m.added)
                    ),
                );
            }
            if let Some(r) = &m.removed
                && known.is_none_or(|k| k.removed.is_none())
            {
                p.news(
                    AlarmKind::DeviceRemoved,
                    format!("log/{}", m.device),
                    format!(
                        "device '{}' was removed by {} on {}; its entries after {} are refused",
                        m.name,
                        roster.name_of(&r.by),
                        crate::note::millis_to_words(r.time),
                        r.last
                    ),
                );
            }
        }
    }

    /// This device's last uploaded entry must still be on the remote, unchanged.
    fn check_own_log(&self, p: &mut Pull<'_, '_>) -> Result<()> {
        let pushed = p.run.marks.pushed;
        if pushed == 0 {
            return Ok(());
        }
        let key = entry_key(&self.store.device, pushed);
        let local = crate::limits::read_file(
            self.store.layout.log_entry(&self.store.device, pushed),
            crate::limits::LOG_ENTRY,
        )
        .map_err(Error::io("reading this device's log"))?;
        match p.run.remote.get(&key, crate::limits::LOG_ENTRY)? {
            Some(ct) if ct == local => {}
            Some(_) => {
                p.alarm(
                    AlarmKind::Fork,
                    key,
                    format!(
                        "entry {} of this device on the remote is not the one uploaded (altered or forked); it will be uploaded again",
                        pushed
                    ),
                );
                p.run.marks.pushed = 0;
            }
            None => {
                p.alarm(
                    AlarmKind::Rollback,
                    key,
                    format!(
                        "entry {} of this device, uploaded before, is gone (rolled back); it will be uploaded again",
                        pushed
                    ),
                );
                p.run.marks.pushed = 0;
            }
        }
        Ok(())
    }
}

/// Objects fetched and made durable together at most (and the entries naming them).
const BATCH: usize = 1024;

/// Log entries of one device read at once at most.
const MAX_WINDOW: u64 = 64;

/// The hex SHA-256 of a file, read in pieces; `None` if there is no file.
pub(super) fn file_sha256(path: &Path) -> Result<Option<String>> {
    match crypto::sha256_file_hex(path) {
        Ok(h) => Ok(Some(h)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
    }
}
