//! Questions the messaging state answers.

use super::*;

impl MessageState {
    pub(super) fn apply(&mut self, d: Decoded) {
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
    pub(super) fn live_contacts(&self) -> impl Iterator<Item = &ContactRecord> {
        self.contacts.values().filter(|c| !c.removed)
    }

    pub(super) fn find_contact(&self, query: &str) -> Result<&ContactRecord> {
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
    pub(super) fn is_me(&self, me: &ContactCard, card: &ContactCard) -> bool {
        card.same_keys(me) || self.own.contains(&card.key_id())
    }

    pub(super) fn party(&self, me: &ContactCard, card: &ContactCard) -> Party {
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
    pub(super) fn check_sender(&self, me: &ContactCard, sender: &ContactCard) -> Result<()> {
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

    pub(super) fn view(
        &self,
        me: &ContactCard,
        m: &StoredMessage,
        hashes: &HashSet<&str>,
    ) -> MessageView {
        self.view_cached(me, m, hashes, &mut HashMap::new())
    }

    /// The party a card names, each distinct card parsed once per `cache` (a thread of
    /// thousands of messages has few distinct cards).
    pub(super) fn party_of(
        &self,
        me: &ContactCard,
        text: &str,
        cache: &mut HashMap<String, Party>,
    ) -> Party {
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

    pub(super) fn view_cached(
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
    pub(super) fn participants(
        &self,
        me: &ContactCard,
        conversation: &Id,
    ) -> BTreeMap<String, ContactCard> {
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

    pub(super) fn in_conversation(&self, conversation: &Id) -> Vec<&StoredMessage> {
        let mut v: Vec<&StoredMessage> = self
            .messages
            .values()
            .filter(|m| m.envelope.conversation == *conversation)
            .collect();
        v.sort_by_key(|m| (m.envelope.time, m.envelope.message));
        v
    }
}
