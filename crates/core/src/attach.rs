//! Attachments: files of any size, streamed through age without being held in memory.
//! An attachment object's plaintext is the usual header, then the file's bytes, then padding.
//! On the way out, bytes go to a temp file beside the destination, which is moved into place
//! only once the whole object has authenticated and its SHA-256 matches the note's record.

use crate::crypto::{self, padme};
use crate::log::ObjectKind;
use crate::note::Attachment;
use crate::object::{Header, Kind, MAX_HEADER};
use crate::search::attachments::{Readable, readable, text_of};
use crate::store::{NewObject, Sealed};
use crate::vault::Vault;
use crate::{Error, Id, Result, fsutil};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use zeroize::Zeroizing;

const CHUNK: usize = 64 * 1024;

/// Room reserved at most before an attachment is read into memory (its recorded size is the
/// sender's word until the bytes authenticate).
const MAX_PREALLOCATED: u64 = 16 << 20;

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn valid_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty()
        || n.contains(['/', '\\'])
        || crate::text::unsafe_in_name(n).is_some()
        || n == "."
        || n == ".."
        || n.len() > 255
    {
        return Err(Error::Invalid(format!(
            "{name:?} is not a usable file name"
        )));
    }
    Ok(n.to_string())
}

/// An attachment decrypted for search, its text not read yet ([`Vault::next_attachment_to_read`]).
pub struct AttachmentToRead {
    of: AttachedTo,
    kind: Readable,
    bytes: Zeroizing<Vec<u8>>,
}

/// What an attachment read for search belongs to.
enum AttachedTo {
    /// A note's: its object.
    Note(Id),
    /// A message's: the message and the attachment's name.
    Message(Id, String),
}

/// The text read of an attachment (`None`: it has none), for [`Vault::keep_attachment_text`].
pub struct AttachmentText {
    of: AttachedTo,
    text: Option<String>,
}

impl AttachmentText {
    /// Whether any text was read (search may now find more).
    pub fn has_text(&self) -> bool {
        self.text.as_ref().is_some_and(|t| !t.is_empty())
    }
}

impl AttachmentToRead {
    /// How it is read: as text, or as a PDF.
    pub fn kind(&self) -> Readable {
        self.kind
    }

    /// Reads its text (a PDF in a child process with limits: see
    /// [`crate::search::attachments::pdf_reader`]); its bytes are wiped.
    pub fn read(self) -> AttachmentText {
        AttachmentText {
            of: self.of,
            text: text_of(self.kind, &self.bytes).ok(),
        }
    }
}

impl Vault {
    /// Reads, for search, the text of the attachments of live notes and of messages not read
    /// yet: plain-text files and PDFs ([`crate::search::attachments`]), decrypted into memory
    /// only (the bytes are wiped after), never written anywhere. One that cannot be decrypted
    /// or read has no text (`coffer verify` names damaged objects). With a `budget`, stops once
    /// it is spent (after the attachment under way); returns how many of the notes' are left
    /// to read. (The app reads them one at a time with [`Vault::next_attachment_to_read`]
    /// instead, so that a PDF's reading holds no lock.)
    pub fn read_attachments_for_search(&mut self, budget: Option<std::time::Duration>) -> usize {
        let started = std::time::Instant::now();
        loop {
            if budget.is_some_and(|b| started.elapsed() >= b) {
                return self.attachments_to_read().len();
            }
            let Some(next) = self.next_attachment_to_read() else {
                return 0;
            };
            let read = next.read();
            self.keep_attachment_text(read);
        }
    }

    /// The live notes' attachments whose text search has not read yet, each with how it is
    /// read; those that are neither text nor PDFs are marked as read (with no text) on the way.
    fn attachments_to_read(&mut self) -> Vec<(Id, Attachment, Readable)> {
        let todo: Vec<(Id, Attachment)> = self
            .state
            .live_attachments()
            .filter(|(_, a)| self.attachment_search.wants(&a.object))
            .map(|(id, a)| (id, a.clone()))
            .collect();
        let mut readable_ones = Vec::with_capacity(todo.len());
        for (note, a) in todo {
            match readable(&a.name, a.size) {
                Some(kind) => readable_ones.push((note, a, kind)),
                None => self.attachment_search.insert(a.object, None),
            }
        }
        readable_ones
    }

