//! `verify`: walks every log entry and every object, and names each problem with the object it
//! concerns. Nothing is changed or deleted.

use crate::crypto;
use crate::log::ObjectKind;
use crate::note::Revision;
use crate::vault::{ProblemKind, Vault};
use crate::{Error, Id, Progress, ProgressFn, Result};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;

/// One problem found by `verify`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    /// The object or log entry concerned (a path inside the vault).
    pub path: String,
    /// What is wrong (or was noticed), in a sentence for the user.
    pub message: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    /// How many log entries opened and checked out, including those still in this
    /// device's save journal.
    pub log_entries: usize,
    /// How many objects the log names were checked (those of purged notes are skipped).
    pub objects: usize,
    /// Damage: the vault is not whole.
    pub problems: Vec<Problem>,
    /// Harmless findings, such as objects left by an interrupted save.
    pub warnings: Vec<Problem>,
}

impl VerifyReport {
    /// Whether the vault is whole: `true` when there are no problems (warnings are fine).
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Vault {
    /// Checks the whole vault: every device's log entry by entry (and this device's save
    /// journal), every object the log names, every attachment decrypted through, and files in
    /// `objects/` that nothing names.
    pub fn verify(&self, progress: ProgressFn<'_>) -> Result<VerifyReport> {
        let mut walk = Walk {
            vault: self,
            report: VerifyReport::default(),
            named: HashMap::new(),
            purged: HashSet::new(),
            in_journal: HashMap::new(),
        };
        for device in walk.devices()? {
            walk.device_log(&device)?;
        }
        walk.unopened_generations();
        let notes = walk.objects(progress)?;
        walk.attachments(&notes);
        walk.unnamed_objects();
        walk.what_loading_met();
        let mut report = walk.report;
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(report)
    }
}

/// What `verify` has seen so far.
struct Walk<'a> {
    vault: &'a Vault,
    report: VerifyReport,
    /// Every object the log names: its kind and ciphertext hash.
    named: HashMap<Id, (ObjectKind, String)>,
    /// Objects a purge deleted.
    purged: HashSet<Id>,
    /// Objects of journal records not yet written out: checked from the journal.
    in_journal: HashMap<Id, Vec<u8>>,
}

