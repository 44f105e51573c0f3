//! One revision of a note: Markdown with a front-matter header, so `age -d` prints a readable
//! note. Revisions are immutable objects; a note is the graph of its revisions.

use crate::object::{self, Header, Kind};
use crate::{Error, Id, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// The current time, in milliseconds since the Unix epoch (UTC).
pub fn now_millis() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Writes a time in milliseconds since the Unix epoch as RFC 3339 UTC text, as in note
/// headers (e.g. `2023-11-14T22:13:20.5Z`; fractions of a second only when not zero). A time
/// outside the years 0 to 9999 gives `1970-01-01T00:00:00Z`.
pub fn millis_to_rfc3339(ms: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A time for a sentence a person reads: `2026-12-02 14:49 UTC`.
pub fn millis_to_words(ms: Millis) -> String {
    let t = millis_to_rfc3339(ms);
    format!("{} {} UTC", &t[..10], &t[11..16])
}

/// Reads RFC 3339 text (any UTC offset) as milliseconds since the Unix epoch, dropping
/// finer fractions; `None` if it is not a valid RFC 3339 time.
pub fn rfc3339_to_millis(s: &str) -> Option<Millis> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A file attached to a note, stored as its own object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    /// The file's name, without folders; unique among the note's attachments (attaching
    /// another file of the same name replaces it).
    pub name: String,
    /// The id of the attachment object holding the encrypted bytes.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub object: Id,
    /// The file's size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// The plain content of one note revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The note this revision belongs to.
    pub note: Id,
    /// The revision's id, which is also the id of the object holding it.
    pub revision: Id,
    /// The revisions this one supersedes: none for a note's first revision, two or more
    /// for one that reconciles concurrent edits.
    pub parents: Vec<Id>,
    /// The note's title (Coffer writes it tidied, never empty).
    pub title: String,
    /// The note's tags (Coffer writes them tidied by [`clean_tag`], without repeats).
    pub tags: Vec<String>,
    /// The notebook the note is in, if any.
    pub notebook: Option<String>,
    /// Whether the note is pinned.
    pub pinned: bool,
    /// In the trash.
    pub deleted: bool,
    /// When the note was created, in milliseconds since the Unix epoch (UTC); later
    /// revisions keep it.
    pub created: Millis,
    /// When this revision was made, in milliseconds since the Unix epoch (UTC); Coffer
    /// makes it later than that of the revision edited.
    pub updated: Millis,
    /// The files attached to the note at this revision.
    pub attachments: Vec<Attachment>,
    /// The note's Markdown body.
    pub body: String,
}

impl Revision {
    /// The object's plaintext: header, Markdown body, padding.
    pub fn encode(&self, vault: &Id) -> Zeroizing<Vec<u8>> {
        let mut h = Header::new(Kind::Note, vault, &self.revision);
        h.set("note", json!(self.note.to_string()));
        h.set(
            "parents",
            json!(self.parents.iter().map(Id::to_string).collect::<Vec<_>>()),
        );
        h.set("title", json!(self.title));
        h.set("tags", json!(self.tags));
        h.set("notebook", json!(self.notebook));
        h.set("pinned", json!(self.pinned));
        h.set("deleted", json!(self.deleted));
        h.set("created", json!(millis_to_rfc3339(self.created)));
        h.set("updated", json!(millis_to_rfc3339(self.updated)));
        if !self.attachments.is_empty() {
            h.set("attachments", json!(self.attachments));
        }
        object::frame(&h, self.body.as_bytes())
    }

    /// Reads a decrypted note object, checking that it is the object `object` of `vault`.
    pub fn decode(data: &[u8], vault: &Id, object: &Id) -> Result<Revision> {
        let (h, body) = object::unframe(data, Kind::Note, vault, object)?;
        let bad = |m: &str| Error::corrupt(object, m.to_string());
        let strings = |key: &str| -> Result<Vec<String>> {
            match h.get(key) {
                None => Ok(Vec::new()),
                Some(v) => serde_json::from_value(v.clone()).map_err(|_| bad("bad list")),
            }
        };
        let time = |key: &str| -> Result<Millis> {
            h.get(key)
                .and_then(Value::as_str)
                .and_then(rfc3339_to_millis)
                .ok_or_else(|| bad("bad time"))
        };
        Ok(Revision {
            note: h.id("note").map_err(|_| bad("no note id"))?,
            revision: *object,
            parents: strings("parents")?
                .iter()
                .map(|s| s.parse())
                .collect::<Result<_>>()
                .map_err(|_| bad("bad parent id"))?,
            title: h.str("title").map_err(|_| bad("no title"))?.to_string(),
            tags: strings("tags")?,
            notebook: match h.get("notebook") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(bad("bad notebook")),
            },
            pinned: h.get("pinned").and_then(Value::as_bool).unwrap_or(false),
            deleted: h.get("deleted").and_then(Value::as_bool).unwrap_or(false),
            created: time("created")?,
            updated: time("updated")?,
            attachments: match h.get("attachments") {
                None => Vec::new(),
                Some(v) => serde_json::from_value(v.clone()).map_err(|_| bad("bad attachments"))?,
            },
            body: String::from_utf8(body.to_vec()).map_err(|_| bad("the body is not UTF-8"))?,
        })
    }
}

