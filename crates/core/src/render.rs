//! Markdown to safe HTML: exactly what the app shows. pulldown-cmark renders, then ammonia
//! keeps only a whitelist of tags and attributes. No scripts, no event handlers, no styles,
//! no javascript:/data: URLs, no remote loads (remote images become plain links).
//!
//! Links between notes: `[[Title]]` and `[[Title|label]]` become `coffer:note/<id>` links
//! when a note has that title, and `coffer:missing/<title>` otherwise.
//!
//! Rendering is bounded, since a note or a message can come from anyone (an import, a contact):
//! Markdown nested deeper than [`MAX_DEPTH`] (lists, quotes, raw HTML elements), larger than
//! [`MAX_PREVIEW_BYTES`], or taking longer than [`TIME_BUDGET`] is not rendered; the preview
//! says so instead ([`too_complex`]) and the text stays as it is, editable. The depth is checked
//! before parsing and again on the HTML before it is sanitized, whose parser is quadratic in
//! nesting. [`Prepared`] carries a text and its link targets, resolved while the vault is held,
//! so that the rendering itself runs without it.
//!
//! Raw HTML in a note is kept to itself (`render/raw_html.rs`): an element it leaves open, a comment
//! it never ends, or an HTML block Markdown would run to the end of the text cannot hide or
//! take over the rest of the note.

mod raw_html;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// The deepest nesting rendered: block containers (lists, quotes) and HTML elements.
pub const MAX_DEPTH: usize = 64;
/// The largest text rendered.
pub const MAX_PREVIEW_BYTES: usize = 8 << 20;
/// Rendering that takes longer than this stops (checked between parser events).
pub const TIME_BUDGET: Duration = Duration::from_secs(2);

/// The URL scheme of links inside Coffer (handled by the app, never by a browser).
pub const NOTE_LINK_PREFIX: &str = "coffer:note/";
/// The start of a link to a `[[title]]` that no note has; the percent-encoded title
/// follows.
pub const MISSING_LINK_PREFIX: &str = "coffer:missing/";

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_WIKILINKS
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["https", "http", "mailto", "coffer"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(ammonia::UrlRelative::Deny)
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        // Any other <input> (raw HTML in a note) becomes the same inert, disabled checkbox.
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .add_generic_attributes(["class"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Images load only from inside Coffer; remote images were turned into links.
            ("img", "src") if !value.starts_with("coffer:") => None,
            (_, "class") => {
                let kept: Vec<&str> = value
                    .split_whitespace()
                    .filter(|c| {
                        c.starts_with("language-")
                            || c.starts_with("wikilink")
                            || c.starts_with("hl-")
                            || ALIGN_CLASSES.contains(c)
                            || *c == TASK_CLASS
                    })
                    .collect();
                (!kept.is_empty()).then(|| kept.join(" ").into())
            }
            _ => Some(value.into()),
        });
    b
});

/// The classes a table cell's alignment becomes (the style attribute Markdown gives it is not
/// let through: no inline styles in the preview).
const ALIGN_CLASSES: [&str; 3] = ["align-left", "align-center", "align-right"];

/// The class of a task's checkbox in rendered HTML.
pub const TASK_CLASS: &str = "task";

/// The Markdown with its `index`-th task (counting from 0, in the order the rendered HTML
/// shows their checkboxes of class [`TASK_CLASS`]) ticked or unticked: only the `[ ]` / `[x]`
/// changes. `None` if there is no such task (or the text is past the preview's bounds, so it
/// shows none).
pub fn toggle_task(markdown: &str, index: usize) -> Option<String> {
    if markdown.len() > MAX_PREVIEW_BYTES || block_depth(markdown) > MAX_DEPTH {
        return None;
    }
    // Parsed as the preview parses it, so the n-th checkbox is the one it shows.
    let parsed = raw_html::unswallowed(markdown, Instant::now()).ok()?;
    let (done, range) = Parser::new_ext(&parsed.text, options())
        .into_offset_iter()
        .filter_map(|(ev, range)| match ev {
            Event::TaskListMarker(done) => Some((done, range)),
            _ => None,
        })
        .nth(index)?;
    let marker = &parsed.text[range.clone()];
    let at = parsed.original(range.start + marker.find('[')? + 1);
    let mut out = String::with_capacity(markdown.len());
    out.push_str(&markdown[..at]);
    out.push(if done { ' ' } else { 'x' });
    out.push_str(&markdown[at + 1..]);
    Some(out)
}

