//! Ranked full-text search over titles, tags and bodies, in memory only (nothing of it is
//! written to disk in the clear). An inverted index with BM25 ranking, field boosts for
//! titles and tags, and prefix matching on every query word (for search as you type).

use crate::Id;
use crate::note::Revision;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

const K1: f32 = 1.2;
const B: f32 = 0.75;
const TITLE_BOOST: f32 = 3.0;
const TAG_BOOST: f32 = 2.0;
const PREFIX_PENALTY: f32 = 0.7;
/// A query word expands to at most this many indexed words (the most common ones).
const MAX_EXPANSIONS: usize = 64;
const MAX_TOKEN_CHARS: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    body_tf: u16,
    in_title: bool,
    in_tag: bool,
}

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

/// A piece of a snippet; `hit` pieces matched the query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Calls `f` with each word of `text` in the index's form: lowercase; a word is a run of
/// alphanumeric characters, at most 64 characters (longer runs are not words). ASCII words,
/// nearly all of them in most notes, take a fast path over bytes; `buf` holds a word being
/// lowercased.
fn for_each_word(text: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() && !b.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        let mut upper = false;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            upper |= bytes[i].is_ascii_uppercase();
            i += 1;
        }
        if i < bytes.len() && !bytes[i].is_ascii() {
            // Not all ASCII: the word (if the next character is a letter or digit) as chars.
            i = start + slow_word(&text[start..], buf, &mut f);
            continue;
        }
        let word = &text[start..i];
        if word.len() > MAX_TOKEN_CHARS {
            continue;
        }
        if upper {
            buf.clear();
            buf.push_str(word);
            buf.make_ascii_lowercase();
            f(buf);
        } else {
            f(word);
        }
    }
}

/// The word at the start of `text` (which holds a non-ASCII character in its first word, or
/// starts with one), given to `f` like [`for_each_word`] does; returns the bytes it spans (at
/// least one character).
fn slow_word(text: &str, buf: &mut String, f: &mut impl FnMut(&str)) -> usize {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(text.len(), |(i, _)| i);
    if end == 0 {
        return text.chars().next().map_or(1, char::len_utf8);
    }
    let word = &text[..end];
    if word.len() > 4 * MAX_TOKEN_CHARS || word.chars().count() > MAX_TOKEN_CHARS {
        return end;
    }
    if word.chars().any(char::is_uppercase) {
        // `str::to_lowercase`, not per character: a final capital sigma becomes ς.
        buf.clear();
        buf.push_str(&word.to_lowercase());
        f(buf);
    } else {
        f(word);
    }
    end
}

/// Splits text into lowercase words.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, &mut String::new(), |w| out.push(w.to_string()));
    out
}

/// [`tokenize`] written plainly, with no fast path: the definition the tests and the
/// `search_text` fuzz target hold the tokenizer to. Not for use elsewhere (it is slower).
#[doc(hidden)]
pub fn tokenize_plainly(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_TOKEN_CHARS)
        .map(|w| {
            if w.chars().any(char::is_uppercase) {
                w.to_lowercase()
            } else {
                w.to_string()
            }
        })
        .collect()
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

/// What the index reads of one note (a revision's parts, borrowed).
#[derive(Clone, Copy, Debug)]
pub struct DocInput<'a> {
    pub note: Id,
    pub title: &'a str,
    pub tags: &'a [String],
    pub deleted: bool,
    pub body: &'a str,
}

impl<'a> DocInput<'a> {
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

/// A query's first words that count: at most this many, each once.
const MAX_QUERY_WORDS: usize = 32;

/// The words of a query, each once, in order, at most [`MAX_QUERY_WORDS`] (a query of 4,000
/// words, or one word 4,000 times, costs no more than 32 distinct ones).
fn query_words(query: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    tokenize(query)
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_QUERY_WORDS)
        .collect()
}