impl Walk<'_> {
    /// Key generations sealed to this device that did not open: what is written to them
    /// cannot be read here.
    fn unopened_generations(&mut self) {
        let store = &self.vault.store;
        for (hash, why) in store.generations.unopened() {
            let path = match store.roster.event_place(hash) {
                Some((d, seq)) => format!("log/{d}/{}", crate::log::entry_file_name(seq)),
                None => "log".into(),
            };
            self.report.problems.push(Problem {
                path,
                message: format!(
                    "the key generations this entry seals to this device do not open ({why}): damaged, or made to mislead; this device writes with the keys it holds"
                ),
            });
        }
    }

    /// A path as shown in the report: inside the vault folder.
    fn rel(&self, p: &std::path::Path) -> String {
        p.strip_prefix(&self.vault.store.layout.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    /// Every device with a log folder, and this one (its first entries may all be in the
    /// journal still). Anything else in `log/` is a warning.
    fn devices(&mut self) -> Result<Vec<Id>> {
        let layout = &self.vault.store.layout;
        let mut devices = Vec::new();
        match fs::read_dir(layout.logs()) {
            Ok(rd) => {
                for e in rd.filter_map(|e| e.ok()) {
                    match e.file_name().to_string_lossy().parse::<Id>() {
                        Ok(id) => devices.push(id),
                        Err(_) => self.report.warnings.push(Problem {
                            path: self.rel(&e.path()),
                            message: "not a device log folder; ignored".into(),
                        }),
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("listing the log")(e)),
        }
        if !devices.contains(&self.vault.store.device) {
            devices.push(self.vault.store.device);
        }
        Ok(devices)
    }

    /// Step 1: One device's log, entry by entry from the start (and for this device, on into the
    /// save journal), then the files of its folder that are not part of the chain.
    fn device_log(&mut self, device: &Id) -> Result<()> {
        let dir = self.vault.store.layout.log_dir(device);
        let mut files: Vec<String> = match fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(format!("listing {}", dir.display()))(e)),
        };
        files.sort();
        let chain = self.chain(device)?;
        // This device's log continues in the save journal (crate::journal).
        if *device == self.vault.store.device && !chain.broken {
            let check = self.vault.check_journal(chain.seq, chain.prev.clone())?;
            for entry in check.entries {
                self.report.log_entries += 1;
                for o in entry.objects {
                    self.named.insert(o.id, (o.kind, o.sha256));
                }
            }
            self.in_journal.extend(check.objects);
            if let Some(message) = check.problem {
                self.report.problems.push(Problem {
                    path: "local/journal".into(),
                    message,
                });
            }
        }
        for f in files.iter().filter(|f| !chain.files.contains(*f)) {
            let path = self.rel(&dir.join(f));
            if f.starts_with(crate::fsutil::TEMP_PREFIX) {
                self.report.warnings.push(Problem {
                    path,
                    message: "a temp file left by an interrupted save; harmless".into(),
                });
            } else {
                self.report.problems.push(Problem {
                    path,
                    message:
                        "not part of the device's log chain (after a gap or damaged entry); ignored"
                            .into(),
                });
            }
        }
        Ok(())
    }

    /// A device's entries in order from the first, each opened and checked against the one
    /// before it, until the first missing or bad one.
    fn chain(&mut self, device: &Id) -> Result<Chain> {
        let mut chain = Chain::default();
        loop {
            let path = self.vault.store.layout.log_entry(device, chain.seq + 1);
            let Some(ct) = self.vault.store.read_entry_file(device, chain.seq + 1)? else {
                break;
            };
            chain
                .files
                .insert(crate::log::entry_file_name(chain.seq + 1));
            let opened =
                self.vault
                    .store
                    .open_entry(device, chain.seq + 1, &ct, chain.prev.as_deref());
            match opened {
                Ok((entry, hash)) => {
                    self.report.log_entries += 1;
                    for o in entry.objects {
                        self.named.insert(o.id, (o.kind, o.sha256));
                    }
                    for p in entry.purged {
                        self.purged.extend(p.objects);
                    }
                    chain.prev = Some(hash);
                    chain.seq += 1;
                }
                Err(e) => {
                    self.report.problems.push(Problem {
                        path: self.rel(&path),
                        message: e.to_string(),
                    });
                    chain.broken = true;
                    break;
                }
            }
        }
        Ok(chain)
    }

    /// Step 2: Every object the log names: present, unaltered, decryptable, bound to its name.
    /// Returns the note revisions read.
    fn objects(&mut self, progress: ProgressFn<'_>) -> Result<HashMap<Id, Revision>> {
        let named = std::mem::take(&mut self.named);
        let total = named.len() as u64;
        let mut notes = HashMap::new();
        for (done, (id, (kind, sha))) in (1u64..).zip(&named) {
            if done.is_multiple_of(64) || done == total {
                progress(&Progress {
                    stage: "verifying".into(),
                    done,
                    total,
                });
            }
            if self.purged.contains(id) {
                continue;
            }
            self.report.objects += 1;
            let path = self.vault.store.layout.object(id);
            match self.object(id, *kind, sha, &path)? {
                Ok(Some(rev)) => {
                    notes.insert(*id, rev);
                }
                Ok(None) => {}
                Err(message) => self.report.problems.push(Problem {
                    path: self.rel(&path),
                    message,
                }),
            }
        }
        self.named = named;
        Ok(notes)
    }

    /// One object: `Ok(Err(problem))` for damage, `Ok(Ok(Some))` for a note revision read.
    fn object(
        &mut self,
        id: &Id,
        kind: ObjectKind,
        sha: &str,
        path: &std::path::Path,
    ) -> Result<std::result::Result<Option<Revision>, String>> {
        // Attachments are hashed as they are read, never held whole; anything else is read
        // whole, within the format's limit for it.
        let read = match self.in_journal.remove(id) {
            Some(ct) => Ok((crypto::sha256_hex(&ct), ct)),
            None if kind == ObjectKind::Attachment => {
                crypto::sha256_file_hex(path).map(|h| (h, Vec::new()))
            }
            None => crate::limits::read_file(path, crate::limits::OBJECT)
                .map(|ct| (crypto::sha256_hex(&ct), ct)),
        };
        let (hash, ct) = match read {
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Ok(Err("missing (named by the log, but not on disk)".into()));
            }
            Err(e) if e.kind() == ErrorKind::FileTooLarge => return Ok(Err(e.to_string())),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
        };
        if hash != sha {
            return Ok(Err(
                "its ciphertext differs from the one the log names (swapped or altered)".into(),
            ));
        }
        if kind != ObjectKind::Note {
            return Ok(Ok(None));
        }
        let store = &self.vault.store;
        Ok(crypto::decrypt(&store.read_identities(), &ct)
            .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))
            .and_then(|p| Revision::decode(&p, &store.config.vault, id))
            .map(Some)
            .map_err(|e| e.to_string()))
    }

    /// Step 3: Attachments: decrypt through, compare with what their note recorded.
    fn attachments(&mut self, notes: &HashMap<Id, Revision>) {
        let mut attachments = HashMap::new();
        for rev in notes.values() {
            for a in &rev.attachments {
                attachments.insert(a.object, (rev.note, a.clone()));
            }
        }
        for (id, (kind, _)) in &self.named {
            if *kind != ObjectKind::Attachment || self.purged.contains(id) {
                continue;
            }
            let path = self.rel(&self.vault.store.layout.object(id));
            match attachments.get(id) {
                None => self.report.warnings.push(Problem {
                    path,
                    message: "an attachment no revision refers to".into(),
                }),
                Some((note, a)) => {
                    if let Err(e) = self.vault.decrypt_attachment(note, a, &mut std::io::sink()) {
                        self.report.problems.push(Problem {
                            path,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
    }

    /// Step 5: What loading met that the steps above do not look at again: a log that went
    /// back (entries this vault had read are gone) is damage; a snapshot cache that could not
    /// be used, contacts or messages that could not be read, and a key rotation left
    /// unfinished are warnings.
    fn what_loading_met(&mut self) {
        for p in self.vault.load_problems() {
            let (path, problem) = match p.kind {
                ProblemKind::RolledBack => ("log", true),
                ProblemKind::Snapshot => ("local/snapshot.age", false),
                ProblemKind::Messages => ("messages", false),
                // Found again, and named, by the steps above.
                ProblemKind::Log | ProblemKind::Object | ProblemKind::Journal => continue,
            };
            let found = Problem {
                path: path.into(),
                message: p.message.clone(),
            };
            if problem {
                self.report.problems.push(found);
            } else {
                self.report.warnings.push(found);
            }
        }
        if self
            .vault
            .store
            .layout
            .local()
            .join("rotation.age")
            .exists()
        {
            self.report.warnings.push(Problem {
                path: "local/rotation.age".into(),
                message: "a key rotation was interrupted: the next unlock finishes it".into(),
            });
        }
    }

    /// Step 4: Files in objects/ that no log entry names.
    fn unnamed_objects(&mut self) {
        let Ok(shards) = fs::read_dir(self.vault.store.layout.objects()) else {
            return;
        };
        for shard in shards.filter_map(|e| e.ok()) {
            let Ok(files) = fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.filter_map(|e| e.ok()) {
                let name = f.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".age").and_then(|s| s.parse::<Id>().ok());
                if id.is_some_and(|id| self.named.contains_key(&id)) {
                    continue;
                }
                self.report.warnings.push(Problem {
                    path: self.rel(&f.path()),
                    message: if name.starts_with(crate::fsutil::TEMP_PREFIX) {
                        "a temp file left by an interrupted save; harmless".into()
                    } else {
                        "no log entry names this object: left by an interrupted save, or put here by someone else; ignored".into()
                    },
                });
            }
        }
    }
}

/// How far a device's log chain reached.
#[derive(Default)]
struct Chain {
    /// The last entry that opened, and its hash.
    seq: u64,
    prev: Option<String>,
    /// The file names of the entries read.
    files: HashSet<String>,
    /// It ended in a bad entry, not a missing one.
    broken: bool,
}
