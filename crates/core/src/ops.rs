//! What a user does with notes: create, edit, list, trash, restore, purge, history, revert,
//! search, render.

use crate::log::Purge;
use crate::model::*;
use crate::note::{Revision, clean_tag, now_millis};
use crate::search::snippet;
use crate::state::NoteState;
use crate::store::Batch;
use crate::vault::Vault;
use crate::{Error, Id, Result};
use std::collections::{BTreeMap, HashSet};

use crate::note::EXCERPT_CHARS;
use crate::notebooks::within;

pub(crate) fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    tags.iter()
        .filter_map(|t| clean_tag(t))
        .filter(|t| seen.insert(t.to_lowercase()))
        .collect()
}

/// A notebook name as kept: runs of white space made one space, and each part of a nested
/// name ("Work / Plans") trimmed, empty parts dropped ("Work/Plans").
pub(crate) fn clean_notebook(n: Option<&str>) -> Option<String> {
    n.map(|s| {
        s.split('/')
            .map(|part| part.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    })
    .filter(|s| !s.is_empty())
}

pub(crate) fn clean_title(t: &str) -> String {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() { "Untitled".into() } else { t }
}

fn summary(id: Id, n: &NoteState) -> NoteSummary {
    let r = n.current();
    NoteSummary {
        id,
        title: r.title.clone(),
        excerpt: n.excerpt.clone(),
        tags: r.tags.clone(),
        notebook: r.notebook.clone(),
        pinned: r.pinned,
        trashed: r.deleted,
        created: r.created,
        updated: r.updated,
        conflict: n.heads.len() > 1,
        attachments: r.attachments.len(),
    }
}

impl Vault {
    /// Finds a note by id or unique id prefix (as typed on a command line).
    pub fn resolve(&self, query: &str) -> Result<Id> {
        self.state.meta().resolve(query)
    }

    /// Creates a note; returns its id.
    pub fn create(&mut self, new: NewNote) -> Result<Id> {
        let ids = self.create_many(vec![new])?;
        Ok(ids[0])
    }

    /// Creates many notes in one batch (one log entry): for imports and generated vaults.
    pub fn create_many(&mut self, notes: Vec<NewNote>) -> Result<Vec<Id>> {
        let now = now_millis();
        let revs: Vec<Revision> = notes
            .into_iter()
            .map(|new| Revision {
                note: Id::random(),
                revision: Id::random(),
                parents: vec![],
                title: clean_title(&new.title),
                tags: clean_tags(&new.tags),
                notebook: clean_notebook(new.notebook.as_deref()),
                pinned: new.pinned,
                deleted: false,
                created: now,
                updated: now,
                attachments: vec![],
                body: new.body,
            })
            .collect();
        let ids = revs.iter().map(|r| r.note).collect();
        self.write_revisions(revs)?;
        Ok(ids)
    }

    /// Writes new revisions (already complete) in one batch.
    pub(crate) fn write_revisions(&mut self, revs: Vec<Revision>) -> Result<()> {
        self.transact(|v| {
            let mut batch = Batch::default();
            for rev in revs {
                batch.objects.push(v.seal_revision(&rev)?);
                batch.revisions.push(rev);
            }
            Ok(((), batch))
        })
    }

    /// Makes a new revision of a note from its current one. `f` edits the copy; returns the
    /// new revision id. With a `base` that is no longer current, the edit becomes a second
    /// head beside the other (nothing is overwritten).
    pub(crate) fn revise(
        &mut self,
        id: &Id,
        base: Option<Id>,
        f: impl FnOnce(&mut Revision) -> Result<()>,
    ) -> Result<Id> {
        self.revise_with(id, base, Vec::new(), f)
    }

    /// Like `revise`, committing extra objects (attachments) in the same batch.
    pub(crate) fn revise_with(
        &mut self,
        id: &Id,
        base: Option<Id>,
        extra: Vec<crate::store::NewObject>,
        f: impl FnOnce(&mut Revision) -> Result<()>,
    ) -> Result<Id> {
        self.transact(|v| {
            let note = v.state.note(id)?;
            let (mut rev, parents) = match base {
                Some(b) if note.heads.iter().any(|h| h.revision == b) => {
                    let r = note.heads.iter().find(|h| h.revision == b).cloned();
                    (r.expect("found above"), vec![b])
                }
                Some(b) if note.revisions.contains_key(&b) => {
                    (v.read_revision_checked(&b, None)?, vec![b])
                }
                Some(b) => {
                    return Err(Error::NoSuchRevision {
                        note: id.to_string(),
                        revision: b.to_string(),
                    });
                }
                // No base: this edit supersedes every current head.
                None => (
                    note.current().clone(),
                    note.heads.iter().map(|h| h.revision).collect(),
                ),
            };
            f(&mut rev)?;
            rev.revision = Id::random();
            rev.parents = parents;
            rev.updated = now_millis().max(rev.updated + 1);
            let new_id = rev.revision;
            let mut batch = Batch {
                objects: extra,
                ..Batch::default()
            };
            batch.objects.push(v.seal_revision(&rev)?);
            batch.revisions.push(rev);
            Ok((new_id, batch))
        })
    }

    /// Applies a change to a note; returns the new revision id.
    pub fn update(&mut self, id: &Id, change: NoteChange) -> Result<Id> {
        self.revise(id, change.base, |r| {
            if let Some(t) = change.title {
                r.title = clean_title(&t);
            }
            if let Some(b) = change.body {
                r.body = b;
            }
            if let Some(t) = change.tags {
                r.tags = clean_tags(&t);
            }
            if let Some(n) = change.notebook {
                r.notebook = clean_notebook(n.as_deref());
            }
            if let Some(p) = change.pinned {
                r.pinned = p;
            }
            Ok(())
        })
    }

    /// Moves a note to the trash.
    pub fn trash(&mut self, id: &Id) -> Result<()> {
        self.revise(id, None, |r| {
            r.deleted = true;
            Ok(())
        })
        .map(|_| ())
    }

    /// Takes a note out of the trash.
    pub fn restore(&mut self, id: &Id) -> Result<()> {
        self.revise(id, None, |r| {
            r.deleted = false;
            Ok(())
        })
        .map(|_| ())
    }

    /// Destroys a note that is in the trash: every revision and attachment.
    pub fn purge(&mut self, id: &Id) -> Result<()> {
        self.transact(|v| {
            let note = v.state.note(id)?;
            if !note.current().deleted {
                return Err(Error::NotInTrash(id.to_string()));
            }
            let mut objects: Vec<Id> = note.revisions.keys().copied().collect();
            for m in note.revisions.values() {
                objects.extend(m.attachments.iter().copied());
            }
            objects.sort();
            objects.dedup();
            let batch = Batch {
                purged: vec![Purge { note: *id, objects }],
                ..Batch::default()
            };
            Ok(((), batch))
        })
    }

    /// The whole note as it is now.
    pub fn note(&self, id: &Id) -> Result<Note> {
        let n = self.state.note(id)?;
        let r = n.current();
        Ok(self.to_note(*id, r, n.other_heads()))
    }

    fn to_note(&self, id: Id, r: &Revision, conflicts: Vec<Id>) -> Note {
        Note {
            id,
            revision: r.revision,
            title: r.title.clone(),
            body: r.body.clone(),
            tags: r.tags.clone(),
            notebook: r.notebook.clone(),
            pinned: r.pinned,
            trashed: r.deleted,
            created: r.created,
            updated: r.updated,
            attachments: r.attachments.clone(),
            backlinks: self.backlinks(&id, &r.title),
            conflicts,
        }
    }

    fn backlinks(&self, id: &Id, title: &str) -> Vec<NoteRef> {
        let t = title.trim().to_lowercase();
        let state = self.state.meta();
        if state.find_by_title(title) != Some(*id) {
            return Vec::new();
        }
        let mut out: Vec<NoteRef> = state
            .notes
            .iter()
            .filter(|(other, n)| *other != id && !n.current().deleted && n.links.contains(&t))
            .map(|(other, n)| NoteRef {
                id: *other,
                title: n.current().title.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.title.cmp(&b.title));
        out
    }

    /// A note as it was at one revision.
    pub fn note_at(&self, id: &Id, revision: &Id) -> Result<Note> {
        let n = self.state.note(id)?;
        if !n.revisions.contains_key(revision) {
            return Err(Error::NoSuchRevision {
                note: id.to_string(),
                revision: revision.to_string(),
            });
        }
        let r = match n.heads.iter().find(|h| &h.revision == revision) {
            Some(r) => r.clone(),
            None => self.read_revision_checked(revision, None)?,
        };
        Ok(self.to_note(*id, &r, Vec::new()))
    }

    /// Finds a revision of a note by id or unique prefix.
    pub fn resolve_revision(&self, id: &Id, query: &str) -> Result<Id> {
        let n = self.state.meta().note(id)?;
        let q = query.trim().to_ascii_lowercase();
        let found: Vec<&Id> = n
            .revisions
            .keys()
            .filter(|r| r.to_string().starts_with(&q))
            .collect();
        match (q.len() >= 4, found.as_slice()) {
            (true, [one]) => Ok(**one),
            (true, [_, _, ..]) => Err(Error::ambiguous(query, found.into_iter().copied())),
            _ => Err(Error::NoSuchRevision {
                note: id.to_string(),
                revision: query.into(),
            }),
        }
    }

    /// Every revision of a note, newest first.
    pub fn history(&self, id: &Id) -> Result<Vec<RevisionInfo>> {
        let n = self.state.meta().note(id)?;
        let heads: HashSet<Id> = n.heads.iter().map(|h| h.revision).collect();
        let mut out: Vec<RevisionInfo> = n
            .revisions
            .iter()
            .map(|(rid, m)| RevisionInfo {
                revision: *rid,
                parents: m.parents.clone(),
                title: m.title.clone(),
                updated: m.updated,
                trashed: m.deleted,
                device: m.device.map(|d| self.store.roster.label(&d)),
                bytes: m.body_bytes,
                current: heads.contains(rid),
            })
            .collect();
        out.sort_by(|a, b| b.updated.cmp(&a.updated).then(b.revision.cmp(&a.revision)));
        Ok(out)
    }

    /// Makes an older revision's content current again (as a new revision; history is kept).
    pub fn revert(&mut self, id: &Id, revision: &Id) -> Result<Id> {
        let old = self.note_at(id, revision)?;
        self.revise(id, None, |r| {
            r.title = old.title;
            r.body = old.body;
            r.tags = old.tags;
            r.notebook = old.notebook;
            r.attachments = old.attachments;
            r.deleted = false;
            Ok(())
        })
    }

    /// Notes matching the filter: pinned ones first, each part most recently changed first.
    pub fn list(&self, filter: &NoteFilter) -> Vec<NoteSummary> {
        let tag = filter
            .tag
            .as_deref()
            .and_then(clean_tag)
            .map(|t| t.to_lowercase());
        let mut out: Vec<NoteSummary> = self
            .state
            .meta()
            .notes
            .iter()
            .filter(|(_, n)| {
                let r = n.current();
                r.deleted == filter.trash
                    && (!filter.pinned || r.pinned)
                    && filter
                        .notebook
                        .as_ref()
                        .is_none_or(|nb| r.notebook.as_deref().is_some_and(|n| within(n, nb)))
                    && tag
                        .as_ref()
                        .is_none_or(|t| r.tags.iter().any(|x| x.to_lowercase() == *t))
            })
            .map(|(id, n)| summary(*id, n))
            .collect();
        out.sort_by(|a, b| {
            (b.pinned && !b.trashed)
                .cmp(&(a.pinned && !a.trashed))
                .then(b.updated.cmp(&a.updated))
                .then(a.id.cmp(&b.id))
        });
        out
    }

    /// Notebooks of live notes, with counts.
    pub fn notebooks(&self) -> Vec<NameCount> {
        self.count_names(|r| r.notebook.iter().cloned().collect())
    }

    /// Tags of live notes, with counts.
    pub fn tags(&self) -> Vec<NameCount> {
        self.count_names(|r| r.tags.clone())
    }

    fn count_names(&self, f: impl Fn(&Revision) -> Vec<String>) -> Vec<NameCount> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for n in self.state.meta().notes.values() {
            let r = n.current();
            if !r.deleted {
                for name in f(r) {
                    *counts.entry(name).or_default() += 1;
                }
            }
        }
        counts
            .into_iter()
            .map(|(name, count)| NameCount { name, count })
            .collect()
    }

    /// Ranked full-text search over live notes. Beside its words, a query may hold
    /// `"exact phrases"`, `-excluded` words, `tag:x` and `notebook:y` (that notebook and those
    /// inside it); a query of filters alone lists the notes they admit, newest first.
    ///
    /// The text of attachments read so far ([`Vault::read_attachments_for_search`]) is searched
    /// too: such hits name the attachment and come after the notes found by their own text.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = crate::search::Query::parse(query);
        let hits = if q.has_filters() {
            self.filtered_search(&q, limit)
        } else {
            self.state.index().search(&q.words, limit)
        };
        let query = q.words.as_str();
        let mut out: Vec<SearchHit> = hits
            .into_iter()
            .filter_map(|(id, score)| {
                let r = self.state.notes.get(&id)?.current();
                Some(SearchHit {
                    id,
                    title: snippet(&r.title, query, 200),
                    snippet: crate::search::body_snippet(&r.title, &r.body, query, EXCERPT_CHARS),
                    tags: r.tags.clone(),
                    notebook: r.notebook.clone(),
                    updated: r.updated,
                    score,
                    attachment: None,
                })
            })
            .collect();
        let room = limit.saturating_sub(out.len());
        if room > 0 {
            out.extend(self.attachment_hits(&q, room));
        }
        out
    }

    /// Attachments of live notes whose text (or name) the query's words find, passing its
    /// filters (a note's tags and notebook, phrases and excluded words in the attachment's
    /// text; an excluded word in the note leaves its attachments out too).
    fn attachment_hits(&mut self, q: &crate::search::Query, limit: usize) -> Vec<SearchHit> {
        use crate::search::attachments::Current;
        if crate::search::tokenize(&q.words).is_empty() {
            return Vec::new();
        }
        let mut excluded_notes: HashSet<Id> = HashSet::new();
        if !q.excluded.is_empty() {
            let index = self.state.index();
            for w in &q.excluded {
                excluded_notes.extend(index.notes_with(w));
            }
        }
        let state = &*self.state;
        let notes = &state.notes;
        let current: Vec<Current<'_>> = state
            .live_attachments()
            .map(|(note, a)| Current {
                note,
                object: a.object,
                name: &a.name,
            })
            .collect();
        let search = &mut self.attachment_search;
        let found = search.search(&current, &q.words, usize::MAX);
        let excluded_objects: HashSet<Id> = q
            .excluded
            .iter()
            .flat_map(|w| search.with_word(w))
            .collect();
        let query = q.words.as_str();
        found
            .into_iter()
            .filter(|f| !excluded_objects.contains(&f.object) && !excluded_notes.contains(&f.note))
            .filter_map(|f| {
                let r = notes.get(&f.note)?.current();
                let text = search.text(&f.object).unwrap_or("");
                q.admits(&f.name, text, &r.tags, r.notebook.as_deref())
                    .then(|| SearchHit {
                        id: f.note,
                        title: snippet(&r.title, query, 200),
                        snippet: snippet(text, query, EXCERPT_CHARS),
                        tags: r.tags.clone(),
                        notebook: r.notebook.clone(),
                        updated: r.updated,
                        score: f.score,
                        attachment: Some(f.name),
                    })
            })
            .take(limit)
            .collect()
    }

    /// The notes a query with filters finds, best first: every note its words find (or, with
    /// no words, every live note, newest first), less those the filters refuse.
    fn filtered_search(&mut self, q: &crate::search::Query, limit: usize) -> Vec<(Id, f32)> {
        let index = self.state.index();
        let mut excluded: HashSet<Id> = HashSet::new();
        for w in &q.excluded {
            excluded.extend(index.notes_with(w));
        }
        let found: Vec<(Id, f32)> = if crate::search::tokenize(&q.words).is_empty() {
            let mut all: Vec<(&Id, i64)> = self
                .state
                .notes
                .iter()
                .filter(|(_, n)| !n.current().deleted)
                .map(|(id, n)| (id, n.current().updated))
                .collect();
            all.sort_by_key(|(id, updated)| (std::cmp::Reverse(*updated), **id));
            all.into_iter().map(|(id, _)| (*id, 0.0)).collect()
        } else {
            index.search(&q.words, usize::MAX)
        };
        found
            .into_iter()
            .filter(|(id, _)| !excluded.contains(id))
            .filter(|(id, _)| {
                self.state.notes.get(id).is_some_and(|n| {
                    let r = n.current();
                    q.admits(&r.title, &r.body, &r.tags, r.notebook.as_deref())
                })
            })
            .take(limit)
            .collect()
    }

    /// Titles of live notes that hold `typed` under the search's folding rules (case,
    /// diacritics, full-width forms: [`crate::search::fold_text`]), those that start with it
    /// first, then alphabetically; at most `limit`. For `[[` link completion.
    pub fn titles_matching(&self, typed: &str, limit: usize) -> Vec<String> {
        let want = crate::search::fold_text(typed.trim());
        let mut found: Vec<(bool, String)> = self
            .state
            .notes
            .values()
            .map(|n| n.current())
            .filter(|r| !r.deleted)
            .filter_map(|r| {
                let folded = crate::search::fold_text(&r.title);
                let at = folded.find(&want)?;
                Some((at != 0, r.title.clone()))
            })
            .collect();
        found.sort();
        found.dedup();
        found.truncate(limit);
        found.into_iter().map(|(_, t)| t).collect()
    }

    /// The note rendered as sanitized HTML: exactly what the app shows.
    pub fn render(&self, id: &Id) -> Result<String> {
        let n = self.state.note(id)?;
        Ok(self.render_markdown(&n.current().body))
    }

    /// Renders any Markdown (e.g. an unsaved draft) with this vault's notes as link targets.
    pub fn render_markdown(&self, markdown: &str) -> String {
        crate::render::render_markdown(markdown, &|title| self.link_target(title))
    }

    /// The note id a `[[title]]` link goes to, as the renderer writes it.
    fn link_target(&self, title: &str) -> Option<String> {
        self.state
            .meta()
            .find_by_title(title)
            .map(|id| id.to_string())
    }

    /// A text with its links resolved against this vault's notes, to render without holding
    /// the vault ([`crate::render::Prepared::render`]).
    pub fn prepare_markdown(&self, markdown: String) -> crate::render::Prepared {
        crate::render::Prepared::new(markdown, &|title| self.link_target(title))
    }

    /// The live note a `[[title]]` link points to.
    pub fn find_by_title(&self, title: &str) -> Option<Id> {
        self.state.meta().find_by_title(title)
    }

    /// Number of notes (live and trashed).
    pub fn note_count(&self) -> usize {
        self.state.meta().notes.len()
    }
}
