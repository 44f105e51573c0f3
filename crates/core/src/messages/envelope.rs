//! The signed message and its encryption.
//!
//! Plaintext (what age encrypts): the 16 bytes `coffer-message1\n`, then the JSON text
//! `{"signed": "<envelope JSON text>", "sig": "<base64 Ed25519 signature>"}`, then `\n` bytes up
//! to the Padmé length of the whole (so the size of a message says less about its content;
//! messages written before padding have none, and JSON allows trailing whitespace, so every
//! reader reads both). The signature is over `"coffer message v1\0" || signed` with the sender's
//! signing key, whose public half is in the sender's card inside the envelope. The age file has one X25519 recipient stanza per
//! recipient and one for the sender (so the sender's own devices can read it too).

use super::card::ContactCard;
use crate::keys::{Keys, verify_signature};
use crate::note::Millis;
use crate::{Error, Id, Result, crypto};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// Domain separation: a message signature is never a valid log-entry signature, or vice versa.
pub const MESSAGE_SIGNATURE_CONTEXT: &[u8] = b"coffer message v1\0";
/// The first bytes of a message's plaintext.
pub const MESSAGE_MAGIC: &[u8] = b"coffer-message1\n";
/// Version of the envelope.
pub const MESSAGE_FORMAT: u32 = 1;
/// The byte that pads a message's plaintext (the only byte allowed after its JSON text).
pub const MESSAGE_PADDING: u8 = b'\n';
/// Largest message file (ciphertext) accepted.
pub const MAX_MESSAGE_BYTES: usize = 4 << 20;
/// Largest body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest total size of a message's attachments.
pub const MAX_ATTACHMENT_BYTES: usize = 1 << 20;
/// Most recipients of one message (the sender aside).
pub const MAX_RECIPIENTS: usize = 32;
/// Most attachments of one message.
pub const MAX_ATTACHMENTS: usize = 16;

/// An attachment as it travels: name and base64 of the bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireAttachment {
    /// The file name: a plain name, 1 to 255 bytes, no folders or control characters (see
    /// [`check_attachment_name`]).
    pub name: String,
    /// The file's bytes in standard base64 (with padding).
    pub data: String,
}

/// A shared note's metadata, as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireNote {
    /// The note's title (at most 1024 bytes).
    pub title: String,
    /// The note's tags (at most 64).
    pub tags: Vec<String>,
}

/// Everything the sender signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The envelope's version: always [`MESSAGE_FORMAT`]; readers refuse any other.
    pub format: u32,
    /// The sender's contact card (their keys; the name is theirs to choose).
    pub sender: String,
    /// Every recipient's card as the sender knows it, sender excluded.
    pub recipients: Vec<String>,
    /// The conversation, chosen by whoever started it; later messages reuse it.
    pub conversation: Id,
    /// The message's id: random per message; a second copy with the same id is a duplicate.
    pub message: Id,
    /// Milliseconds since the Unix epoch, by the sender's clock.
    pub time: Millis,
    /// Hash of the previous message in the conversation as the sender saw it, or null.
    pub prev: Option<String>,
    /// The text (Markdown), at most [`MAX_BODY_BYTES`] bytes.
    pub body: String,
    /// Set when the message shares a note (the body is then the note's body).
    pub note: Option<WireNote>,
    /// Attached files: at most [`MAX_ATTACHMENTS`], [`MAX_ATTACHMENT_BYTES`] of bytes together.
    pub attachments: Vec<WireAttachment>,
}

/// A message whose signature has been checked.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The signed envelope, its limits checked.
    pub envelope: Envelope,
    /// The sender's card, parsed from the envelope (its key checked the signature).
    pub sender: ContactCard,
    /// The recipients' cards, parsed from the envelope, in its order (the sender excluded).
    pub recipients: Vec<ContactCard>,
    /// Hex SHA-256 of the signed text: what a later message names as `prev`.
    pub hash: String,
    /// The plaintext without its padding (magic and JSON), as stored in the vault.
    pub plaintext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    signed: String,
    sig: String,
}

