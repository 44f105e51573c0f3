//! The text of attachments, for search: plain-text files and PDFs, read from their decrypted
//! bytes in memory (never written anywhere) and indexed apart from the notes, so that a hit
//! names the attachment it was found in. What is read is kept for the unlock (by attachment
//! object: an object never changes), so each attachment is decrypted once.

use super::{DocInput, SearchIndex};
use crate::Id;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

pub mod pdf_reader;

/// Text files larger than this are not read for search.
pub const MAX_TEXT_FILE: u64 = 16 << 20;
/// PDFs larger than this are not read for search.
pub const MAX_PDF: u64 = 64 << 20;
/// The text kept of one attachment, in bytes (the rest is not searched).
pub const MAX_TEXT: usize = 1 << 20;
/// The text kept of all attachments together, in bytes (what comes after is not searched).
pub const MAX_TOTAL_TEXT: usize = 256 << 20;

/// What kind of file an attachment is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readable {
    /// UTF-8 text (Markdown, CSV, JSON, source code ...).
    Text,
    /// A PDF: its text as pdf-extract reads it.
    Pdf,
}

/// Extensions of files read as text.
const TEXT_EXTENSIONS: &[&str] = &[
    "txt", "text", "md", "markdown", "csv", "tsv", "json", "xml", "html", "htm", "log", "ini",
    "toml", "yaml", "yml", "org", "tex", "rst", "srt", "vtt", "eml", "ics", "vcf", "rs", "py",
    "js", "ts", "c", "h", "go", "java", "sh", "sql",
];

/// Whether an attachment is read for search, by its name and size (nothing is decrypted for
/// a file that is neither text nor a PDF).
pub fn readable(name: &str, size: u64) -> Option<Readable> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    if ext == "pdf" {
        (size <= MAX_PDF).then_some(Readable::Pdf)
    } else if TEXT_EXTENSIONS.contains(&ext.as_str()) {
        (size <= MAX_TEXT_FILE).then_some(Readable::Text)
    } else {
        None
    }
}

/// The text of an attachment's bytes, cut to [`MAX_TEXT`]; `Err` says why there is none (not
/// UTF-8 text, not a PDF, a PDF that cannot be read or that needs more memory or time than
/// its reader may take: see [`pdf_reader`]).
pub fn text_of(kind: Readable, bytes: &[u8]) -> Result<String, String> {
    let text = match kind {
        Readable::Text => match std::str::from_utf8(bytes) {
            Ok(t) if !t.contains('\0') => t.to_string(),
            _ => return Err("not UTF-8 text".into()),
        },
        Readable::Pdf => pdf_reader::read(bytes)?,
    };
    Ok(cut(text))
}

/// `text` cut to at most [`MAX_TEXT`] bytes, on a character boundary.
fn cut(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut at = MAX_TEXT;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

/// An attachment of a live note, as the search sees it.
#[derive(Clone, Debug)]
pub struct Current<'a> {
    /// The note it is attached to.
    pub note: Id,
    /// Its object (the index's key for it).
    pub object: Id,
    /// Its file name (indexed like a title).
    pub name: &'a str,
}

/// An attachment whose text matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The note it is attached to.
    pub note: Id,
    /// Its object.
    pub object: Id,
    /// Its file name.
    pub name: String,
    /// How well it matched (comparable within one search only).
    pub score: f32,
}

/// The text read of attachments, and an index of it.
#[derive(Default)]
pub struct AttachmentSearch {
    /// By object: its text, or `None` if it has none (or cannot be read).
    read: HashMap<Id, Option<String>>,
    /// The text kept, in bytes.
    total: usize,
    /// By object, the note and name each indexed attachment was indexed under.
    indexed: HashMap<Id, (Id, String)>,
    index: Option<SearchIndex>,
}

impl AttachmentSearch {
    /// Whether the attachment still has to be read.
    pub fn wants(&self, object: &Id) -> bool {
        !self.read.contains_key(object)
    }

    /// Keeps what was read of an attachment (`None`: nothing to search). Beyond
    /// [`MAX_TOTAL_TEXT`] in all, text is not kept.
    pub fn insert(&mut self, object: Id, text: Option<String>) {
        let text = text.filter(|t| self.total + t.len() <= MAX_TOTAL_TEXT);
        self.total += text.as_ref().map_or(0, String::len);
        if let Some(Some(old)) = self.read.insert(object, text) {
            self.total -= old.len();
        }
    }

