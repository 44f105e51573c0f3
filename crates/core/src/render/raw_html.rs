//! Raw HTML in a note is kept to itself: no fragment of it can hide, swallow or take over the
//! rest of the note in the preview.
//!
//! HTML lets an element run on: an unclosed `<details>` folds away everything after it, an
//! unclosed `<a>` makes it one link, an unclosed `<!--`, `<script>` or `<style>` drops it, an
//! unclosed `<textarea>` shows it as raw text, a tag cut off inside a quoted attribute eats
//! the markup that follows. Markdown adds its own: an HTML block that starts with `<!--`,
//! `<?`, `<!X`, `<![CDATA[`, `<script`, `<pre`, `<style` or `<textarea` runs, without its end,
//! to the end of the text, which is then no longer Markdown at all.
//!
//! Two steps keep each fragment to itself:
//! - [`unswallowed`]: before parsing, an HTML block that would run to the end of the text
//!   without its end is made text (a `\` before its `<`), and the text is parsed again.
//! - [`contain`]: after parsing, each raw fragment (an HTML block, or one inline tag) is read
//!   the way a browser would, roughly. An element still open at the end of the text is
//!   closed at the end of the fragment that opened it; a comment or a raw-text element
//!   (`<script>`, `<textarea>` …) is closed at the end of its own fragment; a tag cut off
//!   (no `>`) shows as text. An element closed later, by the note's own end tag, is left as
//!   written: `<details>` … `</details>` around Markdown still works.

use pulldown_cmark::{CowStr, Event, Parser, Tag};
use std::borrow::Cow;
use std::time::Instant;

/// A text as the preview parses it: `text` is the note's, with a `\` inserted at each offset
/// of the note in `inserted` (ascending).
pub(super) struct Unswallowed<'a> {
    pub text: Cow<'a, str>,
    inserted: Vec<usize>,
}

impl Unswallowed<'_> {
    /// The note's offset of an offset in [`Unswallowed::text`].
    pub fn original(&self, at: usize) -> usize {
        // The k-th insertion sits at inserted[k] + k in the parsed text.
        let before = self
            .inserted
            .iter()
            .enumerate()
            .take_while(|(k, i)| **i + k < at)
            .count();
        at - before
    }
}

/// The text with every HTML block that would run to its end made text instead (see the module
/// docs). Each pass parses the text once; `Err` when that takes past the time budget.
pub(super) fn unswallowed(markdown: &str, started: Instant) -> Result<Unswallowed<'_>, String> {
    let mut out = Unswallowed {
        text: Cow::Borrowed(markdown),
        inserted: Vec::new(),
    };
    while let Some(at) = runs_to_the_end(&out.text) {
        if started.elapsed() > super::TIME_BUDGET {
            return Err("it takes too long to render".into());
        }
        out.inserted.push(at - out.inserted.len());
        out.text.to_mut().insert(at, '\\');
    }
    Ok(out)
}

/// Where the `<` is of an HTML block that runs to the end of `text` without the end its kind
/// needs. Only the last block can.
fn runs_to_the_end(text: &str) -> Option<usize> {
    if !might_run_on(text) {
        return None; // most notes: no second parse
    }
    let last = Parser::new_ext(text, super::options())
        .into_offset_iter()
        .filter_map(|(ev, range)| matches!(ev, Event::Start(Tag::HtmlBlock)).then_some(range))
        .last()?;
    if last.end < text.trim_end().len() {
        return None;
    }
    let at = last.start + text[last.start..].find('<')?;
    let block = text[at..last.end].to_ascii_lowercase();
    let ends: &[&str] = if block.starts_with("<!--") {
        &["-->"]
    } else if block.starts_with("<?") {
        &["?>"]
    } else if block.starts_with("<![cdata[") {
        &["]]>"]
    } else if block.starts_with("<!") {
        &[">"]
    } else if RUN_TO_THEIR_END.iter().any(|name| {
        block[1..].starts_with(name)
            && block[1 + name.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '>' || c.is_ascii_whitespace())
    }) {
        &["</script>", "</pre>", "</style>", "</textarea>"]
    } else {
        return None;
    };
    (!ends.iter().any(|end| block.contains(end))).then_some(at)
}

/// Elements that start an HTML block that Markdown ends only at an end tag of one of them, or
/// at the end of the text.
const RUN_TO_THEIR_END: [&str; 4] = ["script", "pre", "style", "textarea"];

/// Whether `text` holds a `<` that could start an HTML block of a kind that runs to its end.
fn might_run_on(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, c)| {
        *c == b'<'
            && b.get(i + 1).is_some_and(|n| {
                matches!(n, b'!' | b'?')
                    || RUN_TO_THEIR_END.iter().any(|name| {
                        b[i + 1..]
                            .get(..name.len())
                            .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()))
                    })
            })
    })
}

