//! Automatic merging of concurrent edits. A note with two heads whose common ancestor is known
//! gets a merge revision (parents: both heads) when the edits do not overlap: the body by a
//! line-based 3-way merge (diffy), every other field by the 3-way rule (a side that did not
//! change it takes the other's value). Overlapping edits are left alone: both heads stay,
//! and the note shows as a conflict.

use crate::note::{Revision, now_millis};
use crate::state::NoteState;
use crate::vault::Vault;
use crate::{Id, Result};
use std::collections::{HashSet, VecDeque};

/// The 3-way rule for one field: `None` when both sides changed it differently.
pub(crate) fn pick<T: PartialEq + Clone>(base: &T, a: &T, b: &T) -> Option<T> {
    if a == b || b == base {
        Some(a.clone())
    } else if a == base {
        Some(b.clone())
    } else {
        None
    }
}

/// A common ancestor of two revisions: the nearest ancestor of `b` (breadth first) that is
/// also an ancestor of `a`.
pub(crate) fn common_ancestor(note: &NoteState, a: &Id, b: &Id) -> Option<Id> {
    let walk = |start: &Id| {
        let mut seen = HashSet::new();
        let mut order = Vec::new();
        let mut queue = VecDeque::from([*start]);
        while let Some(r) = queue.pop_front() {
            if !seen.insert(r) {
                continue;
            }
            order.push(r);
            if let Some(m) = note.revisions.get(&r) {
                queue.extend(m.parents.iter().copied());
            }
        }
        (seen, order)
    };
    let (of_a, _) = walk(a);
    let (_, order_b) = walk(b);
    order_b
        .into_iter()
        .find(|r| of_a.contains(r) && note.revisions.contains_key(r))
}

/// The merge of `a` and `b` against `base`, or `None` if their changes overlap.
pub(crate) fn merge3(base: &Revision, a: &Revision, b: &Revision) -> Option<Revision> {
    let body = if a.body == b.body || b.body == base.body {
        a.body.clone()
    } else if a.body == base.body {
        b.body.clone()
    } else {
        diffy::merge(&base.body, &a.body, &b.body).ok()?
    };
    Some(Revision {
        note: a.note,
        revision: Id::random(),
        parents: vec![a.revision, b.revision],
        title: pick(&base.title, &a.title, &b.title)?,
        tags: pick(&base.tags, &a.tags, &b.tags)?,
        notebook: pick(&base.notebook, &a.notebook, &b.notebook)?,
        pinned: pick(&base.pinned, &a.pinned, &b.pinned)?,
        deleted: pick(&base.deleted, &a.deleted, &b.deleted)?,
        attachments: pick(&base.attachments, &a.attachments, &b.attachments)?,
        created: a.created.min(b.created),
        updated: now_millis().max(a.updated.max(b.updated) + 1),
        body,
    })
}

impl Vault {
    /// Merges, for every note with several heads, the first two heads when their edits do
    /// not overlap. Returns how many merge revisions were written (one batch).
    pub(crate) fn merge_heads(&mut self) -> Result<usize> {
        let mut merges = Vec::new();
        let mut ids: Vec<&Id> = self
            .state
            .notes
            .iter()
            .filter(|(_, n)| n.heads.len() > 1)
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        for id in ids {
            let note = &self.state.notes[id];
            let mut heads: Vec<&Revision> = note.heads.iter().collect();
            heads.sort_by_key(|h| h.revision);
            let (a, b) = (heads[0], heads[1]);
            // No known ancestor, or it cannot be read (damaged): keep both heads.
            let Some(base) = self.ancestor_of(note, &a.revision, &b.revision) else {
                continue;
            };
            if let Some(m) = merge3(&base, a, b) {
                merges.push(m);
            }
        }
        let n = merges.len();
        if n > 0 {
            self.write_revisions(merges)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(body: &str, title: &str) -> Revision {
        Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![],
            title: title.into(),
            tags: vec![],
            notebook: None,
            pinned: false,
            deleted: false,
            created: 1,
            updated: 2,
            attachments: vec![],
            body: body.into(),
        }
    }

    #[test]
    fn separate_edits_merge_and_overlapping_ones_do_not() {
        let base = rev("one\ntwo\nthree\nfour\n", "T");
        let a = rev("ONE\ntwo\nthree\nfour\n", "T");
        let b = rev("one\ntwo\nthree\nFOUR\n", "T2");
        let m = merge3(&base, &a, &b).expect("separate lines merge");
        assert_eq!(m.body, "ONE\ntwo\nthree\nFOUR\n");
        assert_eq!(m.title, "T2");
        assert_eq!(m.parents, vec![a.revision, b.revision]);
        let c = rev("one!\ntwo\nthree\nfour\n", "T");
        assert!(
            merge3(&base, &a, &c).is_none(),
            "the same line edited twice"
        );
        let d = rev("one\ntwo\nthree\nfour\n", "T3");
        assert!(merge3(&base, &b, &d).is_none(), "the title changed twice");
    }
}
