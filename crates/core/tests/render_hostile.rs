//! Hostile note content through the renderer: every payload must come out inert. The checks
//! read the sanitized HTML tag by tag: only whitelisted tags, no event handlers, no styles,
//! no URL outside https/http/mailto/coffer, images only from inside Coffer.

use coffer_core::render::render_markdown;

/// The payloads, shared with the app's end-to-end test (tests/e2e/hostile.mjs), with their
/// placeholders filled in as an attacker outside the machine would.
fn payloads() -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/data/hostile/payloads.json"))
            .expect("tests/data/hostile/payloads.json is JSON");
    json["payloads"]
        .as_array()
        .expect("a payloads list")
        .iter()
        .map(|p| {
            p.as_str()
                .expect("payloads are strings")
                .replace("{{JS_ENTITY}}", "&#97;lert(1)")
                .replace("{{JS}}", "alert(1)")
                .replace("{{HTTP_URL}}", "http://evil.example")
                .replace("{{URL}}", "https://evil.example")
        })
        .collect()
}

const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "area",
    "article",
    "aside",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "map",
    "mark",
    "nav",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "rtc",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
    "sup",
    "section",
];

const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "cite",
    "longdesc",
    "action",
    "formaction",
    "srcset",
    "xlink:href",
    "data",
];

/// (tag name, [(attribute, value)]) for every start tag of sanitized, well-formed HTML.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') {
            continue;
        }
        let end = rest.find('>').expect("well-formed output");
        let inner = &rest[..end];
        let name_end = inner.find([' ', '/']).unwrap_or(inner.len());
        let name = inner[..name_end].to_lowercase();
        let mut attrs = Vec::new();
        let mut a = &inner[name_end..];
        loop {
            a = a.trim_start_matches([' ', '/']);
            if a.is_empty() {
                break;
            }
            let eq = a.find(['=', ' ']).unwrap_or(a.len());
            let key = a[..eq].to_lowercase();
            a = &a[eq..];
            let mut value = String::new();
            if let Some(v) = a.strip_prefix("=\"") {
                let close = v.find('"').expect("quoted attribute");
                value = v[..close].to_string();
                a = &v[close + 1..];
            }
            attrs.push((key, value));
        }
        out.push((name, attrs));
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[test]
fn every_payload_renders_inert() {
    let payloads = payloads();
    assert!(payloads.len() >= 40);
    for payload in &payloads {
        let html = render_markdown(payload, &|_| None);
        for (tag, attrs) in tags(&html) {
            assert!(
                ALLOWED_TAGS.contains(&tag.as_str()),
                "{payload:?}: tag <{tag}> in {html}"
            );
            for (key, value) in attrs {
                assert!(
                    !key.starts_with("on"),
                    "{payload:?}: handler {key} in {html}"
                );
                assert!(
                    key != "style" && key != "srcdoc" && key != "srcset",
                    "{payload:?}: {key} in {html}"
                );
                if URL_ATTRS.contains(&key.as_str()) {
                    let v = decode_entities(&value).trim().to_lowercase();
                    let ok = if tag == "img" {
                        v.starts_with("coffer:")
                    } else {
                        ["https:", "http:", "mailto:", "coffer:"]
                            .iter()
                            .any(|s| v.starts_with(s))
                    };
                    assert!(ok, "{payload:?}: <{tag} {key}={value:?}> in {html}");
                }
            }
        }
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{payload:?}: {html}");
    }
}

#[test]
fn remote_images_become_links_not_loads() {
    let html = render_markdown("![tracker](https://evil.example/pixel.png)", &|_| None);
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("href=\"https://evil.example/pixel.png\""),
        "{html}"
    );
    assert!(
        html.contains("rel=\"noopener noreferrer nofollow\""),
        "{html}"
    );
}

#[test]
fn hostile_wiki_link_targets_stay_text() {
    let html = render_markdown("[[a\" onmouseover=\"alert(1)]]", &|_| {
        Some("x\" onclick=\"y".into())
    });
    for (_, attrs) in tags(&html) {
        assert!(attrs.iter().all(|(k, _)| !k.starts_with("on")), "{html}");
    }
}

