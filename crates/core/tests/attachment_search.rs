//! Search inside attachments (issue 15): the text of plain-text files and PDFs is found, a hit
//! names the attachment, the query's filters apply, and files that are not text (or are
//! damaged, or hostile) have no text and break nothing. Real vaults, real encrypted
//! attachments, a real PDF (written here, byte by byte, with its cross-reference table).
#![allow(clippy::unwrap_used)]

use coffer_core::search::attachments::{Readable, text_of};
use coffer_core::secrecy::SecretString;
use coffer_core::{InitOptions, LockedVault, NewNote, Vault};
use coffer_testkit::pdf_showing as pdf;
use std::path::Path;
use std::time::Duration;

fn pass() -> SecretString {
    SecretString::from("pw".to_string())
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

/// The text of a message's attachments (sent by someone else) is found too, the hit names the
/// file, and the message's own text still comes first in its snippet.
#[test]
fn the_text_of_a_messages_attachments_is_found_and_the_hit_names_the_file() {
    use coffer_core::messages::Draft;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = Vault::init(
        &dir.path().join("a"),
        &pass(),
        &InitOptions { work_factor: 2 },
    )
    .unwrap();
    let mut bob = Vault::init(
        &dir.path().join("b"),
        &pass(),
        &InitOptions { work_factor: 2 },
    )
    .unwrap();
    alice.set_display_name("Alice").unwrap();
    bob.set_display_name("Bob").unwrap();
    let (ca, cb) = (
        alice.my_card().unwrap().encode(),
        bob.my_card().unwrap().encode(),
    );
    alice.add_contact(&cb, "Bob").unwrap();
    bob.add_contact(&ca, "Alice").unwrap();
    let (sent, block) = bob
        .send_armored(
            &["Alice"],
            Draft {
                body: "the papers you asked for".into(),
                attachments: vec![
                    (
                        "lease.pdf".into(),
                        pdf(&["Tenancy agreement", "Deposit paid in Z\u{fc}rich"]),
                    ),
                    ("notes.md".into(), "Keys: 会议室 and the garage".into()),
                    ("photo.jpg".into(), vec![0xff, 0xd8, 0xff, 0xe0, 1, 2]),
                    (
                        "damaged.pdf".into(),
                        b"%PDF-1.4\n1 0 obj << >> garbage".to_vec(),
                    ),
                ],
                conversation: None,
            },
        )
        .unwrap();
    alice.open_armored(&block).unwrap();
    let hits = |v: &mut Vault, q: &str| -> Vec<(coffer_core::Id, Option<String>, String)> {
        v.search_messages(q, 10)
            .unwrap()
            .into_iter()
            .map(|h| {
                let marked: String = h
                    .snippet
                    .iter()
                    .filter(|s| s.hit)
                    .map(|s| s.text.as_str())
                    .collect();
                (h.message.id, h.attachment, marked)
            })
            .collect()
    };
    // Not read yet: not found.
    assert!(hits(&mut alice, "tenancy").is_empty());
    while let Some(next) = alice.next_attachment_to_read() {
        let text = next.read();
        alice.keep_attachment_text(text);
    }
    assert_eq!(
        hits(&mut alice, "tenancy"),
        [(
            sent.id,
            Some("lease.pdf".to_string()),
            "Tenancy".to_string()
        )]
    );
    // Folded (ü / u), and Chinese inside a sentence, each naming its own file.
    assert_eq!(
        hits(&mut alice, "zurich")[0].1.as_deref(),
        Some("lease.pdf")
    );
    assert_eq!(hits(&mut alice, "会议")[0].1.as_deref(), Some("notes.md"));
    // The message's own words: its body is the snippet, no file named.
    assert_eq!(hits(&mut alice, "papers")[0].1, None);
    // Words across the body and a file, phrases and excluded words.
    assert_eq!(hits(&mut alice, "papers garage").len(), 1);
    assert_eq!(hits(&mut alice, "\"deposit paid\"").len(), 1);
    assert!(hits(&mut alice, "papers -garage").is_empty());
    assert!(hits(&mut alice, "\"paid deposit\"").is_empty());
    // Neither the JPEG nor the damaged PDF has text, and nothing else is found by mistake.
    assert!(hits(&mut alice, "garbage").is_empty());
    // The same in the sender's own vault once read there.
    bob.read_attachments_for_search(None);
    assert_eq!(hits(&mut bob, "tenancy")[0].1.as_deref(), Some("lease.pdf"));
}