/// What the preview shows instead of a text it will not render; `why` says which bound.
pub fn too_complex(why: &str) -> String {
    format!(
        "<p class=\"too-complex\">This text is too complex to preview ({}). It is kept as \
         written and can still be edited.</p>",
        escape_html(why)
    )
}

/// Renders Markdown to sanitized HTML. `resolve` maps a wiki-link title to a note id. Past a
/// bound (see the module docs) the result is [`too_complex`].
pub fn render_markdown(markdown: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    match render_bounded(markdown, resolve) {
        Ok(html) => html,
        Err(why) => too_complex(&why),
    }
}

fn render_bounded(
    markdown: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    if markdown.len() > MAX_PREVIEW_BYTES {
        return Err(format!(
            "{} bytes; the preview shows up to {MAX_PREVIEW_BYTES}",
            markdown.len()
        ));
    }
    let nested = || format!("nested more than {MAX_DEPTH} levels deep");
    if block_depth(markdown) > MAX_DEPTH {
        return Err(nested());
    }
    let started = Instant::now();
    let parsed = raw_html::unswallowed(markdown, started)?;
    let mut events = Vec::new();
    // Each raw HTML fragment: the indexes of its events in `events`.
    let mut fragments: Vec<Vec<usize>> = Vec::new();
    let mut in_html_block = false;
    let mut in_image = false;
    let mut depth = 0usize;
    // A fenced code block in a language `highlight` knows: its language and text so far.
    let mut code: Option<(String, String)> = None;
    for (n, ev) in Parser::new_ext(&parsed.text, options()).enumerate() {
        if n % 1024 == 1023 && started.elapsed() > TIME_BUDGET {
            return Err("it takes too long to render".into());
        }
        match &ev {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(nested());
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if crate::highlight::knows(info.split_whitespace().next().unwrap_or("")) =>
            {
                let lang = info.split_whitespace().next().unwrap_or("").to_string();
                code = Some((lang, String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, text)) = &mut code {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) if code.is_some() => {
                let (lang, text) = code.take().expect("checked");
                events.push(Event::Html(CowStr::from(format!(
                    "<pre><code class=\"language-{}\">{}</code></pre>\n",
                    escape_attr(&lang),
                    crate::highlight::highlight(&lang, &text)
                ))));
            }
            Event::Start(Tag::Link {
                link_type: LinkType::WikiLink { .. },
                dest_url,
                title,
                id,
            }) => {
                let target = dest_url.to_string();
                let (url, class) = match resolve(&target) {
                    Some(note) => (format!("{NOTE_LINK_PREFIX}{note}"), "wikilink"),
                    None => (
                        format!("{MISSING_LINK_PREFIX}{}", percent_encode(&target)),
                        "wikilink wikilink-missing",
                    ),
                };
                events.push(Event::Html(CowStr::from(format!(
                    "<a class=\"{class}\" href=\"{}\">",
                    escape_attr(&url)
                ))));
                let _ = (title, id);
            }
            Event::Start(Tag::Image { dest_url, .. }) if !dest_url.starts_with("coffer:") => {
                // No remote loads: show the image's address as a link instead.
                in_image = true;
                events.push(Event::Html(CowStr::from(format!(
                    "<a href=\"{}\">[image: ",
                    escape_attr(&dest_url)
                ))));
            }
            Event::End(TagEnd::Image) if in_image => {
                in_image = false;
                events.push(Event::Html(CowStr::from("]</a>")));
            }
            // A task's checkbox, marked as one (the preview toggles it in the text by its
            // place among the marked ones: see `toggle_task`).
            Event::TaskListMarker(done) => events.push(Event::Html(CowStr::from(format!(
                "<input type=\"checkbox\" class=\"{TASK_CLASS}\" disabled{}>",
                if done { " checked" } else { "" }
            )))),
            // Raw HTML stays, as text for ammonia to sanitize, each fragment kept to itself.
            Event::Start(Tag::HtmlBlock) => {
                in_html_block = true;
                fragments.push(Vec::new());
                events.push(ev);
            }
            Event::End(TagEnd::HtmlBlock) => {
                in_html_block = false;
                events.push(ev);
            }
            Event::Html(_) if in_html_block => {
                if let Some(f) = fragments.last_mut() {
                    f.push(events.len());
                }
                events.push(ev);
            }
            Event::InlineHtml(_) => {
                fragments.push(vec![events.len()]);
                events.push(ev);
            }
            other => events.push(other),
        }
    }
    raw_html::contain(&mut events, &fragments);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    // Table alignment as classes (pulldown-cmark writes exactly these styles).
    for (align, class) in ["left", "center", "right"].iter().zip(ALIGN_CLASSES) {
        raw = raw.replace(
            &format!(" style=\"text-align: {align}\">"),
            &format!(" class=\"{class}\">"),
        );
    }
    if html_depth(&raw) > MAX_DEPTH {
        return Err(nested());
    }
    if started.elapsed() > TIME_BUDGET {
        return Err("it takes too long to render".into());
    }
    Ok(sanitize(&raw))
}

/// The deepest nesting of block containers any line opens at its start (`>`, list markers),
/// counted without parsing: a line such as `- - - - …` or `>>>>…` is as deep as its markers.
fn block_depth(markdown: &str) -> usize {
    markdown
        .lines()
        .map(|line| {
            let b = line.as_bytes();
            let (mut i, mut depth) = (0, 0);
            while i < b.len() {
                match b[i] {
                    b' ' | b'\t' => i += 1,
                    b'>' => {
                        depth += 1;
                        i += 1;
                    }
                    b'-' | b'*' | b'+'
                        if b.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t') =>
                    {
                        depth += 1;
                        i += 1;
                    }
                    b'0'..=b'9' => {
                        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                        match b.get(i + digits) {
                            Some(b'.' | b')')
                                if b.get(i + digits + 1)
                                    .is_none_or(|c| *c == b' ' || *c == b'\t') =>
                            {
                                depth += 1;
                                i += digits + 1;
                            }
                            _ => break,
                        }
                    }
                    _ => break,
                }
            }
            depth
        })
        .max()
        .unwrap_or(0)
}

/// Elements that hold no content, and those whose end tag may be left out (the next one of
/// their kind closes them): neither nests when repeated.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rt", "rp", "optgroup",
];