#[test]
fn the_checker_itself_sees_bad_markup() {
    let t = tags("<p><img src=\"https://x.example/a.png\" onerror=\"alert(1)\"></p><script>");
    assert_eq!(t[1].0, "img");
    assert_eq!(t[1].1[0], ("src".into(), "https://x.example/a.png".into()));
    assert_eq!(t[1].1[1].0, "onerror");
    assert_eq!(t[2].0, "script");
}

/// Non-void elements that `html` leaves open at its end, by name (the sanitizer writes every
/// end tag, so a count per name tells).
fn left_open(html: &str) -> Vec<String> {
    const VOID: &[&str] = &["area", "br", "col", "hr", "img", "input", "wbr"];
    let mut depth: std::collections::BTreeMap<String, i64> = Default::default();
    for (i, _) in html.match_indices('<') {
        let rest = &html[i + 1..];
        let (closing, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        *depth.entry(name).or_default() += if closing { -1 } else { 1 };
    }
    depth
        .into_iter()
        .filter(|(_, d)| *d != 0)
        .map(|(n, _)| n)
        .collect()
}

/// Raw HTML that opens something and never ends it cannot hide the rest of the note: what
/// follows still renders as Markdown, outside whatever the fragment opened.
#[test]
fn raw_html_left_open_cannot_hide_the_rest() {
    let openers = [
        "<details>",
        "<details open>",
        "<details/>",
        "<a href=\"https://evil.example\">",
        "<!--",
        "<!-- never ended",
        "<script>",
        "<style>",
        "<textarea>",
        "<title>",
        "<xmp>",
        "<noscript>",
        "<iframe>",
        "<noembed>",
        "<plaintext>",
        "<template>",
        "<svg>",
        "<math>",
        "<select>",
        "<table>",
        "<div hidden>",
        "<div title=\"",
        "<div title='",
        "<div><!-- ",
        "<div><script>",
        "<?php",
        "<!DOCTYPE",
        "<![CDATA[",
        "<pre>",
        "<b>",
        "<blockquote>",
        "<ul><li>",
        "> <details>",
        "- <!--",
        "> <script>",
    ];
    let tail = "<p>After <strong>the end</strong></p>";
    for opener in openers {
        for md in [
            format!("Before\n\n{opener}\n\nAfter **the end**\n"),
            format!("Before {opener} text\n\nAfter **the end**"),
            format!("{opener}\nmore\n\nAfter **the end**\n\n"),
        ] {
            let html = render_markdown(&md, &|_| None);
            let Some(at) = html.find(tail) else {
                panic!("{md:?}: the rest is gone or no longer Markdown in {html}");
            };
            let open = left_open(&html[..at]);
            assert!(
                open.is_empty(),
                "{md:?}: the rest is inside {open:?} in {html}"
            );
        }
    }
}

/// What raw HTML closes itself keeps working: a `<details>` around Markdown, inline tags, a
/// comment; and a task after a comment left open is the one the preview's checkbox ticks.
#[test]
fn raw_html_that_ends_what_it_opens_is_kept() {
    let html = render_markdown(
        "<details>\n<summary>More</summary>\n\nInside **it**\n\n</details>\n\nAfter",
        &|_| None,
    );
    let (inside, end, after) = (
        html.find("Inside").expect("inside"),
        html.find("</details>").expect("details ended"),
        html.find("After").expect("after"),
    );
    assert!(inside < end && end < after, "{html}");
    let html = render_markdown(
        "Press <kbd>Ctrl</kbd>+<kbd>K</kbd> <!-- a note -->",
        &|_| None,
    );
    assert!(
        html.contains("<kbd>Ctrl</kbd>+<kbd>K</kbd>") && !html.contains("a note"),
        "{html}"
    );

    let md = "<!--\n\n- [ ] one\n- [ ] two\n";
    let html = render_markdown(md, &|_| None);
    assert_eq!(html.matches("type=\"checkbox\"").count(), 2, "{html}");
    assert_eq!(
        coffer_core::render::toggle_task(md, 1).as_deref(),
        Some("<!--\n\n- [ ] one\n- [x] two\n")
    );
}
