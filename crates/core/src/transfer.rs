//! Import of Markdown folders and age files, export to a Markdown folder.
//!
//! **Import** ([`Vault::import_dir`]) reads a folder tree such as an Obsidian vault or Joplin's
//! "Markdown + Front Matter" export:
//! - every `.md` / `.markdown` file becomes a note. Its YAML front matter gives the title
//!   (`title`, else the file name's stem), the tags (`tags` or `tag`: a list, or one string
//!   separated by commas or spaces), the times (`created`, else `date`; `updated`, else
//!   `modified`; RFC 3339 or `YYYY-MM-DD[ HH:MM[:SS]]`, UTC unless an offset is given; else the
//!   file's modification time), `pinned`, and the notebook (`notebook`, else the folder path
//!   relative to the imported folder, e.g. `A/B`; none at the top). A front matter block that
//!   parses is removed from the body; one that does not is kept in the body and reported.
//! - files a note links to (`![x](../_resources/a.png)`, `[doc](file.pdf)`, `<img src=...>`,
//!   Obsidian's `![[a.png]]`), or lists under `attachments` in its front matter, are attached
//!   to it. A target is found like Obsidian does: relative to the note, else relative to the
//!   imported folder, else by its file name if that name is unique in the folder. Nothing
//!   outside the imported folder is ever read.
//! - `.age` files are decrypted with the vault key. A Coffer note object (e.g. a file copied
//!   from a vault's `objects/`) becomes a new note keeping its title, tags, notebook, pin and
//!   times (a note from the trash comes back live, without attachments, which are other
//!   objects); any other plaintext is read as a Markdown file named by the stem
//!   (`plan.md.age` is the note "plan").
//! - hidden files and folders (`.obsidian`, `.trash`, `.git`) and symbolic links are skipped,
//!   as are files no note refers to; each is listed in [`ImportReport::skipped`] with the
//!   reason. One unreadable file never stops the import.
//!
//! Notes are committed in batches of [`IMPORT_BATCH`] revisions (one log entry each), so a
//! large import is quick and an interruption keeps the batches already written. Importing the
//! same folder twice creates every note twice: an import never merges into existing notes.
//!
//! **Export** ([`Vault::export_dir`]) writes every live note to `<notebook>/<title>.md` in an
//! empty or new folder, with a front matter (`title`, `tags`, `notebook`, `created`,
//! `updated`, `pinned`, `attachments`) whose strings are JSON strings (valid YAML), then the
//! body unchanged. Attachments go to `<notebook>/_attachments/<title>/<name>` and are listed in
//! the front matter, so importing an export brings everything back. The files are plaintext:
//! on Unix they are created readable by their owner only (0600, folders 0700).

use crate::held::{HeldDir, Refused, WriteError};
use crate::note::{Millis, Revision, millis_to_rfc3339, rfc3339_to_millis};
use crate::object::{Header, Kind};
use crate::ops::clean_tags;
use crate::vault::{Batch, NewObject, Sealed};
use crate::{Error, Id, Progress, ProgressFn, Result, Vault, crypto, fsutil};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};
use rustix::fs::FileType;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use yaml_rust2::{Yaml, YamlLoader};
use zeroize::Zeroizing;