    /// How many attachments have text kept for search.
    pub fn texts(&self) -> usize {
        self.read.values().filter(|t| t.is_some()).count()
    }

    /// The text kept of an attachment, if any.
    pub fn text(&self, object: &Id) -> Option<&str> {
        self.read.get(object)?.as_deref()
    }

    /// Brings the index up to date with the attachments of live notes now (those read so
    /// far), then searches it.
    pub fn search(&mut self, current: &[Current<'_>], query: &str, limit: usize) -> Vec<Found> {
        self.update(current);
        let Some(index) = &self.index else {
            return Vec::new();
        };
        index
            .search(query, limit)
            .into_iter()
            .filter_map(|(object, score)| {
                let (note, name) = self.indexed.get(&object)?;
                Some(Found {
                    note: *note,
                    object,
                    name: name.clone(),
                    score,
                })
            })
            .collect()
    }

    /// The attachments the index holds (as the last [`AttachmentSearch::search`] brought it up
    /// to date) whose text has `word`, whole or as the start of a word.
    pub fn with_word(&self, word: &str) -> HashSet<Id> {
        self.index
            .as_ref()
            .map(|i| i.notes_with(word))
            .unwrap_or_default()
    }

    fn update(&mut self, current: &[Current<'_>]) {
        let index = self.index.get_or_insert_with(|| {
            SearchIndex::build(&[], &AtomicBool::new(false)).expect("not cancelled")
        });
        let now: HashSet<Id> = current.iter().map(|c| c.object).collect();
        let gone: Vec<Id> = self
            .indexed
            .keys()
            .filter(|o| !now.contains(o))
            .copied()
            .collect();
        let mut changed = !gone.is_empty();
        for o in gone {
            index.remove(&o);
            self.indexed.remove(&o);
        }
        for c in current {
            if self
                .indexed
                .get(&c.object)
                .is_some_and(|(note, name)| *note == c.note && name == c.name)
            {
                continue;
            }
            let Some(Some(text)) = self.read.get(&c.object) else {
                continue;
            };
            index.upsert_doc(&DocInput {
                note: c.object,
                title: c.name,
                tags: &[],
                deleted: false,
                body: text,
            });
            self.indexed.insert(c.object, (c.note, c.name.to_string()));
            changed = true;
        }
        if changed {
            index.compact();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_files_and_pdfs_of_a_sane_size_are_read() {
        assert_eq!(readable("Notes.TXT", 10), Some(Readable::Text));
        assert_eq!(readable("scan.pdf", 10), Some(Readable::Pdf));
        assert_eq!(readable("scan.pdf", MAX_PDF + 1), None);
        assert_eq!(readable("big.csv", MAX_TEXT_FILE + 1), None);
        assert_eq!(readable("photo.jpg", 10), None);
        assert_eq!(readable("README", 10), None);
    }

    #[test]
    fn bad_bytes_have_no_text() {
        assert!(text_of(Readable::Text, b"\xff\xfe binary").is_err());
        assert!(text_of(Readable::Text, b"nul \0 inside").is_err());
        assert!(text_of(Readable::Pdf, b"plain text, not a PDF").is_err());
        assert!(text_of(Readable::Pdf, b"%PDF-1.4\n garbage that is no PDF").is_err());
        let long = "é".repeat(MAX_TEXT);
        let kept = text_of(Readable::Text, long.as_bytes()).unwrap();
        assert!(kept.len() <= MAX_TEXT && kept.chars().all(|c| c == 'é'));
    }

    #[test]
    fn hits_name_the_attachment_and_follow_the_notes() {
        let (n1, n2) = (Id::from_bytes([1; 16]), Id::from_bytes([2; 16]));
        let (o1, o2) = (Id::from_bytes([3; 16]), Id::from_bytes([4; 16]));
        let mut s = AttachmentSearch::default();
        s.insert(o1, Some("Invoice for the roof repair".into()));
        s.insert(o2, None);
        let both = [
            Current {
                note: n1,
                object: o1,
                name: "invoice.txt",
            },
            Current {
                note: n2,
                object: o2,
                name: "photo.pdf",
            },
        ];
        let hits = s.search(&both, "roof", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].note, hits[0].name.as_str()), (n1, "invoice.txt"));
        // The file name is searched too; an attachment no longer current is not found.
        assert_eq!(s.search(&both, "invoice", 10).len(), 1);
        assert!(s.search(&both[1..], "roof", 10).is_empty());
        assert_eq!(s.texts(), 1);
    }
}