    /// The next attachment whose text search has not read yet, decrypted into memory, to be
    /// read with [`AttachmentToRead::read`] (which needs no vault: a PDF can take seconds)
    /// and given back with [`Vault::keep_attachment_text`]. `None` once all are read. One that
    /// cannot be decrypted is marked as read, with no text.
    pub fn next_attachment_to_read(&mut self) -> Option<AttachmentToRead> {
        for (note, a, kind) in self.attachments_to_read() {
            let mut bytes =
                Zeroizing::new(Vec::with_capacity(a.size.min(MAX_PREALLOCATED) as usize));
            match self.decrypt_attachment(&note, &a, &mut *bytes) {
                Ok(()) => {
                    return Some(AttachmentToRead {
                        of: AttachedTo::Note(a.object),
                        kind,
                        bytes,
                    });
                }
                Err(_) => self.attachment_search.insert(a.object, None),
            }
        }
        // Then those of messages (their bytes are in the message; other people sent them, so
        // a PDF's text is read in a child process like any other).
        let (message, name, kind, bytes) = self.next_message_attachment_to_read()?;
        Some(AttachmentToRead {
            of: AttachedTo::Message(message, name),
            kind,
            bytes,
        })
    }

    /// Keeps, for search, the text read of an attachment.
    pub fn keep_attachment_text(&mut self, read: AttachmentText) {
        match read.of {
            AttachedTo::Note(object) => self.attachment_search.insert(object, read.text),
            AttachedTo::Message(message, name) => {
                self.keep_message_attachment_text(message, name, read.text)
            }
        }
    }

    /// Attaches a file to a note (replacing an attachment of the same name in the new
    /// revision; the old one stays in history). Returns the attachment.
    pub fn attach(&mut self, id: &Id, path: &Path, name: Option<&str>) -> Result<Attachment> {
        let name = match name {
            Some(n) => valid_name(n)?,
            None => valid_name(
                &path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )?,
        };
        self.state.note(id)?;
        self.ensure_keys()?;
        let file = File::open(path).map_err(Error::io(format!("opening {}", path.display())))?;
        let (attachment, object) = self.seal_file(id, file, path, &name)?;
        let a = attachment.clone();
        self.revise_with(id, None, vec![object], move |r| {
            r.attachments.retain(|x| x.name != a.name);
            r.attachments.push(a);
            Ok(())
        })?;
        Ok(attachment)
    }

