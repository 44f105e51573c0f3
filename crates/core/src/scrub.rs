//! The check after unlock (the scrub): every file the log names is read again and its SHA-256
//! compared with the one this vault learned when it verified the signed entry that names it
//! (an object), or when it read or wrote the entry's own file (a log entry). Nothing is
//! decrypted, so it costs one read of the vault's files and runs after every unlock; damage it
//! finds is kept as an alarm (`local/sync.age`, shown in the app's alarm view). `verify` is the
//! full check.
//!
//! The hashes live in the state ([`Prints`]) and so in the encrypted snapshot: an open from the
//! snapshot knows them without reading a single log entry.

use crate::log::ObjectRef;
use crate::store::Layout;
use crate::sync::{Alarm, AlarmKind};
use crate::vault::{ProblemKind, Vault};
use crate::{Id, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// A SHA-256.
pub(crate) type Sha = [u8; 32];

/// What the name of a damaged-file alarm's remote says: the damage is in this device's folder.
pub const THIS_DEVICE: &str = "this device";

/// The SHA-256 of every file the applied log names, as the vault learned it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Prints {
    /// Per device, the hash of each log entry's file, entry 1 first; `None` where this handle
    /// has not seen the file's bytes (this device's entries that another process wrote out of
    /// the save journal): those are left to `verify`.
    entries: BTreeMap<Id, Vec<Option<Sha>>>,
    /// Every object named and not purged.
    objects: HashMap<Id, Sha>,
}

impl Prints {
    /// The objects a verified entry names (those a purge deleted are not expected).
    pub(crate) fn learn_objects(&mut self, objects: &[ObjectRef], purged: &HashSet<Id>) {
        for o in objects.iter().filter(|o| !purged.contains(&o.id)) {
            if let Some(sha) = parse_sha(&o.sha256) {
                self.objects.insert(o.id, sha);
            }
        }
    }

    /// A log entry applied: the hash of its file where known.
    pub(crate) fn learn_entry(&mut self, device: Id, seq: u64, print: Option<Sha>) {
        let Some(i) = seq.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
            return;
        };
        let list = self.entries.entry(device).or_default();
        if list.len() <= i {
            list.resize(i + 1, None);
        }
        if print.is_some() {
            list[i] = print;
        }
    }

    /// Objects a purge deleted.
    pub(crate) fn forget_objects(&mut self, ids: &[Id]) {
        for id in ids {
            self.objects.remove(id);
        }
    }

    /// The hash an object's file must have.
    pub(crate) fn object(&self, id: &Id) -> Option<&Sha> {
        self.objects.get(id)
    }

    /// The hash a log entry's file must have, where known.
    pub(crate) fn entry(&self, device: &Id, seq: u64) -> Option<Sha> {
        let i = usize::try_from(seq.checked_sub(1)?).ok()?;
        *self.entries.get(device)?.get(i)?
    }
}

/// The hex SHA-256 a log entry names, as bytes.
fn parse_sha(hex: &str) -> Option<Sha> {
    let mut sha = [0u8; 32];
    hex::decode_to_slice(hex, &mut sha).ok()?;
    Some(sha)
}

/// One file the scrub expects, and the hash it must have.
#[derive(Clone, Debug)]
pub(crate) enum Expected {
    Entry { device: Id, seq: u64, sha: Sha },
    Object { id: Id, sha: Sha },
}

impl Expected {
    /// Its key on a remote (the same path as in the vault folder).
    pub(crate) fn key(&self) -> String {
        match self {
            Expected::Entry { device, seq, .. } => crate::sync::entry_key(device, *seq),
            Expected::Object { id, .. } => crate::sync::object_key(id),
        }
    }

    pub(crate) fn path(&self, layout: &Layout) -> PathBuf {
        match self {
            Expected::Entry { device, seq, .. } => layout.log_entry(device, *seq),
            Expected::Object { id, .. } => layout.object(id),
        }
    }

    pub(crate) fn sha(&self) -> &Sha {
        match self {
            Expected::Entry { sha, .. } | Expected::Object { sha, .. } => sha,
        }
    }
}

/// What the scrub will read: taken from the vault at once, run anywhere (a background thread),
/// its findings confirmed by the vault afterwards ([`Vault::confirm_damage`]).
pub struct Scrub {
    layout: Layout,
    expected: Vec<Expected>,
    /// Entries whose file hash this handle does not know: not checked.
    unchecked: usize,
}

/// What a scrub found, before the vault confirms it.
#[derive(Debug, Default)]
pub struct ScrubFound {
    /// Files read and hashed.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Log entries not checked (their file hash is not known here; `verify` checks them).
    pub unchecked: usize,
    /// Stopped before the end (the vault was locked).
    pub cancelled: bool,
    damaged: Vec<(Expected, String)>,
}

