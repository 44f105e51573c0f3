//! Snippets: a short excerpt of a note around what matched, in plain and matching pieces.

use super::words::{Kind, QueryWord, for_each_term_while, original_prefix_len, query_words};
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

/// A short excerpt of `text` around the first match of the query words, split into plain
/// and matching pieces (the UI shows them as text, never as HTML). Words match as the index
/// matches them (folded, by pairs of characters in scripts written without spaces), and the
/// highlight covers the matching characters of the text as written.
pub fn snippet(text: &str, query: &str, max_chars: usize) -> Vec<Segment> {
    let words: Vec<QueryWord> = query_words(query);
    // Byte ranges of the text that match a query word (the matching start of a word only).
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut window_end = usize::MAX;
    let mut buf = String::new();
    for_each_term_while(text, &mut buf, |term, span, kind| {
        if span.start > window_end {
            return false;
        }
        if kind == Kind::Exact {
            return true;
        }
        let Some(q) = words.iter().find(|q| term.starts_with(q.folded.as_str())) else {
            return true;
        };
        let len = if term.len() == q.folded.len() {
            span.len()
        } else {
            original_prefix_len(&text[span.clone()], q.folded.chars().count())
        };
        let hit = (span.start, span.start + len);
        match spans.last_mut() {
            // Pairs overlap: one highlight for a run of them.
            Some(last) if hit.0 <= last.1 => last.1 = last.1.max(hit.1),
            _ => spans.push(hit),
        }
        if spans.len() == 1 && window_end == usize::MAX {
            // The window ends at most max_chars after the first match.
            let s = spans[0].0;
            window_end = text[s..]
                .char_indices()
                .nth(max_chars)
                .map_or(text.len(), |(b, _)| s + b);
        }
        true
    });
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

/// Whether a query word matches the start of a word of `text` (what [`snippet`] highlights).
fn has_match(text: &str, words: &[QueryWord], buf: &mut String) -> bool {
    let mut found = false;
    for_each_term_while(text, buf, |term, _, kind| {
        found = kind != Kind::Exact && words.iter().any(|q| term.starts_with(q.folded.as_str()));
        !found
    });
    found
}

/// A [`snippet`] of a note's body as plain text, one line of it per line (see
/// `note::for_each_plain_line`), around the first line a query word matches. Only the lines up
/// to the match and the few after it are read and made plain, never the whole body: every hit
/// of every keystroke gets one.
pub(crate) fn body_snippet(title: &str, body: &str, query: &str, max_chars: usize) -> Vec<Segment> {
    let words = query_words(query);
    let mut buf = String::new();
    // The line before the one being read (the snippet may start in it), and the first lines
    // (the snippet when nothing matches).
    let mut previous = String::new();
    let mut start = String::new();
    let mut start_chars = 0usize;
    let mut window: Option<String> = None;
    let (mut cut_before, mut cut_after) = (false, false);
    let mut room = 0usize;
    let mut lines = 0usize;
    crate::note::for_each_plain_line(title, body, |line| {
        lines += 1;
        if let Some(w) = window.as_mut() {
            if room == 0 {
                cut_after = true;
                return false;
            }
            w.push('\n');
            w.push_str(line);
            room = room.saturating_sub(line.chars().count() + 1);
            return true;
        }
        if start_chars < max_chars {
            if !start.is_empty() {
                start.push('\n');
            }
            start.push_str(line);
            start_chars += line.chars().count() + 1;
        } else {
            cut_after = true;
        }
        if !has_match(line, &words, &mut buf) {
            previous.clear();
            previous.push_str(line);
            return true;
        }
        let mut w = String::new();
        if lines > 1 {
            w.push_str(&previous);
            w.push('\n');
            cut_before = lines > 2;
        }
        w.push_str(line);
        room = max_chars.saturating_sub(line.chars().count());
        // What follows the match decides that now, not what followed the first lines.
        cut_after = false;
        window = Some(w);
        true
    });
    let text = match window {
        Some(w) => w,
        None => start,
    };
    let mut out = snippet(&text, query, max_chars);
    if cut_before && out.first().is_none_or(|s| s.text != "… ") {
        out.insert(
            0,
            Segment {
                text: "… ".into(),
                hit: false,
            },
        );
    }
    if cut_after && out.last().is_none_or(|s| s.text != " …") {
        out.push(Segment {
            text: " …".into(),
            hit: false,
        });
    }
    out
}
