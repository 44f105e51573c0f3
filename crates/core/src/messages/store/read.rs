//! Reading: conversations, threads, messages, search, attachments.

use super::*;

impl Vault {
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
                        last_excerpt: crate::note::excerpt("", &last.envelope.body),
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
                plain: encode_read(conversation, &r, &v.store.config.vault),
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

    /// Searches message bodies, shared notes' titles and tags, attachment names and the text
    /// of attachments read so far ([`Vault::next_attachment_to_read`]): every word a prefix of
    /// a word in the message, under the notes' folding rules; newest first. `"phrases"` and
    /// `-excluded` words work as for notes; a query restricted to a tag or a notebook finds no
    /// message.
    pub fn search_messages(&mut self, query: &str, limit: usize) -> Result<Vec<MessageHit>> {
        let q = crate::search::Query::parse(query);
        if !q.tags.is_empty() || !q.notebooks.is_empty() {
            return Ok(Vec::new());
        }
        with_state(self, |v, st| {
            let me = my_card(v, st);
            if st.index.is_none() {
                let mut i = Index::default();
                for m in st.messages.values() {
                    i.add(m);
                }
                for ((message, _), text) in &st.attachment_text {
                    if let Some(text) = text {
                        i.add_text(*message, text);
                    }
                }
                st.index = Some(i);
            }
            let ids = st.index.as_ref().expect("just built").search(&q.words);
            let texts = |m| attachment_texts(st, m);
            let mut found: Vec<(&StoredMessage, String)> = ids
                .iter()
                .filter_map(|id| st.messages.get(id))
                .map(|m| (m, searched_text(m)))
                .filter(|(m, text)| {
                    let files = texts(m);
                    if files.is_empty() {
                        return q.admits_text(text);
                    }
                    let mut all = text.clone();
                    for (_, t) in files {
                        all.push('\n');
                        all.push_str(t);
                    }
                    q.admits_text(&all)
                })
                .collect();
            found.sort_by_key(|(m, _)| std::cmp::Reverse((m.envelope.time, m.envelope.message)));
            let empty = HashSet::new();
            let snippet = |text: &str| crate::search::body_snippet("", text, &q.words, 160);
            let matched = |s: &[crate::search::Segment]| s.iter().any(|seg| seg.hit);
            Ok(found
                .into_iter()
                .take(limit)
                .map(|(m, text)| {
                    // The message's own text first; else the first attachment that matched.
                    let own = snippet(&text);
                    let (snippet, attachment) = if matched(&own) {
                        (own, None)
                    } else {
                        texts(m)
                            .into_iter()
                            .map(|(name, t)| (snippet(t), Some(name.to_string())))
                            .find(|(s, _)| matched(s))
                            .unwrap_or((own, None))
                    };
                    MessageHit {
                        message: st.view(&me, m, &empty),
                        snippet,
                        attachment,
                    }
                })
                .collect())
        })
    }

    /// The next attachment of a message whose text search has not read yet, decoded, with
    /// its message, name and how it is read; those that are neither text nor PDFs are marked
    /// as read (with no text) on the way. `None` once all are read, or if the messages cannot
    /// be loaded (their commands say why).
    pub(crate) fn next_message_attachment_to_read(
        &mut self,
    ) -> Option<(Id, String, Readable, zeroize::Zeroizing<Vec<u8>>)> {
        with_state(self, |_, st| {
            let mut skipped = Vec::new();
            let mut next = None;
            'messages: for m in st.messages.values() {
                for a in &m.envelope.attachments {
                    let key = (m.envelope.message, a.name.clone());
                    if st.attachment_text.contains_key(&key) {
                        continue;
                    }
                    // Base64: three bytes in four characters.
                    let size = (a.data.len() as u64 / 4) * 3;
                    let decoded = readable(&a.name, size)
                        .and_then(|kind| Some((kind, B64.decode(&a.data).ok()?)));
                    match decoded {
                        Some((kind, bytes)) => {
                            next = Some((key.0, key.1, kind, zeroize::Zeroizing::new(bytes)));
                            break 'messages;
                        }
                        None => skipped.push(key),
                    }
                }
            }
            for key in skipped {
                st.attachment_text.insert(key, None);
            }
            Ok(next)
        })
        .ok()
        .flatten()
    }

    /// Keeps, for search, the text read of a message's attachment. Beyond
    /// [`MAX_TOTAL_TEXT`] in all, text is not kept.
    pub(crate) fn keep_message_attachment_text(
        &mut self,
        message: Id,
        name: String,
        text: Option<String>,
    ) {
        let _ = with_state(self, |_, st| {
            let text = text.filter(|t| st.attachment_total + t.len() <= MAX_TOTAL_TEXT);
            if let (Some(t), Some(index)) = (&text, &mut st.index) {
                index.add_text(message, t);
            }
            st.attachment_total += text.as_ref().map_or(0, String::len);
            if let Some(Some(old)) = st.attachment_text.insert((message, name), text) {
                st.attachment_total -= old.len();
            }
            Ok(())
        });
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
                .ok_or_else(|| Error::no_such_attachment(id, name))?;
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

/// The text read so far of a message's attachments, with their names.
fn attachment_texts<'a>(st: &'a MessageState, m: &'a StoredMessage) -> Vec<(&'a str, &'a str)> {
    m.envelope
        .attachments
        .iter()
        .filter_map(|a| {
            let key = (m.envelope.message, a.name.clone());
            let text = st.attachment_text.get(&key)?.as_deref()?;
            Some((a.name.as_str(), text))
        })
        .collect()
}
