//! Contacts, conversations and messages in the vault, and the [`Vault`] methods over them.
//!
//! Each is a vault object (encrypted to the vault key, named by a signed log entry, synced
//! between one person's devices like notes):
//! - kind `contact`: one revision of a contact (or, with `me: true`, of the owner's display
//!   name); the newest revision of each contact id wins; a revision with `removed: true` is the
//!   tombstone of a removed contact (kept, so the removal wins on every device);
//! - kind `message`: one message, sent or received; its body is the signed plaintext, so it is
//!   verified again whenever it is loaded;
//! - kind `conversation`: a read marker (for unread counts); the newest wins.
//!
//! The decrypted state lives in memory beside the notes' state, built by reading the log
//! itself (so the note state and its snapshot stay untouched), and cached encrypted in
//! `local/messages.age`.

use super::card::{ContactCard, clean_new_name};
use super::envelope::{self, Envelope, MESSAGE_FORMAT, Opened, WireAttachment, WireNote};
use super::{
    AttachmentInfo, Contact, ConversationSummary, Draft, Held, MessageHit, MessageView, Party,
    ReceiveReport, Rejected, SafetyNumber, SharedNote,
};
use crate::log::ObjectKind;
use crate::note::{Millis, now_millis};
use crate::object::{self, Header, Kind};
use crate::sync::{Remote, RemotePurpose};
use crate::vault::{Batch, NewObject, Sealed, Vault};
use crate::{Error, Id, NewNote, Result, crypto};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;

