//! Pull: every other device's new log entries from the remote, checked like local ones, and the
//! objects they name, checked against the SHA-256 the signed entry gives; this device's own
//! last entry must still be there unchanged.

use super::*;
use crate::fsutil;
use crate::log::{ObjectKind, ObjectRef};
use std::path::PathBuf;

impl Vault {
    pub(super) fn pull(
        &mut self,
        remote: &dyn Remote,
        name: &str,
        marks: &mut Marks,
        report: &mut SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        self.refresh()?;
        let listed = remote.list_dirs("log")?;
        let mut devices = Vec::new();
        for d in &listed {
            match d.parse::<Id>() {
                Ok(id) => devices.push(id),
                Err(_) => Self::alarm(
                    report,
                    name,
                    AlarmKind::UnnamedObject,
                    format!("log/{d}"),
                    "not a device log folder; ignored".into(),
                ),
            }
        }
        // Devices seen here before must still be there.
        for (d, (seq, _)) in &marks.seen {
            if !devices.contains(d) {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Rollback,
                    format!("log/{d}"),
                    format!(
                        "the log of device {d} is gone, though entry {seq} was seen here (rolled back or deleted); nothing local was changed"
                    ),
                );
            }
        }
        if marks.pushed > 0 && !devices.contains(&self.store.device) {
            Self::alarm(
                report,
                name,
                AlarmKind::Rollback,
                format!("log/{}", self.store.device),
                format!(
                    "this device's log is gone, though entry {} was uploaded (rolled back or deleted); it will be uploaded again",
                    marks.pushed
                ),
            );
            marks.pushed = 0;
        }
        // 1. New entries of every other device, checked.
        let mut incoming: Vec<Incoming> = Vec::new();
        let mut fetched = 0;
        // Devices whose first entry does not even decrypt with this vault's keys.
        let mut foreign = 0;
        let first_contact = marks.seen.is_empty() && marks.pushed == 0;
        for device in devices.iter().copied() {
            if device == self.store.device {
                self.check_own_log(remote, name, marks, report)?;
                continue;
            }
            self.fetch_entries(
                remote,
                name,
                device,
                marks,
                report,
                &mut incoming,
                &mut fetched,
                &mut foreign,
                progress,
            )?;
        }
        let others = devices.iter().filter(|d| **d != self.store.device).count();
        if first_contact && others > 0 && foreign == others {
            // Nothing here is this vault's under its keys: do not push into it either.
            return Err(Error::RemoteMismatch {
                remote: remote.describe(),
                reason: "no log entry on it can be decrypted with this vault's keys: the keys were probably rotated on another device (set this device up again with `coffer clone` from that device's remote), or the remote is not to be trusted".into(),
            });
        }
        if incoming.is_empty() {
            return Ok(());
        }
        // 2. Objects, then entries, written locally in order; a device stops at its first
        //    entry whose objects cannot be had whole.
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
            // A group of consecutive entries with up to BATCH objects (at least one entry):
            // their objects are fetched several at a time and made durable together.
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
            let whole = self.pull_objects(remote, name, group, &purged, &blocked, report)?;
            done += objects as u64;
            progress(&Progress {
                stage: "downloading".into(),
                done,
                total,
            });
            let lock = self.lock_file()?;
            // Entries whose objects are all here, in order: durable together, after them.
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
                let path = self.store.layout.log_entry(&inc.device, inc.seq);
                match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                    Ok(local) if local == inc.ct => applied.push(inc),
                    Ok(_) => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::LocalConflict,
                            entry_key(&inc.device, inc.seq),
                            "a different local file holds this log entry; it was kept".into(),
                        );
                        blocked.insert(inc.device);
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        staged.push((fsutil::write_temp(&path, &inc.ct)?, path));
                        applied.push(inc);
                    }
                    Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
                }
            }
            commit_staged(&staged)?;
            for inc in applied {
                marks.seen.insert(inc.device, (inc.seq, inc.hash.clone()));
                report.pulled_entries += 1;
            }
            // Saved now: a process killed later resumes from here.
            self.save_marks_locked(name, marks)?;
            drop(lock);
        }
        self.refresh()
    }

    /// Reads a device's entries from the last one seen here, checking that the seen one is
    /// still there unchanged (rollback, fork) and that each new one is signed and chained.
    #[allow(clippy::too_many_arguments)]
    fn fetch_entries(
        &self,
        remote: &dyn Remote,
        name: &str,
        device: Id,
        marks: &mut Marks,
        report: &mut SyncReport,
        incoming: &mut Vec<Incoming>,
        fetched: &mut u64,
        foreign: &mut usize,
        progress: ProgressFn<'_>,
    ) -> Result<()> {
        let (mut seq, mut prev) = match marks.seen.get(&device) {
            Some((s, h)) => (*s, Some(h.clone())),
            None => (0, None),
        };
        if seq > 0 {
            let key = entry_key(&device, seq);
            match remote.get(&key, crate::limits::LOG_ENTRY)? {
                None => {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::Rollback,
                        key,
                        format!(
                            "entry {seq} of device {device}, seen here before, is gone (rolled back); nothing local was changed"
                        ),
                    );
                    return Ok(());
                }
                Some(ct) => {
                    match open_signed(&self.store.keys, &self.store.config, &device, seq, &ct) {
                        Err(why) => {
                            Self::alarm(
                                report,
                                name,
                                AlarmKind::ForgedEntry,
                                key,
                                format!(
                                    "entry {seq} of device {device}, seen here before, was altered: {why}"
                                ),
                            );
                            return Ok(());
                        }
                        Ok((_, hash)) if Some(&hash) != prev.as_ref() => {
                            Self::alarm(
                                report,
                                name,
                                AlarmKind::Fork,
                                key,
                                format!(
                                    "entry {seq} of device {device} is not the one seen here before (a fork, or a rollback to another history); nothing local was changed"
                                ),
                            );
                            return Ok(());
                        }
                        Ok(_) => {}
                    }
                }
            }
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
                for got in remote.get_many(&keys, crate::limits::LOG_ENTRY) {
                    queue.push_back(got?);
                }
                window = (window * 2).min(MAX_WINDOW);
                *fetched += keys.len() as u64;
                progress(&Progress {
                    stage: "reading the log".into(),
                    done: *fetched,
                    total: 0,
                });
            }
            seq += 1;
            let key = entry_key(&device, seq);
            let Some(ct) = queue.pop_front().flatten() else {
                break;
            };
            match check_entry(
                &self.store.keys,
                &self.store.config,
                &device,
                seq,
                &ct,
                prev.as_deref(),
            ) {
                Ok((entry, hash)) => {
                    let have_locally = local.as_ref().is_some_and(|(s, _)| seq <= *s);
                    if have_locally {
                        // Known already (e.g. through another remote): must be the same entry.
                        let same = match crate::limits::read_file(
                            self.store.layout.log_entry(&device, seq),
                            crate::limits::LOG_ENTRY,
                        ) {
                            Ok(l) => {
                                l == ct
                                    || open_signed(
                                        &self.store.keys,
                                        &self.store.config,
                                        &device,
                                        seq,
                                        &l,
                                    )
                                    .is_ok_and(|(_, h)| h == hash)
                            }
                            Err(_) => false,
                        };
                        if !same {
                            Self::alarm(
                                report,
                                name,
                                AlarmKind::Fork,
                                key,
                                format!(
                                    "entry {seq} of device {device} differs from the one this vault holds (a fork); nothing local was changed"
                                ),
                            );
                            break;
                        }
                        marks.seen.insert(device, (seq, hash.clone()));
                    } else {
                        incoming.push(Incoming {
                            device,
                            seq,
                            ct,
                            entry,
                            hash: hash.clone(),
                        });
                    }
                    prev = Some(hash);
                }
                Err(EntryFault::Forged(why)) => {
                    if seq == 1
                        && crypto::decrypt(&[self.store.keys.vault_identity()], &ct).is_err()
                    {
                        *foreign += 1;
                    }
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::ForgedEntry,
                        key,
                        format!("entry {seq} of device {device} was rejected: {why}"),
                    );
                    break;
                }
                Err(EntryFault::Fork) => {
                    Self::alarm(
                        report,
                        name,
                        AlarmKind::Fork,
                        key,
                        format!(
                            "entry {seq} of device {device} is signed but does not follow entry {} (a fork); it and later ones were not used",
                            seq - 1
                        ),
                    );
                    break;
                }
            }
        }
        Ok(())
    }

    /// This device's last uploaded entry must still be on the remote, unchanged.
    fn check_own_log(
        &self,
        remote: &dyn Remote,
        name: &str,
        marks: &mut Marks,
        report: &mut SyncReport,
    ) -> Result<()> {
        if marks.pushed == 0 {
            return Ok(());
        }
        let key = entry_key(&self.store.device, marks.pushed);
        let local = crate::limits::read_file(
            self.store
                .layout
                .log_entry(&self.store.device, marks.pushed),
            crate::limits::LOG_ENTRY,
        )
        .map_err(Error::io("reading this device's log"))?;
        match remote.get(&key, crate::limits::LOG_ENTRY)? {
            Some(ct) if ct == local => {}
            Some(_) => {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Fork,
                    key,
                    format!(
                        "entry {} of this device on the remote is not the one uploaded (altered or forked); it will be uploaded again",
                        marks.pushed
                    ),
                );
                marks.pushed = 0;
            }
            None => {
                Self::alarm(
                    report,
                    name,
                    AlarmKind::Rollback,
                    key,
                    format!(
                        "entry {} of this device, uploaded before, is gone (rolled back); it will be uploaded again",
                        marks.pushed
                    ),
                );
                marks.pushed = 0;
            }
        }
        Ok(())
    }
}

