//! Words as the index holds them: how text is split and folded, for notes and for queries.

use std::collections::HashSet;

pub(super) const MAX_TOKEN_CHARS: usize = 64;

/// A query's first words that count: at most this many, each once.
pub(super) const MAX_QUERY_WORDS: usize = 32;

/// Calls `f` with each word of `text` in the index's form: lowercase; a word is a run of
/// alphanumeric characters, at most 64 characters (longer runs are not words). ASCII words,
/// nearly all of them in most notes, take a fast path over bytes; `buf` holds a word being
/// lowercased.
pub(super) fn for_each_word(text: &str, buf: &mut String, mut f: impl FnMut(&str)) {
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
/// `search_text` fuzz target hold the tokenizer to; built only for them (`--cfg fuzzing`).
#[cfg(any(test, fuzzing))]
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

/// The words of a query, each once, in order, at most [`MAX_QUERY_WORDS`] (a query of 4,000
/// words, or one word 4,000 times, costs no more than 32 distinct ones).
pub(super) fn query_words(query: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    tokenize(query)
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_QUERY_WORDS)
        .collect()
}
