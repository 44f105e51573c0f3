//! The owner's card and contacts.

use super::*;

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
                plain: encode_profile(&p, &v.store.config.vault),
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
}