const CACHE_FORMAT: u32 = 2;
/// Version 2 added the removed mark of contacts; a version 1 cache is not read (rebuilt from
/// the log).
const CACHE_MAGIC: &[u8; 8] = b"cofmsgs2";
/// After this many objects applied from the log since the cache was written, it is rewritten.
const CACHE_STALE_AFTER: usize = 64;
/// The start of the display name in the owner's card until one is set; the card's fingerprint
/// follows, so no two vaults share a default name (a shared one made every stranger look like
/// the contact of that name).
pub const DEFAULT_DISPLAY_NAME: &str = "Coffer user";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ContactRecord {
    object: Id,
    contact: Id,
    name: String,
    card: String,
    verified: bool,
    key_changed: bool,
    previous: Vec<String>,
    added: Millis,
    updated: Millis,
    /// A tombstone: the contact was removed (not listed, not a sender, not a recipient).
    removed: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProfileRecord {
    object: Id,
    name: String,
    updated: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredMessage {
    object: Id,
    hash: String,
    envelope: Envelope,
    outgoing: bool,
    received: Millis,
    carrier: String,
    /// The owner's card when it was stored (the keys may have been rotated since).
    owner: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReadMark {
    object: Id,
    read_until: Millis,
    updated: Millis,
}

/// The decrypted messaging state of a vault.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct MessageState {
    /// Per device: the last log entry read (sequence number, hash).
    marks: BTreeMap<Id, (u64, String)>,
    /// Objects already applied.
    seen: HashSet<Id>,
    contacts: HashMap<Id, ContactRecord>,
    profile: Option<ProfileRecord>,
    /// By message id.
    messages: HashMap<Id, StoredMessage>,
    /// By conversation id.
    read: HashMap<Id, ReadMark>,
    /// Key ids (see [`ContactCard::key_id`]) the owner had: before a key rotation too.
    own: HashSet<String>,
    #[serde(skip)]
    index: Option<Index>,
    #[serde(skip)]
    unsaved: usize,
}

/// Words of message bodies, note titles, attachment names and sender names.
#[derive(Default)]
struct Index {
    words: BTreeMap<String, HashSet<Id>>,
}

impl Index {
    fn add(&mut self, m: &StoredMessage) {
        let e = &m.envelope;
        let mut text = String::with_capacity(e.body.len() + 64);
        text.push_str(&e.body);
        if let Some(n) = &e.note {
            text.push(' ');
            text.push_str(&n.title);
            for t in &n.tags {
                text.push(' ');
                text.push_str(t);
            }
        }
        for a in &e.attachments {
            text.push(' ');
            text.push_str(&a.name);
        }
        for w in crate::search::tokenize(&text) {
            self.words.entry(w).or_default().insert(e.message);
        }
    }

    fn search(&self, query: &str) -> HashSet<Id> {
        let mut result: Option<HashSet<Id>> = None;
        for q in crate::search::tokenize(query) {
            let mut hits = HashSet::new();
            for (_, ids) in self
                .words
                .range(q.clone()..)
                .take_while(|(w, _)| w.starts_with(&q))
            {
                hits.extend(ids.iter().copied());
            }
            result = Some(match result {
                None => hits,
                Some(r) => r.intersection(&hits).copied().collect(),
            });
        }
        result.unwrap_or_default()
    }
}

/// A decoded messaging object.
enum Decoded {
    Contact(ContactRecord),
    Profile(ProfileRecord),
    Message(StoredMessage),
    Read(Id, ReadMark),
}

impl MessageState {
    fn apply(&mut self, d: Decoded) {
        match d {
            Decoded::Contact(c) => {
                let newer = self
                    .contacts
                    .get(&c.contact)
                    .is_none_or(|old| (c.updated, c.object) > (old.updated, old.object));
                if newer {
                    self.contacts.insert(c.contact, c);
                }
            }
            Decoded::Profile(p) => {
                if self
                    .profile
                    .as_ref()
                    .is_none_or(|old| (p.updated, p.object) > (old.updated, old.object))
                {
                    self.profile = Some(p);
                }
            }
            Decoded::Message(m) => {
                if let Ok(c) = ContactCard::parse(&m.owner) {
                    self.own.insert(c.key_id());
                }
                if m.outgoing
                    && let Ok(c) = ContactCard::parse(&m.envelope.sender)
                {
                    self.own.insert(c.key_id());
                }
                if !self.messages.contains_key(&m.envelope.message) {
                    if let Some(i) = &mut self.index {
                        i.add(&m);
                    }
                    self.messages.insert(m.envelope.message, m);
                }
            }
            Decoded::Read(conv, r) => {
                let newer = self
                    .read
                    .get(&conv)
                    .is_none_or(|old| (r.updated, r.object) > (old.updated, old.object));
                if newer {
                    self.read.insert(conv, r);
                }
            }
        }
    }

    /// The contacts that are not removed.
    fn live_contacts(&self) -> impl Iterator<Item = &ContactRecord> {
        self.contacts.values().filter(|c| !c.removed)
    }

    fn find_contact(&self, query: &str) -> Result<&ContactRecord> {
        let q = query.trim();
        let lower = q.to_lowercase();
        let by_name: Vec<&ContactRecord> = self
            .live_contacts()
            .filter(|c| c.name.to_lowercase() == lower)
            .collect();
        if by_name.len() == 1 {
            return Ok(by_name[0]);
        }
        if q.len() >= 4 && q.bytes().all(|b| b.is_ascii_hexdigit()) {
            let found: Vec<&ContactRecord> = self
                .live_contacts()
                .filter(|c| c.contact.to_string().starts_with(&lower))
                .collect();
            match found.len() {
                1 => return Ok(found[0]),
                0 => {}
                _ => return Err(Error::ambiguous(q, found.iter().map(|c| c.contact))),
            }
        }
        if by_name.len() > 1 {
            return Err(Error::ambiguous(q, by_name.iter().map(|c| c.contact)));
        }
        Err(Error::NoSuchContact(q.to_string()))
    }

    /// Whether `card` holds the owner's keys, current or earlier.
    fn is_me(&self, me: &ContactCard, card: &ContactCard) -> bool {
        card.same_keys(me) || self.own.contains(&card.key_id())
    }

    fn party(&self, me: &ContactCard, card: &ContactCard) -> Party {
        if self.is_me(me, card) {
            return Party::Me;
        }
        let mut previous = None;
        for c in self.live_contacts() {
            match ContactCard::parse(&c.card) {
                Ok(k) if k.same_keys(card) => {
                    return Party::Contact {
                        id: c.contact,
                        name: c.name.clone(),
                        verified: c.verified,
                    };
                }
                _ => {}
            }
            if c.previous.iter().any(|p| {
                ContactCard::parse(p)
                    .map(|k| k.same_keys(card))
                    .unwrap_or(false)
            }) {
                previous = Some(Party::PreviousKey {
                    id: c.contact,
                    name: c.name.clone(),
                });
            }
        }
        previous.unwrap_or_else(|| Party::Unknown {
            claimed: card.name().to_string(),
            fingerprint: card.fingerprint(),
        })
    }

    /// A message's sender must be a contact (or the owner); anything else is held apart.
    fn check_sender(&self, me: &ContactCard, sender: &ContactCard) -> Result<()> {
        if sender.same_keys(me) {
            return Ok(());
        }
        let mut changed = None;
        for c in self.live_contacts() {
            let Ok(k) = ContactCard::parse(&c.card) else {
                continue;
            };
            if k.same_keys(sender) {
                return Ok(());
            }
            let old_key = c
                .previous
                .iter()
                .any(|p| ContactCard::parse(p).is_ok_and(|o| o.same_keys(sender)));
            // Only a key ties a sender to a contact: a name is what anyone can write on a
            // card, so a stranger with a contact's name is a stranger ("claims to be").
            if old_key || k.shares_a_key(sender) {
                changed = Some(c.name.clone());
            }
        }
        Err(match changed {
            Some(name) => Error::ContactKeyChanged {
                name,
                fingerprint: sender.fingerprint(),
            },
            None => Error::UnknownSender {
                claimed: sender.name().to_string(),
                fingerprint: sender.fingerprint(),
            },
        })
    }

    fn view(&self, me: &ContactCard, m: &StoredMessage, hashes: &HashSet<&str>) -> MessageView {
        self.view_cached(me, m, hashes, &mut HashMap::new())
    }

    /// The party a card names, each distinct card parsed once per `cache` (a thread of
    /// thousands of messages has few distinct cards).
    fn party_of(&self, me: &ContactCard, text: &str, cache: &mut HashMap<String, Party>) -> Party {
        if let Some(p) = cache.get(text) {
            return p.clone();
        }
        let p = match ContactCard::parse(text) {
            Ok(card) => self.party(me, &card),
            Err(_) => Party::Unknown {
                claimed: String::new(),
                fingerprint: String::new(),
            },
        };
        cache.insert(text.to_string(), p.clone());
        p
    }

    fn view_cached(
        &self,
        me: &ContactCard,
        m: &StoredMessage,
        hashes: &HashSet<&str>,
        cache: &mut HashMap<String, Party>,
    ) -> MessageView {
        let e = &m.envelope;
        let from = if m.outgoing {
            Party::Me
        } else {
            self.party_of(me, &e.sender, cache)
        };
        let to = e
            .recipients
            .iter()
            .map(|r| self.party_of(me, r, cache))
            .collect();
        MessageView {
            id: e.message,
            conversation: e.conversation,
            from,
            to,
            outgoing: m.outgoing,
            time: e.time,
            received: m.received,
            body: e.body.clone(),
            note: e.note.as_ref().map(|n| SharedNote {
                title: n.title.clone(),
                tags: n.tags.clone(),
            }),
            attachments: e
                .attachments
                .iter()
                .map(|a| AttachmentInfo {
                    name: a.name.clone(),
                    size: (a.data.len() / 4 * 3) as u64
                        - a.data.bytes().rev().take_while(|b| *b == b'=').count() as u64,
                })
                .collect(),
            missing_previous: e.prev.as_deref().is_some_and(|p| !hashes.contains(p)),
            carrier: m.carrier.clone(),
        }
    }

    /// The parties of a conversation except the owner, as key ids with a card each.
    fn participants(&self, me: &ContactCard, conversation: &Id) -> BTreeMap<String, ContactCard> {
        let mut out = BTreeMap::new();
        for m in self
            .messages
            .values()
            .filter(|m| m.envelope.conversation == *conversation)
        {
            let e = &m.envelope;
            for c in std::iter::once(&e.sender).chain(e.recipients.iter()) {
                if let Ok(card) = ContactCard::parse(c)
                    && !self.is_me(me, &card)
                {
                    out.entry(card.key_id()).or_insert(card);
                }
            }
        }
        out
    }

    fn in_conversation(&self, conversation: &Id) -> Vec<&StoredMessage> {
        let mut v: Vec<&StoredMessage> = self
            .messages
            .values()
            .filter(|m| m.envelope.conversation == *conversation)
            .collect();
        v.sort_by_key(|m| (m.envelope.time, m.envelope.message));
        v
    }
}

// ---------- objects ----------

fn kind_of(k: ObjectKind) -> Option<Kind> {
    match k {
        ObjectKind::Contact => Some(Kind::Contact),
        ObjectKind::Message => Some(Kind::Message),
        ObjectKind::Conversation => Some(Kind::Conversation),
        ObjectKind::Note | ObjectKind::Attachment => None,
    }
}

fn object_kind(k: Kind) -> ObjectKind {
    match k {
        Kind::Contact => ObjectKind::Contact,
        Kind::Message => ObjectKind::Message,
        Kind::Conversation => ObjectKind::Conversation,
        Kind::Note => ObjectKind::Note,
        Kind::Attachment => ObjectKind::Attachment,
    }
}

fn encode_contact(c: &ContactRecord, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
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

fn encode_profile(p: &ProfileRecord, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Contact, vault, &p.object);
    h.set("me", Value::from(true));
    h.set("name", Value::from(p.name.clone()));
    h.set("updated", Value::from(p.updated));
    object::frame(&h, b"")
}

fn encode_message(m: &StoredMessage, plaintext: &[u8], vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
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

fn encode_read(conv: &Id, r: &ReadMark, vault: &Id) -> zeroize::Zeroizing<Vec<u8>> {
    let mut h = Header::new(Kind::Conversation, vault, &r.object);
    h.set("conversation", Value::from(conv.to_string()));
    h.set("read-until", Value::from(r.read_until));
    h.set("updated", Value::from(r.updated));
    object::frame(&h, b"")
}

fn decode(kind: Kind, data: &[u8], vault: &Id, id: &Id) -> Result<Decoded> {
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

fn read_object(v: &Vault, id: &Id, sha256: &str, kind: Kind) -> Result<Decoded> {
    decode(
        kind,
        &v.decrypt_object(id, Some(sha256))?,
        &v.config.vault,
        id,
    )
}

// ---------- loading ----------

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    vault: Id,
    state: MessageState,
}

fn cache_path(v: &Vault) -> std::path::PathBuf {
    v.layout.local().join("messages.age")
}

fn read_cache(v: &Vault) -> MessageState {
    let Ok(ct) = fs::read(cache_path(v)) else {
        return MessageState::default();
    };
    let Ok(plain) = crypto::decrypt(&[v.keys.vault_identity()], &ct) else {
        return MessageState::default();
    };
    let Some(body) = plain.strip_prefix(CACHE_MAGIC) else {
        return MessageState::default();
    };
    match postcard::from_bytes::<CacheFile>(body) {
        Ok(c) if c.format == CACHE_FORMAT && c.vault == v.config.vault => c.state,
        _ => MessageState::default(),
    }
}

fn write_cache(v: &Vault, st: &mut MessageState) -> Result<()> {
    let file = CacheFile {
        format: CACHE_FORMAT,
        vault: v.config.vault,
        state: std::mem::take(st),
    };
    let mut plain = zeroize::Zeroizing::new(CACHE_MAGIC.to_vec());
    let r = postcard::to_extend(&file, std::mem::take(&mut *plain));
    *st = file.state;
    *plain = r.map_err(|e| Error::Invalid(format!("message cache: {e}")))?;
    let ct = crypto::encrypt(&[&v.keys.vault_recipient()], &plain)?;
    crate::fsutil::write_atomic(&cache_path(v), &ct)?;
    st.unsaved = 0;
    Ok(())
}

/// Reads log entries past the marks and applies the messaging objects they name.
fn scan(v: &mut Vault, st: &mut MessageState) -> Result<()> {
    let devices: Vec<Id> = match fs::read_dir(v.layout.logs()) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<Id>().ok()))
            .collect(),
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io("listing the log")(e)),
    };
    for device in devices {
        loop {
            let (seq, prev) = st
                .marks
                .get(&device)
                .map(|(s, h)| (*s, Some(h.clone())))
                .unwrap_or((0, None));
            let path = v.layout.log_entry(&device, seq + 1);
            let ct = match crate::limits::read_file(&path, crate::limits::LOG_ENTRY) {
                Ok(ct) => ct,
                Err(e) if e.kind() == ErrorKind::NotFound => break,
                Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
            };
            // A damaged entry is reported by the note state's own replay; stop here too.
            let Ok((entry, hash)) = v.open_entry(&device, seq + 1, &ct, prev.as_deref()) else {
                break;
            };
            for obj in &entry.objects {
                let Some(kind) = kind_of(obj.kind) else {
                    continue;
                };
                if st.seen.contains(&obj.id) {
                    continue;
                }
                match read_object(v, &obj.id, &obj.sha256, kind) {
                    Ok(d) => {
                        st.apply(d);
                        st.seen.insert(obj.id);
                        st.unsaved += 1;
                    }
                    Err(e) => {
                        let p = e.to_string();
                        if !v.load_problems.contains(&p) {
                            v.load_problems.push(p);
                        }
                    }
                }
            }
            st.marks.insert(device, (seq + 1, hash));
        }
    }
    Ok(())
}