    /// Encrypts an open file (`path` names it in errors) into a finished temp object file.
    pub(crate) fn seal_file(
        &self,
        note: &Id,
        file: File,
        path: &Path,
        name: &str,
    ) -> Result<(Attachment, NewObject)> {
        let ctx = |what: &str| format!("{what} {}", path.display());
        let size = file.metadata().map_err(Error::io(ctx("reading")))?.len();
        let object = Id::random();
        let mut h = Header::new(Kind::Attachment, &self.store.config.vault, &object);
        h.set("note", json!(note.to_string()));
        h.set("name", json!(name));
        let head = h.encode(size);
        let padded = padme(head.len() as u64 + size);
        let dest = self.store.layout.object(&object);
        let dir = dest.parent().expect("objects have a folder");
        fsutil::create_dirs(dir).map_err(Error::io("creating an object folder"))?;
        let tmp = fsutil::temp_path(dir);
        let result = (|| {
            let out = fsutil::new_private_file()
                .open(&tmp)
                .map_err(Error::io("creating a temp file"))?;
            let mut ct_hash = HashingWriter {
                inner: io::BufWriter::new(out),
                hash: Sha256::new(),
            };
            let mut w = crypto::encrypt_stream(&[&self.store.write_recipient()], &mut ct_hash)?;
            w.write_all(head.as_bytes())
                .map_err(Error::io("encrypting"))?;
            let mut plain_hash = Sha256::new();
            let mut reader = BufReader::with_capacity(CHUNK, file.take(size));
            let mut buf = vec![0u8; CHUNK];
            let mut copied = 0u64;
            loop {
                let n = reader.read(&mut buf).map_err(Error::io(ctx("reading")))?;
                if n == 0 {
                    break;
                }
                plain_hash.update(&buf[..n]);
                w.write_all(&buf[..n])
                    .map_err(Error::io("writing the attachment"))?;
                copied += n as u64;
            }
            if copied != size {
                return Err(Error::ChangedWhileRead(path.to_path_buf()));
            }
            let mut pad = padded - head.len() as u64 - size;
            let newlines = [b'\n'; CHUNK];
            while pad > 0 {
                let n = pad.min(CHUNK as u64) as usize;
                w.write_all(&newlines[..n])
                    .map_err(Error::io("writing the attachment"))?;
                pad -= n as u64;
            }
            w.finish().map_err(Error::io("writing the attachment"))?;
            ct_hash
                .flush()
                .map_err(Error::io("writing the attachment"))?;
            let sha = hex::encode(ct_hash.hash.finalize());
            Ok((
                Attachment {
                    name: name.to_string(),
                    object,
                    size,
                    sha256: hex::encode(plain_hash.finalize()),
                },
                NewObject {
                    id: object,
                    kind: ObjectKind::Attachment,
                    sealed: Sealed::TempFile(tmp.clone()),
                    sha256: sha,
                },
            ))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Writes an attachment of a note's current revision to `to` (which must not exist).
    pub fn extract(&self, id: &Id, name: &str, to: &Path) -> Result<()> {
        let n = self.state.note(id)?;
        let a = n
            .current()
            .attachments
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Error::no_such_attachment(id, name))?
            .clone();
        if to.exists() {
            return Err(Error::FileExists(to.to_path_buf()));
        }
        let dir = fsutil::folder_of(to);
        let tmp = fsutil::temp_path(dir);
        let result = (|| {
            let out = fsutil::new_private_file()
                .open(&tmp)
                .map_err(Error::io(format!("creating a file in {}", dir.display())))?;
            let mut out = io::BufWriter::new(out);
            self.decrypt_attachment(id, &a, &mut out)?;
            out.flush().map_err(Error::io("writing"))?;
            fsutil::commit_temp(&tmp, to)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Streams an attachment's bytes into `out`, checking everything. If this returns an error
    /// the bytes written so far must be thrown away (they were not authenticated).
    pub fn decrypt_attachment(&self, note: &Id, a: &Attachment, out: &mut dyn Write) -> Result<()> {
        let obj = a.object;
        let path = self.store.layout.object(&obj);
        let f = File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::corrupt(obj, "the attachment's file is missing")
            } else {
                Error::io(format!("reading {}", path.display()))(e)
            }
        })?;
        let dec = age::Decryptor::new_buffered(BufReader::new(f))
            .map_err(|e| Error::corrupt(obj, format!("cannot decrypt: {e}")))?;
        let mut r = dec
            .decrypt(
                self.store
                    .read_identities()
                    .into_iter()
                    .map(|i| i as &dyn age::Identity),
            )
            .map_err(|e| Error::corrupt(obj, format!("cannot decrypt: {e}")))?;
        let bad = |e: io::Error| Error::corrupt(obj, format!("damaged or truncated: {e}"));
        // The header: read until the closing "---" line.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\n---\n") || head.len() < 8 {
            if head.len() >= MAX_HEADER {
                return Err(Error::corrupt(obj, "header too large"));
            }
            let n = r.read(&mut byte).map_err(bad)?;
            if n == 0 {
                return Err(Error::corrupt(obj, "no header"));
            }
            head.push(byte[0]);
        }
        let (h, size, _) = Header::decode(&head).map_err(|e| Error::corrupt(obj, e.to_string()))?;
        h.check_binding(Kind::Attachment, &self.store.config.vault, &obj)?;
        if h.id("note").ok().as_ref() != Some(note) || size != a.size {
            return Err(Error::corrupt(
                obj,
                "it belongs to another note or has another size",
            ));
        }
        let mut hash = Sha256::new();
        let mut left = size;
        let mut buf = vec![0u8; CHUNK];
        while left > 0 {
            let want = left.min(CHUNK as u64) as usize;
            let n = r.read(&mut buf[..want]).map_err(bad)?;
            if n == 0 {
                return Err(Error::corrupt(obj, "truncated"));
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(Error::io("writing"))?;
            left -= n as u64;
        }
        // The padding, to the end: reading to EOF authenticates the last chunk.
        loop {
            let n = r.read(&mut buf).map_err(bad)?;
            if n == 0 {
                break;
            }
            if !buf[..n].iter().all(|b| *b == b'\n') {
                return Err(Error::corrupt(obj, "unexpected bytes after the content"));
            }
        }
        if hex::encode(hash.finalize()) != a.sha256 {
            return Err(Error::corrupt(
                obj,
                "its content differs from what the note recorded",
            ));
        }
        Ok(())
    }
}
