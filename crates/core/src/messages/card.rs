//! Contact cards: one short line that carries what someone needs to write to you.
//!
//! ```text
//! coffer-card1:<base64url without padding of: x25519 (32) || ed25519 (32) || name (UTF-8) || checksum (4)>
//! ```
//! `checksum` is the first 4 bytes of SHA-256(`"coffer card v1\0"` || the bytes before it), so
//! a typo or a cut-off card is caught. The parser is strict: one prefix, at most
//! [`MAX_CARD_CHARS`] characters, keys that are valid points, a clean name.

use crate::{Error, Result};
use age::x25519;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The prefix of every version-1 card.
pub const CARD_PREFIX: &str = "coffer-card1:";
/// Longest card accepted, in characters (after trimming surrounding whitespace).
pub const MAX_CARD_CHARS: usize = 256;
/// Longest display name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 64;
const CHECKSUM_CONTEXT: &[u8] = b"coffer card v1\0";
const KEYS_LEN: usize = 64;
const CHECKSUM_LEN: usize = 4;

/// The public half of someone's messaging identity, with the name they chose for themselves.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContactCard {
    name: String,
    messaging: [u8; 32],
    signing: [u8; 32],
}

impl fmt::Debug for ContactCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactCard({:?}, {})", self.name, self.fingerprint())
    }
}

impl ContactCard {
    /// A card from keys and a name (the name is checked like a parsed card's).
    pub fn new(
        name: &str,
        messaging: &x25519::Recipient,
        signing: &VerifyingKey,
    ) -> Result<ContactCard> {
        let name = clean_name(name).map_err(Error::BadCard)?;
        let (_, data) = bech32::decode(&messaging.to_string())
            .map_err(|e| Error::BadCard(format!("bad messaging key: {e}")))?;
        let messaging: [u8; 32] = data
            .try_into()
            .map_err(|_| Error::BadCard("bad messaging key length".into()))?;
        Ok(ContactCard {
            name,
            messaging,
            signing: signing.to_bytes(),
        })
    }

    /// Parses a card, with a specific error for each way it can be wrong.
    pub fn parse(text: &str) -> Result<ContactCard> {
        let bad = |m: &str| Err(Error::BadCard(m.to_string()));
        let t = text.trim();
        if t.is_empty() {
            return bad("it is empty");
        }
        if t.chars().count() > MAX_CARD_CHARS {
            return bad(&format!(
                "it is longer than {MAX_CARD_CHARS} characters, so it is not a card"
            ));
        }
        let Some(payload) = t.strip_prefix(CARD_PREFIX) else {
            if let Some(rest) = t.strip_prefix("coffer-card")
                && let Some((v, _)) = rest.split_once(':')
                && v.bytes().all(|b| b.is_ascii_digit())
            {
                return bad(&format!(
                    "card version {v} is not supported (this Coffer reads version 1)"
                ));
            }
            return bad("it does not start with coffer-card1:");
        };
        if let Some(c) = payload
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return bad(&format!(
                "it contains {c:?}, which no card has (copy it again, without spaces or breaks)"
            ));
        }
        let raw = B64URL.decode(payload).map_err(|_| {
            Error::BadCard("part of it is missing or mistyped (not valid base64url)".into())
        })?;
        if raw.len() < KEYS_LEN + 1 + CHECKSUM_LEN {
            return bad("it is too short: part of it is missing");
        }
        let (body, sum) = raw.split_at(raw.len() - CHECKSUM_LEN);
        if checksum(body) != sum {
            return bad("its checksum does not match: a typo, or part of it is missing");
        }
        let messaging: [u8; 32] = body[..32].try_into().expect("length checked");
        let signing: [u8; 32] = body[32..64].try_into().expect("length checked");
        if messaging == [0u8; 32] {
            return bad("its messaging key is not a valid key");
        }
        let vk = VerifyingKey::from_bytes(&signing)
            .map_err(|_| Error::BadCard("its signing key is not a valid key".into()))?;
        if vk.is_weak() {
            return bad("its signing key is not a valid key");
        }
        let name = std::str::from_utf8(&body[64..])
            .map_err(|_| Error::BadCard("its name is not UTF-8".into()))?;
        let clean = clean_name(name).map_err(Error::BadCard)?;
        if clean != name {
            return bad("its name has surrounding spaces");
        }
        Ok(ContactCard {
            name: clean,
            messaging,
            signing,
        })
    }

    /// The card as one line: `coffer-card1:...`.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(KEYS_LEN + self.name.len() + CHECKSUM_LEN);
        raw.extend_from_slice(&self.messaging);
        raw.extend_from_slice(&self.signing);
        raw.extend_from_slice(self.name.as_bytes());
        let sum = checksum(&raw);
        raw.extend_from_slice(&sum);
        format!("{CARD_PREFIX}{}", B64URL.encode(raw))
    }

    /// The name its owner chose (untrusted: nobody checks it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same keys under another display name.
    pub fn with_name(&self, name: &str) -> Result<ContactCard> {
        Ok(ContactCard {
            name: clean_name(name).map_err(Error::BadCard)?,
            ..self.clone()
        })
    }

    /// The age recipient messages to this person are encrypted to.
    pub fn messaging_recipient(&self) -> x25519::Recipient {
        let hrp = bech32::Hrp::parse("age").expect("a valid prefix");
        let s = bech32::encode::<bech32::Bech32>(hrp, &self.messaging).expect("32 bytes encode");
        x25519::Recipient::from_str(&s).expect("a valid age recipient")
    }

    /// The raw X25519 messaging key.
    pub fn messaging_key(&self) -> &[u8; 32] {
        &self.messaging
    }

    /// The Ed25519 key their messages are signed with.
    pub fn signing_key(&self) -> VerifyingKey {
        VerifyingKey::from_bytes(&self.signing).expect("checked when the card was made")
    }

    /// The 64 key bytes: X25519 messaging key, then Ed25519 verifying key.
    pub fn key_bytes(&self) -> [u8; 64] {
        let mut k = [0u8; 64];
        k[..32].copy_from_slice(&self.messaging);
        k[32..].copy_from_slice(&self.signing);
        k
    }

    /// Whether both keys equal `other`'s (names aside).
    pub fn same_keys(&self, other: &ContactCard) -> bool {
        self.messaging == other.messaging && self.signing == other.signing
    }

    /// Whether exactly one of the two keys equals `other`'s.
    pub fn shares_a_key(&self, other: &ContactCard) -> bool {
        (self.messaging == other.messaging) != (self.signing == other.signing)
    }

    /// A short fingerprint of the keys: 16 hex digits in groups of 4 (SHA-256 of the 64 key
    /// bytes). For telling keys apart at a glance; compare safety numbers to verify.
    pub fn fingerprint(&self) -> String {
        let h = Sha256::digest(self.key_bytes());
        let hex = hex::encode(&h[..8]);
        hex.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The keys as 128 hex digits: a stable identifier of a party, names aside.
    pub fn key_id(&self) -> String {
        hex::encode(self.key_bytes())
    }

    /// The card as a QR code: an SVG document (black on white) the app shows.
    pub fn qr_svg(&self) -> String {
        use qrcode::render::svg;
        // A card is at most 256 characters; a version-40 code holds 2331 bytes at level M.
        qrcode::QrCode::with_error_correction_level(self.encode().as_bytes(), qrcode::EcLevel::M)
            .expect("a card always fits a QR code")
            .render::<svg::Color>()
            .min_dimensions(240, 240)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build()
    }
}

fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = Sha256::new();
    h.update(CHECKSUM_CONTEXT);
    h.update(body);
    let d = h.finalize();
    d[..CHECKSUM_LEN].try_into().expect("a hash is longer")
}

/// A name chosen here (a contact's, one's own display name): [`clean_name`], and no invisible
/// character at all (a zero-width space would let "Alice" and "Ali\u{200B}ce" be two
/// contacts). Names on cards received keep [`clean_name`]'s rule, so cards made before still
/// parse.
pub fn clean_new_name(name: &str) -> std::result::Result<String, String> {
    let n = clean_name(name)?;
    match crate::text::unsafe_in_name(&n) {
        Some(c) => Err(format!(
            "the name contains the invisible character U+{:04X}",
            c as u32
        )),
        None => Ok(n),
    }
}

/// A display name: trimmed, 1 to [`MAX_NAME_BYTES`] bytes, no control characters and no
/// bidirectional overrides (which could make one name look like another).
pub fn clean_name(name: &str) -> std::result::Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("the name is empty".into());
    }
    if n.len() > MAX_NAME_BYTES {
        return Err(format!("the name is longer than {MAX_NAME_BYTES} bytes"));
    }
    if let Some(c) = n.chars().find(|c| {
        c.is_control() || matches!(*c as u32, 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
    }) {
        return Err(format!(
            "the name contains the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;

    fn card(name: &str) -> ContactCard {
        let k = Keys::generate();
        ContactCard::new(
            name,
            &k.messaging_identity().to_public(),
            &k.verifying_key(),
        )
        .unwrap()
    }

    #[test]
    fn round_trips_and_is_short() {
        let c = card("Ana María");
        let s = c.encode();
        assert!(s.starts_with(CARD_PREFIX));
        assert!(s.len() < 140, "{s}");
        let back = ContactCard::parse(&format!("  {s}\n")).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.name(), "Ana María");
        assert_eq!(
            back.messaging_recipient().to_string(),
            c.messaging_recipient().to_string()
        );
        assert!(c.qr_svg().starts_with("<?xml"));
    }

    #[test]
    fn every_typo_and_cut_is_caught() {
        let s = card("Bob").encode();
        let payload_start = CARD_PREFIX.len();
        for i in payload_start..s.len() {
            let mut b = s.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            assert!(ContactCard::parse(&t).is_err(), "typo at {i} accepted");
        }
        for n in 0..s.len() {
            let e = ContactCard::parse(&s[..n]).unwrap_err();
            assert_eq!(e.code(), "bad_card");
        }
        let e = ContactCard::parse(&s.replace("card1", "card2")).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
        assert!(ContactCard::parse(&format!("{s}{}", "A".repeat(300))).is_err());
        assert!(ContactCard::parse(&s.replacen(':', ": ", 1)).is_err());
    }

    #[test]
    fn hostile_names_are_refused() {
        let k = Keys::generate();
        for bad in ["", "  ", "a\u{202E}b", "x\ny", &"n".repeat(65)] {
            assert!(
                ContactCard::new(bad, &k.messaging_identity().to_public(), &k.verifying_key())
                    .is_err(),
                "{bad:?}"
            );
        }
        // Markup is just text in a name: kept as is, escaped by whoever shows it.
        let c = card("<img src=x onerror=alert(1)>");
        assert_eq!(
            ContactCard::parse(&c.encode()).unwrap().name(),
            "<img src=x onerror=alert(1)>"
        );
    }
}