/// Runs `f` on the up-to-date messaging state.
fn with_state<T>(
    v: &mut Vault,
    f: impl FnOnce(&mut Vault, &mut MessageState) -> Result<T>,
) -> Result<T> {
    let mut st = match v.messages.take() {
        Some(s) => s,
        None => Box::new(read_cache(v)),
    };
    let r = scan(v, &mut st).and_then(|_| {
        if st.unsaved >= CACHE_STALE_AFTER {
            // Only a cache: failing to write it changes nothing.
            let _ = write_cache(v, &mut st);
        }
        f(v, &mut st)
    });
    v.messages = Some(st);
    r
}

/// A new object ready to commit, with its decoded form to apply once committed.
struct Pending {
    kind: Kind,
    id: Id,
    plain: zeroize::Zeroizing<Vec<u8>>,
    decoded: Decoded,
}

/// Under the vault's write lock: refresh, let `f` decide, commit what it returns, apply it.
fn write<T>(
    v: &mut Vault,
    f: impl FnOnce(&mut Vault, &mut MessageState) -> Result<(T, Vec<Pending>)>,
) -> Result<T> {
    with_state(v, |v, st| {
        let mut applied = Vec::new();
        let out = v.transact(|v| {
            scan(v, st)?;
            let (out, pending) = f(v, st)?;
            let mut batch = Batch::default();
            for p in pending {
                let ct = crypto::encrypt(&[&v.keys.vault_recipient()], &p.plain)?;
                batch.objects.push(NewObject {
                    id: p.id,
                    kind: object_kind(p.kind),
                    sha256: crypto::sha256_hex(&ct),
                    sealed: Sealed::Bytes(ct),
                });
                applied.push((p.id, p.decoded));
            }
            Ok((out, batch))
        })?;
        for (id, d) in applied {
            st.apply(d);
            st.seen.insert(id);
            st.unsaved += 1;
        }
        Ok(out)
    })
}

fn my_card(v: &Vault, st: &MessageState) -> ContactCard {
    let name = st.profile.as_ref().map(|p| p.name.clone());
    let k = &v.keys;
    let card = |name: &str| {
        ContactCard::new(
            name,
            &k.messaging_identity().to_public(),
            &k.verifying_key(),
        )
    };
    let default = || {
        let c = card(DEFAULT_DISPLAY_NAME).expect("the owner's keys make a card");
        let own = format!("{DEFAULT_DISPLAY_NAME} {}", &c.fingerprint()[..9]);
        card(&own).expect("the default name is valid")
    };
    match name {
        Some(n) => card(&n).unwrap_or_else(|_| default()),
        None => default(),
    }
}

fn to_contact(c: &ContactRecord) -> Contact {
    let card = ContactCard::parse(&c.card).expect("checked when loaded");
    Contact {
        id: c.contact,
        name: c.name.clone(),
        card_name: card.name().to_string(),
        card: c.card.clone(),
        fingerprint: card.fingerprint(),
        verified: c.verified,
        key_changed: c.key_changed,
        previous_cards: c.previous.clone(),
        added: c.added,
        updated: c.updated,
    }
}

fn contact_pending(v: &Vault, c: ContactRecord) -> Pending {
    Pending {
        kind: Kind::Contact,
        id: c.object,
        plain: encode_contact(&c, &v.config.vault),
        decoded: Decoded::Contact(c),
    }
}

fn message_pending(v: &Vault, m: StoredMessage, plaintext: &[u8]) -> Pending {
    Pending {
        kind: Kind::Message,
        id: m.object,
        plain: encode_message(&m, plaintext, &v.config.vault),
        decoded: Decoded::Message(m),
    }
}