/// Signs `env` and encrypts it to every recipient and to the sender; returns the age file and
/// the opened form.
pub fn seal(keys: &Keys, env: &Envelope) -> Result<(Vec<u8>, Opened)> {
    let signed = serde_json::to_string(env).expect("envelopes serialize");
    let sig = keys.sign(MESSAGE_SIGNATURE_CONTEXT, signed.as_bytes());
    let mut plain = MESSAGE_MAGIC.to_vec();
    plain.extend_from_slice(
        serde_json::to_string(&Wire {
            signed,
            sig: B64.encode(sig),
        })
        .expect("messages serialize")
        .as_bytes(),
    );
    let padded = crypto::padme(plain.len() as u64);
    plain.resize(
        usize::try_from(padded).expect("a message fits in memory"),
        MESSAGE_PADDING,
    );
    // Check it as a receiver would, so nothing unreadable is ever sent.
    let opened = verify(&plain)?;
    let mut recipients: Vec<age::x25519::Recipient> = opened
        .recipients
        .iter()
        .map(ContactCard::messaging_recipient)
        .collect();
    recipients.push(keys.messaging_identity().to_public());
    let refs: Vec<&age::x25519::Recipient> = recipients.iter().collect();
    let ct = crypto::encrypt(&refs, &plain)?;
    if ct.len() > MAX_MESSAGE_BYTES {
        return Err(Error::MessageTooLarge {
            size: ct.len() as u64,
            limit: MAX_MESSAGE_BYTES as u64,
        });
    }
    Ok((ct, opened))
}

/// The start of the reason of a [`Error::BadMessage`] for a file that could not be decrypted.
pub const NOT_DECRYPTED: &str = "it cannot be decrypted";

/// Decrypts a message file with the messaging key, checks its signature, and checks that this
/// vault's owner is among its recipients (or its sender).
pub fn open(keys: &Keys, me: &ContactCard, ciphertext: &[u8]) -> Result<Opened> {
    if ciphertext.len() > MAX_MESSAGE_BYTES {
        return Err(Error::MessageTooLarge {
            size: ciphertext.len() as u64,
            limit: MAX_MESSAGE_BYTES as u64,
        });
    }
    let plain = crypto::decrypt(&[keys.messaging_identity()], ciphertext).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::NotForMe,
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            Error::BadMessage(format!("{NOT_DECRYPTED}: it is not an age file ({e})"))
        }
        other => Error::BadMessage(format!(
            "{NOT_DECRYPTED}: it was altered or cut short ({other})"
        )),
    })?;
    let opened = verify(&plain)?;
    if !opened.sender.same_keys(me) && !opened.recipients.iter().any(|r| r.same_keys(me)) {
        return Err(Error::NotARecipient);
    }
    Ok(opened)
}

/// Parses a message plaintext strictly (padded or not, see the module's documentation) and
/// checks its signature (not who it is for).
pub fn verify(plain: &[u8]) -> Result<Opened> {
    let bad = |m: &str| Error::BadMessage(m.to_string());
    let (wire, sig, end) = unframe(plain)?;
    let env = parse_envelope(&wire.signed)?;
    let sender = ContactCard::parse(&env.sender)
        .map_err(|e| bad(&format!("its sender card is not valid: {e}")))?;
    if !verify_signature(
        &sender.signing_key(),
        MESSAGE_SIGNATURE_CONTEXT,
        wire.signed.as_bytes(),
        &sig,
    ) {
        return Err(Error::BadSignature);
    }
    let recipients = check_contents(&env, &sender)?;
    Ok(Opened {
        hash: crypto::sha256_hex(wire.signed.as_bytes()),
        sender,
        recipients,
        envelope: env,
        plaintext: plain[..MESSAGE_MAGIC.len() + end].to_vec(),
    })
}

/// The frame of a message plaintext: magic, one JSON object, then only padding. Returns the
/// frame, its signature's bytes, and where the object ends (after the magic).
fn unframe(plain: &[u8]) -> Result<(Wire, Vec<u8>, usize)> {
    let bad = |m: &str| Error::BadMessage(m.to_string());
    let json = plain
        .strip_prefix(MESSAGE_MAGIC)
        .ok_or_else(|| bad("it is not a Coffer message (no coffer-message1 line)"))?;
    let mut values = serde_json::Deserializer::from_slice(json).into_iter::<Wire>();
    let wire = match values.next() {
        Some(Ok(w)) => w,
        _ => return Err(bad("its frame is not valid")),
    };
    let end = values.byte_offset();
    if !json[end..].iter().all(|b| *b == MESSAGE_PADDING) {
        return Err(bad(
            "it has bytes other than padding after its frame (only \\n may follow it)",
        ));
    }
    let sig = B64
        .decode(&wire.sig)
        .map_err(|_| bad("its signature is not base64"))?;
    Ok((wire, sig, end))
}