/// One damaged file, confirmed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Damage {
    /// The file, inside the vault folder (`objects/xx/<id>.age`, `log/<device>/<seq>.age`).
    pub path: String,
    /// What is wrong with it, in a sentence for the user.
    pub message: String,
}

/// What a scrub found, confirmed.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScrubReport {
    /// Files read and hashed.
    pub files: usize,
    /// Their bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Log entries not checked here (`verify` checks them).
    pub unchecked: usize,
    /// Damaged or missing files, each also kept as an alarm.
    pub damaged: Vec<Damage>,
}

impl Scrub {
    /// Reads every expected file and compares its hash. `cancel`: stop early.
    pub fn run(&self, cancel: &AtomicBool) -> ScrubFound {
        let mut found = ScrubFound {
            unchecked: self.unchecked,
            ..ScrubFound::default()
        };
        for e in &self.expected {
            if cancel.load(Ordering::Relaxed) {
                found.cancelled = true;
                break;
            }
            match check(&e.path(&self.layout), e.sha()) {
                Ok(bytes) => {
                    found.files += 1;
                    found.bytes += bytes;
                }
                Err(why) => found.damaged.push((e.clone(), why)),
            }
        }
        found
    }

    /// Runs on a thread of its own at the lowest CPU priority; `cancel` stops it early.
    pub fn run_in_background(
        self,
        cancel: Arc<AtomicBool>,
    ) -> std::io::Result<JoinHandle<ScrubFound>> {
        std::thread::Builder::new()
            .name("coffer-scrub".into())
            .spawn(move || {
                crate::lower_this_threads_priority();
                self.run(&cancel)
            })
    }

    /// How many files it will read.
    pub fn files(&self) -> usize {
        self.expected.len()
    }
}

