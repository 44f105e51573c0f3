//! Reading one Markdown file: its front matter (bounded YAML), the links of its body, its times.

use super::*;

/// A Markdown text split into its metadata and body.
#[derive(Default)]
pub(super) struct Parsed {
    pub(super) title: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) notebook: Option<String>,
    pub(super) pinned: bool,
    pub(super) created: Option<Millis>,
    pub(super) updated: Option<Millis>,
    /// Front-matter `attachments`: (name if given, path relative to the note).
    pub(super) listed: Vec<(Option<String>, String)>,
    pub(super) body: String,
    pub(super) warning: Option<String>,
}

/// Decodes `%XX` escapes; returns the input unchanged if the result is not UTF-8.
pub(super) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// A link destination that may name a local file: no URL scheme, no pure anchor. Returns the
/// path part, decoded.
pub(super) fn local_target(dest: &str, wiki: bool) -> Option<String> {
    let dest = dest.trim();
    if dest.is_empty() || dest.starts_with('#') {
        return None;
    }
    if let Some((scheme, _)) = dest.split_once(':')
        && !scheme.is_empty()
        && scheme.len() > 1 // "C:" is a drive letter, not a scheme
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let path = dest.split('#').next().unwrap_or(dest);
    if wiki {
        // Obsidian: `![[a.png|200]]`; pulldown-cmark already drops the part after `|`.
        let path = path.split('|').next().unwrap_or(path).trim();
        return (!path.is_empty()).then(|| path.to_string());
    }
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty()).then(|| percent_decode(path))
}

/// `src` attributes of `<img>`, `<video>`, `<audio>`, `<source>`, `<embed>` tags in raw HTML.
pub(super) fn html_sources(html: &str, out: &mut Vec<String>) {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("src=") {
        let start = from + pos + 4;
        from = start;
        let preceded = lower[..start - 4]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        if !preceded {
            continue;
        }
        let rest = &html[start..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next(),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next(),
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push(v.to_string());
        }
    }
}

/// Local link targets in a Markdown body: links, images, Obsidian wiki links and embeds,
/// and `src` attributes in inline HTML.
pub(super) fn link_targets(body: &str) -> Vec<String> {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_WIKILINKS;
    let mut out = Vec::new();
    let mut html = Vec::new();
    for event in Parser::new_ext(body, opts) {
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            })
            | Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let wiki = matches!(link_type, LinkType::WikiLink { .. });
                out.extend(local_target(&dest_url, wiki));
            }
            Event::Html(h) | Event::InlineHtml(h) => html_sources(&h, &mut html),
            _ => {}
        }
    }
    out.extend(html.iter().filter_map(|h| local_target(h, false)));
    out
}

/// A YAML scalar as text.
pub(super) fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn yaml_tags(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
        Yaml::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        other => scalar(other).into_iter().collect(),
    }
}

pub(super) fn yaml_time(y: &Yaml) -> Option<Millis> {
    match y {
        Yaml::String(s) => parse_time(s),
        // A bare number: seconds, or milliseconds if too large to be seconds.
        Yaml::Integer(i) if i.unsigned_abs() < 100_000_000_000 => i.checked_mul(1000),
        Yaml::Integer(i) => Some(*i),
        _ => None,
    }
}

/// Reads a time written as RFC 3339 or `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH[:MM]]`
/// (Joplin writes `2023-01-02 10:00Z`, Obsidian `2023-01-02`). No offset means UTC.
pub fn parse_time(s: &str) -> Option<Millis> {
    use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
    let s = s.trim();
    if let Some(ms) = rfc3339_to_millis(s) {
        return Some(ms);
    }
    fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
        let d = s.get(..n)?;
        if !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((d.parse().ok()?, &s[n..]))
    }
    let (year, rest) = digits(s, 4)?;
    let (month, rest) = digits(rest.strip_prefix('-')?, 2)?;
    let (day, mut rest) = digits(rest.strip_prefix('-')?, 2)?;
    let date = Date::from_calendar_date(
        year as i32,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let mut time = Time::MIDNIGHT;
    let mut offset = UtcOffset::UTC;
    if !rest.is_empty() {
        rest = rest.strip_prefix(['T', 't', ' '])?;
        let (h, r) = digits(rest, 2)?;
        let (m, mut r) = digits(r.strip_prefix(':')?, 2)?;
        let mut sec = 0;
        let mut nanos = 0u32;
        if let Some(x) = r.strip_prefix(':') {
            let (sv, r2) = digits(x, 2)?;
            sec = sv;
            r = r2;
            if let Some(frac) = r.strip_prefix(['.', ',']) {
                let n = frac.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                let kept = &frac[..n.min(9)];
                nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
                r = &frac[n..];
            }
        }
        time = Time::from_hms_nano(
            u8::try_from(h).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(sec).ok()?,
            nanos,
        )
        .ok()?;
        let r = r.trim_start();
        if r.is_empty() || r == "Z" || r == "z" {
        } else {
            let (sign, r) = match r.as_bytes()[0] {
                b'+' => (1i8, &r[1..]),
                b'-' => (-1i8, &r[1..]),
                _ => return None,
            };
            let (oh, r) = digits(r, 2)?;
            let r = r.strip_prefix(':').unwrap_or(r);
            let (om, r) = if r.is_empty() { (0, r) } else { digits(r, 2)? };
            if !r.is_empty() {
                return None;
            }
            offset = UtcOffset::from_hms(
                sign * i8::try_from(oh).ok()?,
                sign * i8::try_from(om).ok()?,
                0,
            )
            .ok()?;
        }
    }
    let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Some((t.unix_timestamp_nanos() / 1_000_000) as Millis)
}

