//! Repair: a damaged or missing file the log names is put back from any sync remote that holds
//! the right bytes (the SHA-256 is fixed by the signed entry, so a remote cannot slip in others);
//! a note whose current revision no remote holds is saved again, from the text the vault still
//! has (the snapshot keeps every current body), as a new revision, so no text is lost.

use crate::scrub::{Damage, Expected};
use crate::sync::RemotePurpose;
use crate::sync::remote::Remote;
use crate::{Error, Id, Result, fsutil};
use serde::Serialize;
use std::fs;

/// One file put right.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Healed {
    /// The file, inside the vault folder.
    pub path: String,
    /// How, in a sentence for the user.
    pub how: String,
}

/// What a repair did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RepairReport {
    /// Files put back (or whose note's text was saved again).
    pub healed: Vec<Healed>,
    /// Files that could not be put right, each with why.
    pub not_healed: Vec<Damage>,
}

impl crate::Vault {
    /// Finds damage (a scrub) and repairs it: each damaged or missing file from the first sync
    /// remote that holds the bytes its signed entry names (its alarm then goes); failing that,
    /// a note revision that is a note's current version is saved again from the text in memory
    /// as a new revision (the damaged old revision stays, and so does its alarm). What nothing
    /// can heal (an old revision, an attachment or a log entry no remote holds) is reported,
    /// with why.
    pub fn repair(&mut self) -> Result<RepairReport> {
        let damage = self.scrub()?.damaged;
        let mut report = RepairReport::default();
        if damage.is_empty() {
            return Ok(report);
        }
        let names = self.remote_names(RemotePurpose::Sync)?;
        let mut remotes = Vec::new();
        let mut unreachable = Vec::new();
        for name in names {
            match self.open_remote(&name) {
                Ok(r) => remotes.push((name, r)),
                Err(e) => unreachable.push(format!("remote “{name}”: {e}")),
            }
        }
        let lock = self.lock_file()?;
        let mut from_state = Vec::new();
        for d in damage {
            let Some(e) = self.expected_at(&d.path) else {
                report.not_healed.push(Damage {
                    message: format!("{} (the log no longer names it)", d.message),
                    ..d
                });
                continue;
            };
            let mut tried = unreachable.clone();
            let mut healed = None;
            for (name, remote) in &remotes {
                match self.fetch_good_copy(remote, &e) {
                    Ok(true) => {
                        healed = Some(format!("put back from remote “{name}”"));
                        break;
                    }
                    Ok(false) => {
                        tried.push(format!("remote “{name}” does not hold the right bytes"))
                    }
                    Err(err) => tried.push(format!("remote “{name}”: {err}")),
                }
            }
            match healed {
                Some(how) => report.healed.push(Healed { path: d.path, how }),
                None => from_state.push((d, e, tried)),
            }
        }
        drop(lock);
        // A file put back is whole again: its alarm goes (the report says what was done).
        let put_back: Vec<&str> = report.healed.iter().map(|h| h.path.as_str()).collect();
        self.clear_damage_alarms(&put_back)?;
        // No remote had it: a current revision's text is still in memory.
        for (d, e, tried) in from_state {
            let head = match e {
                Expected::Object { id, .. } => self.head_of(&id),
                Expected::Entry { .. } => None,
            };
            let why = if tried.is_empty() {
                "no sync remote is set up".to_string()
            } else {
                tried.join("; ")
            };
            match head {
                Some((note, rev)) => match self.revise(&note, Some(rev), |_| Ok(())) {
                    Ok(_) => report.healed.push(Healed {
                        path: d.path,
                        how: format!(
                            "no copy found ({why}); the note “{}” was saved again from its text on this device as a new revision (its damaged old revision stays in the history)",
                            self.state.meta().notes[&note].current().title
                        ),
                    }),
                    Err(err) => report.not_healed.push(Damage {
                        message: format!("{}; saving its note again failed: {err}", d.message),
                        ..d
                    }),
                },
                None => report.not_healed.push(Damage {
                    message: format!("{}; no copy found ({why})", d.message),
                    ..d
                }),
            }
        }
        Ok(report)
    }

    /// The file the log names at `path` (as a scrub names it), with its hash.
    fn expected_at(&self, path: &str) -> Option<Expected> {
        let prints = &self.state.meta().prints;
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["objects", _, file] => {
                let id: Id = file.strip_suffix(".age")?.parse().ok()?;
                let sha = *prints.object(&id)?;
                Some(Expected::Object { id, sha })
            }
            ["log", device, file] => {
                let device: Id = device.parse().ok()?;
                let seq: u64 = file.strip_suffix(".age")?.parse().ok()?;
                let sha = prints.entry(&device, seq)?;
                Some(Expected::Entry { device, seq, sha })
            }
            _ => None,
        }
    }

    /// Downloads the file from `remote` beside its place; puts it in place (durably) only if
    /// its SHA-256 is the one expected. `Ok(false)`: the remote does not hold those bytes.
    fn fetch_good_copy(&self, remote: &impl Remote, e: &Expected) -> Result<bool> {
        let path = e.path(&self.store.layout);
        let key = e.key();
        let dir = fsutil::folder_of(&path);
        fsutil::create_dirs(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        let tmp = fsutil::temp_path(dir);
        // As sync fetches them: an attachment may be large (it is streamed to the file, and its
        // hash checked), anything else is held to the format's limit for it.
        let limit = match e {
            Expected::Entry { .. } => crate::limits::LOG_ENTRY,
            Expected::Object { id, .. } if self.is_attachment(id) => u64::MAX,
            Expected::Object { .. } => crate::limits::OBJECT,
        };
        let got = match remote.get_to_file(&key, &tmp, limit) {
            Ok(got) => got,
            Err(err) => {
                let _ = fs::remove_file(&tmp);
                return Err(err);
            }
        };
        let good = got.is_some_and(|h| h == hex::encode(e.sha()));
        if !good {
            let _ = fs::remove_file(&tmp);
            return Ok(false);
        }
        if let Err(err) = fsutil::commit_temp(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(err);
        }
        Ok(true)
    }

    /// Whether a revision of a note lists object `id` as an attachment.
    fn is_attachment(&self, id: &Id) -> bool {
        self.state
            .meta()
            .notes
            .values()
            .any(|n| n.revisions.values().any(|m| m.attachments.contains(id)))
    }

    /// The note whose current version (one of its heads) is revision `rev`, if its text is
    /// whole in memory (a body that could not be read is empty, and its length then differs
    /// from the one the revision recorded).
    fn head_of(&self, rev: &Id) -> Option<(Id, Id)> {
        let state = &*self.state;
        state.notes.iter().find_map(|(id, n)| {
            let head = n.heads.iter().find(|h| h.revision == *rev)?;
            let meta = n.revisions.get(rev)?;
            (head.body.len() as u64 == meta.body_bytes).then_some((*id, *rev))
        })
    }
}