/// Elements whose text runs to their own end tag, markup and all.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements that hold nothing. Every other one is followed to its end, even those whose end
/// tag may be left out (`<li>`, `<p>`, `<td>` …): one left open would hold the rest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Keeps each raw HTML fragment to itself (see the module docs). `fragments` holds, for each,
/// the indexes of its events in `events` (all `Event::Html` or `Event::InlineHtml`).
pub(super) fn contain(events: &mut [Event<'_>], fragments: &[Vec<usize>]) {
    let mut open = Open::default();
    let mut edits: Vec<Edit> = Vec::with_capacity(fragments.len());
    for (f, indexes) in fragments.iter().enumerate() {
        let text = fragment_text(events, indexes);
        edits.push(read(&text, f, &mut open));
    }
    // Innermost first, each at the end of the fragment that opened it.
    for (f, name) in open.stack.into_iter().rev() {
        edits[f].suffix.push_str(&format!("</{name}>"));
    }
    for (indexes, edit) in fragments.iter().zip(edits) {
        if edit.escapes.is_empty() && edit.suffix.is_empty() {
            continue;
        }
        let text = fragment_text(events, indexes);
        let mut fixed = String::with_capacity(text.len() + edit.suffix.len() + 8);
        let mut from = 0;
        for at in edit.escapes {
            fixed.push_str(&text[from..at]);
            fixed.push_str("&lt;");
            from = at + 1;
        }
        fixed.push_str(&text[from..]);
        fixed.push_str(&edit.suffix);
        let (first, rest) = indexes.split_first().expect("a fragment has an event");
        events[*first] = Event::Html(CowStr::from(fixed));
        for i in rest {
            events[*i] = Event::Html(CowStr::Borrowed(""));
        }
    }
}

/// What a fragment needs: the offsets of `<` that must show as text, and what to add after it.
#[derive(Default)]
struct Edit {
    escapes: Vec<usize>,
    suffix: String,
}

fn fragment_text<'e>(events: &'e [Event<'_>], indexes: &[usize]) -> Cow<'e, str> {
    let text = |i: &usize| match &events[*i] {
        Event::Html(t) | Event::InlineHtml(t) => t.as_ref(),
        _ => "",
    };
    match indexes {
        [one] => Cow::Borrowed(text(one)),
        many => Cow::Owned(many.iter().map(text).collect()),
    }
}

/// The elements raw HTML opened so far and has not closed, with the fragment that opened each:
/// a browser's stack of open elements, roughly. Each change costs in proportion to what it
/// pushes or pops, so that hostile text cannot make it quadratic.
#[derive(Default)]
struct Open {
    stack: Vec<(usize, String)>,
    /// How many of each name `stack` holds.
    count: std::collections::HashMap<String, usize>,
}

impl Open {
    fn push(&mut self, f: usize, name: String) {
        // One whose end tag may be left out ends at the next of its kind.
        if OPTIONAL_END.contains(&name.as_str())
            && self.stack.last().is_some_and(|(_, top)| *top == name)
        {
            return;
        }
        *self.count.entry(name.clone()).or_default() += 1;
        self.stack.push((f, name));
    }

    fn holds(&self, name: &str) -> bool {
        self.count.get(name).is_some_and(|n| *n > 0)
    }

    /// An end tag: closes the innermost element of that name and all inside it.
    fn close(&mut self, name: &str) {
        if !self.holds(name) {
            return;
        }
        while let Some((_, top)) = self.stack.pop() {
            if let Some(n) = self.count.get_mut(&top) {
                *n -= 1;
            }
            if top == name {
                break;
            }
        }
    }
}

/// Elements whose end tag may be left out, that the next of their kind ends.
const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rt", "rp",
];

/// Reads fragment `f`'s tags, keeping `open` as a browser would, roughly.
fn read(text: &str, f: usize, open: &mut Open) -> Edit {
    let b = text.as_bytes();
    let mut edit = Edit::default();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|c| *c == b'<') {
        let at = i + off;
        i = at + 1;
        let rest = &text[at..];
        if rest.starts_with("<!--") {
            // `<!-->` and `<!--->` are whole (empty) comments too.
            match text[at + 2..].find("-->") {
                Some(end) => i = at + 2 + end + 3,
                None => {
                    edit.suffix.push_str("-->");
                    break;
                }
            }
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            // A declaration or processing instruction: a comment up to the next `>`.
            match b[at..].iter().position(|c| *c == b'>') {
                Some(end) => i = at + end + 1,
                None => {
                    edit.suffix.push('>');
                    break;
                }
            }
        } else {
            let closing = rest.starts_with("</");
            let name_at = at + if closing { 2 } else { 1 };
            if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
                continue; // a `<` of text
            }
            let Some(end) = tag_end(b, name_at) else {
                edit.escapes.push(at);
                continue;
            };
            i = end;
            let name = tag_name(&text[name_at..end]);
            if closing {
                open.close(&name);
                continue;
            }
            if name == "plaintext" {
                // Nothing ever ends it.
                edit.escapes.push(at);
                continue;
            }
            if RAW_TEXT.contains(&name.as_str()) {
                match find_end_tag(text, i, &name) {
                    Some(end_at) => i = end_at,
                    None => {
                        edit.suffix.push_str(&format!("</{name}>"));
                        break;
                    }
                }
                continue;
            }
            let self_closed = b[end - 2] == b'/';
            let foreign = open.holds("svg") || open.holds("math");
            if VOID.contains(&name.as_str()) || (self_closed && foreign) {
                continue;
            }
            open.push(f, name);
        }
    }
    edit
}

/// The end (just past the `>`) of a tag whose name starts at `from`, reading quoted attribute
/// values whole; `None` if the text ends first.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let mut after_equals = false;
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i + 1),
            b'=' => after_equals = true,
            q @ (b'"' | b'\'') if after_equals => {
                i += 1 + b[i + 1..].iter().position(|c| *c == q)?;
                after_equals = false;
            }
            c if c.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    None
}

/// A tag's name, lowercase, from the text after its `<` or `</`.
fn tag_name(tag: &str) -> String {
    tag.split(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Where the end tag `</name` of a raw-text element starts, at or after `from`.
fn find_end_tag(text: &str, from: usize, name: &str) -> Option<usize> {
    let lower = text[from..].to_ascii_lowercase();
    let needle = format!("</{name}");
    let mut search = 0;
    while let Some(off) = lower[search..].find(&needle) {
        let at = search + off;
        let next = lower.as_bytes().get(at + needle.len());
        if next.is_none_or(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>') {
            return Some(from + at);
        }
        search = at + needle.len();
    }
    None
}
