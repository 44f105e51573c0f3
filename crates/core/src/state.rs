//! The decrypted state of a vault in memory: every note's revision graph and its current
//! head(s). Built from the log (or the snapshot), changed only by applying revisions.

use crate::log::Purge;
use crate::note::{Millis, Revision};
use crate::search::{DocInput, SearchIndex};
use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// What is kept of every revision (the bodies of old revisions stay on disk).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevMeta {
    pub parents: Vec<Id>,
    pub title: String,
    pub updated: Millis,
    pub deleted: bool,
    pub body_bytes: u64,
    pub attachments: Vec<Id>,
    /// The device whose log entry brought it (`None`: not known, e.g. carried over by a key
    /// rotation).
    pub device: Option<Id>,
}

/// One note: all its revisions, and the full content of the revisions no other revision
/// supersedes (its heads; more than one after concurrent edits).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoteState {
    pub revisions: BTreeMap<Id, RevMeta>,
    pub heads: Vec<Revision>,
    /// Lowercased targets of the `[[wiki links]]` in the current body.
    pub links: Vec<String>,
    /// The start of the current body as plain text (what a notes list shows), kept so that
    /// listing needs no body.
    pub excerpt: String,
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

/// The decrypted state of a vault: every note's revision graph and heads, what was purged, and
/// how far each device's log has been applied. Held in memory only (the snapshot cache keeps it
/// encrypted).
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    /// Every note not purged, by id (notes in the trash too).
    pub notes: HashMap<Id, NoteState>,
    /// Per device: the highest log sequence number applied and that entry's hash.
    pub heads: BTreeMap<Id, (u64, String)>,
    /// Notes destroyed on purpose, and their objects.
    pub purged_notes: HashSet<Id>,
    /// The objects those purges deleted (entries that name them are not read for them).
    pub purged_objects: HashSet<Id>,
    /// The SHA-256 of every file the applied log names, for the scrub (crate::scrub).
    pub(crate) prints: crate::scrub::Prints,
    /// Built on first use (or in the background after an unlock); brought up to date with the
    /// notes changed since (`index_stale`) by the next search.
    #[serde(skip)]
    pub index: Option<SearchIndex>,
    /// Notes changed since the index last saw them: re-indexed when a search needs the index,
    /// not by each save (typing saves a note every few seconds; only the last text counts).
    #[serde(skip)]
    pub(crate) index_stale: HashSet<Id>,
    /// The index being built in the background, and the notes changed since its input was
    /// taken (re-indexed when it is joined).
    #[serde(skip)]
    pub(crate) pending_index: Option<PendingIndex>,
    /// Problems met while loading note bodies in the background (moved to the vault's load
    /// problems by the next refresh).
    #[serde(skip)]
    pub(crate) problems: Vec<String>,
}

/// A search index being built on another thread from the state as it was unlocked.
pub(crate) struct PendingIndex {
    pub handle: Option<JoinHandle<Option<SearchIndex>>>,
    /// Set when the result is no longer wanted: the thread stops early.
    pub cancel: Arc<AtomicBool>,
    pub changed: HashSet<Id>,
}

