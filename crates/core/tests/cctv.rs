//! The C2SP CCTV age test vectors (https://c2sp.org/CCTV/age), run through Coffer's own decrypt
//! paths: `crypto::decrypt_with` for every vector, plus `crypto::decrypt` (what reads objects
//! and log entries) for X25519-only vectors and `crypto::decrypt_with_passphrase` (what reads
//! identity.age) for single-passphrase vectors.
//!
//! The vectors are not committed; fetch them first:
//! ```text
//! export COFFER_CCTV_DIR="$(scripts/fetch-test-vectors)"
//! cargo test -p coffer-core --test cctv -- --nocapture
//! ```
//!
//! Every `success` vector must decrypt to exactly its payload (SHA-256). Every other vector must
//! be refused, and since Coffer's decrypt returns nothing unless the whole file authenticated,
//! no plaintext may come out. Refusals must also be of the expected class (header, no match,
//! HMAC, payload, armor), with the aliases listed in [`class_matches`].

use coffer_core::age;
use coffer_core::crypto::{self, MAX_WORK_FACTOR};
use coffer_core::secrecy::SecretString;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why the hybrid vectors cannot run.
const HYBRID: &str = "ML-KEM-768 + X25519 hybrid identity (AGE-SECRET-KEY-PQ-1...): age 0.12 has \
                      no native identity type for it, and Coffer never encrypts to one";

/// Vectors that cannot be run, by name, with the reason. The test checks this list is exactly
/// the set of vectors needing an unsupported identity, so a new kind cannot slip by unseen.
const EXCLUDED: &[(&str, &str)] = &[
    ("armor_hybrid", HYBRID),
    ("hybrid", HYBRID),
    ("hybrid_and_x25519", HYBRID),
    ("hybrid_bad_tag", HYBRID),
    ("hybrid_currupted_enc_mlkem", HYBRID),
    ("hybrid_currupted_enc_x25519", HYBRID),
    ("hybrid_extra_argument", HYBRID),
    ("hybrid_grease", HYBRID),
    ("hybrid_identity", HYBRID),
    ("hybrid_long_file_key", HYBRID),
    ("hybrid_long_share", HYBRID),
    ("hybrid_low_order", HYBRID),
    ("hybrid_multiple_recipients", HYBRID),
    ("hybrid_no_match", HYBRID),
    ("hybrid_not_canonical_body", HYBRID),
    ("hybrid_not_canonical_enc", HYBRID),
    ("hybrid_short_share", HYBRID),
    ("hybrid_uppercase", HYBRID),
    ("hybrid_x25519_arg", HYBRID),
];
const EXPECTED_EXCLUSIONS: usize = 19;

/// How the age crate (0.12) departs from the suite on a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deviation {
    /// A must-fail vector decrypts. The file still authenticates (its header MAC and every
    /// STREAM chunk verify under the file key), so the plaintext is genuine: a leniency of
    /// age's header parser, not a way to forge or alter a file.
    Accepts,
    /// A valid vector is refused (an interoperability gap, never a safety one).
    Refuses,
}

/// Vectors on which age 0.12 (and so Coffer) departs from the suite. They are still run, and
/// must still show exactly this departure: when age is fixed the test fails and asks for the
/// entry to be removed.
const DEVIATIONS: &[(&str, Deviation, &str)] = &[
    (
        "stanza_missing_body",
        Deviation::Accepts,
        "age's header parser accepts a stanza with no body line at all",
    ),
    (
        "stanza_missing_final_line",
        Deviation::Accepts,
        "age's header parser accepts a stanza whose body ends with a full 64-column line",
    ),
    (
        "armor_whitespace_outside",
        Deviation::Refuses,
        "age's ArmoredReader does not skip whitespace before the BEGIN line, which the spec \
         allows; callers de-armoring pasted text must trim it first",
    ),
];
const EXPECTED_DEVIATIONS: usize = 3;

/// The outcomes a vector can expect (its `expect:` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Success,
    NoMatch,
    HmacFailure,
    HeaderFailure,
    PayloadFailure,
    ArmorFailure,
}