/// The signed envelope, of the one format this version reads.
fn parse_envelope(signed: &str) -> Result<Envelope> {
    let bad = |m: &str| Error::BadMessage(m.to_string());
    let value: serde_json::Value =
        serde_json::from_str(signed).map_err(|_| bad("its envelope is not JSON"))?;
    match value.get("format").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(MESSAGE_FORMAT) => {}
        Some(v) => {
            return Err(bad(&format!(
                "its format {v} is not supported (this Coffer reads version {MESSAGE_FORMAT})"
            )));
        }
        None => return Err(bad("its envelope has no format version")),
    }
    serde_json::from_value(value).map_err(|e| bad(&format!("its envelope is not valid: {e}")))
}

/// Checks a signed envelope's contents against the format's limits; returns its recipients.
fn check_contents(env: &Envelope, sender: &ContactCard) -> Result<Vec<ContactCard>> {
    let bad = |m: &str| Error::BadMessage(m.to_string());
    if env.recipients.is_empty() || env.recipients.len() > MAX_RECIPIENTS {
        return Err(bad(&format!(
            "it must name 1 to {MAX_RECIPIENTS} recipients"
        )));
    }
    let mut recipients = Vec::with_capacity(env.recipients.len());
    for r in &env.recipients {
        let c = ContactCard::parse(r)
            .map_err(|e| bad(&format!("a recipient card is not valid: {e}")))?;
        if c.same_keys(sender) || recipients.iter().any(|o: &ContactCard| o.same_keys(&c)) {
            return Err(bad("it names a recipient twice"));
        }
        recipients.push(c);
    }
    if env.body.len() > MAX_BODY_BYTES {
        return Err(bad("its body is too large"));
    }
    if let Some(p) = &env.prev
        && (p.len() != 64 || !p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        return Err(bad("its previous-message hash is not valid"));
    }
    if env.attachments.len() > MAX_ATTACHMENTS {
        return Err(bad("it has too many attachments"));
    }
    let mut total = 0usize;
    for a in &env.attachments {
        check_attachment_name(&a.name).map_err(|m| bad(&m))?;
        let bytes = B64
            .decode(&a.data)
            .map_err(|_| bad("an attachment is not base64"))?;
        total += bytes.len();
    }
    if total > MAX_ATTACHMENT_BYTES {
        return Err(bad("its attachments are too large"));
    }
    if let Some(n) = &env.note
        && (n.title.len() > 1024 || n.tags.len() > 64)
    {
        return Err(bad("its shared note's title or tags are too long"));
    }
    Ok(recipients)
}