/// Tidies a tag: trimmed, no leading '#', inner whitespace as '-'. Empty tags are dropped.
pub fn clean_tag(tag: &str) -> Option<String> {
    let t = tag.trim().trim_start_matches('#').trim();
    if t.is_empty() {
        return None;
    }
    Some(t.split_whitespace().collect::<Vec<_>>().join("-"))
}

/// Characters of a note's excerpt in lists (and of a search snippet).
pub(crate) const EXCERPT_CHARS: usize = 160;

/// A line of Markdown as plain text, appended to `out`: no heading, quote or list marker, no
/// emphasis or link brackets ("## **Bold** [[Link]]" is "Bold Link"). False (nothing appended)
/// for a blank line or a code fence. One pass, no allocation: search snippets run it over every
/// hit's body on each keystroke.
fn push_plain_line(line: &str, out: &mut String) -> bool {
    let line = line
        .trim()
        .trim_start_matches(['#', '>', '-', '*', '+', ' '])
        .trim();
    if line.is_empty() || line.starts_with("```") {
        return false;
    }
    let b = line.as_bytes();
    let (mut i, mut kept) = (0, 0);
    while i < b.len() {
        let pair = |c: u8| b.get(i + 1) == Some(&c);
        // Every mark is ASCII, so `i` is on a character boundary whenever one is found.
        let skip = match b[i] {
            b'`' => 1,
            c @ (b'*' | b'_' | b'[' | b']') if pair(c) => 2,
            _ => 0,
        };
        if skip == 0 {
            i += 1;
            continue;
        }
        out.push_str(&line[kept..i]);
        i += skip;
        kept = i;
    }
    out.push_str(&line[kept..]);
    true
}

/// Whether a body's first line only repeats the note's title (a "# Title" heading).
fn repeats_title(first: &str, title: &str) -> bool {
    let t = title.trim();
    !t.is_empty() && first.trim().eq_ignore_ascii_case(t)
}

/// The start of a note's body as one line of plain text, for lists: Markdown marks left out,
/// and a first line that only repeats the title skipped.
pub(crate) fn excerpt(title: &str, body: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for line in body.lines() {
        let before = out.len();
        if before > 0 {
            out.push(' ');
        }
        if !push_plain_line(line, &mut out) {
            out.truncate(before);
            continue;
        }
        if std::mem::take(&mut first) && repeats_title(&out[before..], title) {
            out.truncate(before);
            continue;
        }
        if out.chars().count() >= EXCERPT_CHARS {
            break;
        }
    }
    out.chars().take(EXCERPT_CHARS).collect()
}

/// Each line of the body as plain text, as `excerpt` makes it (blank lines and code fences
/// left out, a first line that only repeats the title skipped), until `f` returns false. One
/// buffer for all the lines: search snippets read hits' bodies this way on each keystroke.
pub(crate) fn for_each_plain_line(title: &str, body: &str, mut f: impl FnMut(&str) -> bool) {
    let mut line_buf = String::new();
    let mut first = true;
    for line in body.lines() {
        line_buf.clear();
        if !push_plain_line(line, &mut line_buf) {
            continue;
        }
        if std::mem::take(&mut first) && repeats_title(&line_buf, title) {
            continue;
        }
        if !f(&line_buf) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_plain_text() {
        let body = "# Title\n\nPlant **tomatoes** in May.\nSee [[Seeds]] and `code`.\n- [x] done file_name";
        assert_eq!(
            super::excerpt("Garden", body),
            "Title Plant tomatoes in May. See Seeds and code. [x] done file_name"
        );
        // A first heading that only repeats the title is not shown again.
        assert_eq!(
            super::excerpt("title", body),
            "Plant tomatoes in May. See Seeds and code. [x] done file_name"
        );
        let mut lines = Vec::new();
        super::for_each_plain_line("Title", body, |l| {
            lines.push(l.to_string());
            true
        });
        assert_eq!(
            lines,
            [
                "Plant tomatoes in May.",
                "See Seeds and code.",
                "[x] done file_name"
            ]
        );
        // Marks are taken out in one pass; a lone mark stays.
        let mut out = String::new();
        assert!(super::push_plain_line(
            "> a_b * c ``x`` [[[y]]] ***z",
            &mut out
        ));
        assert_eq!(out, "a_b * c x [y] *z");
        assert!(!super::push_plain_line("```rust", &mut out));
    }

    use super::*;

    pub(crate) fn sample() -> Revision {
        Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![Id::random()],
            title: "Groceries: \"milk\"".into(),
            tags: vec!["home".into(), "todo".into()],
            notebook: Some("Personal".into()),
            pinned: true,
            deleted: false,
            created: 1_700_000_000_000,
            updated: 1_700_000_100_000,
            attachments: vec![],
            body: "# Milk\n\n- eggs\n".into(),
        }
    }

    #[test]
    fn revision_round_trips() {
        let r = sample();
        let v = Id::random();
        let data = r.encode(&v);
        assert!(!data.is_empty());
        assert_eq!(Revision::decode(&data, &v, &r.revision).unwrap(), r);
    }
}
