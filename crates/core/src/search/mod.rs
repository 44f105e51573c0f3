//! Ranked full-text search over titles, tags and bodies, in memory only (nothing of it is
//! written to disk in the clear). An inverted index with BM25 ranking, field boosts for
//! titles and tags, and prefix matching on every query word (for search as you type), in
//! every script: words are normalised and folded, and text written without spaces is indexed
//! by pairs of characters (see `words`); an exact form ranks above a folded one.

use crate::Id;
use crate::note::Revision;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

pub mod attachments;
mod find;
mod query;
mod snippet;
#[cfg(test)]
mod tests;
mod words;

pub use find::{MAX_MATCHES, find, find_words};
pub use query::Query;

pub(crate) use snippet::body_snippet;
pub use snippet::{Segment, snippet};
#[cfg(any(test, fuzzing))]
pub use words::tokenize_plainly;
use words::{Kind, QueryWord, for_each_term, query_words};
pub use words::{fold_text, tokenize};

const K1: f32 = 1.2;
const B: f32 = 0.75;
const TITLE_BOOST: f32 = 3.0;
const TAG_BOOST: f32 = 2.0;
const PREFIX_PENALTY: f32 = 0.7;
/// A match of a word's folded form only (the note has "café", the query "cafe", or the other
/// way round) ranks below an exact one.
const FOLDED_PENALTY: f32 = 0.8;
/// A query word expands to at most this many indexed words (the most common ones).
const MAX_EXPANSIONS: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    body_tf: u16,
    /// [`IN_TITLE`], [`IN_TAG`], [`PLAIN`].
    flags: u8,
}

/// The term is in the note's title.
const IN_TITLE: u8 = 1;
/// The term is in one of the note's tags.
const IN_TAG: u8 = 2;
/// The term is in the note as it is, not only as the folded form of another word.
const PLAIN: u8 = 4;

#[derive(Clone, Debug)]
struct Doc {
    note: Id,
    alive: bool,
    len: u32,
}

/// The in-memory inverted index. Words are looked up by hash when indexing; an ordered map of
/// the vocabulary (which grows only by new words) serves prefix queries.
#[derive(Default, Debug)]
pub struct SearchIndex {
    docs: Vec<Doc>,
    by_note: HashMap<Id, u32>,
    term_ids: FxHashMap<Box<str>, u32>,
    sorted_terms: BTreeMap<Box<str>, u32>,
    postings: Vec<Vec<Posting>>,
    live: usize,
    total_len: u64,
    scratch: Scratch,
}

/// How many indexed words a query word of `len` characters may expand to: short prefixes
/// match huge parts of the vocabulary, and the rarest of those add nothing to the ranking.
fn max_expansions(len: usize) -> usize {
    match len {
        1 => 8,
        2 => 24,
        _ => MAX_EXPANSIONS,
    }
}

/// [`max_expansions`] of a query word: one character of a script indexed by pairs stands for
/// every pair it starts, which are words of their own.
fn expansions_for(word: &str) -> usize {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if words::is_paired(c) => MAX_EXPANSIONS,
        _ => max_expansions(word.chars().count()),
    }
}

/// What the index reads of one note (a revision's parts, borrowed).
#[derive(Clone, Copy, Debug)]
pub struct DocInput<'a> {
    /// The note the content belongs to: search results name it.
    pub note: Id,
    /// The note's title (its words rank above the body's).
    pub title: &'a str,
    /// The note's tags (their words rank above the body's).
    pub tags: &'a [String],
    /// Whether the note is in the trash: such a note is not indexed.
    pub deleted: bool,
    /// The note's Markdown body.
    pub body: &'a str,
}

impl<'a> DocInput<'a> {
    /// The parts of a note revision the index reads.
    pub fn of(rev: &'a Revision) -> DocInput<'a> {
        DocInput {
            note: rev.note,
            title: &rev.title,
            tags: &rev.tags,
            deleted: rev.deleted,
            body: &rev.body,
        }
    }
}

/// Where in a note a word was found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Body,
    Title,
    Tag,
}

