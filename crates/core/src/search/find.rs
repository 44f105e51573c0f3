//! Find in one text (the open note, its preview): every place a query occurs, under the
//! index's folding rules (so "cafe" finds "Café" and "会议" finds it inside a sentence), as
//! byte ranges of the original text, whole characters with their marks.

use super::query::Query;
use super::words::{exact_form, fold, joins_previous};
use std::ops::Range;

/// At most this many matches are given (a one-letter query in a long note has thousands;
/// nobody steps through more).
pub const MAX_MATCHES: usize = 10_000;

/// A text folded character by character, with where each folded byte came from.
struct Folded {
    text: String,
    /// For each byte of `text`, the original range of the character it came from.
    from: Vec<u32>,
    /// The original characters (each a base with its marks), as byte ranges.
    chars: Vec<Range<usize>>,
}

impl Folded {
    fn new(text: &str) -> Folded {
        let mut out = Folded {
            text: String::with_capacity(text.len()),
            from: Vec::with_capacity(text.len()),
            chars: Vec::new(),
        };
        let mut iter = text.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, m)) = iter.peek() {
                if !joins_previous(m) {
                    break;
                }
                end = j + m.len_utf8();
                iter.next();
            }
            let index = out.chars.len() as u32;
            if c.is_ascii() && end == i + 1 {
                out.text.push(c.to_ascii_lowercase());
            } else {
                out.text.push_str(&fold_char(&text[i..end]));
            }
            // (A character folding to nothing, if any, adds no byte: it cannot be matched.)
            out.from.resize(out.text.len(), index);
            out.chars.push(i..end);
        }
        out
    }

    /// The original range of folded bytes `range`.
    fn original(&self, range: Range<usize>) -> Range<usize> {
        let first = self.from[range.start] as usize;
        let last = self.from[range.end - 1] as usize;
        self.chars[first].start..self.chars[last].end
    }
}

/// One character (a base and its marks) folded: NFKC, lowercase, diacritics dropped.
fn fold_char(c: &str) -> String {
    fold(&exact_form(c))
}

/// A query as find compares it: folded, spaces kept.
fn fold_query(query: &str) -> String {
    Folded::new(query).text
}

/// Where `query` occurs in `text`, in order, not overlapping, at most [`MAX_MATCHES`]: the
/// whole query as typed (spaces included), folded. An empty query (or one of spaces) finds
/// nothing.
pub fn find(text: &str, query: &str) -> Vec<Range<usize>> {
    let q = fold_query(query);
    if q.trim().is_empty() {
        return Vec::new();
    }
    let folded = Folded::new(text);
    matches_of(&folded, &q).collect()
}

/// The original ranges of `q` in `folded`. Two matches inside one character that folds to
/// several ("s" twice in "ß" → "ss") are that character once.
fn matches_of<'a>(folded: &'a Folded, q: &'a str) -> impl Iterator<Item = Range<usize>> + 'a {
    let mut last_end = 0;
    folded
        .text
        .match_indices(q)
        .map(|(at, m)| folded.original(at..at + m.len()))
        .filter(move |r| {
            let fresh = r.start >= last_end;
            if fresh {
                last_end = r.end;
            }
            fresh
        })
        .take(MAX_MATCHES)
}

/// Where the words and phrases of a search query occur in `text` (what a note found by that
/// query highlights): each word, and each phrase whole, folded; excluded words, `tag:` and
/// `notebook:` find nothing. In order, merged where they overlap.
pub fn find_words(text: &str, query: &str) -> Vec<Range<usize>> {
    let parsed = Query::parse(query);
    let mut needles: Vec<String> = Vec::new();
    for piece in &parsed.wanted {
        let q = fold_query(piece);
        if !q.is_empty() && !needles.contains(&q) {
            needles.push(q);
        }
    }
    if needles.is_empty() {
        return Vec::new();
    }
    let folded = Folded::new(text);
    let mut all: Vec<Range<usize>> = needles
        .iter()
        .flat_map(|q| matches_of(&folded, q))
        .collect();
    all.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(all.len());
    for r in all {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged.truncate(MAX_MATCHES);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'a>(text: &'a str, query: &str) -> Vec<&'a str> {
        find(text, query).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn folding_rules_are_the_index_rules() {
        assert_eq!(
            found("Café, CAFE and cafe", "cafe"),
            ["Café", "CAFE", "cafe"]
        );
        assert_eq!(found("Café", "café"), ["Café"]);
        // A letter with a combining accent is one character: found whole.
        assert_eq!(found("cafe\u{301}!", "cafe"), ["cafe\u{301}"]);
        assert_eq!(found("Die Straße", "strasse"), ["Straße"]);
        assert_eq!(found("Ærø", "aero"), ["Ærø"]);
        assert_eq!(found("ＡＢＣ full width", "abc"), ["ＡＢＣ"]);
        assert_eq!(found("ΟΔΟΣ οδός", "οδος"), ["ΟΔΟΣ", "οδός"]);
    }

    #[test]
    fn runs_of_chinese_and_japanese_are_found_inside_sentences() {
        assert_eq!(found("明天的会议室在三楼。会议", "会议"), ["会议", "会议"]);
        assert_eq!(found("東京タワーに行く", "タワー"), ["タワー"]);
        assert_eq!(found("ﾀﾜｰ", "タワー"), ["ﾀﾜｰ"]);
        assert!(found("明天的会议室", "会谈").is_empty());
    }

    #[test]
    fn a_query_is_matched_whole_spaces_included() {
        assert_eq!(
            found("the red fox, the red", "the red"),
            ["the red", "the red"]
        );
        assert!(found("the red fox", "red  fox").is_empty());
        assert!(found("anything", "   ").is_empty());
        assert!(found("anything", "").is_empty());
    }

    #[test]
    fn matches_do_not_overlap_and_are_capped() {
        assert_eq!(found("aaaa", "aa"), ["aa", "aa"]);
        let long = "a".repeat(MAX_MATCHES * 2 + 5);
        assert_eq!(find(&long, "a").len(), MAX_MATCHES);
    }

    #[test]
    fn every_range_is_on_character_boundaries() {
        let text = "ﬁne ß ǅ ᾙ e\u{301}\u{302} 한국어 กข\u{e31} 🙂 x";
        for q in ["fi", "s", "dž", "η", "e", "국", "ข", "🙂", " "] {
            for r in find(text, q) {
                assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                assert!(r.start < r.end);
            }
        }
        // Half of a character that folds to two ("ß" → "ss") finds the whole character.
        assert_eq!(found("Maß", "s"), ["ß"]);
    }

    #[test]
    fn a_search_query_highlights_its_words_and_phrases() {
        let text = "Budget meeting: the budget for the meeting notes";
        let got: Vec<&str> = find_words(text, r#"budget "meeting notes" -the tag:x"#)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(got, ["Budget", "budget", "meeting notes"]);
        assert!(find_words(text, "-budget tag:x").is_empty());
    }
}