/// Objects fetched and made durable together at most (and the entries naming them).
const BATCH: usize = 1024;

/// Log entries of one device read at once at most.
const MAX_WINDOW: u64 = 64;

impl Vault {
    /// Fetches the objects a group of new entries names (unless purged or already here with
    /// the right hash), checks each against the SHA-256 its signed entry gives, and makes the
    /// good ones durable. Says for each entry whether all its objects are here now. Notes come
    /// several at a time; attachments are streamed to a temp file, one at a time. What was
    /// fetched and checked before a failure is kept, so a resumed sync does not fetch it again.
    fn pull_objects(
        &self,
        remote: &dyn Remote,
        name: &str,
        group: &[Incoming],
        purged: &HashSet<Id>,
        blocked: &HashSet<Id>,
        report: &mut SyncReport,
    ) -> Result<Vec<bool>> {
        let mut whole = vec![true; group.len()];
        let mut small: Vec<(usize, &Incoming, &ObjectRef)> = Vec::new();
        let mut large: Vec<(usize, &Incoming, &ObjectRef)> = Vec::new();
        let mut wanted: HashSet<Id> = HashSet::new();
        for (i, inc) in group.iter().enumerate() {
            if blocked.contains(&inc.device) {
                whole[i] = false;
                continue;
            }
            for obj in &inc.entry.objects {
                if purged.contains(&obj.id) || !wanted.insert(obj.id) {
                    continue;
                }
                match file_sha256(&self.store.layout.object(&obj.id))? {
                    Some(h) if h == obj.sha256 => continue,
                    Some(_) => {
                        Self::alarm(
                            report,
                            name,
                            AlarmKind::LocalConflict,
                            object_key(&obj.id),
                            format!(
                                "the local object {} differs from the one device {}'s entry {} names; the local file was kept and this entry is not applied",
                                obj.id, inc.device, inc.seq
                            ),
                        );
                        whole[i] = false;
                        continue;
                    }
                    None => {}
                }
                match obj.kind {
                    ObjectKind::Attachment => large.push((i, inc, obj)),
                    _ => small.push((i, inc, obj)),
                }
            }
        }
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut failure: Option<Error> = None;
        let keys: Vec<String> = small.iter().map(|(_, _, o)| object_key(&o.id)).collect();
        let fetched = remote.get_many(&keys, crate::limits::OBJECT);
        for ((i, inc, obj), got) in small.iter().zip(fetched) {
            let got = match got {
                Ok(got) => got,
                // No object the entry names can be that large: another one is in its place.
                Err(Error::RemoteFileTooLarge { .. }) => {
                    whole[*i] = false;
                    Self::swapped(report, name, inc, obj);
                    continue;
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    continue;
                }
            };
            let Some(ct) = got else {
                whole[*i] = false;
                Self::dropped(report, name, inc, obj);
                continue;
            };
            if crypto::sha256_hex(&ct) != obj.sha256 {
                whole[*i] = false;
                Self::swapped(report, name, inc, obj);
                continue;
            }
            let path = self.store.layout.object(&obj.id);
            staged.push((fsutil::write_temp(&path, &ct)?, path));
            report.pulled_objects += 1;
        }
        for (i, inc, obj) in &large {
            if failure.is_some() {
                break;
            }
            let path = self.store.layout.object(&obj.id);
            let dir = path.parent().expect("objects have a folder");
            fsutil::create_dirs(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
            let tmp = fsutil::temp_path(dir);
            match remote.get_to_file(&object_key(&obj.id), &tmp, u64::MAX) {
                Err(e) => failure = Some(e),
                Ok(None) => {
                    whole[*i] = false;
                    Self::dropped(report, name, inc, obj);
                }
                Ok(Some(h)) if h != obj.sha256 => {
                    let _ = fs::remove_file(&tmp);
                    whole[*i] = false;
                    Self::swapped(report, name, inc, obj);
                }
                Ok(Some(_)) => {
                    staged.push((tmp, path));
                    report.pulled_objects += 1;
                }
            }
        }
        commit_staged(&staged)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(whole),
        }
    }