/// How deep the elements of an HTML text nest, read the way a browser would, only roughly:
/// every start tag of an element that can nest opens a level, every end tag closes one. It
/// errs on the deep side, never the shallow one.
fn html_depth(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(off) = memchr(b'<', &b[i..]) {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[start..start + len].to_ascii_lowercase();
        if NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let end = memchr(b'>', &b[start..]).map_or(b.len(), |e| start + e);
            if end > 0 && b.get(end - 1) == Some(&b'/') {
                continue;
            }
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|c| *c == needle)
}

/// A text ready to render without the vault: its wiki-link targets were resolved when it was
/// prepared ([`Prepared::new`]), so [`Prepared::render`] needs no lock.
#[derive(Clone, Debug)]
pub struct Prepared {
    markdown: String,
    links: HashMap<String, String>,
}

impl Prepared {
    /// Resolves every `[[target]]` the text may hold with `resolve` (a cheap scan that finds
    /// at least each one the parser will).
    pub fn new(markdown: String, resolve: &dyn Fn(&str) -> Option<String>) -> Prepared {
        let mut links = HashMap::new();
        for target in link_candidates(&markdown) {
            if !links.contains_key(target)
                && let Some(id) = resolve(target)
            {
                links.insert(target.to_string(), id);
            }
        }
        Prepared { markdown, links }
    }