impl FromStr for Expect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "success" => Expect::Success,
            "no match" => Expect::NoMatch,
            "HMAC failure" => Expect::HmacFailure,
            "header failure" => Expect::HeaderFailure,
            "payload failure" => Expect::PayloadFailure,
            "armor failure" => Expect::ArmorFailure,
            other => return Err(format!("unknown expect value {other:?}")),
        })
    }
}

struct Vector {
    name: String,
    expect: Expect,
    payload: Option<String>,
    identities: Vec<String>,
    passphrases: Vec<String>,
    armored: bool,
    compressed: bool,
    /// The age file (still compressed if `compressed`).
    body: Vec<u8>,
}

fn parse(name: &str, data: &[u8]) -> Result<Vector, String> {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or("no blank line after the header")?;
    let head = std::str::from_utf8(&data[..split]).map_err(|_| "header is not UTF-8")?;
    let mut v = Vector {
        name: name.to_string(),
        expect: Expect::Success,
        payload: None,
        identities: Vec::new(),
        passphrases: Vec::new(),
        armored: false,
        compressed: false,
        body: data[split + 2..].to_vec(),
    };
    let mut expect = None;
    for line in head.lines() {
        let (k, val) = line
            .split_once(": ")
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        match k {
            "expect" => expect = Some(val.parse()?),
            "payload" => v.payload = Some(val.to_string()),
            "identity" => v.identities.push(val.to_string()),
            "passphrase" => v.passphrases.push(val.to_string()),
            "armored" => v.armored = val == "yes",
            "compressed" if val == "zlib" => v.compressed = true,
            "file key" | "comment" => {}
            // The suite says to ignore unknown keys; here a new key means a new kind of
            // vector, which must be looked at rather than skipped.
            other => {
                return Err(format!(
                    "unknown header key {other:?}: update tests/cctv.rs"
                ));
            }
        }
    }
    v.expect = expect.ok_or("no expect header")?;
    Ok(v)
}

/// Whether a vector needs an identity this age (and Coffer) cannot use.
fn unsupported_identity(v: &Vector) -> bool {
    v.identities
        .iter()
        .any(|i| i.starts_with("AGE-SECRET-KEY-PQ-"))
}

fn vectors_dir() -> PathBuf {
    let hint = "run `export COFFER_CCTV_DIR=\"$(scripts/fetch-test-vectors)\"` first: it fetches \
                the C2SP CCTV age vectors (npm package cctv-age)";
    let dir = std::env::var_os("COFFER_CCTV_DIR")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| panic!("COFFER_CCTV_DIR is not set; {hint}"));
    let dir = PathBuf::from(dir);
    let dir = if dir.is_relative() {
        // cargo runs integration tests in the crate folder; accept paths from the repo root.
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir)
    } else {
        dir
    };
    let n = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("COFFER_CCTV_DIR={}: {e}; {hint}", dir.display()))
        .count();
    assert!(n > 0, "COFFER_CCTV_DIR={} is empty; {hint}", dir.display());
    dir
}

/// The class of a refusal, named as the suite names expectations.
fn class(e: &age::DecryptError) -> &'static str {
    match e {
        age::DecryptError::InvalidHeader
        | age::DecryptError::UnknownFormat
        | age::DecryptError::ExcessiveWork { .. } => "header failure",
        age::DecryptError::KeyDecryptionFailed => "key decryption failed",
        age::DecryptError::NoMatchingKeys => "no match",
        age::DecryptError::InvalidMac => "HMAC failure",
        age::DecryptError::DecryptionFailed => "payload failure",
        age::DecryptError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => "truncated",
        age::DecryptError::Io(_) => "io",
        _ => "other",
    }
}

