//! The decrypted state of a vault in memory: every note's revision graph and its current
//! head(s). Built from the log (or the snapshot), changed only by applying revisions.

use crate::log::Purge;
use crate::note::{Millis, Revision};
use crate::search::SearchIndex;
use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What is kept of every revision (the bodies of old revisions stay on disk).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevMeta {
    pub parents: Vec<Id>,
    pub title: String,
    pub updated: Millis,
    pub deleted: bool,
    pub body_bytes: u64,
    pub attachments: Vec<Id>,
}

/// One note: all its revisions, and the full content of the revisions no other revision
/// supersedes (its heads; more than one after concurrent edits).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoteState {
    pub revisions: BTreeMap<Id, RevMeta>,
    pub heads: Vec<Revision>,
    /// Lowercased targets of the `[[wiki links]]` in the current body.
    pub links: Vec<String>,
}

impl NoteState {
    /// The revision shown: the most recently updated head.
    pub fn current(&self) -> &Revision {
        self.heads
            .iter()
            .max_by_key(|r| (r.updated, r.revision))
            .expect("a note has at least one head")
    }

    /// The other heads, when concurrent edits have not been reconciled yet.
    pub fn other_heads(&self) -> Vec<Id> {
        let cur = self.current().revision;
        self.heads
            .iter()
            .map(|r| r.revision)
            .filter(|r| *r != cur)
            .collect()
    }
}

#[derive(Default, Serialize, Deserialize)]
pub struct State {
    pub notes: HashMap<Id, NoteState>,
    /// Per device: the highest log sequence number applied and that entry's hash.
    pub heads: BTreeMap<Id, (u64, String)>,
    /// Notes destroyed on purpose, and their objects.
    pub purged_notes: HashSet<Id>,
    pub purged_objects: HashSet<Id>,
    /// Built on first use; kept up to date after that.
    #[serde(skip)]
    pub index: Option<SearchIndex>,
}

impl State {
    /// Adds a revision to its note's graph.
    pub fn apply_revision(&mut self, rev: Revision) {
        if self.purged_notes.contains(&rev.note) {
            return;
        }
        let note_id = rev.note;
        let meta = RevMeta {
            parents: rev.parents.clone(),
            title: rev.title.clone(),
            updated: rev.updated,
            deleted: rev.deleted,
            body_bytes: rev.body.len() as u64,
            attachments: rev.attachments.iter().map(|a| a.object).collect(),
        };
        let note = self.notes.entry(note_id).or_insert_with(|| NoteState {
            revisions: BTreeMap::new(),
            heads: Vec::new(),
            links: Vec::new(),
        });
        if note.revisions.contains_key(&rev.revision) {
            return;
        }
        let superseded = note
            .revisions
            .values()
            .any(|m| m.parents.contains(&rev.revision));
        note.revisions.insert(rev.revision, meta);
        // Its parents are no longer heads, even when it is itself superseded already (sync
        // can bring a merge before the revisions it merged, e.g. device A's log, naming a
        // merge made by B, replayed before B's log).
        let stale = |h: &Revision| rev.parents.contains(&h.revision);
        if superseded {
            if !note.heads.iter().any(stale) || note.heads.iter().all(stale) {
                return;
            }
            note.heads.retain(|h| !stale(h));
        } else {
            note.heads.retain(|h| !stale(h));
            note.heads.push(rev);
        }
        note.links = crate::render::wiki_links(&note.current().body);
        if let Some(index) = &mut self.index {
            index.upsert(note.current());
        }
    }

    pub fn apply_purge(&mut self, p: &Purge) {
        self.notes.remove(&p.note);
        self.purged_notes.insert(p.note);
        self.purged_objects.extend(p.objects.iter().copied());
        if let Some(index) = &mut self.index {
            index.remove(&p.note);
        }
    }

    pub fn note(&self, id: &Id) -> Result<&NoteState> {
        self.notes
            .get(id)
            .ok_or_else(|| Error::NoSuchNote(id.to_string()))
    }

    /// Finds a note by its full id or a unique prefix of at least 4 characters.
    pub fn resolve(&self, query: &str) -> Result<Id> {
        let q = query.trim().to_ascii_lowercase();
        if let Ok(id) = q.parse::<Id>() {
            return self
                .notes
                .contains_key(&id)
                .then_some(id)
                .ok_or_else(|| Error::NoSuchNote(query.to_string()));
        }
        if q.len() < 4 || !q.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::NoSuchNote(query.to_string()));
        }
        let mut found: Vec<Id> = self
            .notes
            .keys()
            .filter(|id| id.to_string().starts_with(&q))
            .copied()
            .collect();
        match found.len() {
            0 => Err(Error::NoSuchNote(query.to_string())),
            1 => Ok(found.remove(0)),
            _ => Err(Error::ambiguous(query, found)),
        }
    }

    /// The live (not trashed) note whose title matches, case-insensitively; the most
    /// recently updated wins.
    pub fn find_by_title(&self, title: &str) -> Option<Id> {
        let t = title.trim().to_lowercase();
        self.notes
            .iter()
            .map(|(id, n)| (id, n.current()))
            .filter(|(_, r)| !r.deleted && r.title.trim().to_lowercase() == t)
            .max_by_key(|(id, r)| (r.updated, **id))
            .map(|(id, _)| *id)
    }

    /// The search index, built on first use.
    pub fn index(&mut self) -> &SearchIndex {
        if self.index.is_none() {
            let mut index = SearchIndex::default();
            for n in self.notes.values() {
                index.upsert(n.current());
            }
            self.index = Some(index);
        }
        self.index.as_ref().expect("just built")
    }
}
