//! Ranked full-text search over titles, tags and bodies, in memory only (nothing of it is
//! written to disk in the clear). An inverted index with BM25 ranking, field boosts for
//! titles and tags, and prefix matching on every query word (for search as you type).

use crate::Id;
use crate::note::Revision;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

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
}

/// A piece of a snippet; `hit` pieces matched the query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// The words of a text (as written; see [`fold`]).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| {
        !w.is_empty() && w.len() <= 4 * MAX_TOKEN_CHARS && w.chars().count() <= MAX_TOKEN_CHARS
    })
}

/// A word in the index's form: lowercase (allocating only when it is not already).
fn fold(word: &str) -> Cow<'_, str> {
    if word.chars().any(char::is_uppercase) {
        Cow::Owned(word.to_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

/// Splits text into lowercase words.
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    words(text).map(|w| fold(w).into_owned())
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

impl SearchIndex {
    /// Indexes the revision as its note's current content (trashed notes are not indexed).
    pub fn upsert(&mut self, rev: &Revision) {
        self.upsert_parts(rev.note, &rev.title, &rev.tags, rev.deleted, &rev.body);
    }

    /// [`SearchIndex::upsert`] from the parts of a revision it reads.
    pub fn upsert_parts(
        &mut self,
        note: Id,
        title: &str,
        tags: &[String],
        deleted: bool,
        body: &str,
    ) {
        self.remove(&note);
        if deleted {
            return;
        }
        let doc = self.docs.len() as u32;
        let blank = Posting {
            doc,
            body_tf: 0,
            in_title: false,
            in_tag: false,
        };
        let mut seen: FxHashMap<Cow<'_, str>, Posting> = FxHashMap::default();
        let mut len = 0u32;
        for w in words(body) {
            len += 1;
            let p = seen.entry(fold(w)).or_insert(blank);
            p.body_tf = p.body_tf.saturating_add(1);
        }
        for w in words(title) {
            len += 1;
            seen.entry(fold(w)).or_insert(blank).in_title = true;
        }
        for tag in tags {
            for w in words(tag) {
                seen.entry(fold(w)).or_insert(blank).in_tag = true;
            }
        }
        for (w, p) in seen {
            let id = match self.term_ids.get(&*w) {
                Some(id) => *id,
                None => {
                    let id = self.postings.len() as u32;
                    let key: Box<str> = w.into_owned().into_boxed_str();
                    self.term_ids.insert(key.clone(), id);
                    self.sorted_terms.insert(key, id);
                    self.postings.push(Vec::new());
                    id
                }
            };
            self.postings[id as usize].push(p);
        }
        self.docs.push(Doc {
            note,
            alive: true,
            len,
        });
        self.by_note.insert(note, doc);
        self.live += 1;
        self.total_len += len as u64;
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
        let words: Vec<String> = tokenize(query).collect();
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
    let words: Vec<String> = tokenize(query).collect();
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
