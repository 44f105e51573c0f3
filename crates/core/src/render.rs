//! Markdown to safe HTML: exactly what the app shows. pulldown-cmark renders, then ammonia
//! keeps only a whitelist of tags and attributes. No scripts, no event handlers, no styles,
//! no javascript:/data: URLs, no remote loads (remote images become plain links).
//!
//! Links between notes: `[[Title]]` and `[[Title|label]]` become `coffer:note/<id>` links
//! when a note has that title, and `coffer:missing/<title>` otherwise.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;
use std::sync::LazyLock;

/// The URL scheme of links inside Coffer (handled by the app, never by a browser).
pub const NOTE_LINK_PREFIX: &str = "coffer:note/";
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
        .add_generic_attributes(["class"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Images load only from inside Coffer; remote images were turned into links.
            ("img", "src") if !value.starts_with("coffer:") => None,
            ("input", "disabled") => Some("".into()),
            (_, "class") => {
                let kept: Vec<&str> = value
                    .split_whitespace()
                    .filter(|c| c.starts_with("language-") || c.starts_with("wikilink"))
                    .collect();
                (!kept.is_empty()).then(|| kept.join(" ").into())
            }
            _ => Some(value.into()),
        });
    b
});

/// Renders Markdown to sanitized HTML. `resolve` maps a wiki-link title to a note id.
pub fn render_markdown(markdown: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    let mut events = Vec::new();
    let mut in_image = false;
    for ev in Parser::new_ext(markdown, options()) {
        match ev {
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
            // Raw HTML stays, as text for ammonia to sanitize.
            other => events.push(other),
        }
    }
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    sanitize(&raw)
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
            ] {
                assert!(!html.contains(bad), "{md:?} rendered {html:?}");
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
    fn ordinary_markdown_renders() {
        let html = r(
            "# Title\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn x() {}\n```",
        );
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<table>"));
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("language-rust"));
    }
}