/// Whether a refusal of class `got` is the expected one for vector `v`. age's errors are
/// coarser than the suite's expectations in a few places, aliased here (the suite's README
/// allows aliasing cases an API cannot tell apart):
/// - a stanza age recognizes but cannot unwrap (wrong-size or non-canonical body, low-order
///   share) is `KeyDecryptionFailed`: a header failure, or no match;
/// - the scrypt identity reports a wrong passphrase as `DecryptionFailed`;
/// - a file that ends inside the header or before the nonce is an I/O `UnexpectedEof`;
/// - STREAM errors in the payload surface through `Read` as I/O errors.
fn class_matches(v: &Vector, got: &str) -> bool {
    let scrypt = !v.passphrases.is_empty();
    match v.expect {
        Expect::Success => false,
        Expect::NoMatch => {
            matches!(got, "no match" | "key decryption failed")
                || (scrypt && got == "payload failure")
        }
        Expect::HmacFailure => got == "HMAC failure",
        Expect::HeaderFailure => {
            matches!(
                got,
                "header failure" | "key decryption failed" | "truncated"
            )
        }
        Expect::PayloadFailure => matches!(got, "payload failure" | "io" | "truncated"),
        // ArmoredReader passes input that does not start with the exact BEGIN line through as
        // binary; the age parser behind it then refuses it as a header.
        Expect::ArmorFailure => matches!(got, "armor" | "header failure"),
    }
}

/// Runs one vector; returns a description of what went wrong, if anything.
fn run(v: &Vector) -> Result<(), String> {
    let mut file = v.body.clone();
    if v.compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&file[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("cannot decompress the vector: {e}"))?;
        file = out;
    }
    if v.armored {
        let mut out = Vec::new();
        if let Err(e) = age::armor::ArmoredReader::new(&file[..]).read_to_end(&mut out) {
            return if v.expect == Expect::Success {
                Err(format!("de-armoring failed: {e}"))
            } else if class_matches(v, "armor") {
                Ok(())
            } else {
                Err(format!("expected {:?}, got an armor error: {e}", v.expect))
            };
        }
        file = out;
    }

    let x25519: Vec<age::x25519::Identity> = v
        .identities
        .iter()
        .map(|s| s.parse().map_err(|e| format!("identity {s:?}: {e}")))
        .collect::<Result<_, String>>()?;
    let scrypt: Vec<age::scrypt::Identity> = v
        .passphrases
        .iter()
        .map(|p| {
            let mut id = age::scrypt::Identity::new(SecretString::from(p.clone()));
            id.set_max_work_factor(MAX_WORK_FACTOR);
            id
        })
        .collect();
    let mut all: Vec<&dyn age::Identity> = Vec::new();
    all.extend(x25519.iter().map(|i| i as &dyn age::Identity));
    all.extend(scrypt.iter().map(|i| i as &dyn age::Identity));

    let check = |path: &str, got: Result<Vec<u8>, String>| -> Result<(), String> {
        match (v.expect, got) {
            (Expect::Success, Ok(plain)) => {
                let want = v
                    .payload
                    .as_deref()
                    .ok_or("a success vector has no payload")?;
                let have = crypto::sha256_hex(&plain);
                if have == want {
                    Ok(())
                } else {
                    Err(format!("{path}: payload sha256 {have}, expected {want}"))
                }
            }
            (Expect::Success, Err(c)) => Err(format!("{path}: refused ({c}), expected success")),
            (e, Ok(plain)) => Err(format!(
                "{path}: released {} bytes of plaintext, expected {e:?}",
                plain.len()
            )),
            (_, Err(c)) if class_matches(v, &c) => Ok(()),
            (e, Err(c)) => Err(format!("{path}: refused as {c}, expected {e:?}")),
        }
    };
    let classify = |r: Result<zeroize::Zeroizing<Vec<u8>>, age::DecryptError>| {
        r.map(|p| p.to_vec()).map_err(|e| class(&e).to_string())
    };

    check("decrypt_with", classify(crypto::decrypt_with(&all, &file)))?;

    // The path that reads objects and log entries: X25519 only.
    if v.passphrases.is_empty() && !x25519.is_empty() {
        let ids: Vec<&age::x25519::Identity> = x25519.iter().collect();
        check("decrypt", classify(crypto::decrypt(&ids, &file)))?;
    }
    // The path that reads identity.age: one passphrase, work factor checked first.
    if let [pass] = v.passphrases.as_slice()
        && v.identities.is_empty()
    {
        let got = crypto::decrypt_with_passphrase(&SecretString::from(pass.clone()), &file)
            .map(|p| p.to_vec())
            .map_err(|e| match e {
                coffer_core::Error::ExcessiveWorkFactor { .. } => "header failure".to_string(),
                coffer_core::Error::WrongPassphrase => "no match".to_string(),
                other => format!("{} ({other})", other.code()),
            });
        // decrypt_with_passphrase folds the failures it cannot tell apart into
        // WrongPassphrase or BadIdentity; only the outcome (plaintext or none) is compared.
        match (v.expect, got) {
            (Expect::Success, got) => check("decrypt_with_passphrase", got)?,
            (e, Ok(p)) => {
                return Err(format!(
                    "decrypt_with_passphrase: released {} bytes, expected {e:?}",
                    p.len()
                ));
            }
            (_, Err(_)) => {}
        }
    }
    Ok(())
}

