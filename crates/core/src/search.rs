//! Ranked full-text search over titles, tags and bodies, in memory only (nothing of it is
//! written to disk in the clear). An inverted index with BM25 ranking, field boosts for
//! titles and tags, and prefix matching on every query word (for search as you type).

use crate::Id;
use crate::note::Revision;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

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

/// The in-memory inverted index.
#[derive(Default, Debug)]
pub struct SearchIndex {
    docs: Vec<Doc>,
    by_note: HashMap<Id, u32>,
    terms: BTreeMap<Box<str>, Vec<Posting>>,
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

/// Splits text into lowercase words.
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_TOKEN_CHARS)
        .map(str::to_lowercase)
}

impl SearchIndex {
    /// Indexes the revision as its note's current content (trashed notes are not indexed).
    pub fn upsert(&mut self, rev: &Revision) {
        self.remove(&rev.note);
        if rev.deleted {
            return;
        }
        let doc = self.docs.len() as u32;
        let mut words: HashMap<String, Posting> = HashMap::new();
        let blank = Posting {
            doc,
            body_tf: 0,
            in_title: false,
            in_tag: false,
        };
        let mut len = 0u32;
        for w in tokenize(&rev.body) {
            len += 1;
            let p = words.entry(w).or_insert(blank);
            p.body_tf = p.body_tf.saturating_add(1);
        }
        for w in tokenize(&rev.title) {
            len += 1;
            words.entry(w).or_insert(blank).in_title = true;
        }
        for tag in &rev.tags {
            for w in tokenize(tag) {
                words.entry(w).or_insert(blank).in_tag = true;
            }
        }
        for (w, p) in words {
            self.terms.entry(w.into_boxed_str()).or_default().push(p);
        }
        self.docs.push(Doc {
            note: rev.note,
            alive: true,
            len,
        });
        self.by_note.insert(rev.note, doc);
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
    fn compact(&mut self) {
        let mut remap = vec![u32::MAX; self.docs.len()];
        let mut docs = Vec::with_capacity(self.live);
        for (i, d) in self.docs.iter().enumerate() {
            if d.alive {
                remap[i] = docs.len() as u32;
                docs.push(d.clone());
            }
        }
        self.terms.retain(|_, postings| {
            postings.retain_mut(|p| {
                p.doc = remap[p.doc as usize];
                p.doc != u32::MAX
            });
            !postings.is_empty()
        });
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
                .terms
                .range::<str, _>((
                    std::ops::Bound::Included(word.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(t, _)| t.starts_with(word.as_str()))
                .map(|(t, p)| (&**t, p))
                .collect();
            if expansions.len() > MAX_EXPANSIONS {
                expansions.sort_by_key(|(t, p)| (*t != word.as_str(), std::cmp::Reverse(p.len())));
                expansions.truncate(MAX_EXPANSIONS);
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

/// A short excerpt of `text` around the first match of the query words, split into plain
/// and matching pieces (the UI shows them as text, never as HTML).
pub fn snippet(text: &str, query: &str, max_chars: usize) -> Vec<Segment> {
    let words: Vec<String> = tokenize(query).collect();
    // Word spans (byte ranges) of the text that start with a query word.
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let w = text[s..i].to_lowercase();
                if let Some(q) = words.iter().find(|q| w.starts_with(q.as_str())) {
                    // Highlight the matching prefix only (in bytes of the original).
                    let n = q.chars().count();
                    let end = text[s..i]
                        .char_indices()
                        .nth(n)
                        .map(|(b, _)| s + b)
                        .unwrap_or(i);
                    spans.push((s, end));
                }
                start = None;
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