fn clean_contact_name(name: &str) -> Result<String> {
    clean_new_name(name).map_err(|m| Error::Invalid(format!("contact name: {m}")))
}

/// How a message leaves this vault.
pub enum Via<'a> {
    /// Into the recipients' inboxes on a shared remote; `name` is how the remote is shown.
    Remote {
        remote: &'a dyn Remote,
        name: &'a str,
    },
    /// As an ASCII-armored block returned to the caller.
    Armor,
}

/// A message that was sent.
#[derive(Clone, Debug, Serialize)]
pub struct Sent {
    pub message: MessageView,
    /// The armored block, when sent [`Via::Armor`].
    pub armored: Option<String>,
}

/// Classifies why a message could not be accepted: held apart (a sender who is not a contact)
/// or rejected.
/// How far ahead of this device's clock a message's time may be (clocks differ); a message
/// further ahead would stay on top of every list.
const MAX_CLOCK_AHEAD: Millis = 24 * 3600 * 1000;

/// Inbox files received are committed in groups of about this many bytes.
pub const RECEIVE_GROUP_BYTES: usize = 16 << 20;

/// How the reason of a message that could not be decrypted at all begins (so it was never
/// shown to be one for this user, and is not removed from an inbox).
const NOT_OPENED: &str = envelope::NOT_DECRYPTED;

fn is_held(e: &Error) -> bool {
    matches!(
        e,
        Error::UnknownSender { .. } | Error::ContactKeyChanged { .. }
    )
}

impl Vault {
    /// This vault's contact card: its messaging keys and display name. Give it to the people
    /// who should be able to write to you.
    pub fn my_card(&mut self) -> Result<ContactCard> {
        with_state(self, |v, st| Ok(my_card(v, st)))
    }

    /// Sets the display name in this vault's card (what contacts see when they add it).
    pub fn set_display_name(&mut self, name: &str) -> Result<ContactCard> {
        let name =
            clean_new_name(name).map_err(|m| Error::Invalid(format!("display name: {m}")))?;
        write(self, |v, st| {
            let p = ProfileRecord {
                object: Id::random(),
                name,
                updated: now_millis().max(st.profile.as_ref().map_or(0, |p| p.updated + 1)),
            };
            let pending = Pending {
                kind: Kind::Contact,
                id: p.object,
                plain: encode_profile(&p, &v.config.vault),
                decoded: Decoded::Profile(p),
            };
            Ok(((), vec![pending]))
        })?;
        self.my_card()
    }

    /// Every contact, by name.
    pub fn contacts(&mut self) -> Result<Vec<Contact>> {
        with_state(self, |_, st| {
            let mut v: Vec<Contact> = st.live_contacts().map(to_contact).collect();
            v.sort_by_key(|c| c.name.to_lowercase());
            Ok(v)
        })
    }

    /// One contact, by name (case-insensitive) or id prefix.
    pub fn contact(&mut self, query: &str) -> Result<Contact> {
        with_state(self, |_, st| st.find_contact(query).map(to_contact))
    }

    /// Adds a contact from their card under a name of this user's choosing. A card whose keys
    /// are already a contact's is refused; so is a known name (chosen by this user, not read
    /// from the card) or a key of a known contact with other keys: that is a key change,
    /// accepted only by [`Vault::replace_contact_keys`].
    pub fn add_contact(&mut self, card: &str, name: &str) -> Result<Contact> {
        let card = ContactCard::parse(card)?;
        let name = clean_contact_name(name)?;
        write(self, |v, st| {
            if card.same_keys(&my_card(v, st)) {
                return Err(Error::ContactExists(
                    "that is your own card; add someone else's".into(),
                ));
            }
            for c in st.live_contacts() {
                let k = ContactCard::parse(&c.card)?;
                if k.same_keys(&card) {
                    return Err(Error::ContactExists(format!(
                        "this card is already your contact {:?}",
                        c.name
                    )));
                }
                if c.name.to_lowercase() == name.to_lowercase() || k.shares_a_key(&card) {
                    return Err(Error::ContactKeyChanged {
                        name: c.name.clone(),
                        fingerprint: card.fingerprint(),
                    });
                }
            }
            let now = now_millis();
            // Adding again the keys of a removed contact brings that contact back (a fresh
            // contact: not verified, no old keys), newer than its tombstone: one contact on every
            // device, whichever of them saw which revision first.
            let removed = st
                .contacts
                .values()
                .filter(|c| c.removed)
                .filter(|c| ContactCard::parse(&c.card).is_ok_and(|k| k.same_keys(&card)))
                .max_by_key(|c| (c.updated, c.object));
            let (contact, updated) = match removed {
                Some(old) => (old.contact, now.max(old.updated + 1)),
                None => (Id::random(), now),
            };
            let rec = ContactRecord {
                object: Id::random(),
                contact,
                name,
                card: card.encode(),
                verified: false,
                key_changed: false,
                previous: vec![],
                added: now,
                updated,
                removed: false,
            };
            Ok((to_contact(&rec), vec![contact_pending(v, rec)]))
        })
    }

    /// Accepts new keys for a known contact (they made new keys, or a new device): the old card
    /// is kept on record, the verified mark is cleared and the contact is flagged until the new
    /// safety number is verified.
    pub fn replace_contact_keys(&mut self, query: &str, card: &str) -> Result<Contact> {
        let card = ContactCard::parse(card)?;
        write(self, |v, st| {
            let old = st.find_contact(query)?.clone();
            if ContactCard::parse(&old.card)?.same_keys(&card) {
                return Err(Error::ContactExists(format!(
                    "{:?} already has these keys",
                    old.name
                )));
            }
            if card.same_keys(&my_card(v, st)) {
                return Err(Error::ContactExists("that is your own card".into()));
            }
            let mut rec = old.clone();
            rec.object = Id::random();
            rec.previous.push(old.card);
            rec.card = card.encode();
            rec.verified = false;
            rec.key_changed = true;
            rec.updated = now_millis().max(old.updated + 1);
            Ok((to_contact(&rec), vec![contact_pending(v, rec)]))
        })
    }

    /// The safety number of this vault and a contact: both sides see the same 60 digits.
    pub fn safety_number(&mut self, query: &str) -> Result<SafetyNumber> {
        with_state(self, |v, st| {
            let c = ContactCard::parse(&st.find_contact(query)?.card)?;
            Ok(SafetyNumber::of(&my_card(v, st), &c))
        })
    }

    /// Marks a contact verified: call it only after the safety numbers were compared and match.
    pub fn verify_contact(&mut self, query: &str) -> Result<Contact> {
        write(self, |v, st| {
            let old = st.find_contact(query)?;
            let mut rec = old.clone();
            rec.object = Id::random();
            rec.verified = true;
            rec.key_changed = false;
            rec.updated = now_millis().max(old.updated + 1);
            Ok((to_contact(&rec), vec![contact_pending(v, rec)]))
        })
    }