/// One file against its hash: its size, or what is wrong.
fn check(path: &std::path::Path, sha: &Sha) -> std::result::Result<u64, String> {
    match crate::crypto::sha256_file(path) {
        Ok((got, size)) if &got == sha => Ok(size),
        Ok(_) => Err(
            "its bytes differ from those its signed log entry names: damaged on this disk, or altered"
                .into(),
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err("missing: the log names it, but it is not in the vault folder".into())
        }
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

impl Vault {
    /// What a scrub of this vault reads: every object the log names and every log entry whose
    /// file hash is known, except what is still only in the save journal.
    pub fn scrub_plan(&self) -> Scrub {
        let state = self.state.meta();
        let prints = &state.prints;
        let mut expected = Vec::with_capacity(prints.objects.len());
        let mut unchecked = 0;
        for (device, list) in &prints.entries {
            for (i, print) in list.iter().enumerate() {
                let seq = i as u64 + 1;
                if *device == self.store.device && self.journal.entry(seq).is_some() {
                    continue;
                }
                match print {
                    Some(sha) => expected.push(Expected::Entry {
                        device: *device,
                        seq,
                        sha: *sha,
                    }),
                    None => unchecked += 1,
                }
            }
        }
        for (id, sha) in &prints.objects {
            if self.journal.object(id).is_none() {
                expected.push(Expected::Object { id: *id, sha: *sha });
            }
        }
        // In the order of the folder's files: objects by shard, which the disk reads best.
        expected.sort_by_cached_key(|e| e.path(&self.store.layout));
        Scrub {
            layout: self.store.layout.clone(),
            expected,
            unchecked,
        }
    }

    /// Confirms what a scrub found against the vault as it is now (a file the log no longer
    /// names, or one that reads right again, was moved by a save meanwhile), keeps each damaged
    /// file as an alarm (unless opened to look only) and as a load problem, and returns them.
    pub fn confirm_damage(&mut self, found: ScrubFound) -> Result<ScrubReport> {
        let mut report = ScrubReport {
            files: found.files,
            bytes: found.bytes,
            unchecked: found.unchecked,
            damaged: Vec::new(),
        };
        for (e, _) in found.damaged {
            let state = self.state.meta();
            let still = match &e {
                Expected::Entry { device, seq, sha } => {
                    state.prints.entry(device, *seq) == Some(*sha)
                        && !(*device == self.store.device && self.journal.entry(*seq).is_some())
                }
                Expected::Object { id, sha } => {
                    state.prints.objects.get(id) == Some(sha) && self.journal.object(id).is_none()
                }
            };
            let path = e.path(&self.store.layout);
            if !still {
                continue;
            }
            if let Expected::Entry { device, seq, .. } = &e
                && let Some(print) = self.entry_rewritten(device, *seq)
            {
                self.state.prints.learn_entry(*device, *seq, Some(print));
                continue;
            }
            if let Err(message) = check(&path, e.sha()) {
                let path = path
                    .strip_prefix(&self.store.layout.root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                report.damaged.push(Damage { path, message });
            }
        }
        for d in &report.damaged {
            let kind = if d.path.starts_with("log/") {
                ProblemKind::Log
            } else {
                ProblemKind::Object
            };
            self.add_load_problem(kind, format!("{}: {}", d.path, d.message));
        }
        if !report.damaged.is_empty() && !self.look_only {
            let now = crate::note::now_millis();
            let alarms: Vec<Alarm> = report
                .damaged
                .iter()
                .map(|d| Alarm {
                    kind: AlarmKind::DamagedFile,
                    remote: THIS_DEVICE.into(),
                    key: d.path.clone(),
                    message: d.message.clone(),
                    time: now,
                })
                .collect();
            self.raise_alarms(&alarms)?;
        }
        Ok(report)
    }

    /// A log entry file whose bytes changed but which still holds the genuine entry (signed,
    /// and the one the next entry, or this vault's head, names): a checkpoint interrupted
    /// after writing it out writes it again, encrypted afresh. Returns its new file hash.
    fn entry_rewritten(&self, device: &Id, seq: u64) -> Option<Sha> {
        let ct = self.store.read_entry_file(device, seq).ok().flatten()?;
        let u = self.store.read_unverified(device, seq, &ct).ok()?;
        let (_, hash) = self.store.verify_entry(u).ok()?;
        let named = match self.state.meta().heads.get(device) {
            Some((head, h)) if *head == seq => Some(h.clone()),
            _ => self.read_log_entry(device, seq + 1).and_then(|e| e.prev),
        };
        (named.as_deref() == Some(hash.as_str())).then(|| Sha256::digest(&ct).into())
    }

    /// A whole scrub, on this thread.
    pub fn scrub(&mut self) -> Result<ScrubReport> {
        let found = self.scrub_plan().run(&AtomicBool::new(false));
        self.confirm_damage(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_placed_by_sequence_number() {
        let mut p = Prints::default();
        let d = Id::random();
        p.learn_entry(d, 2, Some([2; 32]));
        p.learn_entry(d, 1, None);
        p.learn_entry(d, 0, Some([9; 32]));
        assert_eq!(p.entry(&d, 1), None);
        assert_eq!(p.entry(&d, 2), Some([2; 32]));
        assert_eq!(p.entry(&d, 3), None);
        p.learn_entry(d, 1, Some([1; 32]));
        assert_eq!(p.entry(&d, 1), Some([1; 32]));
    }

    #[test]
    fn an_entry_written_again_encrypted_afresh_is_not_damage() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let pass = crate::secrecy::SecretString::from("scrub unit test".to_string());
        let opts = crate::InitOptions { work_factor: 10 };
        let mut v = Vault::init(&tmp.path().join("v"), &pass, &opts).expect("init");
        v.create(crate::NewNote {
            title: "One".into(),
            ..Default::default()
        })
        .expect("create");
        v.checkpoint().expect("checkpoint");
        let device = v.device_id();
        let (seq, _) = v.state.meta().heads[&device].clone();
        // What a checkpoint interrupted before it started the journal's next generation does
        // on the next open: the same signed entry, encrypted again.
        let path = v.store.layout.log_entry(&device, seq);
        let ct = std::fs::read(&path).expect("entry");
        let plain = v.store.decrypt_entry(&device, seq, &ct).expect("decrypt");
        let again = crate::crypto::encrypt(&[&v.store.write_recipient()], &plain).expect("encrypt");
        std::fs::write(&path, &again).expect("write");
        let r = v.scrub().expect("scrub");
        assert!(r.damaged.is_empty(), "{:?}", r.damaged);
        assert_eq!(
            v.state.meta().prints.entry(&device, seq),
            Some(Sha256::digest(&again).into())
        );
        // An entry that is not the genuine one is damage.
        let mut bad = again.clone();
        let at = bad.len() - 20;
        bad[at] ^= 1;
        std::fs::write(&path, &bad).expect("write");
        let r = v.scrub().expect("scrub");
        assert_eq!(r.damaged.len(), 1, "{:?}", r.damaged);
    }

    #[test]
    fn a_bad_hex_hash_is_not_learned() {
        assert_eq!(parse_sha("zz"), None);
        assert_eq!(parse_sha(&"ab".repeat(32)), Some([0xab; 32]));
    }
}
