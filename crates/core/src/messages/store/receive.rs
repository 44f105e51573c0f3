//! Receiving: pasted armored messages and inboxes on shared remotes.

use super::*;

impl Vault {
    /// Opens a pasted armored message: checks it fully and stores it. A message from keys that
    /// are not a contact's, a forged or altered one, one not addressed to this vault, or one
    /// already received is refused with its own error, and nothing is stored.
    pub fn open_armored(&mut self, text: &str) -> Result<MessageView> {
        let ct = crate::messages::armor::dearmor(text)?;
        let mut views = self.accept(vec![(String::new(), ct)], "armor")?;
        let (_, r) = views.remove(0);
        r
    }

    /// Checks an inbox on a shared remote: every waiting message is checked and stored, or held
    /// (from keys that are not a contact's: left in the inbox), or rejected. Files are fetched
    /// one at a time, each no larger than a message can be, and committed in groups of at most
    /// `RECEIVE_GROUP_BYTES` (16 MiB), so a flooded inbox costs bounded memory. A rejected file is
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
        let mut keys = crate::messages::inbox::waiting(remote, &me)?
            .into_iter()
            .peekable();
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
    pub(super) fn receive_group(
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
            crate::messages::inbox::delete_from_inbox(remote, me, &key)?;
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
        crate::messages::inbox::check_all_in_inbox(&me, keys)?;
        let wanted: BTreeSet<&String> = keys.iter().collect();
        let mut discarded = 0;
        for key in crate::messages::inbox::waiting(remote, &me)? {
            if !wanted.contains(&key) {
                continue;
            }
            let Some(ct) = remote.get(&key, envelope::MAX_MESSAGE_BYTES as u64)? else {
                continue;
            };
            let held = with_state(self, |v, st| {
                Ok(envelope::open(&v.store.keys, &me, &ct)
                    .is_ok_and(|o| st.check_sender(&me, &o.sender).is_err_and(|e| is_held(&e))))
            })?;
            if held {
                crate::messages::inbox::delete_from_inbox(remote, &me, &key)?;
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

    pub(super) fn held_sender(&mut self, remote: &dyn Remote, key: &str) -> (String, Party) {
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
        match envelope::open(&self.store.keys, &me, &ct) {
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
    pub(super) fn accept(
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
                    let o: Opened = envelope::open(&v.store.keys, &me, &ct)?;
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
}
