//! Notebooks: a note's `notebook` is a path of names joined by `/` ("Work/Projects"), so
//! notebooks nest. Renaming one renames the notebooks inside it; removing one moves its notes
//! (and those of the notebooks inside it) to the trash. Each is one batch: one new revision
//! per note touched, so history and sync see it like any edit.

use crate::ops::clean_notebook;
use crate::store::Batch;
use crate::vault::Vault;
use crate::{Error, Id, Result};

/// Whether `notebook` is `name` or a notebook inside it.
pub(crate) fn within(notebook: &str, name: &str) -> bool {
    notebook == name
        || notebook
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Vault {
    /// The live notes in notebook `name` or in a notebook inside it (the notebook's list).
    fn notes_within(&self, name: &str) -> Vec<Id> {
        self.list(&crate::model::NoteFilter {
            notebook: Some(name.to_string()),
            ..Default::default()
        })
        .into_iter()
        .map(|n| n.id)
        .collect()
    }

    /// A cleaned notebook name, or an error naming what was given.
    fn notebook_name(name: &str) -> Result<String> {
        clean_notebook(Some(name))
            .ok_or_else(|| Error::Invalid(format!("{name:?} is not a notebook name")))
    }

    /// Writes, in one batch, a new revision of each note, made by `f` from its current one.
    /// A note with a conflict gets one per version, so the conflict stays for the person to
    /// settle (nothing of either version is dropped on the way); the versions keep their
    /// order, so the one shown stays the one shown.
    fn revise_all(&mut self, ids: &[Id], f: impl Fn(&mut crate::note::Revision)) -> Result<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        self.transact(|v| {
            let mut batch = Batch::default();
            let now = crate::note::now_millis();
            for id in ids {
                let mut heads: Vec<&crate::note::Revision> =
                    v.state.note(id)?.heads.iter().collect();
                heads.sort_by_key(|h| (h.updated, h.revision));
                for (k, head) in heads.into_iter().enumerate() {
                    let mut rev = head.clone();
                    rev.parents = vec![head.revision];
                    f(&mut rev);
                    rev.revision = Id::random();
                    rev.updated = now.max(head.updated + 1) + k as i64;
                    batch.objects.push(v.seal_revision(&rev)?);
                    batch.revisions.push(rev);
                }
            }
            Ok((ids.len(), batch))
        })
    }

    /// Renames notebook `old` to `new`, and every notebook inside it to match ("Work/Plans"
    /// becomes "Jobs/Plans"); `new` may nest it ("Archive/Work"). Returns how many notes
    /// moved. Fails, changing nothing, when no live note is in `old`, or when `new` is inside
    /// `old`.
    pub fn rename_notebook(&mut self, old: &str, new: &str) -> Result<usize> {
        let old = Self::notebook_name(old)?;
        let new = Self::notebook_name(new)?;
        let ids = self.notes_within(&old);
        if ids.is_empty() {
            return Err(Error::NoSuchNotebook(old));
        }
        if old == new {
            return Ok(0);
        }
        if within(&new, &old) {
            return Err(Error::Invalid(format!(
                "cannot move notebook {old:?} into itself ({new:?})"
            )));
        }
        self.revise_all(&ids, |r| {
            // A version in another notebook (the other side of a conflict) stays there.
            if let Some(rest) = r
                .notebook
                .as_deref()
                .filter(|nb| within(nb, &old))
                .map(|nb| nb[old.len()..].to_string())
            {
                r.notebook = Some(format!("{new}{rest}"));
            }
        })
    }

    /// Moves every note of notebook `name`, and of the notebooks inside it, to the trash
    /// (from where each can be restored). Returns how many. Fails when no live note is in it.
    pub fn remove_notebook(&mut self, name: &str) -> Result<usize> {
        let name = Self::notebook_name(name)?;
        let ids = self.notes_within(&name);
        if ids.is_empty() {
            return Err(Error::NoSuchNotebook(name));
        }
        self.revise_all(&ids, |r| r.deleted = true)
    }

    /// How many live notes are in notebook `name` or inside it (for a confirmation).
    pub fn notebook_size(&self, name: &str) -> usize {
        Self::notebook_name(name)
            .map(|n| self.notes_within(&n).len())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn a_notebook_holds_the_ones_inside_it_and_no_namesakes() {
        assert!(within("Work", "Work"));
        assert!(within("Work/Plans", "Work"));
        assert!(within("Work/Plans/2026", "Work/Plans"));
        assert!(!within("Workshop", "Work"));
        assert!(!within("Work", "Work/Plans"));
    }
}