    /// Renames a contact (only in this vault).
    pub fn rename_contact(&mut self, query: &str, name: &str) -> Result<Contact> {
        let name = clean_contact_name(name)?;
        write(self, |v, st| {
            let old = st.find_contact(query)?;
            if st
                .live_contacts()
                .any(|c| c.contact != old.contact && c.name.to_lowercase() == name.to_lowercase())
            {
                return Err(Error::ContactExists(format!(
                    "another contact is named {name:?}"
                )));
            }
            let mut rec = old.clone();
            rec.object = Id::random();
            rec.name = name;
            rec.updated = now_millis().max(old.updated + 1);
            Ok((to_contact(&rec), vec![contact_pending(v, rec)]))
        })
    }

    /// Removes a contact: a new revision of it marked removed (a tombstone), synced like any
    /// other, so the removal wins on every device. It is no longer listed, messages are no
    /// longer sent to it, and messages from its keys are held like any unknown sender's; the
    /// messages already stored stay (their sender then shows as unknown). Adding the same card
    /// again later brings the contact back, not verified. Returns the contact as it was.
    pub fn remove_contact(&mut self, query: &str) -> Result<Contact> {
        write(self, |v, st| {
            let old = st.find_contact(query)?;
            let shown = to_contact(old);
            let mut rec = old.clone();
            rec.object = Id::random();
            rec.removed = true;
            rec.updated = now_millis().max(old.updated + 1);
            Ok((shown, vec![contact_pending(v, rec)]))
        })
    }

    /// Signs and encrypts a message to the named contacts, delivers it, and stores the sent
    /// copy. Nothing is stored when the delivery fails.
    pub fn send(&mut self, to: &[&str], draft: Draft, via: Via<'_>) -> Result<Sent> {
        self.send_inner(to, draft, None, via)
    }

    /// [`Vault::send`] through the remote named `remote` (see `coffer remote add`).
    pub fn send_to_remote(&mut self, remote: &str, to: &[&str], draft: Draft) -> Result<Sent> {
        let r = self.open_remote_for(remote, RemotePurpose::Messages)?;
        self.send(
            to,
            draft,
            Via::Remote {
                remote: &r,
                name: remote,
            },
        )
    }

    /// [`Vault::send`] as an armored block: returns the stored message and the block.
    pub fn send_armored(&mut self, to: &[&str], draft: Draft) -> Result<(MessageView, String)> {
        let sent = self.send(to, draft, Via::Armor)?;
        let armored = sent.armored.expect("armored sends return the block");
        Ok((sent.message, armored))
    }

    /// Shares a note with contacts: its current body, title and tags travel as a message the
    /// recipients can save as a note ([`Vault::save_shared_note`]).
    pub fn share_note(&mut self, note: &Id, to: &[&str], via: Via<'_>) -> Result<Sent> {
        let n = self.note(note)?;
        let draft = Draft::text(n.body.clone());
        let shared = WireNote {
            title: n.title.clone(),
            tags: n.tags.clone(),
        };
        self.send_inner(to, draft, Some(shared), via)
    }

    fn send_inner(
        &mut self,
        to: &[&str],
        draft: Draft,
        note: Option<WireNote>,
        via: Via<'_>,
    ) -> Result<Sent> {
        if to.is_empty() {
            return Err(Error::Invalid(
                "name at least one contact to send to".into(),
            ));
        }
        if draft.body.trim().is_empty() && draft.attachments.is_empty() {
            return Err(Error::Invalid("the message is empty".into()));
        }
        let mut armored = None;
        let message = write(self, |v, st| {
            let me = my_card(v, st);
            let mut recipients: Vec<ContactCard> = Vec::new();
            for q in to {
                let c = ContactCard::parse(&st.find_contact(q)?.card)?;
                if !recipients.iter().any(|r| r.same_keys(&c)) {
                    recipients.push(c);
                }
            }
            let wanted: BTreeSet<String> = recipients.iter().map(ContactCard::key_id).collect();
            let conversation = match draft.conversation {
                Some(c) => {
                    if !st.messages.values().any(|m| m.envelope.conversation == c) {
                        return Err(Error::NoSuchMessage(c.to_string()));
                    }
                    c
                }
                None => {
                    let mut latest: HashMap<Id, (Millis, Id)> = HashMap::new();
                    for m in st.messages.values() {
                        let e = &m.envelope;
                        let k = (e.time, e.message);
                        let slot = latest.entry(e.conversation).or_insert(k);
                        if k > *slot {
                            *slot = k;
                        }
                    }
                    let mut convs: Vec<(Id, (Millis, Id))> = latest.into_iter().collect();
                    convs.sort_by_key(|(_, k)| std::cmp::Reverse(*k));
                    convs
                        .into_iter()
                        .map(|(c, _)| c)
                        .find(|c| {
                            st.participants(&me, c)
                                .keys()
                                .cloned()
                                .collect::<BTreeSet<_>>()
                                == wanted
                        })
                        .unwrap_or_else(Id::random)
                }
            };
            // One pass over the messages (no sort): this runs for every message sent.
            let earlier: Vec<&StoredMessage> = st
                .messages
                .values()
                .filter(|m| m.envelope.conversation == conversation)
                .collect();
            let last = earlier
                .iter()
                .max_by_key(|m| (m.envelope.time, m.envelope.message));
            let prev = last.map(|m| m.hash.clone());
            let time = now_millis().max(last.map_or(0, |m| m.envelope.time.saturating_add(1)));
            let mut attachments = Vec::with_capacity(draft.attachments.len());
            for (name, bytes) in &draft.attachments {
                envelope::check_attachment_name(name).map_err(Error::Invalid)?;
                attachments.push(WireAttachment {
                    name: name.clone(),
                    data: B64.encode(bytes),
                });
            }
            let total: usize = draft.attachments.iter().map(|(_, b)| b.len()).sum();
            if total > envelope::MAX_ATTACHMENT_BYTES {
                return Err(Error::MessageTooLarge {
                    size: total as u64,
                    limit: envelope::MAX_ATTACHMENT_BYTES as u64,
                });
            }
            if draft.body.len() > envelope::MAX_BODY_BYTES {
                return Err(Error::MessageTooLarge {
                    size: draft.body.len() as u64,
                    limit: envelope::MAX_BODY_BYTES as u64,
                });
            }
            let env = Envelope {
                format: MESSAGE_FORMAT,
                sender: me.encode(),
                recipients: recipients.iter().map(ContactCard::encode).collect(),
                conversation,
                message: Id::random(),
                time,
                prev,
                body: draft.body.clone(),
                note: note.clone(),
                attachments,
            };
            let (ct, opened) = envelope::seal(&v.keys, &env)?;
            let carrier = match &via {
                Via::Remote { remote, name } => {
                    super::inbox::deliver(*remote, &recipients, &ct)?;
                    format!("remote:{name}")
                }
                Via::Armor => {
                    armored = Some(super::armor::armor(&ct)?);
                    "armor".to_string()
                }
            };
            let stored = StoredMessage {
                object: Id::random(),
                hash: opened.hash.clone(),
                envelope: opened.envelope.clone(),
                outgoing: true,
                received: now_millis(),
                carrier,
                owner: me.encode(),
            };
            let hashes: HashSet<&str> = earlier.iter().map(|m| m.hash.as_str()).collect();
            let view = st.view(&me, &stored, &hashes);
            Ok((view, vec![message_pending(v, stored, &opened.plaintext)]))
        })?;
        Ok(Sent { message, armored })
    }

