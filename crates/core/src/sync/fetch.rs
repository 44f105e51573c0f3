//! Fetching the objects that new log entries name, each checked against the SHA-256 its signed
//! entry gives before it is kept.

use super::pull::{Pull, file_sha256};
use super::*;
use crate::fsutil;
use crate::log::{ObjectKind, ObjectRef};
use std::path::PathBuf;

/// An object to fetch: the index of its entry in the group, the entry, the object.
type Wanted<'g> = (usize, &'g Incoming, &'g ObjectRef);

impl Vault {
    /// Fetches the objects a group of new entries names (unless purged or already here with
    /// the right hash), checks each against the SHA-256 its signed entry gives, and makes the
    /// good ones durable. Says for each entry whether all its objects are here now. Notes come
    /// several at a time; attachments are streamed to a temp file, one at a time. What was
    /// fetched and checked before a failure is kept, so a resumed sync does not fetch it again.
    pub(super) fn pull_objects(
        &self,
        p: &mut Pull<'_, '_>,
        group: &[Incoming],
        purged: &HashSet<Id>,
        blocked: &HashSet<Id>,
    ) -> Result<Vec<bool>> {
        let mut whole = vec![true; group.len()];
        let (small, large) = self.objects_wanted(p, group, purged, blocked, &mut whole)?;
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut failure = self.fetch_small(p, &small, &mut whole, &mut staged)?;
        if failure.is_none() {
            failure = self.fetch_large(p, &large, &mut whole, &mut staged)?;
        }
        fsutil::rename_synced(&staged)?;
        match failure {
            Some(e) => Err(e),
            None => Ok(whole),
        }
    }

    /// The objects of a group not here yet: notes and other small ones, and attachments. A
    /// local object with another hash than the entry names is an alarm, and its entry is not
    /// applied.
    fn objects_wanted<'g>(
        &self,
        p: &mut Pull<'_, '_>,
        group: &'g [Incoming],
        purged: &HashSet<Id>,
        blocked: &HashSet<Id>,
        whole: &mut [bool],
    ) -> Result<(Vec<Wanted<'g>>, Vec<Wanted<'g>>)> {
        let mut small = Vec::new();
        let mut large = Vec::new();
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
                        p.local_conflict(inc, obj);
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
        Ok((small, large))
    }

    /// Fetches small objects several at a time into temp files; returns the first failure of
    /// the remote, if any (the others are still fetched).
    fn fetch_small(
        &self,
        p: &mut Pull<'_, '_>,
        small: &[Wanted<'_>],
        whole: &mut [bool],
        staged: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<Option<Error>> {
        let mut failure = None;
        let keys: Vec<String> = small.iter().map(|(_, _, o)| object_key(&o.id)).collect();
        let fetched = p.run.remote.get_many(&keys, crate::limits::OBJECT);
        for ((i, inc, obj), got) in small.iter().zip(fetched) {
            let got = match got {
                Ok(got) => got,
                // No object the entry names can be that large: another one is in its place.
                Err(Error::RemoteFileTooLarge { .. }) => {
                    whole[*i] = false;
                    p.swapped(inc, obj);
                    continue;
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    continue;
                }
            };
            let Some(ct) = got else {
                whole[*i] = false;
                p.dropped(inc, obj);
                continue;
            };
            if crypto::sha256_hex(&ct) != obj.sha256 {
                whole[*i] = false;
                p.swapped(inc, obj);
                continue;
            }
            let path = self.store.layout.object(&obj.id);
            staged.push((fsutil::write_temp(&path, &ct)?, path));
            p.run.report.pulled_objects += 1;
        }
        Ok(failure)
    }

    /// Streams attachments one at a time into temp files, hashing as they come; stops at the
    /// first failure of the remote and returns it.
    fn fetch_large(
        &self,
        p: &mut Pull<'_, '_>,
        large: &[Wanted<'_>],
        whole: &mut [bool],
        staged: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<Option<Error>> {
        for (i, inc, obj) in large {
            let path = self.store.layout.object(&obj.id);
            let dir = path.parent().expect("objects have a folder");
            fsutil::create_dirs(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
            let tmp = fsutil::temp_path(dir);
            match p
                .run
                .remote
                .get_to_file(&object_key(&obj.id), &tmp, u64::MAX)
            {
                Err(e) => return Ok(Some(e)),
                Ok(None) => {
                    whole[*i] = false;
                    p.dropped(inc, obj);
                }
                Ok(Some(h)) if h != obj.sha256 => {
                    let _ = fs::remove_file(&tmp);
                    whole[*i] = false;
                    p.swapped(inc, obj);
                }
                Ok(Some(_)) => {
                    staged.push((tmp, path));
                    p.run.report.pulled_objects += 1;
                }
            }
        }
        Ok(None)
    }
}
