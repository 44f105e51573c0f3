//! Sending messages and shared notes.

use super::*;

impl Vault {
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

    pub(super) fn send_inner(
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
            let conversation = conversation_for(st, &me, draft.conversation, &wanted)?;
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
            let attachments = wire_attachments(&draft)?;
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
            let (ct, opened) = envelope::seal(&v.store.keys, &env)?;
            let (carrier, block) = deliver(&via, &recipients, &ct)?;
            armored = block;
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
}

/// The conversation a new message goes into: the one asked for (which must exist), else the
/// latest one with exactly these participants (`wanted`, by key id), else a new one.
fn conversation_for(
    st: &MessageState,
    me: &ContactCard,
    asked: Option<Id>,
    wanted: &BTreeSet<String>,
) -> Result<Id> {
    Ok(match asked {
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
                    st.participants(me, c)
                        .keys()
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        == *wanted
                })
                .unwrap_or_else(Id::random)
        }
    })
}

/// A draft's attachments as they travel, within the limits of a message.
fn wire_attachments(draft: &Draft) -> Result<Vec<WireAttachment>> {
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
    Ok(attachments)
}

/// Delivers a sealed message: to the recipients' inboxes on a remote, or as an armored block
/// (returned). Returns where it went, as stored with the sent copy.
fn deliver(
    via: &Via<'_>,
    recipients: &[ContactCard],
    ct: &[u8],
) -> Result<(String, Option<String>)> {
    Ok(match via {
        Via::Remote { remote, name } => {
            crate::messages::inbox::deliver(*remote, recipients, ct)?;
            (format!("remote:{name}"), None)
        }
        Via::Armor => (
            "armor".to_string(),
            Some(crate::messages::armor::armor(ct)?),
        ),
    })
}
