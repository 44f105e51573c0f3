//! The plaintext framing shared by every object: a front-matter header whose lines are
//! `key: <JSON value>` (valid YAML too), then `body-bytes` bytes of content, then padding.
//!
//! ```text
//! ---
//! coffer: 1
//! kind: "note"
//! vault: "<vault id>"
//! object: "<object id>"
//! ...kind-specific keys...
//! body-bytes: 123
//! ---
//! <body><padding: '\n' bytes up to the Padmé length>
//! ```
//! The vault id, object id and kind are bound inside the encryption (age has no associated
//! data): an object copied under another name or into another vault is detected on read.

use crate::crypto::padme;
use crate::{Error, Id, Result};
use serde_json::Value;
use zeroize::Zeroizing;

/// Version of the object framing.
pub const OBJECT_FORMAT: u64 = 1;
/// Largest header accepted when reading (a hostile object cannot make us buffer more).
pub const MAX_HEADER: usize = 1 << 20;

/// The kinds of object a vault holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One revision of a note.
    Note,
    /// The bytes of an attached file.
    Attachment,
    /// One revision of a contact (or of the user's own messaging profile).
    Contact,
    /// One signed message, sent or received.
    Message,
    /// A conversation's read marker.
    Conversation,
}

impl Kind {
    /// The kind's name as written in an object's `kind` header line, e.g. `"note"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Note => "note",
            Kind::Attachment => "attachment",
            Kind::Contact => "contact",
            Kind::Message => "message",
            Kind::Conversation => "conversation",
        }
    }
}

/// An object's header: ordered keys with JSON values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Header {
    /// The header lines in order, each a key and its JSON value. [`Header::set`] keeps
    /// keys unique and [`Header::decode`] refuses repeats.
    pub fields: Vec<(String, Value)>,
}

impl Header {
    /// A header with the binding fields every object carries.
    pub fn new(kind: Kind, vault: &Id, object: &Id) -> Header {
        let mut h = Header::default();
        h.set("coffer", Value::from(OBJECT_FORMAT));
        h.set("kind", Value::from(kind.as_str()));
        h.set("vault", Value::from(vault.to_string()));
        h.set("object", Value::from(object.to_string()));
        h
    }

    /// Sets `key` to `v`: replaces the value in place if the key is there, else adds the
    /// key at the end.
    pub fn set(&mut self, key: &str, v: Value) {
        if let Some(slot) = self.fields.iter_mut().find(|(k, _)| k == key) {
            slot.1 = v;
        } else {
            self.fields.push((key.to_string(), v));
        }
    }