    /// Opens a pasted armored message: checks it fully and stores it. A message from keys that
    /// are not a contact's, a forged or altered one, one not addressed to this vault, or one
    /// already received is refused with its own error, and nothing is stored.
    pub fn open_armored(&mut self, text: &str) -> Result<MessageView> {
        let ct = super::armor::dearmor(text)?;
        let mut views = self.accept(vec![(String::new(), ct)], "armor")?;
        let (_, r) = views.remove(0);
        r
    }

    /// Checks an inbox on a shared remote: every waiting message is checked and stored, or held
    /// (from keys that are not a contact's: left in the inbox), or rejected. Files are fetched
    /// one at a time, each no larger than a message can be, and committed in groups of at most
    /// [`RECEIVE_GROUP_BYTES`], so a flooded inbox costs bounded memory. A rejected file is
    /// removed only if it opened as a message encrypted to this vault (a forged signature, a
    /// replay, a malformed envelope): a file that is not one for this user (not an age file, not
    /// encrypted to this vault, too large, cut short) is left where it is and reported, since
    /// Coffer deletes nothing it cannot show to be a message meant for this user.
    pub fn receive_from(&mut self, remote: &dyn Remote, name: &str) -> Result<ReceiveReport> {
        let me = self.my_card()?;
        let carrier = format!("remote:{name}");
        let mut report = ReceiveReport::default();
        let mut group: Vec<(String, Vec<u8>)> = Vec::new();
        let mut group_bytes = 0;
        let mut keys = super::inbox::waiting(remote, &me)?.into_iter().peekable();
        while let Some(k) = keys.next() {
            match remote.get(&k, envelope::MAX_MESSAGE_BYTES as u64) {
                Ok(Some(bytes)) => {
                    group_bytes += bytes.len();
                    group.push((k, bytes));
                }
                Ok(None) => {}
                Err(e @ Error::RemoteFileTooLarge { .. }) => report.rejected.push(Rejected {
                    key: k,
                    code: e.code().to_string(),
                    message: e.to_string(),
                    removed: false,
                }),
                Err(e) => return Err(e),
            }
            if group_bytes >= RECEIVE_GROUP_BYTES || (keys.peek().is_none() && !group.is_empty()) {
                let files = std::mem::take(&mut group);
                group_bytes = 0;
                self.receive_group(remote, &me, files, &carrier, &mut report)?;
            }
        }
        report.received.sort_by_key(|m| (m.time, m.id));
        Ok(report)
    }

    /// Stores one group of inbox files and then removes from the inbox what may be removed.
    fn receive_group(
        &mut self,
        remote: &dyn Remote,
        me: &ContactCard,
        files: Vec<(String, Vec<u8>)>,
        carrier: &str,
        report: &mut ReceiveReport,
    ) -> Result<()> {
        let results = self.accept(files, carrier)?;
        let mut remove = Vec::new();
        for (key, r) in results {
            match r {
                Ok(view) => {
                    report.received.push(view);
                    remove.push(key);
                }
                Err(Error::DuplicateMessage(_)) => {
                    report.duplicates += 1;
                    remove.push(key);
                }
                Err(e) if is_held(&e) => {
                    let (sender_card, from) = self.held_sender(remote, &key);
                    report.held.push(Held {
                        key,
                        code: e.code().to_string(),
                        message: e.to_string(),
                        sender_card,
                        from,
                    });
                }
                Err(e) => {
                    let removed = !matches!(e, Error::NotForMe | Error::MessageTooLarge { .. })
                        && !matches!(&e, Error::BadMessage(m) if m.starts_with(NOT_OPENED));
                    report.rejected.push(Rejected {
                        key: key.clone(),
                        code: e.code().to_string(),
                        message: e.to_string(),
                        removed,
                    });
                    if removed {
                        remove.push(key);
                    }
                }
            }
        }
        // Only after the accepted messages are committed.
        for key in remove {
            super::inbox::delete_from_inbox(remote, me, &key)?;
        }
        Ok(())
    }

    /// [`Vault::receive_from`] the remote named `remote`.
    pub fn receive_from_remote(&mut self, remote: &str) -> Result<ReceiveReport> {
        let r = self.open_remote_for(remote, RemotePurpose::Messages)?;
        self.receive_from(&r, remote)
    }

    /// Deletes held messages from this vault's own inbox on a shared remote: those of `keys`
    /// (as [`Held::key`] names them) that are there and still held, so a message whose sender
    /// became a contact since is left for the next check. Any key outside the own inbox is
    /// refused before anything is deleted. Returns how many were deleted.
    pub fn discard_held_from(&mut self, remote: &dyn Remote, keys: &[String]) -> Result<u64> {
        let me = self.my_card()?;
        super::inbox::check_all_in_inbox(&me, keys)?;
        let wanted: BTreeSet<&String> = keys.iter().collect();
        let mut discarded = 0;
        for key in super::inbox::waiting(remote, &me)? {
            if !wanted.contains(&key) {
                continue;
            }
            let Some(ct) = remote.get(&key, envelope::MAX_MESSAGE_BYTES as u64)? else {
                continue;
            };
            let held = with_state(self, |v, st| {
                Ok(envelope::open(&v.keys, &me, &ct)
                    .is_ok_and(|o| st.check_sender(&me, &o.sender).is_err_and(|e| is_held(&e))))
            })?;
            if held {
                super::inbox::delete_from_inbox(remote, &me, &key)?;
                discarded += 1;
            }
        }
        Ok(discarded)
    }

    /// [`Vault::discard_held_from`] the remote named `remote`.
    pub fn discard_held_on(&mut self, remote: &str, keys: &[String]) -> Result<u64> {
        let r = self.open_remote_for(remote, RemotePurpose::Messages)?;
        self.discard_held_from(&r, keys)
    }

    fn held_sender(&mut self, remote: &dyn Remote, key: &str) -> (String, Party) {
        let unknown = (
            String::new(),
            Party::Unknown {
                claimed: String::new(),
                fingerprint: String::new(),
            },
        );
        let Ok(Some(ct)) = remote.get(key, envelope::MAX_MESSAGE_BYTES as u64) else {
            return unknown;
        };
        let Ok(me) = self.my_card() else {
            return unknown;
        };
        match envelope::open(&self.keys, &me, &ct) {
            Ok(o) => {
                let party = self
                    .messages
                    .as_ref()
                    .map(|st| st.party(&me, &o.sender))
                    .unwrap_or(Party::Unknown {
                        claimed: o.sender.name().to_string(),
                        fingerprint: o.sender.fingerprint(),
                    });
                (o.envelope.sender, party)
            }
            Err(_) => unknown,
        }
    }