/// Revisions (plus attachments) committed per log entry during an import.
pub const IMPORT_BATCH: usize = 500;
/// Largest Markdown or `.age` file imported as a note.
pub const MAX_NOTE_FILE: u64 = 64 << 20;
/// Largest front matter block parsed; a bigger one is kept in the body.
const MAX_FRONT_MATTER: usize = 256 << 10;
/// Longest file or folder name written by an export, in bytes (before " (2)" and ".md").
const MAX_NAME_BYTES: usize = 120;
/// Notebook folders an export nests at most; a deeper notebook's note goes in the deepest of
/// them (its front matter keeps the whole notebook name, so an import restores it).
const MAX_EXPORT_DEPTH: usize = 16;
/// The folder, beside the notes of a notebook, that holds their attachments on export.
pub const ATTACHMENTS_DIR: &str = "_attachments";

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// Notes created.
    pub notes: usize,
    /// Attachments stored.
    pub attachments: usize,
    /// Files and folders not imported, each with the reason.
    pub skipped: Vec<String>,
    /// Files imported with a caveat (e.g. a front matter that did not parse and was kept in
    /// the body).
    pub warnings: Vec<String>,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportReport {
    /// Note files written.
    pub notes: usize,
    /// Attachment files written.
    pub attachments: usize,
    /// Attachments that could not be written (damaged objects), each with the reason.
    pub skipped: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// A file found in the imported folder, by its path relative to the root (`/`-separated).
/// Files are opened again by that path from the held root, one name at a time without
/// following links, so a file swapped for a link after the walk is refused, not followed.
struct Found {
    rel: String,
}

/// What a walk of the imported folder found.
#[derive(Default)]
struct Scan {
    /// `.md`, `.markdown` and `.age` files.
    notes: Vec<Found>,
    /// Every other regular file: attachment candidates, by relative path.
    files: BTreeSet<String>,
    /// File name -> relative paths of the candidates with that name.
    by_name: HashMap<String, Vec<String>>,
    /// Lowercased file name -> relative paths.
    by_lower_name: HashMap<String, Vec<String>>,
}

/// A note read from a file, waiting for its batch.
struct Pending {
    rev: Revision,
    /// (attachment name, relative path).
    attachments: Vec<(String, String)>,
}

/// A Markdown text split into its metadata and body.
#[derive(Default)]
struct Parsed {
    title: Option<String>,
    tags: Vec<String>,
    notebook: Option<String>,
    pinned: bool,
    created: Option<Millis>,
    updated: Option<Millis>,
    /// Front-matter `attachments`: (name if given, path relative to the note).
    listed: Vec<(Option<String>, String)>,
    body: String,
    warning: Option<String>,
}

fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn strip_markdown_ext(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for ext in [".md", ".markdown"] {
        if lower.ends_with(ext) && name.len() > ext.len() {
            return &name[..name.len() - ext.len()];
        }
    }
    name
}

fn last_segment(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn parent_of(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

/// Opens the folder the user chose to import.
fn open_import_root(root: &Path) -> Result<HeldDir> {
    HeldDir::open(root).map_err(|e| {
        if e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) {
            Error::Invalid(format!(
                "{} is not a folder; import reads a folder of Markdown files",
                root.display()
            ))
        } else {
            Error::io(format!("reading {}", root.display()))(e)
        }
    })
}

/// Why a path in the imported folder was not read, for the report.
fn refused_reason(r: Refused) -> String {
    match r {
        Refused::Missing => "it is gone (removed during the import)".into(),
        Refused::Link => "a symbolic link (not followed)".into(),
        Refused::WrongKind => "not a regular file".into(),
        Refused::Io(e) => format!("cannot read: {e}"),
    }
}

/// Opens the regular file at `rel` below `root`, every part without following links.
fn open_rel(root: &HeldDir, rel: &str) -> std::result::Result<File, String> {
    root.dirs(parent_of(rel).split('/').filter(|p| !p.is_empty()), false)
        .and_then(|dir| dir.file(last_segment(rel)))
        .map_err(refused_reason)
}

fn walk(root: &HeldDir, report: &mut ImportReport) -> Result<Scan> {
    let mut scan = Scan::default();
    // Relative paths of the folders still to read, each opened again from the root.
    let mut stack = vec![String::new()];
    while let Some(rel_dir) = stack.pop() {
        let shown = if rel_dir.is_empty() { "." } else { &rel_dir };
        let entries = root
            .dirs(rel_dir.split('/').filter(|p| !p.is_empty()), false)
            .map_err(refused_reason)
            .and_then(|d| {
                d.entries()
                    .map_err(|e| format!("cannot read the folder: {e}"))
            });
        let mut entries = match entries {
            Ok(entries) => entries,
            Err(reason) => {
                report.skipped.push(format!("{shown}/: {reason}"));
                continue;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, kind) in entries {
            let rel_of = |name: &str| {
                if rel_dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel_dir}/{name}")
                }
            };
            let name = match name {
                Ok(name) => name,
                Err(lossy) => {
                    report.skipped.push(format!(
                        "{}: its name is not UTF-8 (rename it to import it)",
                        rel_of(&lossy)
                    ));
                    continue;
                }
            };
            let rel = rel_of(&name);
            if kind == FileType::Symlink {
                report
                    .skipped
                    .push(format!("{rel}: a symbolic link (not followed)"));
            } else if name.starts_with('.') {
                let what = if kind == FileType::Directory {
                    "folder"
                } else {
                    "file"
                };
                report.skipped.push(format!("{rel}: a hidden {what}"));
            } else if kind == FileType::Directory {
                subdirs.push(rel);
            } else if kind != FileType::RegularFile {
                report.skipped.push(format!("{rel}: not a regular file"));
            } else if is_markdown(&name) || name.to_ascii_lowercase().ends_with(".age") {
                scan.notes.push(Found { rel });
            } else {
                scan.by_name
                    .entry(name.clone())
                    .or_default()
                    .push(rel.clone());
                scan.by_lower_name
                    .entry(name.to_lowercase())
                    .or_default()
                    .push(rel.clone());
                scan.files.insert(rel);
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(scan)
}

/// Joins `target` to the folder `base` (both `/`-separated, relative to the root), resolving
/// `.` and `..`; `None` if it would leave the root.
fn join_rel(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Scan {
    /// Finds the attachment candidate a link in the note at `note_rel` points to.
    fn resolve(&self, note_rel: &str, target: &str) -> Option<String> {
        let dir = parent_of(note_rel);
        let mut candidates = Vec::new();
        if let Some(root_rel) = target.strip_prefix('/') {
            candidates.extend(join_rel("", root_rel));
        } else {
            candidates.extend(join_rel(dir, target));
            candidates.extend(join_rel("", target));
        }
        if let Some(found) = candidates.into_iter().find(|c| self.files.contains(c)) {
            return Some(found);
        }
        let name = last_segment(target.trim_end_matches('/'));
        if name.is_empty() || name == "." || name == ".." {
            return None;
        }
        for (map, key) in [
            (&self.by_name, name.to_string()),
            (&self.by_lower_name, name.to_lowercase()),
        ] {
            if let Some([only]) = map.get(&key).map(Vec::as_slice) {
                return Some(only.clone());
            }
        }
        None
    }
}

/// Decodes `%XX` escapes; returns the input unchanged if the result is not UTF-8.
fn percent_decode(s: &str) -> String {
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
fn local_target(dest: &str, wiki: bool) -> Option<String> {
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
fn html_sources(html: &str, out: &mut Vec<String>) {
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
fn link_targets(body: &str) -> Vec<String> {
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
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yaml_tags(y: &Yaml) -> Vec<String> {
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

fn yaml_time(y: &Yaml) -> Option<Millis> {
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
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
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
const MAX_YAML_DEPTH: usize = 16;
/// Front matter with more values than this is kept in the body.
const MAX_YAML_NODES: usize = 10_000;

/// Refuses YAML that could cost more to load than its size: anchors and aliases (a few
/// hundred bytes of aliases expand to gigabytes, "billion laughs"), deep nesting, too many
/// values. Streams the parser's events; builds nothing.
fn check_yaml_shape(yaml: &str) -> Result<(), &'static str> {
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
fn parse_markdown(text: &str) -> Parsed {
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

fn clean_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn mtime_millis(file: &File) -> Option<Millis> {
    let t = file.metadata().ok()?.modified().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    Millis::try_from(d.as_millis()).ok()
}

/// A name not yet in `used` (compared case-insensitively): `name`, `name (2)`, ...
fn unique_in(used: &mut HashSet<String>, name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        if used.insert(candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

/// An attachment name Coffer accepts, made from a file name.
fn attachment_name(name: &str) -> String {
    let n: String = name
        .trim()
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let n = truncate_bytes(&n, 200);
    if n.is_empty() || n == "." || n == ".." {
        "attachment".into()
    } else {
        n.to_string()
    }
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The plaintext of an `.age` file: a Coffer note, or Markdown.
enum AgeContent {
    Note(Revision),
    Markdown(String),
}

fn read_age_plaintext(plain: &[u8]) -> std::result::Result<AgeContent, String> {
    if let Ok((h, _, _)) = Header::decode(plain)
        && h.get("coffer").is_some()
    {
        let kind = h.str("kind").unwrap_or("");
        if kind != Kind::Note.as_str() {
            return Err(format!("a Coffer {kind:?} object, not a note"));
        }
        let (vault, object) = match (h.id("vault"), h.id("object")) {
            (Ok(v), Ok(o)) => (v, o),
            _ => return Err("a damaged Coffer note (no vault or object id)".into()),
        };
        // The ids are the file's own: this checks the framing and fields, not where it was.
        return Revision::decode(plain, &vault, &object)
            .map(AgeContent::Note)
            .map_err(|e| format!("a damaged Coffer note: {e}"));
    }
    match std::str::from_utf8(plain) {
        Ok(s) => Ok(AgeContent::Markdown(s.to_string())),
        Err(_) => Err("its plaintext is neither a Coffer note nor UTF-8 text".into()),
    }
}

impl Vault {
    /// Imports a folder of Markdown files (an Obsidian vault, a Joplin "Markdown + Front
    /// Matter" export, a Coffer export) and `.age` files encrypted to this vault: see the
    /// [module documentation](crate::transfer). Every note is created anew, so importing the
    /// same folder twice gives duplicates. Only a failure to write the vault stops an import
    /// (batches already committed stay); files that cannot be read are reported in
    /// [`ImportReport::skipped`].
    pub fn import_dir(&mut self, dir: &Path, progress: ProgressFn<'_>) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let root = open_import_root(dir)?;
        let scan = walk(&root, &mut report)?;
        let total = scan.notes.len() as u64;
        let mut referenced: HashSet<String> = HashSet::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut pending_objects = 0usize;
        progress(&Progress {
            stage: "importing".into(),
            done: 0,
            total,
        });
        for (i, found) in scan.notes.iter().enumerate() {
            match self.read_note_file(&root, found, &scan, &mut referenced, &mut report) {
                Ok(p) => {
                    pending_objects += 1 + p.attachments.len();
                    pending.push(p);
                }
                Err(reason) => report.skipped.push(format!("{}: {reason}", found.rel)),
            }
            if pending_objects >= IMPORT_BATCH {
                self.commit_import(&root, &mut pending, &mut report)?;
                pending_objects = 0;
            }
            let done = i as u64 + 1;
            if done.is_multiple_of(100) && done < total {
                progress(&Progress {
                    stage: "importing".into(),
                    done,
                    total,
                });
            }
        }
        self.commit_import(&root, &mut pending, &mut report)?;
        for rel in &scan.files {
            if !referenced.contains(rel) {
                report
                    .skipped
                    .push(format!("{rel}: not referenced by any note"));
            }
        }
        progress(&Progress {
            stage: "importing".into(),
            done: total,
            total,
        });
        Ok(report)
    }

    /// Reads one `.md`/`.markdown`/`.age` file into a pending note; `Err` is the reason it was
    /// skipped.
    fn read_note_file(
        &self,
        root: &HeldDir,
        found: &Found,
        scan: &Scan,
        referenced: &mut HashSet<String>,
        report: &mut ImportReport,
    ) -> std::result::Result<Pending, String> {
        let file = open_rel(root, &found.rel)?;
        let mtime = mtime_millis(&file).unwrap_or_else(crate::note::now_millis);
        let bytes = match crate::limits::read_open(file, MAX_NOTE_FILE) {
            Ok(Ok(bytes)) => Zeroizing::new(bytes),
            Ok(Err(size)) => {
                return Err(format!(
                    "too large for a note ({size} bytes; the limit is {MAX_NOTE_FILE})"
                ));
            }
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        let name = last_segment(&found.rel);
        let folder = parent_of(&found.rel);
        let folder_notebook = (!folder.is_empty()).then(|| folder.to_string());
        let is_age = name.to_ascii_lowercase().ends_with(".age");
        let (parsed, stem) = if is_age {
            let plain =
                crypto::decrypt(&[self.keys.vault_identity()], &bytes).map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => {
                        "cannot decrypt: not encrypted to this vault's key".to_string()
                    }
                    other => format!("cannot decrypt: {other}"),
                })?;
            let stem = strip_markdown_ext(&name[..name.len() - 4]).to_string();
            match read_age_plaintext(&plain)? {
                AgeContent::Note(rev) => {
                    if !rev.attachments.is_empty() {
                        report.warnings.push(format!(
                            "{}: its {} attachment(s) live in another vault's objects and were not imported",
                            found.rel,
                            rev.attachments.len()
                        ));
                    }
                    let rev = Revision {
                        note: Id::random(),
                        revision: Id::random(),
                        parents: Vec::new(),
                        title: clean_title(&rev.title, &stem),
                        tags: clean_tags(&rev.tags),
                        notebook: rev.notebook.as_deref().and_then(clean_notebook),
                        pinned: rev.pinned,
                        deleted: false,
                        created: rev.created,
                        updated: rev.updated.max(rev.created),
                        attachments: Vec::new(),
                        body: rev.body,
                    };
                    return Ok(Pending {
                        rev,
                        attachments: Vec::new(),
                    });
                }
                AgeContent::Markdown(text) => (parse_markdown(&text), stem),
            }
        } else {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| "not UTF-8 text (convert it to UTF-8 first)".to_string())?;
            (parse_markdown(text), strip_markdown_ext(name).to_string())
        };
        if let Some(w) = &parsed.warning {
            report.warnings.push(format!("{}: {w}", found.rel));
        }
        // Attachments: front-matter list first, then links in the body.
        let mut attachments = Vec::new();
        let mut seen_paths = HashSet::new();
        let mut names = HashSet::new();
        let mut add = |name: Option<String>, rel: String| {
            if !seen_paths.insert(rel.clone()) {
                return;
            }
            if !scan.files.contains(&rel) {
                return;
            }
            let name = name.unwrap_or_else(|| last_segment(&rel).to_string());
            let name = unique_in(&mut names, &attachment_name(&name));
            referenced.insert(rel.clone());
            attachments.push((name, rel));
        };
        for (name, path) in &parsed.listed {
            match join_rel(folder, path).filter(|r| scan.files.contains(r)) {
                Some(rel) => add(name.clone(), rel),
                None => report.warnings.push(format!(
                    "{}: its front matter lists the attachment {path:?}, which is not in the folder",
                    found.rel
                )),
            }
        }
        for target in link_targets(&parsed.body) {
            if let Some(rel) = scan.resolve(&found.rel, &target) {
                add(None, rel);
            }
        }
        let created = parsed.created.unwrap_or(mtime);
        let updated = parsed.updated.unwrap_or(mtime).max(created);
        let rev = Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: Vec::new(),
            title: clean_title(parsed.title.as_deref().unwrap_or(""), &stem),
            tags: clean_tags(&parsed.tags),
            notebook: parsed
                .notebook
                .as_deref()
                .or(folder_notebook.as_deref())
                .and_then(clean_notebook),
            pinned: parsed.pinned,
            deleted: false,
            created,
            updated,
            attachments: Vec::new(),
            body: parsed.body,
        };
        Ok(Pending { rev, attachments })
    }

    /// Seals the pending notes and their attachments and commits them as one batch.
    fn commit_import(
        &mut self,
        root: &HeldDir,
        pending: &mut Vec<Pending>,
        report: &mut ImportReport,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut objects: Vec<NewObject> = Vec::new();
        let mut revisions = Vec::new();
        let mut attached = 0;
        let sealed = (|| {
            for p in pending.drain(..) {
                let mut rev = p.rev;
                for (name, rel) in p.attachments {
                    let file = match open_rel(root, &rel) {
                        Ok(f) => f,
                        Err(reason) => {
                            report
                                .skipped
                                .push(format!("{rel}: not attached to {:?}: {reason}", rev.title));
                            continue;
                        }
                    };
                    match self.seal_file(&rev.note, file, Path::new(&rel), &name) {
                        Ok((a, obj)) => {
                            rev.attachments.push(a);
                            objects.push(obj);
                            attached += 1;
                        }
                        Err(e @ Error::DiskFull(_)) => return Err(e),
                        Err(e) => report
                            .skipped
                            .push(format!("{rel}: not attached to {:?}: {e}", rev.title)),
                    }
                }
                objects.push(self.seal_revision(&rev)?);
                revisions.push(rev);
            }
            Ok(())
        })();
        let temps: Vec<PathBuf> = objects
            .iter()
            .filter_map(|o| match &o.sealed {
                Sealed::TempFile(p) => Some(p.clone()),
                Sealed::Bytes(_) => None,
            })
            .collect();
        let notes = revisions.len();
        let result = sealed.and_then(|()| {
            self.transact(move |_| {
                Ok((
                    (),
                    Batch {
                        objects,
                        revisions,
                        purged: Vec::new(),
                    },
                ))
            })
        });
        if result.is_err() {
            for t in &temps {
                let _ = fs::remove_file(t);
            }
        }
        result?;
        report.notes += notes;
        report.attachments += attached;
        Ok(())
    }
}

/// The title, else the fallback (a file name), else "Untitled"; cleaned as `create` does.
fn clean_title(title: &str, fallback: &str) -> String {
    let t = if title.trim().is_empty() {
        fallback
    } else {
        title
    };
    crate::ops::clean_title(t)
}

/// As `create` cleans a notebook name: inner whitespace collapsed, empty means none.
fn clean_notebook(n: &str) -> Option<String> {
    crate::ops::clean_notebook(Some(n))
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// A file or folder name safe on every common file system: no `/ \ : * ? " < > |`, no
/// control characters, no leading dots or spaces, no trailing dots or spaces, not a reserved
/// Windows device name, at most [`MAX_NAME_BYTES`] bytes. Never empty.
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c.is_control()
                || crate::text::is_invisible(c)
                || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let collapsed = clean_spaces(&replaced);
    let trimmed = collapsed.trim_start_matches(['.', ' ']);
    let mut out = truncate_bytes(trimmed, MAX_NAME_BYTES)
        .trim_end_matches(['.', ' '])
        .to_string();
    if out.is_empty() {
        out = "Untitled".into();
    }
    let base = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit());
    if reserved {
        out.insert(0, '_');
    }
    out
}

/// Picks `<stem><ext>`, `<stem> (2)<ext>`, ... in the folder `dir` (at `shown`): not used yet
/// by this export (case-insensitively) and not on disk.
fn unique_name(
    used: &mut HashSet<String>,
    dir: &HeldDir,
    shown: &Path,
    stem: &str,
    ext: &str,
) -> String {
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{stem}{ext}")
        } else {
            format!("{stem} ({n}){ext}")
        };
        let key = shown.join(&name).to_string_lossy().to_lowercase();
        if !used.contains(&key) && !dir.has(&name) {
            used.insert(key);
            return name;
        }
        n += 1;
    }
}

/// Splits a file name into a stem and an extension (with its dot), for numbering.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => name.split_at(i),
        _ => (name, ""),
    }
}

/// Writes the new file `name` in `dir` (at `shown`) through a temp name, so no half-written
/// file ever carries its final name, and never through a link planted at either name.
fn write_new(
    dir: &HeldDir,
    shown: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let path = shown.join(name);
    let temp = format!("{}{}", fsutil::TEMP_PREFIX, Id::random());
    dir.write_new(&temp, name, |f| {
        let mut w = io::BufWriter::new(f);
        write(&mut w)?;
        w.flush()
            .map_err(Error::io(format!("writing {}", path.display())))
    })
    .map_err(|e| match e {
        WriteError::Io(e) => Error::io(format!("writing {}", path.display()))(e),
        WriteError::Fill(e) => e,
    })
}

/// The folder at `parts` below the export root, created (0700: exports are plaintext) when
/// missing, never through a link.
fn export_folder(root: &HeldDir, shown: &Path, parts: &[String]) -> Result<HeldDir> {
    root.dirs(parts.iter().map(String::as_str), true)
        .map_err(|r| {
            let mut path = shown.to_path_buf();
            path.extend(parts);
            match r {
                Refused::Link => Error::FolderLink { path },
                Refused::Io(e) => Error::io(format!("creating {}", path.display()))(e),
                Refused::Missing | Refused::WrongKind => Error::Invalid(format!(
                    "{} is not a folder (something else was put there during the export)",
                    path.display()
                )),
            }
        })
}

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The Markdown file of one exported note: front matter, a blank line, the body.
fn note_file_text(rev: &Revision, attachments: &[(String, String)]) -> String {
    let mut s = String::from("---\n");
    s.push_str(&format!("title: {}\n", json_str(&rev.title)));
    s.push_str(&format!(
        "tags: {}\n",
        serde_json::Value::from(rev.tags.clone())
    ));
    if let Some(nb) = &rev.notebook {
        s.push_str(&format!("notebook: {}\n", json_str(nb)));
    }
    s.push_str(&format!(
        "created: {}\n",
        json_str(&millis_to_rfc3339(rev.created))
    ));
    s.push_str(&format!(
        "updated: {}\n",
        json_str(&millis_to_rfc3339(rev.updated))
    ));
    s.push_str(&format!("pinned: {}\n", rev.pinned));
    if !attachments.is_empty() {
        s.push_str("attachments:\n");
        for (name, path) in attachments {
            if last_segment(path) == name {
                s.push_str(&format!("  - {}\n", json_str(path)));
            } else {
                s.push_str(&format!(
                    "  - {{\"name\": {}, \"path\": {}}}\n",
                    json_str(name),
                    json_str(path)
                ));
            }
        }
    }
    s.push_str("---\n\n");
    s.push_str(&rev.body);
    s
}

impl Vault {
    /// Writes every live note (not those in the trash) to `dir` as Markdown files with front
    /// matter, and their attachments beside them: see the [module documentation](crate::transfer).
    /// `dir` must be empty or absent. A note with unreconciled concurrent edits is exported as
    /// its current version. An attachment whose object is damaged is left out and reported
    /// in [`ExportReport::skipped`]; the rest of the export goes on.
    pub fn export_dir(&self, dir: &Path, progress: ProgressFn<'_>) -> Result<ExportReport> {
        match fs::symlink_metadata(dir) {
            Ok(m) if m.is_dir() => {
                let mut entries =
                    fs::read_dir(dir).map_err(Error::io(format!("reading {}", dir.display())))?;
                if entries.next().is_some() {
                    return Err(Error::Invalid(format!(
                        "{} is not empty; export writes into an empty or new folder only",
                        dir.display()
                    )));
                }
            }
            Ok(_) => {
                return Err(Error::Invalid(format!(
                    "{} exists and is not a folder; export writes into an empty or new folder",
                    dir.display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => fsutil::create_dirs(dir)
                .map_err(Error::io(format!("creating {}", dir.display())))?,
            Err(e) => return Err(Error::io(format!("reading {}", dir.display()))(e)),
        }
        let mut notes: Vec<(&Id, &Revision)> = self
            .state
            .notes
            .iter()
            .map(|(id, n)| (id, n.current()))
            .filter(|(_, r)| !r.deleted)
            .collect();
        notes.sort_by(|a, b| {
            (&a.1.notebook, &a.1.title, a.1.created, a.0).cmp(&(
                &b.1.notebook,
                &b.1.title,
                b.1.created,
                b.0,
            ))
        });
        let total = notes.len() as u64;
        let mut report = ExportReport::default();
        let mut used = HashSet::new();
        progress(&Progress {
            stage: "exporting".into(),
            done: 0,
            total,
        });
        let root = HeldDir::open(dir).map_err(Error::io(format!("opening {}", dir.display())))?;
        for (i, (id, rev)) in notes.into_iter().enumerate() {
            let parts: Vec<String> = rev
                .notebook
                .iter()
                .flat_map(|nb| nb.split('/'))
                .filter(|p| !p.trim().is_empty())
                .take(MAX_EXPORT_DEPTH)
                .map(|part| {
                    let mut p = safe_file_name(part);
                    if p.eq_ignore_ascii_case(ATTACHMENTS_DIR) {
                        p.push('_');
                    }
                    p
                })
                .collect();
            let mut shown = dir.to_path_buf();
            shown.extend(&parts);
            let folder = export_folder(&root, dir, &parts)?;
            let file_name = unique_name(
                &mut used,
                &folder,
                &shown,
                &safe_file_name(&rev.title),
                ".md",
            );
            let stem = &file_name[..file_name.len() - 3];
            let mut listed = Vec::new();
            if !rev.attachments.is_empty() {
                let mut aparts = parts.clone();
                aparts.extend([ATTACHMENTS_DIR.to_string(), stem.to_string()]);
                let adir = export_folder(&root, dir, &aparts)?;
                let ashown = shown.join(ATTACHMENTS_DIR).join(stem);
                for a in &rev.attachments {
                    let safe = safe_file_name(&a.name);
                    let (s, e) = split_ext(&safe);
                    let aname = unique_name(&mut used, &adir, &ashown, s, e);
                    match write_new(&adir, &ashown, &aname, |w| {
                        self.decrypt_attachment(id, a, w)
                    }) {
                        Ok(()) => {
                            report.attachments += 1;
                            listed.push((
                                a.name.clone(),
                                format!("{ATTACHMENTS_DIR}/{stem}/{aname}"),
                            ));
                        }
                        Err(e @ (Error::CorruptObject { .. } | Error::NoSuchAttachment { .. })) => {
                            report
                                .skipped
                                .push(format!("attachment {:?} of {:?}: {e}", a.name, rev.title));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            let text = note_file_text(rev, &listed);
            write_new(&folder, &shown, &file_name, |w| {
                w.write_all(text.as_bytes()).map_err(Error::io(format!(
                    "writing {}",
                    shown.join(&file_name).display()
                )))
            })?;
            report.notes += 1;
            let done = i as u64 + 1;
            if done.is_multiple_of(100) && done < total {
                progress(&Progress {
                    stage: "exporting".into(),
                    done,
                    total,
                });
            }
        }
        root.sync()
            .map_err(Error::io(format!("syncing {}", dir.display())))?;
        progress(&Progress {
            stage: "exporting".into(),
            done: total,
            total,
        });
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_formats_notes_use() {
        let t = |s: &str| parse_time(s).map(millis_to_rfc3339);
        assert_eq!(
            t("2023-01-02T03:04:05Z").as_deref(),
            Some("2023-01-02T03:04:05Z")
        );
        assert_eq!(
            t("2023-01-02 03:04Z").as_deref(),
            Some("2023-01-02T03:04:00Z")
        );
        assert_eq!(
            t("2023-01-02 03:04:05").as_deref(),
            Some("2023-01-02T03:04:05Z")
        );
        assert_eq!(t("2023-01-02").as_deref(), Some("2023-01-02T00:00:00Z"));
        assert_eq!(
            t("2023-01-02 03:04:05.25+02:00").as_deref(),
            Some("2023-01-02T01:04:05.25Z")
        );
        assert_eq!(
            t("2023-01-02T03:04 -0130").as_deref(),
            Some("2023-01-02T04:34:00Z")
        );
        for bad in [
            "",
            "yesterday",
            "2023-13-01",
            "2023-01-02 25:00",
            "2023-01-02 03:04 junk",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn front_matter_is_split_only_when_closed() {
        assert_eq!(
            split_front_matter("---\ntitle: x\n---\n\nbody\n"),
            Some(("title: x\n", "body\n"))
        );
        assert_eq!(
            split_front_matter("---\r\ntitle: x\r\n...\r\nbody"),
            Some(("title: x\r\n", "body"))
        );
        assert_eq!(split_front_matter("---\ntitle: x\nno end\n"), None);
        assert_eq!(split_front_matter("--- \n---"), Some(("", "")));
        assert_eq!(split_front_matter("# Title\n---\n"), None);
    }

    #[test]
    fn links_are_found_outside_code() {
        let body = "![a](../_resources/a%20b.png) [doc](file.pdf \"t\") ![[c.png|200]] [[Note]]\n\
                    [web](https://x.org/y.png) [anchor](#x) <img src=\"d.jpg\" width=10>\n\
                    ```\n![[e.png]]\n```\n";
        assert_eq!(
            link_targets(body),
            vec![
                "../_resources/a b.png",
                "file.pdf",
                "c.png",
                "Note",
                "d.jpg"
            ]
        );
    }

    #[test]
    fn relative_paths_stay_inside_the_root() {
        assert_eq!(join_rel("a/b", "../c.png").as_deref(), Some("a/c.png"));
        assert_eq!(join_rel("a", "./x/../y").as_deref(), Some("a/y"));
        assert_eq!(join_rel("a", "../../etc/passwd"), None);
    }

    #[test]
    fn safe_names() {
        assert_eq!(
            safe_file_name("a/b\\c:d*e?f\"g<h>i|j"),
            "a_b_c_d_e_f_g_h_i_j"
        );
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("...hidden. "), "hidden");
        assert_eq!(safe_file_name("\u{0}\n\t"), "___");
        assert_eq!(safe_file_name(""), "Untitled");
        assert_eq!(safe_file_name("con.txt"), "_con.txt");
        let long = safe_file_name(&"é".repeat(200));
        assert!(long.len() <= MAX_NAME_BYTES && long.chars().all(|c| c == 'é'));
    }
}