/// An attachment name: a plain file name (no folders), 1 to 255 bytes, no control or
/// invisible characters (crate::text: `U+202E` would make `exe.txt` read as `txt.exe`).
pub fn check_attachment_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || crate::text::unsafe_in_name(name).is_some()
    {
        return Err(format!("{name:?} is not a valid attachment name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party() -> (Keys, ContactCard) {
        let k = Keys::generate();
        let c =
            ContactCard::new("p", &k.messaging_identity().to_public(), &k.verifying_key()).unwrap();
        (k, c)
    }

    fn envelope(from: &ContactCard, to: &[&ContactCard]) -> Envelope {
        Envelope {
            format: MESSAGE_FORMAT,
            sender: from.encode(),
            recipients: to.iter().map(|c| c.encode()).collect(),
            conversation: Id::random(),
            message: Id::random(),
            time: 1,
            prev: None,
            body: "hello".into(),
            note: None,
            attachments: vec![],
        }
    }

    #[test]
    fn plaintexts_are_padded_to_their_padme_length_and_checked_strictly() {
        let ((ka, a), (kb, b)) = (party(), party());
        let (ct, sent) = seal(&ka, &envelope(&a, &[&b])).unwrap();
        let plain = crypto::decrypt(&[kb.messaging_identity()], &ct).unwrap();
        let unpadded = sent.plaintext.len();
        assert_eq!(plain.len() as u64, crypto::padme(unpadded as u64));
        assert!(plain.len() > unpadded, "this length needs padding");
        assert_eq!(&plain[..unpadded], &sent.plaintext[..]);
        assert!(plain[unpadded..].iter().all(|b| *b == b'\n'));
        // Opened and stored without the padding.
        assert_eq!(open(&kb, &b, &ct).unwrap().plaintext, sent.plaintext);
        // A message from before padding (none at all) still reads, and so does any number of
        // padding bytes.
        let old = verify(&sent.plaintext).unwrap();
        assert_eq!(
            (old.envelope, old.hash),
            (sent.envelope.clone(), sent.hash.clone())
        );
        let mut more = sent.plaintext.clone();
        more.extend_from_slice(b"\n\n\n");
        verify(&more).unwrap();
        // Readers from before padding parse the frame with serde_json::from_slice, which
        // accepts trailing whitespace: padded messages read there too.
        serde_json::from_slice::<Wire>(&plain[MESSAGE_MAGIC.len()..]).unwrap();
        // Anything else after the frame is refused.
        for tail in [
            &b" "[..],
            b"\r\n",
            b"\t",
            b"\0",
            b"x",
            b"\n\n}",
            b"{}",
            b"\n\xff",
        ] {
            let mut p = sent.plaintext.clone();
            p.extend_from_slice(tail);
            let e = verify(&p).unwrap_err();
            assert_eq!(e.code(), "bad_message", "{tail:?}");
            assert_eq!(
                e.to_string(),
                "the message is damaged or malformed: it has bytes other than padding after its frame (only \\n may follow it)",
                "{tail:?}"
            );
            let ct = crypto::encrypt(&[&b.messaging_recipient()], &p).unwrap();
            assert_eq!(open(&kb, &b, &ct).unwrap_err().code(), "bad_message");
        }
    }

    #[test]
    fn padding_hides_small_differences_in_size() {
        let ((ka, a), (kb, b)) = (party(), party());
        let mut env = envelope(&a, &[&b]);
        let mut sizes = std::collections::BTreeSet::new();
        for n in 3000..3200 {
            env.body = "x".repeat(n);
            let (ct, _) = seal(&ka, &env).unwrap();
            // What age encrypts (its payload's size follows from it; its header's varies by
            // itself: age adds a random "grease" stanza).
            let plain = crypto::decrypt(&[kb.messaging_identity()], &ct).unwrap();
            sizes.insert(plain.len());
        }
        // 200 body lengths, at most 3 encrypted lengths (Padmé steps of 128 bytes here).
        assert!(sizes.len() <= 3, "{sizes:?}");
    }

    #[test]
    fn recipients_and_sender_open_others_do_not() {
        let ((ka, a), (kb, b), (kc, c)) = (party(), party(), party());
        let (ct, sent) = seal(&ka, &envelope(&a, &[&b])).unwrap();
        let got = open(&kb, &b, &ct).unwrap();
        assert_eq!(got.envelope, sent.envelope);
        assert_eq!(got.hash, sent.hash);
        open(&ka, &a, &ct).unwrap();
        assert_eq!(open(&kc, &c, &ct).unwrap_err().code(), "not_for_me");
        // B re-encrypts A's signed message to C: C is not among the recipients.
        let re = crypto::encrypt(&[&c.messaging_recipient()], &got.plaintext).unwrap();
        assert_eq!(open(&kc, &c, &re).unwrap_err().code(), "not_a_recipient");
        // B alters the body and re-encrypts: the signature fails.
        let text = String::from_utf8(got.plaintext.clone()).unwrap();
        let altered = text.replace("hello", "hullo");
        let re = crypto::encrypt(&[&b.messaging_recipient()], altered.as_bytes()).unwrap();
        assert_eq!(open(&kb, &b, &re).unwrap_err().code(), "bad_signature");
        // A flipped ciphertext byte: age's authentication fails.
        let mut flipped = ct.clone();
        let n = flipped.len() - 10;
        flipped[n] ^= 1;
        assert_eq!(open(&kb, &b, &flipped).unwrap_err().code(), "bad_message");
        assert_eq!(
            open(&kb, &b, &ct[..ct.len() - 1]).unwrap_err().code(),
            "bad_message"
        );
    }
}
