//! Words as the index holds them: how text is split, normalised and folded, for notes and for
//! queries, in every script.
//!
//! A word is a run of letters, digits and combining marks. It is normalised once (Unicode NFKC,
//! then lowercase: its **exact** form), then **folded**: the diacritics of Latin, Greek,
//! Cyrillic, Arabic and Hebrew letters are dropped and a few letters are spelled out (ß → ss,
//! æ → ae, ø → o, ł → l, ς → σ ...). The index holds the folded form, so "cafe" finds "café"
//! and "reunion" finds "reunión"; a word whose exact form differs is also held in its exact
//! form behind [`EXACT_MARKER`], so that an exact match ranks above a folded one.
//!
//! Chinese, Japanese, Korean, Thai, Lao, Khmer and Myanmar text is indexed as overlapping
//! pairs of characters (bigrams), plus the run's last character alone: a sentence written
//! without spaces is found by any run of its characters, a query's run matching when all its
//! pairs do. Bigrams need no dictionary and find every run (a segmenter misses words it does
//! not know, and names are most of what people search for); they cost about one term per
//! character. A character with the combining marks after it counts as one (Thai vowels and
//! tone marks stay on their letter).
//!
//! An emoji is a word of its own.
//!
//! ASCII words, nearly all of the words in most notes, take a fast path over bytes.

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use icu_properties::props::{ExtendedPictographic, GeneralCategory, Script};
use icu_properties::{
    CodePointMapData, CodePointMapDataBorrowed, CodePointSetData, CodePointSetDataBorrowed,
};
use std::collections::HashSet;
use std::ops::Range;

pub(super) const MAX_TOKEN_CHARS: usize = 64;

/// A query's first words that count: at most this many, each once.
pub(super) const MAX_QUERY_WORDS: usize = 32;

/// Starts the exact form of a word that folding changed, as the index holds it beside the
/// folded form (no word starts with it: it is a control character).
pub(super) const EXACT_MARKER: char = '\u{1}';

/// What a term of the text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A word (or a pair of characters) whose folded form is its exact form.
    Plain,
    /// The folded form of a word whose exact form differs.
    Folded,
    /// That word's exact form, behind [`EXACT_MARKER`].
    Exact,
    /// The last character of a run of paired characters, alone (beside its pairs).
    Last,
}

const NFKC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfkc();
const NFC: ComposingNormalizerBorrowed<'static> = ComposingNormalizerBorrowed::new_nfc();
const NFD: DecomposingNormalizerBorrowed<'static> = DecomposingNormalizerBorrowed::new_nfd();
const CATEGORY: CodePointMapDataBorrowed<'static, GeneralCategory> =
    CodePointMapData::<GeneralCategory>::new();
const SCRIPT: CodePointMapDataBorrowed<'static, Script> = CodePointMapData::<Script>::new();
const PICTOGRAPHIC: CodePointSetDataBorrowed<'static> =
    CodePointSetData::new::<ExtendedPictographic>();

