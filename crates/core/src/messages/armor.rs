//! Messages as text: the age file in age's ASCII armor (PEM-style, `-----BEGIN AGE ENCRYPTED
//! FILE-----`), so it can travel through email, chat or a file and be opened by pasting it.
//! `age -d` reads the same block.

use super::envelope::MAX_MESSAGE_BYTES;
use crate::{Error, Result};
use age::armor::{ArmoredReader, ArmoredWriter, Format};
use std::io::{Read, Write};

/// The first line of an armored block.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
/// The last line of an armored block.
pub const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";
/// Longest armored text accepted (base64 of the largest message, with line breaks).
pub const MAX_ARMOR_CHARS: usize = MAX_MESSAGE_BYTES / 3 * 4 + MAX_MESSAGE_BYTES / 48 + 1024;

/// Wraps an age file in ASCII armor.
pub fn armor(ciphertext: &[u8]) -> Result<String> {
    let mut out = Vec::with_capacity(ciphertext.len() * 4 / 3 + 128);
    let mut w =
        ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(Error::io("armoring"))?;
    w.write_all(ciphertext)
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(Error::io("armoring"))?;
    String::from_utf8(out).map_err(|e| Error::Internal {
        what: "armor a message",
        reason: e.to_string(),
    })
}

/// Reads an armored block pasted from anywhere: surrounding whitespace is trimmed (age's reader
/// refuses leading whitespace) and CRLF line ends become LF. Exactly one block, nothing before
/// or after it.
pub fn dearmor(text: &str) -> Result<Vec<u8>> {
    let bad = |m: &str| Err(Error::BadArmor(m.to_string()));
    if text.len() > MAX_ARMOR_CHARS {
        return bad("the text is far longer than any message");
    }
    let t = text.trim();
    if t.is_empty() {
        return bad("the text is empty");
    }
    let Some(start) = t.find(ARMOR_BEGIN) else {
        return bad(&format!("no {ARMOR_BEGIN} line (copy the whole block)"));
    };
    if start != 0 {
        return bad(&format!(
            "there is text before the {ARMOR_BEGIN} line (paste only the block)"
        ));
    }
    if !t.ends_with(ARMOR_END) {
        return bad(&format!(
            "the block does not end with {ARMOR_END}: it is cut off, or text follows it"
        ));
    }
    let normalized;
    let t = if t.contains('\r') {
        normalized = t.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        t
    };
    let mut input = t.as_bytes().to_vec();
    input.push(b'\n');
    let mut out = Vec::new();
    ArmoredReader::new(&input[..])
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::BadArmor(format!("the block is damaged: {e}")))?;
    if out.len() > MAX_MESSAGE_BYTES {
        return bad("the message is too large");
    }
    if !out.starts_with(b"age-encryption.org/v1\n") {
        return bad("the block does not hold an age file");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_pasting() {
        let file = b"age-encryption.org/v1\n-> X25519 abc\nrest of the file".repeat(20);
        let a = armor(&file).unwrap();
        assert!(a.starts_with(ARMOR_BEGIN));
        assert_eq!(dearmor(&a).unwrap(), file);
        assert_eq!(dearmor(&format!("\n\n   {a}  \n")).unwrap(), file);
        assert_eq!(dearmor(&a.replace('\n', "\r\n")).unwrap(), file);
        for bad in [
            String::new(),
            "hello".into(),
            format!("Hi Bob,\n{a}"),
            a[..a.len() / 2].to_string(),
            a.replacen('A', "*", 1),
        ] {
            assert_eq!(dearmor(&bad).unwrap_err().code(), "bad_armor", "{bad:?}");
        }
    }
}