/// Splits a leading front matter block off `text`: returns the YAML and the body after it
/// (without the one blank line that usually follows the block).
pub(super) fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos < text.len() {
        let end = text[pos..].find('\n').map(|i| pos + i + 1);
        let line = &text[pos..end.unwrap_or(text.len())];
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let rest = &text[end.unwrap_or(text.len())..];
            let rest = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
                .unwrap_or(rest);
            return Some((&text[yaml_start..pos], rest));
        }
        match end {
            Some(e) => pos = e,
            None => break,
        }
    }
    None
}

/// Front matter nested deeper than this is kept in the body.
pub(super) const MAX_YAML_DEPTH: usize = 16;
/// Front matter with more values than this is kept in the body.
pub(super) const MAX_YAML_NODES: usize = 10_000;

/// Refuses YAML that could cost more to load than its size: anchors and aliases (a few
/// hundred bytes of aliases expand to gigabytes, "billion laughs"), deep nesting, too many
/// values. Streams the parser's events; builds nothing.
pub(super) fn check_yaml_shape(yaml: &str) -> Result<(), &'static str> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    struct Shape {
        depth: usize,
        nodes: usize,
        bad: Option<&'static str>,
    }
    impl MarkedEventReceiver for Shape {
        fn on_event(&mut self, ev: Event, _: yaml_rust2::scanner::Marker) {
            if self.bad.is_some() {
                return;
            }
            let anchored = match &ev {
                Event::Alias(_) => true,
                Event::Scalar(_, _, a, _)
                | Event::SequenceStart(a, _)
                | Event::MappingStart(a, _) => *a > 0,
                _ => false,
            };
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    self.depth += 1;
                    self.nodes += 1;
                }
                Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
                Event::Scalar(..) | Event::Alias(_) => self.nodes += 1,
                _ => {}
            }
            self.bad = if anchored {
                Some("uses YAML anchors or aliases, which Coffer does not expand")
            } else if self.depth > MAX_YAML_DEPTH {
                Some("is nested too deeply")
            } else if self.nodes > MAX_YAML_NODES {
                Some("holds too many values")
            } else {
                None
            };
        }
    }
    let mut shape = Shape {
        depth: 0,
        nodes: 0,
        bad: None,
    };
    // A syntax error is left for the loader to report in its own words.
    let _ = Parser::new_from_str(yaml).load(&mut shape, true);
    shape.bad.map_or(Ok(()), Err)
}

/// Reads a Markdown text: front matter (if any) and body.
pub(super) fn parse_markdown(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let whole = |warning: Option<String>| Parsed {
        body: text.to_string(),
        warning,
        ..Parsed::default()
    };
    let Some((yaml, body)) = split_front_matter(text) else {
        return whole(None);
    };
    if yaml.len() > MAX_FRONT_MATTER {
        return whole(Some(
            "its front matter is too large; it was kept in the body".into(),
        ));
    }
    if let Err(why) = check_yaml_shape(yaml) {
        return whole(Some(format!(
            "its front matter {why}; it was kept in the body"
        )));
    }
    let doc = match YamlLoader::load_from_str(yaml) {
        Ok(mut docs) if docs.len() <= 1 => docs.pop().unwrap_or(Yaml::Null),
        Ok(_) => {
            return whole(Some(
                "its front matter holds several YAML documents; it was kept in the body".into(),
            ));
        }
        Err(e) => {
            return whole(Some(format!(
                "its front matter is not valid YAML ({e}); it was kept in the body"
            )));
        }
    };
    let map = match doc {
        Yaml::Hash(h) => h,
        Yaml::Null => Default::default(),
        _ => {
            return whole(Some(
                "its front matter is not a set of `key: value` lines; it was kept in the body"
                    .into(),
            ));
        }
    };
    let get = |k: &str| map.get(&Yaml::String(k.into())).filter(|v| !v.is_null());
    let mut p = Parsed {
        body: body.to_string(),
        ..Parsed::default()
    };
    p.title = get("title")
        .and_then(scalar)
        .filter(|t| !t.trim().is_empty());
    p.tags = get("tags")
        .or_else(|| get("tag"))
        .map(yaml_tags)
        .unwrap_or_default();
    p.notebook = get("notebook").and_then(scalar);
    p.pinned = get("pinned").and_then(Yaml::as_bool).unwrap_or(false);
    p.created = get("created").or_else(|| get("date")).and_then(yaml_time);
    p.updated = get("updated")
        .or_else(|| get("modified"))
        .and_then(yaml_time);
    if let Some(Yaml::Array(items)) = get("attachments") {
        for item in items {
            match item {
                Yaml::String(path) => p.listed.push((None, path.clone())),
                Yaml::Hash(h) => {
                    let field = |k: &str| h.get(&Yaml::String(k.into())).and_then(scalar);
                    if let Some(path) = field("path") {
                        p.listed.push((field("name"), path));
                    }
                }
                _ => {}
            }
        }
    }
    p
}

pub(super) fn clean_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