/// A combining mark: it belongs to the character before it.
fn is_mark(c: char) -> bool {
    matches!(
        CATEGORY.get(c),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

/// Whether `c` belongs to the character before it: a combining mark, or a halfwidth
/// katakana sound mark (which NFKC turns into a combining one).
pub(super) fn joins_previous(c: char) -> bool {
    matches!(c, '\u{ff9e}' | '\u{ff9f}') || is_mark(c)
}

/// Whether a script is written without spaces between words (or, for Korean, with particles
/// joined to words): its runs are indexed as pairs of characters.
pub(super) fn is_paired(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    matches!(
        SCRIPT.get(c),
        Script::Han
            | Script::Hiragana
            | Script::Katakana
            | Script::Hangul
            | Script::Thai
            | Script::Lao
            | Script::Khmer
            | Script::Myanmar
            | Script::Yi
    )
}

/// Whether the combining marks on a letter of this script are dropped by folding.
fn marks_fold_away(c: char) -> bool {
    matches!(
        SCRIPT.get(c),
        Script::Latin | Script::Greek | Script::Cyrillic | Script::Arabic | Script::Hebrew
    )
}

/// Calls `f` with each term of `text`: its text in the index's form, the byte range of the
/// text it stands for, and what it is (see [`Kind`]). `buf` is scratch space.
pub(super) fn for_each_term(
    text: &str,
    buf: &mut String,
    mut f: impl FnMut(&str, Range<usize>, Kind),
) {
    for_each_term_while(text, buf, |t, span, kind| {
        f(t, span, kind);
        true
    });
}

/// [`for_each_term`] until `f` returns false (the terms of the run of characters then under
/// way are not given to it either; the rest of the text is not read).
pub(super) fn for_each_term_while(
    text: &str,
    buf: &mut String,
    mut want: impl FnMut(&str, Range<usize>, Kind) -> bool,
) {
    let go_on = std::cell::Cell::new(true);
    let mut f = |t: &str, span: Range<usize>, kind: Kind| {
        if go_on.get() {
            go_on.set(want(t, span, kind));
        }
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !go_on.get() {
            return;
        }
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
            i = start + run(&text[start..], start, buf, &mut f);
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
            f(buf, start..i, Kind::Plain);
        } else {
            f(word, start..i, Kind::Plain);
        }
    }
}

/// [`for_each_term`] with no fast path: every word through [`run`]. The definition the fast
/// path is held to.
#[cfg(any(test, fuzzing))]
fn for_each_term_plainly(text: &str, mut f: impl FnMut(&str, Range<usize>, Kind)) {
    let mut buf = String::new();
    let mut i = 0;
    while i < text.len() {
        i += run(&text[i..], i, &mut buf, &mut f);
    }
}

/// The run of word characters at the start of `text` (at `offset` in the whole text), its
/// terms given to `f`; returns the bytes it spans (at least one character: a character that
/// starts no word is skipped; an emoji is a word alone).
fn run(
    text: &str,
    offset: usize,
    buf: &mut String,
    f: &mut impl FnMut(&str, Range<usize>, Kind),
) -> usize {
    let mut end = 0;
    for (j, c) in text.char_indices() {
        // A mark continues a word; it starts none.
        if c.is_alphanumeric() || (j > 0 && joins_previous(c)) {
            end = j + c.len_utf8();
        } else {
            break;
        }
    }
    if end == 0 {
        let Some(c) = text.chars().next() else {
            return 1;
        };
        if !c.is_ascii() && PICTOGRAPHIC.contains(c) {
            // An emoji is a word of its own (its variation selector, a mark, goes with it).
            let len = c.len_utf8();
            let with_marks = len
                + text[len..]
                    .chars()
                    .take_while(|m| is_mark(*m))
                    .map(char::len_utf8)
                    .sum::<usize>();
            f(&text[..len], offset..offset + with_marks, Kind::Plain);
            return with_marks;
        }
        return c.len_utf8();
    }
    // Pieces of one kind: paired characters, or words (a mark goes with its letter's piece).
    let mut piece_start = 0;
    let mut piece_paired = None;
    for (j, c) in text[..end].char_indices() {
        if j > 0 && joins_previous(c) {
            continue;
        }
        let paired = is_paired(c);
        match piece_paired {
            Some(p) if p != paired => {
                piece(&text[piece_start..j], offset + piece_start, p, buf, f);
                piece_start = j;
                piece_paired = Some(paired);
            }
            Some(_) => {}
            None => piece_paired = Some(paired),
        }
    }
    if let Some(p) = piece_paired {
        piece(&text[piece_start..end], offset + piece_start, p, buf, f);
    }
    end
}

fn piece(
    text: &str,
    offset: usize,
    paired: bool,
    buf: &mut String,
    f: &mut impl FnMut(&str, Range<usize>, Kind),
) {
    if paired {
        pairs(text, offset, buf, f);
    } else {
        word(text, offset, buf, f);
    }
}

/// A word: its folded form, and its exact form if that differs. Longer than
/// [`MAX_TOKEN_CHARS`] characters, it is not a word.
fn word(text: &str, offset: usize, buf: &mut String, f: &mut impl FnMut(&str, Range<usize>, Kind)) {
    if text.len() > 4 * MAX_TOKEN_CHARS || text.chars().count() > MAX_TOKEN_CHARS {
        return;
    }
    let span = offset..offset + text.len();
    let exact = exact_form(text);
    let folded = fold(&exact);
    if folded.chars().count() > MAX_TOKEN_CHARS {
        return;
    }
    if folded == exact {
        f(&folded, span, Kind::Plain);
    } else {
        f(&folded, span.clone(), Kind::Folded);
        buf.clear();
        buf.push(EXACT_MARKER);
        buf.push_str(&exact);
        f(buf, span, Kind::Exact);
    }
}

/// NFKC, then lowercase (`str::to_lowercase`, not per character: a final capital sigma
/// becomes ς). Titlecase letters (ᾙ, ǅ) are not uppercase but do change: any character
/// that lowercasing changes counts.
pub(super) fn exact_form(text: &str) -> String {
    let n = NFKC.normalize(text);
    if n.chars().any(changes_when_lowercased) {
        n.to_lowercase()
    } else {
        n.into_owned()
    }
}

fn changes_when_lowercased(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    let mut lower = c.to_lowercase();
    !(lower.len() == 1 && lower.next() == Some(c))
}

/// The folded form of an exact form (see the module documentation).
pub(super) fn fold(exact: &str) -> String {
    if exact.is_ascii() {
        return exact.to_string();
    }
    let decomposed = NFD.normalize(exact);
    let mut out = String::with_capacity(decomposed.len());
    let mut drop_marks = false;
    for c in decomposed.chars() {
        if is_mark(c) {
            if !drop_marks {
                out.push(c);
            }
            continue;
        }
        drop_marks = marks_fold_away(c);
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ł' => out.push('l'),
            'ı' => out.push('i'),
            'ħ' => out.push('h'),
            'ς' => out.push('σ'),
            _ => out.push(c),
        }
    }
    NFC.normalize(&out).into_owned()
}