    /// The value of `key`, or `None` if the header has no such key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key` as a string; fails with `Error::Invalid` if it is missing or not
    /// a JSON string.
    pub fn str(&self, key: &str) -> Result<&str> {
        self.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Invalid(format!("header field {key:?} missing or not a string")))
    }

    /// The value of `key` as an id (32 lowercase hex digits); fails with `Error::Invalid`
    /// if it is missing, not a string or not an id.
    pub fn id(&self, key: &str) -> Result<Id> {
        self.str(key)?.parse()
    }

    /// Checks the binding fields against what the reader expected.
    pub fn check_binding(&self, kind: Kind, vault: &Id, object: &Id) -> Result<()> {
        let fail = |m: String| Err(Error::corrupt(object, m));
        match self.get("coffer").and_then(Value::as_u64) {
            Some(OBJECT_FORMAT) => {}
            Some(v) => return fail(format!("object format {v} is not supported")),
            None => return fail("no format version".into()),
        }
        if self.str("kind").ok() != Some(kind.as_str()) {
            return fail(format!("it is not a {} object", kind.as_str()));
        }
        if self.id("vault").ok().as_ref() != Some(vault) {
            return fail("it belongs to another vault".into());
        }
        if self.id("object").ok().as_ref() != Some(object) {
            return fail("it was copied or renamed from another object".into());
        }
        Ok(())
    }

    /// The header's text, including both `---` lines, with `body-bytes` last.
    pub fn encode(&self, body_len: u64) -> String {
        let mut s = String::from("---\n");
        for (k, v) in &self.fields {
            if k == "body-bytes" {
                continue;
            }
            s.push_str(k);
            s.push_str(": ");
            s.push_str(&v.to_string());
            s.push('\n');
        }
        s.push_str(&format!("body-bytes: {body_len}\n---\n"));
        s
    }

    /// Parses a header from the start of `data`; returns it with the body length and the
    /// offset where the body starts.
    pub fn decode(data: &[u8]) -> Result<(Header, u64, usize)> {
        let bad = |m: &str| Error::Invalid(format!("object header: {m}"));
        let data = &data[..data.len().min(MAX_HEADER)];
        let rest = data
            .strip_prefix(b"---\n")
            .ok_or_else(|| bad("does not start with ---"))?;
        let mut pos = 4;
        let mut h = Header::default();
        let mut lines = rest.split_inclusive(|b| *b == b'\n');
        loop {
            let line = lines.next().ok_or_else(|| bad("unterminated"))?;
            pos += line.len();
            let line = line
                .strip_suffix(b"\n")
                .ok_or_else(|| bad("unterminated"))?;
            if line == b"---" {
                break;
            }
            let line = std::str::from_utf8(line).map_err(|_| bad("not UTF-8"))?;
            let (k, v) = line
                .split_once(": ")
                .ok_or_else(|| bad("a line without a key"))?;
            let v: Value = serde_json::from_str(v).map_err(|_| bad("a value that is not JSON"))?;
            if h.get(k).is_some() {
                return Err(bad("a repeated key"));
            }
            h.fields.push((k.to_string(), v));
        }
        let body_len = h
            .get("body-bytes")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("no body-bytes"))?;
        Ok((h, body_len, pos))
    }
}

/// Frames a header and body and pads the whole to its Padmé length.
pub fn frame(header: &Header, body: &[u8]) -> Zeroizing<Vec<u8>> {
    let head = header.encode(body.len() as u64);
    let len = (head.len() + body.len()) as u64;
    let padded = padme(len) as usize;
    let mut out = Zeroizing::new(Vec::with_capacity(padded));
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    out.resize(padded, b'\n');
    out
}

/// Splits a decrypted object into its header and body, checking the binding and padding.
pub fn unframe<'a>(
    data: &'a [u8],
    kind: Kind,
    vault: &Id,
    object: &Id,
) -> Result<(Header, &'a [u8])> {
    let (h, body_len, start) =
        Header::decode(data).map_err(|e| Error::corrupt(object, e.to_string()))?;
    h.check_binding(kind, vault, object)?;
    let end = start
        .checked_add(usize::try_from(body_len).unwrap_or(usize::MAX))
        .filter(|end| *end <= data.len())
        .ok_or_else(|| Error::corrupt(object, "the body is shorter than its header says"))?;
    if !data[end..].iter().all(|b| *b == b'\n') {
        return Err(Error::corrupt(object, "unexpected bytes after the body"));
    }
    Ok((h, &data[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trips_and_binds() {
        let (v, o) = (Id::random(), Id::random());
        let mut h = Header::new(Kind::Note, &v, &o);
        h.set("title", Value::from("a \"quoted\"\ntitle"));
        let data = frame(&h, b"body\n");
        let (h2, body) = unframe(&data, Kind::Note, &v, &o).unwrap();
        assert_eq!(body, b"body\n");
        assert_eq!(h2.str("title").unwrap(), "a \"quoted\"\ntitle");
        assert!(unframe(&data, Kind::Note, &Id::random(), &o).is_err());
        assert!(unframe(&data, Kind::Note, &v, &Id::random()).is_err());
        assert!(unframe(&data, Kind::Attachment, &v, &o).is_err());
        assert!(unframe(&data[..data.len() / 2], Kind::Note, &v, &o).is_err());
    }
}
