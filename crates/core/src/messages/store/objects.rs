//! The messaging objects: encoded and decoded.

use super::*;

pub(super) fn kind_of(k: ObjectKind) -> Option<Kind> {
    match k {
        ObjectKind::Contact => Some(Kind::Contact),
        ObjectKind::Message => Some(Kind::Message),
        ObjectKind::Conversation => Some(Kind::Conversation),
        ObjectKind::Note | ObjectKind::Attachment => None,
    }
}

pub(super) fn object_kind(k: Kind) -> ObjectKind {
    match k {
        Kind::Contact => ObjectKind::Contact,
        Kind::Message => ObjectKind::Message,
        Kind::Conversation => ObjectKind::Conversation,
        Kind::Note => ObjectKind::Note,
        Kind::Attachment => ObjectKind::Attachment,
    }
}

pub(super) fn encode_contact(c: &ContactRecord, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Contact, vault, &c.object);
    h.set("contact", Value::from(c.contact.to_string()));
    h.set("name", Value::from(c.name.clone()));
    h.set("card", Value::from(c.card.clone()));
    h.set("verified", Value::from(c.verified));
    h.set("key-changed", Value::from(c.key_changed));
    h.set("previous", Value::from(c.previous.clone()));
    h.set("added", Value::from(c.added));
    h.set("updated", Value::from(c.updated));
    // Only on tombstones: the revisions of live contacts stay as they were before removal.
    if c.removed {
        h.set("removed", Value::from(true));
    }
    object::frame(&h, b"")
}

pub(super) fn encode_profile(p: &ProfileRecord, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Contact, vault, &p.object);
    h.set("me", Value::from(true));
    h.set("name", Value::from(p.name.clone()));
    h.set("updated", Value::from(p.updated));
    object::frame(&h, b"")
}

pub(super) fn encode_message(
    m: &StoredMessage,
    plaintext: &[u8],
    vault: &Id,
) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Message, vault, &m.object);
    h.set("message", Value::from(m.envelope.message.to_string()));
    h.set(
        "conversation",
        Value::from(m.envelope.conversation.to_string()),
    );
    h.set(
        "direction",
        Value::from(if m.outgoing { "out" } else { "in" }),
    );
    h.set("received", Value::from(m.received));
    h.set("carrier", Value::from(m.carrier.clone()));
    h.set("owner", Value::from(m.owner.clone()));
    object::frame(&h, plaintext)
}

pub(super) fn encode_read(conv: &Id, r: &ReadMark, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Conversation, vault, &r.object);
    h.set("conversation", Value::from(conv.to_string()));
    h.set("read-until", Value::from(r.read_until));
    h.set("updated", Value::from(r.updated));
    object::frame(&h, b"")
}

pub(super) fn decode(kind: Kind, data: &[u8], vault: &Id, id: &Id) -> Result<Decoded> {
    let (h, body) = object::unframe(data, kind, vault, id)?;
    let bad = |m: &str| Error::corrupt(id, m.to_string());
    let int = |k: &str| {
        h.get(k)
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(&format!("no {k}")))
    };
    let boolean = |k: &str| h.get(k).and_then(Value::as_bool).unwrap_or(false);
    match kind {
        Kind::Contact if boolean("me") => Ok(Decoded::Profile(ProfileRecord {
            object: *id,
            name: h.str("name")?.to_string(),
            updated: int("updated")?,
        })),
        Kind::Contact => {
            let card = h.str("card")?.to_string();
            ContactCard::parse(&card).map_err(|e| bad(&e.to_string()))?;
            Ok(Decoded::Contact(ContactRecord {
                object: *id,
                contact: h.id("contact")?,
                name: h.str("name")?.to_string(),
                card,
                verified: boolean("verified"),
                key_changed: boolean("key-changed"),
                previous: h
                    .get("previous")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                added: int("added")?,
                updated: int("updated")?,
                removed: boolean("removed"),
            }))
        }
        Kind::Message => {
            let opened = envelope::verify(body).map_err(|e| bad(&e.to_string()))?;
            if opened.envelope.message != h.id("message")? {
                return Err(bad("its header names another message"));
            }
            Ok(Decoded::Message(StoredMessage {
                object: *id,
                hash: opened.hash,
                envelope: opened.envelope,
                outgoing: h.str("direction")? == "out",
                received: int("received")?,
                carrier: h.str("carrier").unwrap_or("").to_string(),
                owner: h.str("owner").unwrap_or("").to_string(),
            }))
        }
        Kind::Conversation => Ok(Decoded::Read(
            h.id("conversation")?,
            ReadMark {
                object: *id,
                read_until: int("read-until")?,
                updated: int("updated")?,
            },
        )),
        Kind::Note | Kind::Attachment => Err(bad("not a messaging object")),
    }
}

pub(super) fn read_object(v: &Vault, id: &Id, sha256: &str, kind: Kind) -> Result<Decoded> {
    decode(
        kind,
        &v.decrypt_object(id, Some(sha256))?,
        &v.store.config.vault,
        id,
    )
}