impl Drop for PendingIndex {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl State {
    /// Adds a revision to its note's graph.
    /// `device`: the device whose entry brought it, if known.
    pub fn apply_revision(&mut self, rev: Revision, device: Option<Id>) {
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
            device,
        };
        let note = self.notes.entry(note_id).or_insert_with(|| NoteState {
            revisions: BTreeMap::new(),
            heads: Vec::new(),
            links: Vec::new(),
            excerpt: String::new(),
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
        note.excerpt = crate::note::excerpt(&note.current().title, &note.current().body);
        if self.index.is_some() {
            self.index_stale.insert(note_id);
        } else if let Some(p) = &mut self.pending_index {
            p.changed.insert(note_id);
        }
    }

    /// Removes a purged note and remembers its objects as deleted.
    pub fn apply_purge(&mut self, p: &Purge) {
        self.notes.remove(&p.note);
        self.purged_notes.insert(p.note);
        self.purged_objects.extend(p.objects.iter().copied());
        self.prints.forget_objects(&p.objects);
        if self.index.is_some() {
            self.index_stale.insert(p.note);
        } else if let Some(pending) = &mut self.pending_index {
            pending.changed.insert(p.note);
        }
    }

    /// The note `id`, or [`crate::Error::NoSuchNote`].
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

    /// The attachments of the live (not trashed) notes' current revisions, with their note.
    pub fn live_attachments(&self) -> impl Iterator<Item = (Id, &crate::note::Attachment)> {
        self.notes
            .iter()
            .map(|(id, n)| (*id, n.current()))
            .filter(|(_, r)| !r.deleted)
            .flat_map(|(id, r)| r.attachments.iter().map(move |a| (id, a)))
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

    /// The search index: the one built in the background (waited for, then brought up to
    /// date with the notes changed since), or else built now.
    pub fn index(&mut self) -> &SearchIndex {
        if self.index.is_none()
            && let Some(mut p) = self.pending_index.take()
            && let Some(Ok(Some(mut index))) = p.handle.take().map(JoinHandle::join)
        {
            for id in &p.changed {
                match self.notes.get(id) {
                    Some(n) => index.upsert(n.current()),
                    None => index.remove(id),
                }
            }
            if !p.changed.is_empty() {
                // Without the postings of replaced notes it ranks exactly as an index built
                // now would.
                index.compact();
            }
            self.index = Some(index);
        }
        if self.index.is_none() {
            let docs: Vec<DocInput<'_>> = self
                .notes
                .values()
                .map(|n| DocInput::of(n.current()))
                .collect();
            let index = SearchIndex::build(&docs, &AtomicBool::new(false)).expect("not cancelled");
            self.index_stale.clear();
            self.index = Some(index);
        }
        let index = self.index.as_mut().expect("just built");
        for id in self.index_stale.drain() {
            match self.notes.get(&id) {
                Some(n) => index.upsert(n.current()),
                None => index.remove(&id),
            }
        }
        index
    }
}

/// The state as a vault holds it. Unlocking from the snapshot yields the metadata at once
/// (titles, tags, notebooks, times, revision graphs, excerpts, links: what lists need) while a
/// background thread decrypts the note bodies; anything that reads the state through `Deref`
/// (or changes it) waits for the bodies, so no caller ever sees a note without its body.
/// Only [`StateCell::meta`] answers without waiting, for callers that need no body.
pub(crate) struct StateCell {
    /// The state without head bodies (empty strings), while the bodies are loading.
    meta: State,
    full: OnceLock<State>,
    loading: Mutex<Option<Loading>>,
}

/// The background load of the bodies: its result arrives on `rx`, then the same thread has the
/// search index built (`index`; [`SearchIndex::build`], on several threads); `fallback`
/// finishes the job on this thread if the loader died.
pub(crate) struct Loading {
    pub rx: Receiver<State>,
    pub cancel: Arc<AtomicBool>,
    pub index: Option<JoinHandle<Option<SearchIndex>>>,
    pub fallback: Option<Box<dyn FnOnce() -> State + Send>>,
}

impl Drop for Loading {
    fn drop(&mut self) {
        // Unless the index build was handed over with the state, nobody wants the result.
        if self.index.is_some() {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

impl Default for StateCell {
    fn default() -> Self {
        StateCell::ready(State::default())
    }
}

impl StateCell {
    /// A complete state.
    pub fn ready(state: State) -> StateCell {
        StateCell {
            meta: State::default(),
            full: OnceLock::from(state),
            loading: Mutex::new(None),
        }
    }

    /// The metadata now, the bodies from `loading` later.
    pub fn loading(meta: State, loading: Loading) -> StateCell {
        StateCell {
            meta,
            full: OnceLock::new(),
            loading: Mutex::new(Some(loading)),
        }
    }

    /// Everything but the bodies of notes, without waiting: bodies may be empty strings here.
    pub fn meta(&self) -> &State {
        self.full.get().unwrap_or(&self.meta)
    }

    /// Problems the background load met (once it is done), taken.
    pub fn take_problems(&mut self) -> Vec<String> {
        self.full
            .get_mut()
            .map(|s| std::mem::take(&mut s.problems))
            .unwrap_or_default()
    }

    fn wait(&self) -> &State {
        self.full.get_or_init(|| {
            let loading = self
                .loading
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            // Taken only here, and `full` is set right after unless this panics; an empty
            // state in its place would make the next commit reuse log sequence numbers.
            let mut l = loading.expect("the vault state was lost by an earlier panic");
            match l.rx.recv() {
                Ok(mut state) => {
                    state.pending_index = Some(PendingIndex {
                        handle: l.index.take(),
                        cancel: l.cancel.clone(),
                        changed: HashSet::new(),
                    });
                    state
                }
                Err(_) => (l.fallback.take().expect("taken once"))(),
            }
        })
    }
}

impl std::ops::Deref for StateCell {
    type Target = State;
    fn deref(&self) -> &State {
        self.wait()
    }
}

impl std::ops::DerefMut for StateCell {
    fn deref_mut(&mut self) -> &mut State {
        self.wait();
        // The metadata copy is no longer needed.
        self.meta = State::default();
        self.full.get_mut().expect("wait() set it")
    }
}
