//! Push: this device's new entries and the objects they name, then the last entry read back;
//! and the audit, which lists the whole remote.

use super::*;
use crate::log::ObjectKind;
use std::collections::HashMap;
use std::path::PathBuf;

/// Objects uploaded in one group at most (with the entries naming them).
const BATCH: usize = 256;

/// Entries that go up together, and what they name.
struct Group {
    /// Objects read whole (notes), by key.
    small: Vec<(String, Vec<u8>)>,
    /// Attachments, streamed from their files.
    large: Vec<(String, PathBuf)>,
    /// The entries' files, by key, in order.
    entries: Vec<(String, Vec<u8>)>,
    /// Objects their purges delete.
    purges: Vec<Id>,
}

impl Vault {
    pub(super) fn push(&mut self, run: &mut Run<'_>, progress: ProgressFn<'_>) -> Result<()> {
        // Uploads files: the journal's records (merges, saves since the sync began) first
        // become files (crate::journal).
        self.checkpoint()?;
        let (local_seq, _) = self
            .state
            .heads
            .get(&self.store.device)
            .cloned()
            .unwrap_or((0, String::new()));
        if local_seq <= run.marks.pushed {
            return Ok(());
        }
        let total = local_seq - run.marks.pushed;
        let first = run.marks.pushed;
        let mut seq = run.marks.pushed;
        while seq < local_seq {
            progress(&Progress {
                stage: "uploading".into(),
                done: seq - first,
                total,
            });
            // A group of entries with up to BATCH objects (at least one entry): the objects
            // go up several at a time, then the entries, then the last entry is read back and
            // the pushed mark advances (and is saved), so an interrupted push resumes here.
            let group = self.gather_group(&mut seq, local_seq)?;
            if !upload(run, &group, seq)? {
                return Ok(());
            }
            let entries = &group.entries;
            // Read-your-writes: the group's last entry must be there now.
            let (key, last_ct) = entries.last().expect("a group has an entry");
            match run.remote.get(key, crate::limits::LOG_ENTRY)? {
                Some(back) if &back == last_ct => {
                    run.marks.pushed = seq;
                    self.save_marks(run.name, &run.marks)?;
                }
                _ => {
                    run.alarm(
                        AlarmKind::LostWrite,
                        key.clone(),
                        format!(
                            "entry {seq} of this device was uploaded but is not there when read back; it will be uploaded again"
                        ),
                    );
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The entries after `seq` (up to `until`) that go up together, at least one, with up to
    /// [`BATCH`] objects; `seq` ends at the last of them.
    fn gather_group(&self, seq: &mut u64, until: u64) -> Result<Group> {
        let mut small: Vec<(String, Vec<u8>)> = Vec::new();
        let mut large: Vec<(String, PathBuf)> = Vec::new();
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        let mut purges: Vec<Id> = Vec::new();
        while *seq < until && (entries.is_empty() || small.len() + large.len() < BATCH) {
            *seq += 1;
            let (ct, entry) = self.own_entry(*seq)?;
            for obj in &entry.objects {
                if self.state.purged_objects.contains(&obj.id) {
                    continue;
                }
                let opath = self.store.layout.object(&obj.id);
                if obj.kind == ObjectKind::Attachment {
                    if opath.exists() {
                        large.push((object_key(&obj.id), opath));
                    }
                    continue;
                }
                match crate::limits::read_file(&opath, crate::limits::OBJECT) {
                    Ok(d) => small.push((object_key(&obj.id), d)),
                    // Purged by a later entry of this device: nothing to upload.
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("reading {}", opath.display()))(e)),
                }
            }
            purges.extend(entry.purged.iter().flat_map(|p| p.objects.iter().copied()));
            entries.push((entry_key(&self.store.device, *seq), ct));
        }
        Ok(Group {
            small,
            large,
            entries,
            purges,
        })
    }

    /// This device's entry `seq`, read from the vault and checked before it is uploaded.
    fn own_entry(&self, seq: u64) -> Result<(Vec<u8>, LogEntry)> {
        let path = self.store.layout.log_entry(&self.store.device, seq);
        let ct = crate::limits::read_file(&path, crate::limits::LOG_ENTRY)
            .map_err(Error::io(format!("reading {}", path.display())))?;
        let (entry, _) = open_signed(
            &self.store,
            (&self.store.roster, &self.store.generations),
            &self.store.device,
            seq,
            &ct,
        )
        .map_err(|_| Error::BadLog {
            device: self.store.device.to_string(),
            seq,
            reason: "this device's own entry does not verify; not uploaded".into(),
        })?;
        Ok((ct, entry))
    }

    /// Lists every object on the remote. Reports those no signed entry names (ignored), and
    /// those a signed entry names that are gone (dropped): an object this vault holds, with the
    /// hash its entry gives, is uploaded again (its bytes are fixed by the signed entry, so
    /// this changes nothing for any reader); the alarm is raised all the same.
    pub(super) fn audit(&self, run: &mut Run<'_>) -> Result<()> {
        let remote = run.remote;
        let named = self.named_objects()?;
        let mut present: HashSet<Id> = HashSet::new();
        for key in remote.list("objects")? {
            let id = key
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".age"))
                .and_then(|s| s.parse::<Id>().ok());
            let shard_ok = id.is_some_and(|id| key == object_key(&id));
            match id {
                Some(id) if shard_ok && named.contains_key(&id) => {
                    present.insert(id);
                }
                _ => run.alarm(
                    AlarmKind::UnnamedObject,
                    key,
                    "no signed log entry names this object; it was ignored (left by an interrupted upload, or put there by someone else)".into(),
                ),
            }
        }
        // What the remote must hold: the objects of the entries it has shown (this device's
        // up to the pushed mark, the others' up to the seen ones), unless purged since.
        let marks = &run.marks;
        let mut missing: Vec<(&Id, &Named)> = named
            .iter()
            .filter(|(id, n)| {
                let shown = if n.device == self.store.device {
                    marks.pushed
                } else {
                    marks.seen.get(&n.device).map_or(0, |(s, _)| *s)
                };
                n.seq <= shown && !present.contains(*id) && !self.state.purged_objects.contains(*id)
            })
            .collect();
        missing.sort_by_key(|(id, _)| **id);
        for (id, n) in missing {
            let key = object_key(id);
            let path = self.store.layout.object(id);
            let here = pull::file_sha256(&path)?.is_some_and(|h| h == n.sha256);
            if here {
                remote.put_file(&key, &path)?;
                run.report.pushed_objects += 1;
            }
            let whose = if n.device == self.store.device {
                "this device".to_string()
            } else {
                format!("device {}", n.device)
            };
            run.alarm(
                AlarmKind::DroppedObject,
                key,
                if here {
                    format!(
                        "object {id}, named by entry {} of {whose}, was gone from the remote (dropped); it was uploaded again",
                        n.seq
                    )
                } else {
                    format!(
                        "object {id}, named by entry {} of {whose}, is gone from the remote (dropped) and this vault does not hold it to upload it again",
                        n.seq
                    )
                },
            );
        }
        Ok(())
    }