    /// Checks message files and stores the acceptable ones in one commit.
    fn accept(
        &mut self,
        files: Vec<(String, Vec<u8>)>,
        carrier: &str,
    ) -> Result<Vec<(String, Result<MessageView>)>> {
        write(self, |v, st| {
            let me = my_card(v, st);
            let mut out = Vec::with_capacity(files.len());
            let mut pending = Vec::new();
            let mut batch_ids: HashSet<Id> = HashSet::new();
            for (key, ct) in files {
                let r = (|| {
                    let o: Opened = envelope::open(&v.keys, &me, &ct)?;
                    let id = o.envelope.message;
                    if st.messages.contains_key(&id) || batch_ids.contains(&id) {
                        return Err(Error::DuplicateMessage(id.to_string()));
                    }
                    st.check_sender(&me, &o.sender)?;
                    if o.envelope.time > now_millis().saturating_add(MAX_CLOCK_AHEAD) {
                        return Err(Error::BadMessage(
                            "its time is more than a day ahead of this clock".into(),
                        ));
                    }
                    // A conversation is its participants': nobody else may post into it by
                    // naming its id.
                    if !o.sender.same_keys(&me) {
                        let members = st.participants(&me, &o.envelope.conversation);
                        if !members.is_empty() && !members.contains_key(&o.sender.key_id()) {
                            return Err(Error::BadMessage(
                                "it names a conversation its sender is not part of".into(),
                            ));
                        }
                    }
                    let stored = StoredMessage {
                        object: Id::random(),
                        hash: o.hash.clone(),
                        envelope: o.envelope.clone(),
                        outgoing: o.sender.same_keys(&me),
                        received: now_millis(),
                        carrier: carrier.to_string(),
                        owner: me.encode(),
                    };
                    let hashes: HashSet<&str> = st
                        .in_conversation(&o.envelope.conversation)
                        .iter()
                        .map(|m| m.hash.as_str())
                        .collect();
                    let view = st.view(&me, &stored, &hashes);
                    batch_ids.insert(id);
                    pending.push(message_pending(v, stored, &o.plaintext));
                    Ok(view)
                })();
                out.push((key, r));
            }
            Ok((out, pending))
        })
    }

    /// Every conversation, the most recent first, with unread counts.
    pub fn conversations(&mut self) -> Result<Vec<ConversationSummary>> {
        with_state(self, |v, st| {
            let me = my_card(v, st);
            let mut by: HashMap<Id, Vec<&StoredMessage>> = HashMap::new();
            for m in st.messages.values() {
                by.entry(m.envelope.conversation).or_default().push(m);
            }
            let mut out: Vec<ConversationSummary> = by
                .into_iter()
                .map(|(id, msgs)| {
                    let read_until = st.read.get(&id).map_or(i64::MIN, |r| r.read_until);
                    let last = msgs
                        .iter()
                        .max_by_key(|m| (m.envelope.time, m.envelope.message))
                        .expect("a conversation has a message");
                    ConversationSummary {
                        id,
                        with: st
                            .participants(&me, &id)
                            .values()
                            .map(|c| st.party(&me, c))
                            .collect(),
                        messages: msgs.len() as u64,
                        unread: msgs
                            .iter()
                            .filter(|m| !m.outgoing && m.received > read_until)
                            .count() as u64,
                        last_time: last.envelope.time,
                        last_excerpt: crate::ops::excerpt(&last.envelope.body),
                    }
                })
                .collect();
            out.sort_by_key(|c| std::cmp::Reverse((c.last_time, c.id)));
            Ok(out)
        })
    }

    /// A conversation by id or unique id prefix (at least 4 hex digits).
    pub fn resolve_conversation(&mut self, query: &str) -> Result<Id> {
        let q = query.trim().to_ascii_lowercase();
        with_state(self, |_, st| {
            let ids: BTreeSet<Id> = st
                .messages
                .values()
                .map(|m| m.envelope.conversation)
                .filter(|c| q.len() >= 4 && c.to_string().starts_with(&q))
                .collect();
            match ids.len() {
                1 => Ok(*ids.iter().next().expect("one")),
                0 => Err(Error::NoSuchMessage(query.to_string())),
                _ => Err(Error::ambiguous(query, ids)),
            }
        })
    }

    /// The messages of a conversation, oldest first.
    pub fn thread(&mut self, conversation: &Id) -> Result<Vec<MessageView>> {
        with_state(self, |v, st| {
            let me = my_card(v, st);
            let msgs = st.in_conversation(conversation);
            if msgs.is_empty() {
                return Err(Error::NoSuchMessage(conversation.to_string()));
            }
            let hashes: HashSet<&str> = msgs.iter().map(|m| m.hash.as_str()).collect();
            let mut cache = HashMap::new();
            Ok(msgs
                .iter()
                .map(|m| st.view_cached(&me, m, &hashes, &mut cache))
                .collect())
        })
    }

    /// Every message exchanged with one contact alone (all their one-to-one conversations),
    /// oldest first.
    pub fn thread_with(&mut self, contact: &str) -> Result<Vec<MessageView>> {
        let c = self.contact(contact)?;
        let key = ContactCard::parse(&c.card)?.key_id();
        let convs: Vec<Id> = with_state(self, |v, st| {
            let me = my_card(v, st);
            let ids: BTreeSet<Id> = st
                .messages
                .values()
                .map(|m| m.envelope.conversation)
                .collect();
            Ok(ids
                .into_iter()
                .filter(|id| {
                    let p = st.participants(&me, id);
                    p.len() == 1 && p.contains_key(&key)
                })
                .collect())
        })?;
        let mut out = Vec::new();
        for id in convs {
            out.extend(self.thread(&id)?);
        }
        out.sort_by_key(|m| (m.time, m.id));
        Ok(out)
    }

    /// Marks every message of a conversation read (stored, so it syncs).
    pub fn mark_read(&mut self, conversation: &Id) -> Result<()> {
        write(self, |v, st| {
            let until = st
                .in_conversation(conversation)
                .iter()
                .map(|m| m.received)
                .max()
                .ok_or_else(|| Error::NoSuchMessage(conversation.to_string()))?;
            let old = st.read.get(conversation);
            if old.is_some_and(|r| r.read_until >= until) {
                return Ok(((), vec![]));
            }
            let r = ReadMark {
                object: Id::random(),
                read_until: until,
                updated: now_millis().max(old.map_or(0, |o| o.updated + 1)),
            };
            let pending = Pending {
                kind: Kind::Conversation,
                id: r.object,
                plain: encode_read(conversation, &r, &v.config.vault),
                decoded: Decoded::Read(*conversation, r),
            };
            Ok(((), vec![pending]))
        })
    }