/// A run of paired characters: each pair of neighbours, then the last one alone (one
/// character alone is just itself). A character is a base with its marks.
fn pairs(
    text: &str,
    offset: usize,
    buf: &mut String,
    f: &mut impl FnMut(&str, Range<usize>, Kind),
) {
    let mut clusters: Vec<Range<usize>> = Vec::new();
    for (j, c) in text.char_indices() {
        match clusters.last_mut() {
            Some(last) if joins_previous(c) => last.end = j + c.len_utf8(),
            _ => clusters.push(j..j + c.len_utf8()),
        }
    }
    // A character carrying an absurd number of marks is no character anyone searches for:
    // it ends the run's pairs there (no term grows without bound).
    if let Some(i) = clusters.iter().position(|r| r.len() > 4 * MAX_TOKEN_CHARS) {
        let (before, after) = (clusters[..i].to_vec(), clusters[i + 1..].to_vec());
        for part in [before, after] {
            if let (Some(first), Some(last)) = (part.first(), part.last()) {
                pairs(&text[first.start..last.end], offset + first.start, buf, f);
            }
        }
        return;
    }
    let norm = |r: &Range<usize>| exact_form(&text[r.clone()]);
    let at = |r: &Range<usize>| offset + r.start..offset + r.end;
    if let [one] = clusters.as_slice() {
        f(&norm(one), at(one), Kind::Plain);
        return;
    }
    let mut prev = clusters.first().map(norm).unwrap_or_default();
    for w in clusters.windows(2) {
        let next = norm(&w[1]);
        buf.clear();
        buf.push_str(&prev);
        buf.push_str(&next);
        f(buf, offset + w[0].start..offset + w[1].end, Kind::Plain);
        prev = next;
    }
    if let Some(last) = clusters.last() {
        f(&prev, at(last), Kind::Last);
    }
}

/// `text` normalised and folded as the index folds words (NFKC, lowercase, diacritics of
/// Latin, Greek, Cyrillic, Arabic and Hebrew letters dropped, ß → ss ...), everything else
/// kept: what a substring match under the same rules compares (the command palette, `[[`
/// completion).
pub fn fold_text(text: &str) -> String {
    fold(&exact_form(text))
}

/// The terms of text as the index matches them: folded words and pairs (no exact forms).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, &mut String::new(), |t, _, kind| {
        if kind != Kind::Exact {
            out.push(t.to_string());
        }
    });
    out
}

/// [`tokenize`] with no fast path for ASCII words: the definition the tests and the
/// `search_text` fuzz target hold the tokenizer to; built only for them (`--cfg fuzzing`).
#[cfg(any(test, fuzzing))]
pub fn tokenize_plainly(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term_plainly(text, |t, _, kind| {
        if kind != Kind::Exact {
            out.push(t.to_string());
        }
    });
    out
}

/// A word of a query: its folded form (which must match, whole or as the start of a term),
/// and its exact form behind [`EXACT_MARKER`] when folding changed it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct QueryWord {
    pub(super) folded: String,
    pub(super) exact: Option<String>,
}

/// The words of a query, each once, in order, at most [`MAX_QUERY_WORDS`] (a query of 4,000
/// words, or one word 4,000 times, costs no more than 32 distinct ones). A run of paired
/// characters gives its pairs (its last character alone adds nothing to them).
pub(super) fn query_words(query: &str) -> Vec<QueryWord> {
    let mut words: Vec<QueryWord> = Vec::new();
    for_each_term(query, &mut String::new(), |t, _, kind| match kind {
        Kind::Plain | Kind::Folded => words.push(QueryWord {
            folded: t.to_string(),
            exact: None,
        }),
        Kind::Exact => {
            if let Some(w) = words.last_mut() {
                w.exact = Some(t.to_string());
            }
        }
        Kind::Last => {}
    });
    let mut seen = HashSet::new();
    words
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// The length in bytes of the start of `original` (a word or pair of the text) whose folded
/// form is the first `chars` characters of its term: what a prefix match highlights.
pub(super) fn original_prefix_len(original: &str, chars: usize) -> usize {
    let mut seen = 0;
    let mut end = 0;
    for (j, c) in original.char_indices() {
        if seen >= chars {
            if is_mark(c) {
                end = j + c.len_utf8();
                continue;
            }
            break;
        }
        end = j + c.len_utf8();
        if joins_previous(c) {
            // A mark belongs to the letter before it: it adds no character of its own.
            continue;
        }
        let mut one = [0u8; 4];
        seen += fold(&exact_form(c.encode_utf8(&mut one))).chars().count();
    }
    end
}
