//! What a search query asks for beyond its words: `"exact phrases"`, `-excluded` words,
//! `tag:x` and `notebook:y` (a notebook and the ones inside it). Everything is matched under
//! the index's folding rules.

use super::words::{Kind, fold_text, for_each_term};

/// The terms of a phrase that count (a longer one is held to its start).
const MAX_PHRASE_TERMS: usize = 32;

/// A query taken apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The words every note found must hold (free words, and those of the phrases), as the
    /// index is asked for them.
    pub words: String,
    /// The free words and the phrases as typed, each once: what a note found highlights.
    pub wanted: Vec<String>,
    /// Phrases whose words must stand together, in order (their terms).
    pub phrases: Vec<Vec<String>>,
    /// Words no note found may hold (whole, or as the start of a word).
    pub excluded: Vec<String>,
    /// Tags every note found must have (folded).
    pub tags: Vec<String>,
    /// Notebooks a note found must be in, or inside (folded); any of them.
    pub notebooks: Vec<String>,
}

/// The terms of `text` in order, without the lone last characters of paired runs (a phrase
/// of paired characters is its pairs).
pub(super) fn sequence(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, &mut String::new(), |t, _, kind| {
        if matches!(kind, Kind::Plain | Kind::Folded) {
            out.push(t.to_string());
        }
    });
    out
}

impl Query {
    /// Takes `query` apart. An unclosed quote runs to the end; `-`, `tag:` and `notebook:`
    /// alone are plain words.
    pub fn parse(query: &str) -> Query {
        let mut q = Query::default();
        let mut words: Vec<String> = Vec::new();
        let mut rest = query;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            if let Some(after) = rest.strip_prefix('"') {
                let (phrase, next) = match after.find('"') {
                    Some(end) => (&after[..end], &after[end + 1..]),
                    None => (after, ""),
                };
                let mut terms = sequence(phrase);
                terms.truncate(MAX_PHRASE_TERMS);
                if !terms.is_empty() {
                    words.push(phrase.to_string());
                    q.want(phrase);
                    q.phrases.push(terms);
                }
                rest = next;
                continue;
            }
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let token = &rest[..end];
            rest = &rest[end..];
            let (key, value) = match token.split_once(':') {
                Some((k, v)) if !v.is_empty() => (fold_text(k), v),
                _ => (String::new(), ""),
            };
            match key.as_str() {
                "tag" => q.tags.push(fold_text(value.trim_start_matches('#'))),
                "notebook" => q.notebooks.push(fold_text(value.trim_end_matches('/'))),
                _ => match token.strip_prefix('-') {
                    Some(word) if !sequence(word).is_empty() => q.excluded.push(word.to_string()),
                    _ => {
                        words.push(token.to_string());
                        q.want(token);
                    }
                },
            }
        }
        q.words = words.join(" ");
        q
    }

    fn want(&mut self, text: &str) {
        if !self.wanted.iter().any(|w| w == text) {
            self.wanted.push(text.to_string());
        }
    }

    /// Whether the query asks for anything beyond its words.
    pub fn has_filters(&self) -> bool {
        !(self.phrases.is_empty()
            && self.excluded.is_empty()
            && self.tags.is_empty()
            && self.notebooks.is_empty())
    }

    /// Whether one text (a message, say) holds every phrase and none of the excluded words
    /// (whole, or as the start of a word). Tags and notebooks are not its to check.
    pub fn admits_text(&self, text: &str) -> bool {
        if !self.holds_phrases("", text) {
            return false;
        }
        if self.excluded.is_empty() {
            return true;
        }
        let terms = sequence(text);
        !self.excluded.iter().any(|word| {
            sequence(word)
                .first()
                .is_some_and(|x| terms.iter().any(|t| t.starts_with(x.as_str())))
        })
    }

    /// Whether a note with these parts passes the tag and notebook filters and holds every
    /// phrase (in its title or body). Excluded words are for the caller (they need the index).
    pub fn admits(&self, title: &str, body: &str, tags: &[String], notebook: Option<&str>) -> bool {
        if !self.tags.is_empty() {
            let have: Vec<String> = tags.iter().map(|t| fold_text(t)).collect();
            if !self.tags.iter().all(|t| have.contains(t)) {
                return false;
            }
        }
        if !self.notebooks.is_empty() {
            let Some(nb) = notebook.map(fold_text) else {
                return false;
            };
            let inside = |want: &String| {
                nb == *want
                    || nb
                        .strip_prefix(want.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            };
            if !self.notebooks.iter().any(inside) {
                return false;
            }
        }
        self.holds_phrases(title, body)
    }

    /// Whether every phrase stands in the title or the body.
    fn holds_phrases(&self, title: &str, body: &str) -> bool {
        if !self.phrases.is_empty() {
            let (t, b) = (sequence(title), sequence(body));
            let holds = |p: &Vec<String>| {
                [&t, &b].iter().any(|s| {
                    s.windows(p.len()).any(|w| w == p.as_slice())
                        // One character of a paired script is no pair: it stands inside one.
                        || (p.len() == 1
                            && p[0].chars().count() == 1
                            && s.iter().any(|term| term.contains(p[0].as_str())))
                })
            };
            if !self.phrases.iter().all(holds) {
                return false;
            }
        }
        true
    }
}
