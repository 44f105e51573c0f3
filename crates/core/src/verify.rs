//! `verify`: walks every log entry and every object, and names each problem with the object it
//! concerns. Nothing is changed or deleted.

use crate::crypto;
use crate::log::ObjectKind;
use crate::note::Revision;
use crate::vault::Vault;
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
    pub message: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    pub log_entries: usize,
    pub objects: usize,
    /// Damage: the vault is not whole.
    pub problems: Vec<Problem>,
    /// Harmless findings, such as objects left by an interrupted save.
    pub warnings: Vec<Problem>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Vault {
    /// Checks the whole vault.
    pub fn verify(&self, progress: ProgressFn<'_>) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let rel = |p: &std::path::Path| {
            p.strip_prefix(&self.store.layout.root)
                .unwrap_or(p)
                .display()
                .to_string()
        };
        // 1. Every device's log, entry by entry, from the start.
        let mut named: HashMap<Id, (ObjectKind, String)> = HashMap::new();
        let mut purged: HashSet<Id> = HashSet::new();
        let devices: Vec<Id> = match fs::read_dir(self.store.layout.logs()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    match name.parse::<Id>() {
                        Ok(id) => Some(id),
                        Err(_) => {
                            report.warnings.push(Problem {
                                path: rel(&e.path()),
                                message: "not a device log folder; ignored".into(),
                            });
                            None
                        }
                    }
                })
                .collect(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("listing the log")(e)),
        };
        let mut devices = devices;
        if !devices.contains(&self.store.device) {
            devices.push(self.store.device); // its first entries may all be in the journal still
        }
        // Objects of journal records not yet written out: checked from the journal.
        let mut in_journal: HashMap<Id, Vec<u8>> = HashMap::new();
        for device in &devices {
            let dir = self.store.layout.log_dir(device);
            let mut files: Vec<String> = match fs::read_dir(&dir) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(Error::io(format!("listing {}", dir.display()))(e)),
            };
            files.sort();
            let mut prev: Option<String> = None;
            let mut seq = 0u64;
            let mut expected: HashSet<String> = HashSet::new();
            let mut broken = false;
            loop {
                let path = self.store.layout.log_entry(device, seq + 1);
                let ct = match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                    Ok(ct) => ct,
                    Err(e) if e.kind() == ErrorKind::NotFound => break,
                    Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
                };
                expected.insert(crate::log::entry_file_name(seq + 1));
                match self.store.open_entry(device, seq + 1, &ct, prev.as_deref()) {
                    Ok((entry, hash)) => {
                        report.log_entries += 1;
                        for o in entry.objects {
                            named.insert(o.id, (o.kind, o.sha256));
                        }
                        for p in entry.purged {
                            purged.extend(p.objects);
                        }
                        prev = Some(hash);
                        seq += 1;
                    }
                    Err(e) => {
                        report.problems.push(Problem {
                            path: rel(&path),
                            message: e.to_string(),
                        });
                        broken = true;
                        break;
                    }
                }
            }
            // This device's log continues in the save journal (crate::journal).
            if *device == self.store.device && !broken {
                let check = self.check_journal(seq, prev.clone())?;
                let path = "local/journal".to_string();
                for entry in check.entries {
                    report.log_entries += 1;
                    for o in entry.objects {
                        named.insert(o.id, (o.kind, o.sha256));
                    }
                }
                in_journal.extend(check.objects);
                if let Some(m) = check.problem {
                    report.problems.push(Problem { path, message: m });
                }
            }
            for f in files.iter().filter(|f| !expected.contains(*f)) {
                let p = dir.join(f);
                let msg = if f.starts_with(crate::fsutil::TEMP_PREFIX) {
                    "a temp file left by an interrupted save; harmless"
                } else {
                    "not part of the device's log chain (after a gap or damaged entry); ignored"
                };
                let list = if f.starts_with(crate::fsutil::TEMP_PREFIX) {
                    &mut report.warnings
                } else {
                    &mut report.problems
                };
                list.push(Problem {
                    path: rel(&p),
                    message: msg.into(),
                });
            }
        }
        // 2. Every object the log names: present, unaltered, decryptable, bound to its name.
        let total = named.len() as u64;
        let mut done = 0u64;
        let mut notes: HashMap<Id, Revision> = HashMap::new();
        for (id, (kind, sha)) in &named {
            done += 1;
            if done.is_multiple_of(64) || done == total {
                progress(&Progress {
                    stage: "verifying".into(),
                    done,
                    total,
                });
            }
            if purged.contains(id) {
                continue;
            }
            let path = self.store.layout.object(id);
            report.objects += 1;
            let problem = |m: String| Problem {
                path: rel(&path),
                message: m,
            };
            // Attachments are hashed as they are read, never held whole; anything else is
            // read whole, within the format's limit for it.
            let read = match in_journal.remove(id) {
                Some(ct) => Ok((crypto::sha256_hex(&ct), ct)),
                None if *kind == ObjectKind::Attachment => {
                    crypto::sha256_file_hex(&path).map(|h| (h, Vec::new()))
                }
                None => crate::limits::read_file(&path, crate::limits::OBJECT)
                    .map(|ct| (crypto::sha256_hex(&ct), ct)),
            };
            let (hash, ct) = match read {
                Ok(read) => read,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    report.problems.push(problem(
                        "missing (named by the log, but not on disk)".into(),
                    ));
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::FileTooLarge => {
                    report.problems.push(problem(e.to_string()));
                    continue;
                }
                Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
            };
            if &hash != sha {
                report.problems.push(problem(
                    "its ciphertext differs from the one the log names (swapped or altered)".into(),
                ));
                continue;
            }
            if *kind == ObjectKind::Note {
                match crypto::decrypt(&[self.store.keys.vault_identity()], &ct)
                    .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))
                    .and_then(|p| Revision::decode(&p, &self.store.config.vault, id))
                {
                    Ok(rev) => {
                        notes.insert(*id, rev);
                    }
                    Err(e) => report.problems.push(problem(e.to_string())),
                }
            }
        }
        // 3. Attachments: decrypt through, compare with what their note recorded.
        let mut attachments = HashMap::new();
        for rev in notes.values() {
            for a in &rev.attachments {
                attachments.insert(a.object, (rev.note, a.clone()));
            }
        }
        for (id, (kind, _)) in &named {
            if *kind != ObjectKind::Attachment || purged.contains(id) {
                continue;
            }
            let path = rel(&self.store.layout.object(id));
            match attachments.get(id) {
                None => report.warnings.push(Problem {
                    path,
                    message: "an attachment no revision refers to".into(),
                }),
                Some((note, a)) => {
                    if let Err(e) = self.decrypt_attachment(note, a, &mut std::io::sink()) {
                        report.problems.push(Problem {
                            path,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        // 4. Files in objects/ that no log entry names.
        if let Ok(shards) = fs::read_dir(self.store.layout.objects()) {
            for shard in shards.filter_map(|e| e.ok()) {
                let Ok(files) = fs::read_dir(shard.path()) else {
                    continue;
                };
                for f in files.filter_map(|e| e.ok()) {
                    let name = f.file_name().to_string_lossy().into_owned();
                    let id = name.strip_suffix(".age").and_then(|s| s.parse::<Id>().ok());
                    if id.is_some_and(|id| named.contains_key(&id)) {
                        continue;
                    }
                    report.warnings.push(Problem {
                        path: rel(&f.path()),
                        message: if name.starts_with(crate::fsutil::TEMP_PREFIX) {
                            "a temp file left by an interrupted save; harmless".into()
                        } else {
                            "no log entry names this object: left by an interrupted save, or put here by someone else; ignored".into()
                        },
                    });
                }
            }
        }
        report.problems.sort_by(|a, b| a.path.cmp(&b.path));
        report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(report)
    }
}