    /// One message by id or unique id prefix.
    pub fn message(&mut self, query: &str) -> Result<MessageView> {
        let q = query.trim().to_ascii_lowercase();
        with_state(self, |v, st| {
            let me = my_card(v, st);
            let found: Vec<&StoredMessage> = st
                .messages
                .values()
                .filter(|m| q.len() >= 4 && m.envelope.message.to_string().starts_with(&q))
                .collect();
            match found.len() {
                1 => {
                    let hashes: HashSet<&str> = st
                        .in_conversation(&found[0].envelope.conversation)
                        .iter()
                        .map(|m| m.hash.as_str())
                        .collect();
                    Ok(st.view(&me, found[0], &hashes))
                }
                0 => Err(Error::NoSuchMessage(query.to_string())),
                _ => Err(Error::ambiguous(
                    query,
                    found.iter().map(|m| m.envelope.message),
                )),
            }
        })
    }

    /// Searches message bodies, shared notes' titles and tags, and attachment names (every
    /// word a prefix of a word in the message); newest first.
    pub fn search_messages(&mut self, query: &str, limit: usize) -> Result<Vec<MessageHit>> {
        with_state(self, |v, st| {
            let me = my_card(v, st);
            if st.index.is_none() {
                let mut i = Index::default();
                for m in st.messages.values() {
                    i.add(m);
                }
                st.index = Some(i);
            }
            let ids = st.index.as_ref().expect("just built").search(query);
            let mut found: Vec<&StoredMessage> =
                ids.iter().filter_map(|id| st.messages.get(id)).collect();
            found.sort_by_key(|m| std::cmp::Reverse((m.envelope.time, m.envelope.message)));
            let empty = HashSet::new();
            Ok(found
                .into_iter()
                .take(limit)
                .map(|m| MessageHit {
                    message: st.view(&me, m, &empty),
                })
                .collect())
        })
    }

    /// The sanitized HTML of a message body (rendered like a note; links to notes inert).
    pub fn render_message(&mut self, id: &Id) -> Result<String> {
        let body = self.message_body(id)?;
        Ok(crate::render::render_markdown(&body, &|_| None))
    }

    /// The Markdown body of a message.
    pub fn message_body(&mut self, id: &Id) -> Result<String> {
        with_state(self, |_, st| {
            st.messages
                .get(id)
                .map(|m| m.envelope.body.clone())
                .ok_or_else(|| Error::NoSuchMessage(id.to_string()))
        })
    }

    /// The bytes of a message's attachment.
    pub fn message_attachment(&mut self, id: &Id, name: &str) -> Result<Vec<u8>> {
        with_state(self, |_, st| {
            let m = st
                .messages
                .get(id)
                .ok_or_else(|| Error::NoSuchMessage(id.to_string()))?;
            let a = m
                .envelope
                .attachments
                .iter()
                .find(|a| a.name == name)
                .ok_or_else(|| Error::NoSuchAttachment {
                    note: id.to_string(),
                    name: name.to_string(),
                })?;
            B64.decode(&a.data)
                .map_err(|_| Error::corrupt(m.object, "an attachment is not base64"))
        })
    }

    /// Saves a received message as a new note (a shared note keeps its title and tags);
    /// returns the note's id.
    pub fn save_shared_note(&mut self, id: &Id) -> Result<Id> {
        let m = self.message(&id.to_string())?;
        let (title, tags) = match &m.note {
            Some(n) => (n.title.clone(), n.tags.clone()),
            None => (
                format!(
                    "Message from {} on {}",
                    m.from.label(),
                    crate::note::millis_to_rfc3339(m.time)
                        .get(..10)
                        .unwrap_or("")
                ),
                vec![],
            ),
        };
        self.create(NewNote {
            title,
            body: m.body,
            tags,
            notebook: None,
            pinned: false,
        })
    }

    /// Writes the encrypted cache of the messaging state (`local/messages.age`) now.
    pub fn save_messages_cache(&mut self) -> Result<()> {
        with_state(self, |v, st| write_cache(v, st))
    }
}

/// The live messaging objects (for key rotation, which re-encrypts and re-logs them).
pub(crate) fn live_objects(v: &mut Vault) -> Result<Vec<(Id, ObjectKind)>> {
    with_state(v, |_, st| {
        let mut out: Vec<(Id, ObjectKind)> = Vec::new();
        out.extend(
            st.contacts
                .values()
                .map(|c| (c.object, ObjectKind::Contact)),
        );
        out.extend(st.profile.iter().map(|p| (p.object, ObjectKind::Contact)));
        out.extend(
            st.messages
                .values()
                .map(|m| (m.object, ObjectKind::Message)),
        );
        out.extend(
            st.read
                .values()
                .map(|r| (r.object, ObjectKind::Conversation)),
        );
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InitOptions;
    use age::secrecy::SecretString;

    fn vault(dir: &std::path::Path) -> Vault {
        Vault::init(
            dir,
            &SecretString::from("pw".to_string()),
            &InitOptions { work_factor: 2 },
        )
        .unwrap()
    }

    #[test]
    fn contacts_messages_and_reload() {
        let d = tempfile::tempdir().unwrap();
        let mut a = vault(&d.path().join("a"));
        let mut b = vault(&d.path().join("b"));
        a.set_display_name("Alice").unwrap();
        b.set_display_name("Bob").unwrap();
        let bob_card = b.my_card().unwrap().encode();
        let alice_card = a.my_card().unwrap().encode();
        a.add_contact(&bob_card, "Bob").unwrap();
        b.add_contact(&alice_card, "Alice").unwrap();
        assert_eq!(
            a.safety_number("bob").unwrap(),
            b.safety_number("alice").unwrap()
        );
        let (sent, armored) = a
            .send_armored(&["Bob"], Draft::text("hello *bob* <script>x</script>"))
            .unwrap();
        let got = b.open_armored(&armored).unwrap();
        assert_eq!(got.id, sent.id);
        assert!(
            matches!(got.from, Party::Contact { ref name, verified: false, .. } if name == "Alice")
        );
        assert_eq!(
            b.open_armored(&armored).unwrap_err().code(),
            "duplicate_message"
        );
        let html = b.render_message(&got.id).unwrap();
        assert!(!html.contains("<script"), "{html}");
        // The reply continues the conversation and names the previous message.
        let (reply, armored) = b.send_armored(&["alice"], Draft::text("hi")).unwrap();
        assert_eq!(reply.conversation, sent.conversation);
        assert!(!reply.missing_previous);
        a.open_armored(&armored).unwrap();
        assert_eq!(a.conversations().unwrap()[0].unread, 1);
        a.mark_read(&sent.conversation).unwrap();
        assert_eq!(a.conversations().unwrap()[0].unread, 0);
        assert_eq!(a.search_messages("HEL", 10).unwrap().len(), 1);
        // A fresh unlock (with and without the cache) sees the same.
        let dir = a.root().to_path_buf();
        drop(a);
        for cache in [false, true] {
            let mut a = crate::LockedVault::open(&dir)
                .unwrap()
                .unlock(&SecretString::from("pw".to_string()))
                .unwrap();
            assert_eq!(a.thread(&sent.conversation).unwrap().len(), 2);
            assert_eq!(a.conversations().unwrap()[0].unread, 0);
            assert_eq!(a.contacts().unwrap()[0].name, "Bob");
            assert_eq!(a.my_card().unwrap().name(), "Alice");
            if !cache {
                a.save_messages_cache().unwrap();
            }
        }
    }
}