    /// A text whose links resolve to nothing (messages: links to notes stay inert).
    pub fn without_links(markdown: String) -> Prepared {
        Prepared {
            markdown,
            links: HashMap::new(),
        }
    }

    /// [`render_markdown`] of the text, with the links resolved when it was prepared.
    pub fn render(&self) -> String {
        render_markdown(&self.markdown, &|t| self.links.get(t).cloned())
    }
}

/// Every text between `[[` and the next `]]` or `|`, trimmed the way the parser gives it.
fn link_candidates(markdown: &str) -> impl Iterator<Item = &str> {
    markdown.split("[[").skip(1).filter_map(|rest| {
        let end = rest.find("]]")?;
        let inner = &rest[..end];
        let target = inner.split('|').next().unwrap_or(inner);
        (!target.is_empty() && !target.contains('\n')).then_some(target)
    })
}

/// Cleans any HTML with the same whitelist.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Escapes text for use inside HTML (for names and snippets shown outside Markdown).
pub fn escape_html(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

fn escape_attr(s: &str) -> String {
    escape_html(s)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The lowercased targets of the `[[wiki links]]` in a Markdown text.
pub fn wiki_links(markdown: &str) -> Vec<String> {
    if !markdown.contains("[[") {
        return Vec::new();
    }
    let mut out: Vec<String> = Parser::new_ext(markdown, options())
        .filter_map(|ev| match ev {
            Event::Start(Tag::Link {
                link_type: LinkType::WikiLink { .. },
                dest_url,
                ..
            }) => Some(dest_url.trim().to_lowercase()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(md: &str) -> String {
        render_markdown(md, &|t| (t == "Known").then(|| "abcd".to_string()))
    }

    #[test]
    fn hostile_markdown_is_inert() {
        for md in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "![x](https://evil.example/p.png)",
            "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
            "<svg><script>alert(1)</script></svg>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<style>body{background:url(https://evil.example)}</style>",
            "<input type=text value=pw><input><input type=password><input type=submit>",
            "<div style=\"background:url(https://evil.example)\">x</div>",
        ] {
            let html = r(md).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "javascript:",
                "data:",
                "<iframe",
                "<svg",
                "<style",
                "style=",
                "<img src=\"https",
                "type=\"text\"",
                "type=\"password\"",
                "type=\"submit\"",
                "value=",
            ] {
                assert!(!html.contains(bad), "{md:?} rendered {html:?}");
            }
            for input in html.match_indices("<input").map(|(i, _)| &html[i..]) {
                let tag = &input[..input.find('>').unwrap_or(input.len())];
                assert!(
                    tag.contains("type=\"checkbox\"") && tag.contains("disabled"),
                    "{tag}"
                );
            }
        }
    }

    #[test]
    fn wiki_links_resolve() {
        let html = r("See [[Known]] and [[Unknown|that]].");
        assert!(html.contains("href=\"coffer:note/abcd\""), "{html}");
        assert!(html.contains("coffer:missing/Unknown"), "{html}");
        assert_eq!(wiki_links("[[A]] [[b|x]] `[[not]]`"), vec!["a", "b"]);
    }

    #[test]
    fn deep_nesting_is_refused_before_it_costs_anything() {
        let many = |s: &str, n: usize| s.repeat(n);
        for md in [
            many("- ", 20_000),
            many(">", 1 << 20),
            many("<div>", 100_000),
            many("1. ", 20_000),
            format!("text\n\n{}", many("* ", 100)),
            (0..200)
                .map(|i| format!("{}- x\n", "  ".repeat(i)))
                .collect(),
            many("<div><p>", 50_000),
        ] {
            let html = r(&md);
            assert!(
                html.starts_with("<p class=\"too-complex\">"),
                "{:?}: {html:.200}",
                &md[..20]
            );
        }
        // Inline tags left open are each closed where they stand: no nesting at all.
        for (md, nested) in [
            (many("<span>", 100_000), "<span><span>"),
            (many("<b><i>", 50_000), "<i><b>"),
        ] {
            let html = r(&md);
            assert!(
                !html.contains("too-complex") && !html.contains(nested),
                "{html:.200}"
            );
        }
        let too_big = "a".repeat(MAX_PREVIEW_BYTES + 1);
        assert!(r(&too_big).contains("too complex to preview ("), "size");
        // Ordinary nesting and many siblings render.
        let fine = [
            many("- ", 10) + "deep",
            many("<div>x</div>\n", 10_000),
            many("<p>para\n", 1000),
            many("- item\n", 10_000),
            many("> ", 20) + "quote",
            "<br><br><img src=coffer:x><hr>".repeat(1000),
        ];
        for md in fine {
            assert!(!r(&md).contains("too-complex"), "{:.40}", md);
        }
    }

    #[test]
    fn a_prepared_text_renders_as_the_vault_would() {
        let resolve = |t: &str| (t == "Known" || t == "Other note").then(|| format!("id-{t}"));
        for md in [
            "See [[Known]] and [[Unknown|that]] and [[Other note|x]].",
            "[[Known]] `[[Known]]` [[ Known ]] [[a [[Known]]",
            "no links",
            "[[Known",
        ] {
            let p = Prepared::new(md.to_string(), &resolve);
            assert_eq!(p.render(), render_markdown(md, &resolve), "{md}");
        }
    }

    #[test]
    fn ordinary_markdown_renders() {
        let html = r(
            "# Title\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn x() {}\n```",
        );
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("language-rust"));
    }

    #[test]
    fn tables_keep_their_alignment_and_code_is_highlighted() {
        let html = r("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n");
        assert!(html.contains("<td class=\"align-left\">1</td>"), "{html}");
        assert!(html.contains("<th class=\"align-center\">b</th>"), "{html}");
        assert!(html.contains("<td class=\"align-right\">3</td>"), "{html}");
        assert!(!html.contains("style="), "{html}");
        let html = r("```python\nif x: # why\n    return 'a'\n```\n");
        assert!(
            html.contains("<code class=\"language-python\"><span class=\"hl-keyword\">if</span> x: <span class=\"hl-comment\"># why</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-string\">'a'</span>"),
            "{html}"
        );
        // Raw HTML cannot borrow the classes into an inline style, nor smuggle a script in.
        let html =
            r("<td style=\"color: red\">x</td>\n\n```js\n</code><script>alert(1)</script>\n```\n");
        assert!(
            !html.contains("style=") && !html.contains("<script"),
            "{html}"
        );
    }
}

#[cfg(test)]
mod task_tests {
    use super::*;

    #[test]
    fn a_task_is_ticked_and_unticked_by_its_place_among_the_checkboxes() {
        let md = "# Shop\n\n- [ ] milk\n- [x] bread\n\n```\n- [ ] not a task (code)\n```\n\n1. [ ] call\n";
        let html = render_markdown(md, &|_| None);
        assert_eq!(html.matches("class=\"task\"").count(), 3, "{html}");
        assert_eq!(
            toggle_task(md, 0).unwrap(),
            md.replacen("- [ ] milk", "- [x] milk", 1)
        );
        assert_eq!(
            toggle_task(md, 1).unwrap(),
            md.replacen("- [x] bread", "- [ ] bread", 1)
        );
        // The one in code is no task: the third checkbox is "call".
        assert_eq!(
            toggle_task(md, 2).unwrap(),
            md.replacen("1. [ ] call", "1. [x] call", 1)
        );
        assert_eq!(toggle_task(md, 3), None);
        assert_eq!(toggle_task("- [X] Done", 0).unwrap(), "- [ ] Done");
        // A raw <input> in a note stays an inert checkbox, not a task.
        let raw = render_markdown("<input type=\"text\" class=\"other\">", &|_| None);
        assert!(!raw.contains("class=\"task\""), "{raw}");
    }
}