    /// Every object the local log names, with the entry naming it (from the local log files,
    /// which sync checked).
    fn named_objects(&self) -> Result<HashMap<Id, Named>> {
        let mut named = HashMap::new();
        for (device, (last, _)) in &self.state.heads {
            for seq in 1..=*last {
                if let Some(e) = self.store.read_entry(device, seq, None) {
                    for o in e.objects {
                        named.insert(
                            o.id,
                            Named {
                                device: *device,
                                seq,
                                sha256: o.sha256,
                            },
                        );
                    }
                }
            }
        }
        Ok(named)
    }
}

/// The entry that names an object.
struct Named {
    device: Id,
    seq: u64,
    sha256: String,
}

/// Uploads a group whose last entry is `seq`: its objects, then its entries, then deletes
/// what its purges name. `false`: the remote already holds another entry of this device at
/// the group's first place (an alarm says so), and nothing was uploaded.
fn upload(run: &mut Run<'_>, group: &Group, seq: u64) -> Result<bool> {
    let remote = run.remote;
    let Group {
        small,
        large,
        entries,
        purges,
    } = group;
    // A log entry on the remote is never overwritten: another entry of this device at
    // this place means this device was restored from an older copy (or another device
    // writes under its id). One GET a group.
    let (first_key, first_ct) = &entries[0];
    if let Some(there) = remote.get(first_key, crate::limits::LOG_ENTRY)?
        && &there != first_ct
    {
        run.alarm(
            AlarmKind::Fork,
            first_key.clone(),
            format!(
                "the remote already holds another entry {} of this device: this device was restored from an older copy of the vault, or another device uses its id; nothing was overwritten and this device's changes from there on were not uploaded: let it go on under a new device id (`coffer device continue-as-new`), which keeps them and takes the remote's",
                seq + 1 - entries.len() as u64
            ),
        );
        return Ok(false);
    }
    remote.put_many(small)?;
    for (key, path) in large {
        remote.put_file(key, path)?;
    }
    run.report.pushed_objects += small.len() + large.len();
    remote.put_many(entries)?;
    run.report.pushed_entries += entries.len();
    // Purged notes are destroyed on the remote too (the signed entry is the record).
    for id in purges {
        remote.delete(&object_key(id))?;
    }
    Ok(true)
}