impl SearchIndex {
    /// An index of `docs`, built on up to [`MAX_BUILD_THREADS`] threads (each indexes a run of
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
        self.remove(&rev.note);
        self.add(&DocInput::of(rev), true);
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
            in_title: false,
            in_tag: false,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut len = 0u32;
        let fields = [(input.body, Field::Body), (input.title, Field::Title)]
            .into_iter()
            .chain(input.tags.iter().map(|t| (t.as_str(), Field::Tag)));
        let mut buf = String::new();
        for (text, field) in fields {
            for_each_word(text, &mut buf, |w| {
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
                    Field::Title => p.in_title = true,
                    Field::Tag => p.in_tag = true,
                }
                // A document's length (for BM25) counts its body's and title's words.
                if field != Field::Tag {
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

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The best `limit` notes for `query`, best first. Every query word must match (as a
    /// whole word or as the start of one).
    pub fn search(&self, query: &str, limit: usize) -> Vec<(Id, f32)> {
        let words: Vec<String> = query_words(query);
        if words.is_empty() || self.live == 0 {
            return Vec::new();
        }
        let n = self.live as f32;
        let avg_len = (self.total_len as f32 / n).max(1.0);
        let mut score = vec![0f32; self.docs.len()];
        let mut matched = vec![0u16; self.docs.len()];
        let mut best_for_word = vec![0f32; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (wi, word) in words.iter().enumerate() {
            let mut expansions: Vec<(&str, &Vec<Posting>)> = self
                .sorted_terms
                .range::<str, _>((Bound::Included(word.as_str()), Bound::Unbounded))
                .take_while(|(t, _)| t.starts_with(word.as_str()))
                .map(|(t, id)| (&**t, &self.postings[*id as usize]))
                .filter(|(_, p)| !p.is_empty())
                .collect();
            let cap = max_expansions(word.chars().count());
            if expansions.len() > cap {
                expansions.sort_by_key(|(t, p)| (*t != word.as_str(), std::cmp::Reverse(p.len())));
                expansions.truncate(cap);
            }
            touched.clear();
            for (term, postings) in expansions {
                let df = postings.len() as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                let exact = if term == word { 1.0 } else { PREFIX_PENALTY };
                for p in postings {
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
                    let fields = body
                        + if p.in_title { TITLE_BOOST } else { 0.0 }
                        + if p.in_tag { TAG_BOOST } else { 0.0 };
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

/// Whether `word` starts with `prefix` (already lowercase), ignoring case; the length in
/// bytes of the matching part of `word`.
fn prefix_len_ci(word: &str, prefix: &str) -> Option<usize> {
    let mut want = prefix.chars();
    let mut pending = want.next();
    for (i, c) in word.char_indices() {
        let Some(_) = pending else {
            return Some(i);
        };
        for lc in c.to_lowercase() {
            if Some(lc) != pending {
                return None;
            }
            pending = want.next();
        }
    }
    pending.is_none().then_some(word.len())
}

/// A short excerpt of `text` around the first match of the query words, split into plain
/// and matching pieces (the UI shows them as text, never as HTML).
pub fn snippet(text: &str, query: &str, max_chars: usize) -> Vec<Segment> {
    let words: Vec<String> = query_words(query);
    // Word spans (byte ranges) of the text that start with a query word.
    let mut spans = Vec::new();
    let mut start = None;
    let mut window_end = usize::MAX;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if let Some(n) = words.iter().find_map(|q| prefix_len_ci(&text[s..i], q)) {
                    // Highlight the matching prefix only.
                    spans.push((s, s + n));
                    if spans.len() == 1 {
                        // The window ends at most max_chars after the first match.
                        window_end = text[s..]
                            .char_indices()
                            .nth(max_chars)
                            .map_or(text.len(), |(b, _)| s + b);
                    }
                }
                start = None;
                if i > window_end {
                    break;
                }
            }
            _ => {}
        }
    }
    let first = spans.first().map(|s| s.0).unwrap_or(0);
    // Start a little before the first match, on a char boundary.
    let lead = text[..first]
        .char_indices()
        .rev()
        .nth(max_chars / 4)
        .map(|(b, _)| b)
        .unwrap_or(0);
    let end = text[lead..]
        .char_indices()
        .nth(max_chars)
        .map(|(b, _)| lead + b)
        .unwrap_or(text.len());
    let mut out = Vec::new();
    let mut pos = lead;
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut push = |text: String, hit: bool| {
        if !text.is_empty() {
            out.push(Segment { text, hit });
        }
    };
    if lead > 0 {
        push("… ".into(), false);
    }
    for (s, e) in spans.into_iter().filter(|(s, e)| *s >= lead && *e <= end) {
        if s > pos {
            let mut t = clean(&text[pos..s]);
            if text[pos..s].ends_with(char::is_whitespace) {
                t.push(' ');
            }
            if text[pos..s].starts_with(char::is_whitespace) && pos > lead {
                t.insert(0, ' ');
            }
            push(t, false);
        }
        push(text[s..e].to_string(), true);
        pos = e;
    }
    if end > pos {
        let mut t = clean(&text[pos..end]);
        if text[pos..end].starts_with(char::is_whitespace) && !t.is_empty() {
            t.insert(0, ' ');
        }
        push(t, false);
    }
    if end < text.len() {
        push(" …".into(), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(title: &str, body: &str, tags: &[&str]) -> Revision {
        Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![],
            title: title.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            notebook: None,
            pinned: false,
            deleted: false,
            created: 0,
            updated: 0,
            attachments: vec![],
            body: body.into(),
        }
    }

    #[test]
    fn ranks_titles_first_and_matches_prefixes() {
        let mut idx = SearchIndex::default();
        let a = rev("Passport renewal", "bring photos", &[]);
        let b = rev("Travel", "remember the passport and tickets", &["trip"]);
        let c = rev("Recipes", "soup", &["passport-ish"]);
        for r in [&a, &b, &c] {
            idx.upsert(r);
        }
        let hits = idx.search("pass", 10);
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].0, a.note);
        assert_eq!(idx.search("passport tick", 10).len(), 1);
        assert!(idx.search("nothing", 10).is_empty());
        idx.remove(&a.note);
        assert_eq!(idx.search("renewal", 10).len(), 0);
        let mut a2 = a.clone();
        a2.deleted = true;
        idx.upsert(&a2);
        assert_eq!(idx.search("photos", 10).len(), 0);
    }

    #[test]
    fn snippets_mark_matches() {
        let s = snippet("Remember the Passport and tickets", "pass", 80);
        assert!(s.iter().any(|x| x.hit && x.text == "Pass"));
        let text: String = s.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(text, "Remember the Passport and tickets");
    }
}

#[cfg(test)]
mod build_tests {
    use super::*;

    #[test]
    fn the_fast_tokenizer_splits_and_lowercases_as_the_plain_definition() {
        let fixed = [
            "Hello, World! it's 2026-11-30",
            "naïve Café CAFÉ crème brûlée",
            "ΣΟΦΟΣ σοφός Σ ΑΣ.",
            "straße STRASSE İstanbul ǅemal",
            "ab日本語cd 東京 ٣٤ x²",
            "a\u{300}b e\u{301} 🙂smile🙂 \u{feff}bom",
            "",
            "-- __ ..",
            &"x".repeat(64),
            &"X".repeat(65),
            &"é".repeat(64),
            &format!("{} tail", "É".repeat(65)),
            &format!("{}é", "a".repeat(63)),
            &format!("{}é", "a".repeat(64)),
        ];
        for t in fixed {
            assert_eq!(tokenize(t), tokenize_plainly(t), "{t:?}");
        }
        let pool: Vec<char> = "aZ9 .-_éÉßΣσ日ٽ٣\u{300}🙂İ\n\t"
            .chars()
            .chain(('a'..='e').chain('A'..='E'))
            .collect();
        let mut seed = 1u64;
        for _ in 0..3000 {
            let mut t = String::new();
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            for _ in 0..(seed >> 58) * 3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let c = pool[(seed >> 33) as usize % pool.len()];
                let run = if (seed >> 20).is_multiple_of(9) {
                    70
                } else {
                    1
                };
                t.extend(std::iter::repeat_n(c, run));
            }
            assert_eq!(tokenize(&t), tokenize_plainly(&t), "{t:?}");
        }
    }

    /// Notes of made-up words (some capitalized, some only in titles or tags, some trashed).
    fn notes(n: usize) -> Vec<Revision> {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut words = |count: u64| {
            let mut out = Vec::new();
            for _ in 0..next(count) {
                let w = format!("w{}x{}", next(40), next(300));
                out.push(if next(10) == 0 { w.to_uppercase() } else { w });
            }
            out
        };
        (0..n)
            .map(|i| {
                let (body, title, tags) = (words(80), words(4), words(3));
                let mut r = Revision {
                    note: Id::random(),
                    revision: Id::random(),
                    parents: vec![],
                    title: title.join(" "),
                    tags,
                    notebook: None,
                    pinned: false,
                    deleted: i % 20 == 7,
                    created: 0,
                    updated: 0,
                    attachments: vec![],
                    body: body.join(" "),
                };
                if i % 30 == 3 {
                    r.body.push_str(" ΣΟΦΟΣ Straße");
                }
                r
            })
            .collect()
    }

    #[test]
    fn a_build_on_many_threads_ranks_exactly_as_note_by_note() {
        let revs = notes(3000);
        let docs: Vec<DocInput<'_>> = revs.iter().map(DocInput::of).collect();
        let mut one_by_one = SearchIndex::default();
        for r in &revs {
            one_by_one.upsert(r);
        }
        let no = AtomicBool::new(false);
        let queries = [
            "w1",
            "w12x3",
            "W3X1",
            "w7 w2",
            "w",
            "σοφος",
            "straße",
            "w39x",
            "nothing",
        ];
        for threads in [1, 2, 3, 7] {
            let built = SearchIndex::build_on(&docs, threads, &no).unwrap();
            assert_eq!(built.len(), one_by_one.len());
            assert_eq!(built.sorted_terms.len(), one_by_one.sorted_terms.len());
            for q in queries {
                assert_eq!(
                    built.search(q, 40),
                    one_by_one.search(q, 40),
                    "{threads} threads, {q:?}"
                );
            }
        }
        assert!(!one_by_one.search("w1", 40).is_empty());
        assert!(!one_by_one.search("σοφος", 40).is_empty());
        // A cancelled build gives nothing.
        assert!(SearchIndex::build_on(&docs, 2, &AtomicBool::new(true)).is_none());
        // Changes after a build are indexed as in any index.
        let mut built = SearchIndex::build(&docs, &no).unwrap();
        let mut changed = revs[5].clone();
        changed.body = "brandnewword".into();
        changed.deleted = false;
        built.upsert(&changed);
        assert_eq!(built.search("brandnew", 5)[0].0, changed.note);
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn snippets_keep_a_space_where_lines_meet() {
        let body = "# Title\n\nPlant **tomatoes** in May.\nSee [[Seeds]] and `code`.\r\nDone.";
        for q in [
            "see",
            "may",
            "plant",
            "seeds",
            "tomatoes see",
            "title",
            "code",
            "zzz",
        ] {
            let s = snippet(body, q, 160);
            let text: String = s.iter().map(|x| x.text.as_str()).collect();
            assert!(text.contains("May. See"), "{q}: {text:?}");
            assert!(text.contains("`code`. Done."), "{q}: {text:?}");
        }
        let mut bad = Vec::new();
        for body in [
            body,
            "in May.\nSee",
            "May.\n\nSee x",
            "a May.\r\n  See b",
            "- May.\n- See",
        ] {
            for q in ["see", "may", "s", "m", "may see", "x", "b", "in", "a"] {
                for n in 1..60 {
                    let s = snippet(body, q, n);
                    let text: String = s.iter().map(|x| x.text.as_str()).collect();
                    if text.contains(".See") || text.contains("May.S") {
                        bad.push(format!("{body:?} {q} {n}: {text:?}"));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn case_insensitive_prefixes() {
        assert_eq!(prefix_len_ci("Passport", "pass"), Some(4));
        assert_eq!(prefix_len_ci("Pa", "pass"), None);
        assert_eq!(prefix_len_ci("ÉTÉ", "ét"), Some(3));
        assert_eq!(prefix_len_ci("x", "y"), None);
        let s = snippet("Über die ÜBERSICHT", "über", 80);
        assert_eq!(s.iter().filter(|x| x.hit).count(), 2);
    }
}
