//! Search inside attachments (issue 15): the text of plain-text files and PDFs is found, a hit
//! names the attachment, the query's filters apply, and files that are not text (or are
//! damaged, or hostile) have no text and break nothing. Real vaults, real encrypted
//! attachments, a real PDF (written here, byte by byte, with its cross-reference table).
#![allow(clippy::unwrap_used)]

use coffer_core::search::attachments::{Readable, text_of};
use coffer_core::secrecy::SecretString;
use coffer_core::{InitOptions, LockedVault, NewNote, Vault};
use std::path::Path;
use std::time::Duration;

fn pass() -> SecretString {
    SecretString::from("pw".to_string())
}

/// A one-page PDF showing `lines` in Helvetica (WinAnsi: Latin-1 letters such as "é").
fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT /F1 14 Tf 72 720 Td 18 TL".to_vec();
    for l in lines {
        content.extend(b" (");
        content.extend(l.chars().map(|c| u8::try_from(u32::from(c)).unwrap()));
        content.extend(b") Tj T*");
    }
    content.extend(b" ET");
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend(&content);
    stream.extend(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream,
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

fn attach(v: &mut Vault, note: &coffer_core::Id, dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    v.attach(note, &path, None).unwrap();
}

fn found(v: &mut Vault, query: &str) -> Vec<(String, Option<String>)> {
    v.search(query, 20)
        .into_iter()
        .map(|h| {
            let title: String = h.title.iter().map(|s| s.text.as_str()).collect();
            (title, h.attachment)
        })
        .collect()
}

#[test]
fn the_text_of_text_files_and_pdfs_is_found_and_the_hit_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    let root = dir.path().join("v");
    let mut v = Vault::init(&root, &pass(), &InitOptions { work_factor: 2 }).unwrap();
    let house = v
        .create(NewNote {
            title: "House".into(),
            body: "Papers for the house.".into(),
            tags: vec!["home".into()],
            ..Default::default()
        })
        .unwrap();
    attach(
        &mut v,
        &house,
        &files,
        "statement.pdf",
        &pdf(&["Quarterly tax statement", "Paid at the caf\u{e9} on Monday"]),
    );
    attach(
        &mut v,
        &house,
        &files,
        "invoice.txt",
        "Roof repair invoice.\n明天在会议室付款。".as_bytes(),
    );
    // Not text, damaged, or hostile: no text, nothing breaks.
    attach(
        &mut v,
        &house,
        &files,
        "photo.jpg",
        &[0xff, 0xd8, 0xff, 0xe0, 1, 2, 3],
    );
    attach(
        &mut v,
        &house,
        &files,
        "broken.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 99 0 R >> garbage",
    );
    attach(
        &mut v,
        &house,
        &files,
        "binary.txt",
        &[0, 159, 146, 150, 0xff],
    );
    let mut nested = b"%PDF-1.4\n1 0 obj ".to_vec();
    nested.extend(std::iter::repeat_n(b'[', 100_000));
    attach(&mut v, &house, &files, "deep.pdf", &nested);

    let statement = pdf(&["Quarterly tax statement", "Paid at the caf\u{e9} on Monday"]);
    let text = text_of(Readable::Pdf, &statement).unwrap();
    assert!(
        text.contains("Quarterly tax statement") && text.contains("café"),
        "{text:?}"
    );

    // Before they are read, nothing of them is found; a zero budget reads none of them.
    assert!(found(&mut v, "quarterly").is_empty());
    assert_eq!(v.read_attachments_for_search(Some(Duration::ZERO)), 5);
    assert_eq!(v.read_attachments_for_search(None), 0);

    let in_pdf = vec![("House".to_string(), Some("statement.pdf".to_string()))];
    let in_txt = vec![("House".to_string(), Some("invoice.txt".to_string()))];
    assert_eq!(found(&mut v, "quarterly"), in_pdf);
    // Folded as notes are: no case, no accents; Chinese inside a sentence.
    assert_eq!(found(&mut v, "CAFE monday"), in_pdf);
    assert_eq!(found(&mut v, "会议"), in_txt);
    // The snippet is of the attachment's text, the match marked as written.
    let hit = v.search("cafe", 5).remove(0);
    let marked: Vec<&str> = hit
        .snippet
        .iter()
        .filter(|s| s.hit)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(marked, ["café"]);
    // A note found by its own text comes first; then its attachments.
    assert_eq!(
        found(&mut v, "house"),
        [("House".to_string(), None)],
        "the attachments do not hold \"house\""
    );
    // Filters: a tag and a notebook of the note, a phrase and an excluded word in the text.
    assert_eq!(found(&mut v, "roof tag:home"), in_txt);
    assert!(found(&mut v, "roof tag:work").is_empty());
    assert!(found(&mut v, "roof notebook:Work").is_empty());
    assert_eq!(found(&mut v, r#""tax statement""#), in_pdf);
    assert!(found(&mut v, r#""statement tax""#).is_empty());
    assert!(found(&mut v, "roof -invoice").is_empty());
    assert!(
        found(&mut v, "roof -papers").is_empty(),
        "an excluded word in the note"
    );
    // Nothing of the text lies on disk in the clear.
    for entry in walk(&root) {
        let bytes = std::fs::read(&entry).unwrap();
        for secret in [&b"Quarterly"[..], b"Roof repair"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{} holds plaintext",
                entry.display()
            );
        }
    }
    // A trashed note's attachments are not found; restored, they are again.
    v.trash(&house).unwrap();
    assert!(found(&mut v, "quarterly").is_empty());
    v.restore(&house).unwrap();
    assert_eq!(found(&mut v, "quarterly"), in_pdf);
    // After locking and unlocking, they are read again (nothing was kept on disk).
    drop(v);
    let mut v = LockedVault::open(&root).unwrap().unlock(&pass()).unwrap();
    assert!(found(&mut v, "quarterly").is_empty());
    v.read_attachments_for_search(None);
    assert_eq!(found(&mut v, "quarterly"), in_pdf);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