#[test]
fn cctv_age_vectors() {
    let dir = vectors_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("listing the vectors")
        .map(|e| e.expect("listing the vectors").file_name())
        .filter_map(|n| n.to_str().map(str::to_string))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();

    let excluded: BTreeSet<&str> = EXCLUDED.iter().map(|(n, _)| *n).collect();
    assert_eq!(EXCLUDED.len(), EXPECTED_EXCLUSIONS);
    assert_eq!(
        excluded.len(),
        EXCLUDED.len(),
        "duplicate names in EXCLUDED"
    );

    let (mut passed, mut failures, mut skipped) = (0usize, Vec::new(), BTreeSet::new());
    let (mut successes, mut refusals, mut deviations) = (0usize, 0usize, 0usize);
    assert_eq!(DEVIATIONS.len(), EXPECTED_DEVIATIONS);
    for name in &names {
        let data = std::fs::read(dir.join(name)).expect("reading a vector");
        let v = match parse(name, &data) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if unsupported_identity(&v) {
            if excluded.contains(v.name.as_str()) {
                skipped.insert(v.name.clone());
            } else {
                failures.push(format!(
                    "{name}: needs an identity this test cannot use, and is not in EXCLUDED"
                ));
            }
            continue;
        }
        if excluded.contains(v.name.as_str()) {
            failures.push(format!(
                "{name}: in EXCLUDED but runnable; remove it from the list"
            ));
            continue;
        }
        if let Some((_, kind, _)) = DEVIATIONS.iter().find(|(n, _, _)| *n == v.name) {
            let shown = match (run(&v), kind) {
                (Err(e), Deviation::Accepts) => e.contains("released"),
                (Err(e), Deviation::Refuses) => e.contains("refused"),
                (Ok(()), _) => false,
            };
            if shown {
                deviations += 1;
            } else {
                failures.push(format!(
                    "{name}: listed in DEVIATIONS as {kind:?}, but no longer behaves so; \
                     update the list"
                ));
            }
            continue;
        }
        match run(&v) {
            Ok(()) => {
                passed += 1;
                if v.expect == Expect::Success {
                    successes += 1;
                } else {
                    refusals += 1;
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    let missing: Vec<&&str> = excluded.iter().filter(|n| !skipped.contains(**n)).collect();
    for (name, why) in EXCLUDED {
        println!("cctv: excluded {name}: {why}");
    }
    for (name, kind, why) in DEVIATIONS {
        println!("cctv: known deviation {name} ({kind:?}): {why}");
    }
    for f in &failures {
        println!("cctv: FAILED {f}");
    }
    println!(
        "cctv: {} vectors: {passed} passed ({successes} decrypted to their payload, {refusals} \
         refused as expected), {} failed, {deviations} known deviations, {} excluded",
        names.len(),
        failures.len(),
        skipped.len()
    );
    assert!(
        failures.is_empty(),
        "{} CCTV vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        missing.is_empty(),
        "excluded vectors not found in {}: {missing:?}",
        dir.display()
    );
    assert_eq!(skipped.len(), EXPECTED_EXCLUSIONS);
    assert_eq!(deviations, EXPECTED_DEVIATIONS);
    assert!(
        passed >= 100,
        "only {passed} vectors ran; is {} the full set?",
        dir.display()
    );
}
