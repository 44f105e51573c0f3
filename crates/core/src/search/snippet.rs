//! Snippets: a short excerpt of a note around what matched, in plain and matching pieces.

use super::words::query_words;
use serde::{Deserialize, Serialize};

/// A piece of a snippet; `hit` pieces matched the query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    /// The piece's text, runs of whitespace as one space; show it as text, never as HTML.
    pub text: String,
    /// Whether the piece matched a query word (only the matching start of a word is a hit).
    pub hit: bool,
}

/// Whether `word` starts with `prefix` (already lowercase), ignoring case; the length in
/// bytes of the matching part of `word`.
pub(super) fn prefix_len_ci(word: &str, prefix: &str) -> Option<usize> {
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
