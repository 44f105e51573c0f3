//! Safety numbers, on the model of Signal's numeric fingerprints: each party's keys give 30
//! digits; the two halves are put in a canonical order (the smaller first), so both people see
//! the same 60 digits, in 12 groups of 5, and compare them out of band (in person, by phone).
//!
//! One party's 30 digits: `h = SHA-512(version || keys || "coffer")`, then 5200 times
//! `h = SHA-512(h || keys)`, where `version` is the two bytes `00 01` and `keys` the 64 bytes
//! X25519 messaging key || Ed25519 verifying key. The first 30 bytes of `h` are read as six
//! big-endian 5-byte numbers, each taken modulo 100000 and written as 5 digits.

use super::card::ContactCard;
use serde::Serialize;
use sha2::{Digest, Sha512};
use std::fmt;

/// Iterations of SHA-512 per party (Signal's count: slows down a search for colliding keys).
pub const SAFETY_ITERATIONS: usize = 5200;
const SAFETY_VERSION: [u8; 2] = [0, 1];

/// The 60 digits two people compare.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SafetyNumber {
    /// 60 decimal digits.
    pub digits: String,
    /// The same digits in 12 groups of 5, as shown.
    pub groups: Vec<String>,
}

impl SafetyNumber {
    /// The safety number of two parties; the same whichever is `a`.
    pub fn of(a: &ContactCard, b: &ContactCard) -> SafetyNumber {
        let (x, y) = (party_digits(a), party_digits(b));
        let digits = if x <= y { x + &y } else { y + &x };
        let groups = digits
            .as_bytes()
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        SafetyNumber { digits, groups }
    }
}

impl fmt::Display for SafetyNumber {
    /// Three lines of four groups.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, row) in self.groups.chunks(4).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&row.join(" "))?;
        }
        Ok(())
    }
}

/// One party's 30 digits.
pub fn party_digits(card: &ContactCard) -> String {
    let keys = card.key_bytes();
    let mut h = Sha512::new();
    h.update(SAFETY_VERSION);
    h.update(keys);
    h.update(b"coffer");
    let mut hash = h.finalize();
    for _ in 0..SAFETY_ITERATIONS {
        let mut h = Sha512::new();
        h.update(hash);
        h.update(keys);
        hash = h.finalize();
    }
    let mut out = String::with_capacity(30);
    for chunk in hash[..30].chunks(5) {
        let n = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        out.push_str(&format!("{:05}", n % 100_000));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;

    fn card() -> ContactCard {
        let k = Keys::generate();
        ContactCard::new("x", &k.messaging_identity().to_public(), &k.verifying_key()).unwrap()
    }

    #[test]
    fn both_sides_see_the_same_number() {
        let (a, b, c) = (card(), card(), card());
        let ab = SafetyNumber::of(&a, &b);
        assert_eq!(ab, SafetyNumber::of(&b, &a));
        assert_eq!(ab.digits.len(), 60);
        assert!(ab.digits.bytes().all(|d| d.is_ascii_digit()));
        assert_eq!(ab.groups.len(), 12);
        assert_ne!(ab, SafetyNumber::of(&a, &c));
        // Names do not change it; keys do.
        assert_eq!(ab, SafetyNumber::of(&a.with_name("other").unwrap(), &b));
        assert_eq!(ab.to_string().lines().count(), 3);
    }
}