/// Reused between documents: where each term's posting for the document being indexed is in
/// `doc` (`u32::MAX`: none yet).
#[derive(Default, Debug)]
struct Scratch {
    at: Vec<u32>,
    doc: Vec<(u32, Posting)>,
}

/// Notes per thread below which building an index in parallel is not worth a thread.
const MIN_NOTES_PER_THREAD: usize = 512;
/// Threads used at most to build an index.
const MAX_BUILD_THREADS: usize = 8;

impl SearchIndex {
    /// An index of `docs`, built on up to `MAX_BUILD_THREADS` (8) threads (each indexes a run of
    /// the notes, and the runs are joined in order, so the result ranks exactly as one built
    /// note by note). `None` if `cancel` was set meanwhile.
    pub fn build(docs: &[DocInput<'_>], cancel: &AtomicBool) -> Option<SearchIndex> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_BUILD_THREADS)
            .min(docs.len() / MIN_NOTES_PER_THREAD);
        SearchIndex::build_on(docs, threads.max(1), cancel)
    }

    /// [`SearchIndex::build`] on `threads` threads.
    fn build_on(docs: &[DocInput<'_>], threads: usize, cancel: &AtomicBool) -> Option<SearchIndex> {
        let run = docs.len().div_ceil(threads).max(1);
        let index_run = |part: &[DocInput<'_>]| {
            let mut index = SearchIndex::default();
            for (i, d) in part.iter().enumerate() {
                if i % 256 == 0 && cancel.load(Ordering::Relaxed) {
                    return None;
                }
                index.add(d, false);
            }
            Some(index)
        };
        let mut parts = docs.chunks(run);
        let mut index = if threads == 1 {
            index_run(parts.next().unwrap_or_default())?
        } else {
            let built: Vec<Option<SearchIndex>> = std::thread::scope(|s| {
                let handles: Vec<_> = parts.map(|part| s.spawn(move || index_run(part))).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            let mut built = built.into_iter();
            let mut index = built.next().flatten()?;
            for other in built {
                index.append(other?);
            }
            index
        };
        index.scratch = Scratch::default();
        index.sorted_terms = index
            .term_ids
            .iter()
            .map(|(t, id)| (t.clone(), *id))
            .collect();
        Some(index)
    }

    /// Adds the documents of `other` (which indexed other notes) after this index's own.
    fn append(&mut self, mut other: SearchIndex) {
        let offset = self.docs.len() as u32;
        for (term, id) in other.term_ids {
            let postings = std::mem::take(&mut other.postings[id as usize]);
            let mine = match self.term_ids.get(&term) {
                Some(mine) => *mine as usize,
                None => {
                    self.term_ids.insert(term, self.postings.len() as u32);
                    self.postings.push(Vec::new());
                    self.postings.len() - 1
                }
            };
            self.postings[mine].extend(postings.into_iter().map(|p| Posting {
                doc: p.doc + offset,
                ..p
            }));
        }
        for (note, doc) in other.by_note {
            self.by_note.insert(note, doc + offset);
        }
        self.docs.extend(other.docs);
        self.live += other.live;
        self.total_len += other.total_len;
    }

    /// Indexes the revision as its note's current content (trashed notes are not indexed).
    pub fn upsert(&mut self, rev: &Revision) {
        self.upsert_doc(&DocInput::of(rev));
    }

    /// Indexes `input` as the current content of `input.note`.
    pub fn upsert_doc(&mut self, input: &DocInput<'_>) {
        self.remove(&input.note);
        self.add(input, true);
    }

    /// Indexes a note this index does not hold. `sorted`: also enter new words in the ordered
    /// vocabulary (a build makes it once at the end instead).
    fn add(&mut self, input: &DocInput<'_>, sorted: bool) {
        if input.deleted {
            return;
        }
        let doc = self.docs.len() as u32;
        let blank = Posting {
            doc,
            body_tf: 0,
            flags: 0,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut len = 0u32;
        let fields = [(input.body, Field::Body), (input.title, Field::Title)]
            .into_iter()
            .chain(input.tags.iter().map(|t| (t.as_str(), Field::Tag)));
        let mut buf = String::new();
        for (text, field) in fields {
            for_each_term(text, &mut buf, |w, _, kind| {
                let term = self.term_id(w, sorted);
                if scratch.at.len() <= term as usize {
                    scratch
                        .at
                        .resize(self.postings.len().max(term as usize + 1), u32::MAX);
                }
                let at = &mut scratch.at[term as usize];
                if *at == u32::MAX {
                    *at = scratch.doc.len() as u32;
                    scratch.doc.push((term, blank));
                }
                let p = &mut scratch.doc[*at as usize].1;
                match field {
                    Field::Body => p.body_tf = p.body_tf.saturating_add(1),
                    Field::Title => p.flags |= IN_TITLE,
                    Field::Tag => p.flags |= IN_TAG,
                }
                if matches!(kind, Kind::Plain | Kind::Last) {
                    p.flags |= PLAIN;
                }
                // A document's length (for BM25) counts its body's and title's words (an
                // exact form beside its folded one is not another word).
                if field != Field::Tag && kind != Kind::Exact {
                    len += 1;
                }
            });
        }
        for (term, p) in scratch.doc.drain(..) {
            scratch.at[term as usize] = u32::MAX;
            self.postings[term as usize].push(p);
        }
        self.scratch = scratch;
        self.docs.push(Doc {
            note: input.note,
            alive: true,
            len,
        });
        self.by_note.insert(input.note, doc);
        self.live += 1;
        self.total_len += len as u64;
    }

    /// The id of `word` (in the index's form), entered if new.
    fn term_id(&mut self, word: &str, sorted: bool) -> u32 {
        if let Some(id) = self.term_ids.get(word) {
            return *id;
        }
        let id = self.postings.len() as u32;
        let key: Box<str> = word.into();
        if sorted {
            self.sorted_terms.insert(key.clone(), id);
        }
        self.term_ids.insert(key, id);
        self.postings.push(Vec::new());
        id
    }

    /// Drops a note from the index.
    pub fn remove(&mut self, note: &Id) {
        if let Some(doc) = self.by_note.remove(note) {
            let d = &mut self.docs[doc as usize];
            d.alive = false;
            self.live -= 1;
            self.total_len -= d.len as u64;
            if self.docs.len() > 1024 && self.docs.len() > 2 * self.live {
                self.compact();
            }
        }
    }

    /// Rewrites the postings without the removed documents.
    pub(crate) fn compact(&mut self) {
        let mut remap = vec![u32::MAX; self.docs.len()];
        let mut docs = Vec::with_capacity(self.live);
        for (i, d) in self.docs.iter().enumerate() {
            if d.alive {
                remap[i] = docs.len() as u32;
                docs.push(d.clone());
            }
        }
        for postings in &mut self.postings {
            postings.retain_mut(|p| {
                p.doc = remap[p.doc as usize];
                p.doc != u32::MAX
            });
        }
        self.by_note = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.note, i as u32))
            .collect();
        self.docs = docs;
    }

    /// Number of notes indexed.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no note is indexed.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The indexed terms that start with `word` (itself first), with their postings: the
    /// most common `cap` of them.
    fn expansions(&self, word: &str, cap: usize) -> Vec<(&str, &Vec<Posting>)> {
        let mut expansions: Vec<(&str, &Vec<Posting>)> = self
            .sorted_terms
            .range::<str, _>((Bound::Included(word), Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(word))
            .map(|(t, id)| (&**t, &self.postings[*id as usize]))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if expansions.len() > cap {
            expansions.sort_by_key(|(t, p)| (*t != word, std::cmp::Reverse(p.len())));
            expansions.truncate(cap);
        }
        expansions
    }

    /// Every note holding `word` (its every term, whole or as the start of one), with no cap
    /// on the indexed words a term expands to: what an excluded word rules out.
    pub fn notes_with(&self, word: &str) -> std::collections::HashSet<Id> {
        let mut out: Option<std::collections::HashSet<Id>> = None;
        for w in query_words(word) {
            let found: std::collections::HashSet<Id> = self
                .expansions(&w.folded, usize::MAX)
                .into_iter()
                .flat_map(|(_, postings)| postings.iter())
                .filter(|p| self.docs[p.doc as usize].alive)
                .map(|p| self.docs[p.doc as usize].note)
                .collect();
            out = Some(match out {
                None => found,
                Some(o) => o.intersection(&found).copied().collect(),
            });
        }
        out.unwrap_or_default()
    }

    /// The best `limit` notes for `query`, best first. Every query word must match (as a
    /// whole word or as the start of one).
    pub fn search(&self, query: &str, limit: usize) -> Vec<(Id, f32)> {
        let words: Vec<QueryWord> = query_words(query);
        if words.is_empty() || self.live == 0 {
            return Vec::new();
        }
        let n = self.live as f32;
        let avg_len = (self.total_len as f32 / n).max(1.0);
        let mut score = vec![0f32; self.docs.len()];
        let mut matched = vec![0u16; self.docs.len()];
        let mut best_for_word = vec![0f32; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut exact_docs = vec![false; self.docs.len()];
        for (wi, qw) in words.iter().enumerate() {
            let word = qw.folded.as_str();
            let expansions = self.expansions(word, expansions_for(word));
            // A query word typed with its diacritics: the notes that have it so (whole, or as
            // the start of a word) rank first.
            let typed = qw.exact.as_deref().map(|exact| {
                let marked = self.expansions(exact, MAX_EXPANSIONS);
                for (_, postings) in &marked {
                    for p in *postings {
                        exact_docs[p.doc as usize] = true;
                    }
                }
                marked
            });
            touched.clear();
            for (term, postings) in expansions {
                let df = postings.len() as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                let whole = if term == word { 1.0 } else { PREFIX_PENALTY };
                for p in postings {
                    let as_typed = match typed {
                        Some(_) => exact_docs[p.doc as usize],
                        None => p.flags & PLAIN != 0,
                    };
                    let exact = if as_typed {
                        whole
                    } else {
                        whole * FOLDED_PENALTY
                    };
                    let d = &self.docs[p.doc as usize];
                    if !d.alive {
                        continue;
                    }
                    let tf = p.body_tf as f32;
                    let body = if tf > 0.0 {
                        tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * d.len as f32 / avg_len))
                    } else {
                        0.0
                    };
                    let fields =
                        body + if p.flags & IN_TITLE != 0 {
                            TITLE_BOOST
                        } else {
                            0.0
                        } + if p.flags & IN_TAG != 0 {
                            TAG_BOOST
                        } else {
                            0.0
                        };
                    let s = idf * fields * exact;
                    let slot = &mut best_for_word[p.doc as usize];
                    if *slot == 0.0 {
                        touched.push(p.doc);
                    }
                    if s > *slot {
                        *slot = s;
                    }
                }
            }
            for &doc in &touched {
                let i = doc as usize;
                if matched[i] as usize == wi {
                    matched[i] += 1;
                    score[i] += best_for_word[i];
                }
                best_for_word[i] = 0.0;
            }
            if let Some(marked) = typed {
                for (_, postings) in marked {
                    for p in postings {
                        exact_docs[p.doc as usize] = false;
                    }
                }
            }
        }
        let want = words.len() as u16;
        let mut hits: Vec<(Id, f32)> = matched
            .iter()
            .enumerate()
            .filter(|(_, m)| **m == want)
            .map(|(i, _)| (self.docs[i].note, score[i]))
            .collect();
        let cmp = |a: &(Id, f32), b: &(Id, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit, cmp);
            hits.truncate(limit);
        }
        hits.sort_by(cmp);
        hits
    }
}