    fn dropped(report: &mut SyncReport, name: &str, inc: &Incoming, obj: &ObjectRef) {
        Self::alarm(
            report,
            name,
            AlarmKind::DroppedObject,
            object_key(&obj.id),
            format!(
                "object {} named by entry {} of device {} is missing on the remote (dropped); that device's later changes wait until it is back",
                obj.id, inc.seq, inc.device
            ),
        );
    }

    fn swapped(report: &mut SyncReport, name: &str, inc: &Incoming, obj: &ObjectRef) {
        Self::alarm(
            report,
            name,
            AlarmKind::SwappedObject,
            object_key(&obj.id),
            format!(
                "object {} differs from the one entry {} of device {} names (swapped or altered); it was not used",
                obj.id, inc.seq, inc.device
            ),
        );
    }
}

/// The hex SHA-256 of a file, read in pieces; `None` if there is no file.
pub(super) fn file_sha256(path: &Path) -> Result<Option<String>> {
    match crypto::sha256_file_hex(path) {
        Ok(h) => Ok(Some(h)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
    }
}

/// Makes finished temp files durable and moves each into place: one round of fsyncs, the
/// renames in order, then one fsync per folder.
fn commit_staged(staged: &[(PathBuf, PathBuf)]) -> Result<()> {
    if staged.is_empty() {
        return Ok(());
    }
    let temps: Vec<&Path> = staged.iter().map(|(t, _)| t.as_path()).collect();
    fsutil::sync_files(&temps)?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (tmp, path) in staged {
        fs::rename(tmp, path).map_err(Error::io(format!("renaming into {}", path.display())))?;
        let dir = path.parent().expect("a file has a folder").to_path_buf();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    fsutil::sync_dirs(&dirs)
}
