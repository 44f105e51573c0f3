//! A hostile PDF attached to a note (a decompression bomb: a few kilobytes that expand into
//! gigabytes) is read for search in a child process limited in memory and time, so that
//! `coffer search` still works and still finds the text of an honest PDF beside it. The
//! command runs under an address-space limit (`prlimit`) below what the bomb expands to: read
//! in the command's own process, the bomb would abort it.

use coffer_testkit::pdf;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASS: &str = "correct horse";
/// The limit `coffer search` runs under; the bomb expands to 4 GiB.
const LIMIT: &str = "--as=3221225472";

fn coffer(home: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut c = Command::new("prlimit");
    c.arg(LIMIT)
        .arg(env!("CARGO_BIN_EXE_coffer"))
        .arg("--vault")
        .arg(home.join("v"))
        .args(args)
        .env_remove("COFFER_VAULT")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("COFFER_PASSPHRASE", PASS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("prlimit and coffer run");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("stdin written");
    drop(input);
    child.wait_with_output().expect("coffer ends")
}

fn ok(home: &Path, args: &[&str], stdin: &[u8]) -> String {
    let o = coffer(home, args, stdin);
    assert!(
        o.status.success(),
        "coffer {args:?} ({:?}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

/// Bits written least significant first, as deflate packs them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: its bits go most significant first.
    fn code(&mut self, code: u64, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A zlib stream of `copies` * 258 + 1 zero bytes, written by hand: one fixed-Huffman block of a
/// literal zero and then "copy 258 bytes from 1 back" again and again (13 bits for 258 bytes).
fn zeros_zlib(copies: usize) -> Vec<u8> {
    let mut b = Bits::default();
    b.put(1, 1); // the last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0b0011_0000, 8); // the literal 0
    for _ in 0..copies {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1 (code 0)
    }
    b.code(0, 7); // end of block
    let mut z = vec![0x78, 0x01];
    z.extend(b.finish());
    // No Adler-32 check: readers fill their output before they find it missing.
    z
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("compressed");
    e.finish().expect("compressed")
}

#[test]
fn a_pdf_that_expands_to_gigabytes_is_read_apart_and_breaks_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path();
    ok(home, &["init", "--work-factor", "10"], b"");

    let honest = home.join("invoice.pdf");
    let text = b"BT /F1 14 Tf 72 720 Td (Invoice for the gutter repair) Tj ET";
    std::fs::write(&honest, pdf(&zlib(text), "/Filter /FlateDecode")).expect("written");
    // 4 GiB of zeros, compressed by hand and then again: about 40 KB.
    let copies = (4usize << 30) / 258 + 1;
    let bomb = pdf(
        &zlib(&zeros_zlib(copies)),
        "/Filter [/FlateDecode /FlateDecode]",
    );
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    std::fs::write(home.join("scan.pdf"), &bomb).expect("written");

    let roof = ok(home, &["add", "--title", "Roof"], b"Quotes for the roof")
        .trim()
        .to_string();
    let house = ok(home, &["add", "--title", "House"], b"Scans")
        .trim()
        .to_string();
    ok(
        home,
        &["attach", &roof, honest.to_str().expect("UTF-8")],
        b"",
    );
    ok(
        home,
        &[
            "attach",
            &house,
            home.join("scan.pdf").to_str().expect("UTF-8"),
        ],
        b"",
    );

    let found = ok(home, &["--json", "search", "gutter"], b"");
    let hits: serde_json::Value = serde_json::from_str(&found).expect("JSON");
    let hits = hits.as_array().expect("a list");
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["id"], roof.as_str());
    assert_eq!(hits[0]["attachment"], "invoice.pdf");
    // The note the bomb is attached to is still found by its own text.
    let found = ok(home, &["--json", "search", "scans"], b"");
    assert!(found.contains(&house), "{found}");
}
