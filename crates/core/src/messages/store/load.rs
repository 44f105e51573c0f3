//! The messaging state built from the log (and its encrypted cache), and new objects committed.

use super::*;

#[derive(Serialize, Deserialize)]
pub(super) struct CacheFile {
    format: u32,
    vault: Id,
    state: MessageState,
}

pub(crate) fn cache_path(v: &Vault) -> std::path::PathBuf {
    v.store.layout.local().join("messages.age")
}

pub(super) fn read_cache(v: &Vault) -> MessageState {
    let Ok(ct) = fs::read(cache_path(v)) else {
        return MessageState::default();
    };
    let Ok(plain) = crypto::decrypt(&[v.store.keys.vault_identity()], &ct) else {
        return MessageState::default();
    };
    let Some(body) = plain.strip_prefix(CACHE_MAGIC) else {
        return MessageState::default();
    };
    match postcard::from_bytes::<CacheFile>(body) {
        Ok(c) if c.format == CACHE_FORMAT && c.vault == v.store.config.vault => c.state,
        _ => MessageState::default(),
    }
}

pub(super) fn write_cache(v: &Vault, st: &mut MessageState) -> Result<()> {
    let file = CacheFile {
        format: CACHE_FORMAT,
        vault: v.store.config.vault,
        state: std::mem::take(st),
    };
    let mut plain = zeroize::Zeroizing::new(CACHE_MAGIC.to_vec());
    let r = postcard::to_extend(&file, std::mem::take(&mut *plain));
    *st = file.state;
    *plain = r.map_err(|e| Error::Internal {
        what: "encode the message cache",
        reason: e.to_string(),
    })?;
    let ct = crypto::encrypt(&[&v.store.keys.vault_recipient()], &plain)?;
    crate::fsutil::write_atomic(&cache_path(v), &ct)?;
    st.unsaved = 0;
    Ok(())
}

/// Reads log entries past the marks and applies the messaging objects they name.
pub(super) fn scan(v: &mut Vault, st: &mut MessageState) -> Result<()> {
    let devices: Vec<Id> = match fs::read_dir(v.store.layout.logs()) {
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
            let Some(ct) = v.store.read_entry_file(&device, seq + 1)? else {
                break;
            };
            // A damaged entry is reported by the note state's own replay; stop here too.
            let Ok((entry, hash)) = v.store.open_entry(&device, seq + 1, &ct, prev.as_deref())
            else {
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
                        v.add_load_problem(crate::vault::ProblemKind::Messages, e.to_string());
                    }
                }
            }
            st.marks.insert(device, (seq + 1, hash));
        }
    }
    Ok(())
}

/// Runs `f` on the up-to-date messaging state.
pub(super) fn with_state<T>(
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
pub(super) struct Pending {
    pub(super) kind: Kind,
    pub(super) id: Id,
    pub(super) plain: zeroize::Zeroizing<Vec<u8>>,
    pub(super) decoded: Decoded,
}

/// Under the vault's write lock: refresh, let `f` decide, commit what it returns, apply it.
pub(super) fn write<T>(
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
                let ct = crypto::encrypt(&[&v.store.write_recipient()], &p.plain)?;
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

pub(super) fn my_card(v: &Vault, st: &MessageState) -> ContactCard {
    let name = st.profile.as_ref().map(|p| p.name.clone());
    let k = &v.store.keys;
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

pub(super) fn to_contact(c: &ContactRecord) -> Contact {
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

pub(super) fn contact_pending(v: &Vault, c: ContactRecord) -> Pending {
    Pending {
        kind: Kind::Contact,
        id: c.object,
        plain: encode_contact(&c, &v.store.config.vault),
        decoded: Decoded::Contact(c),
    }
}

pub(super) fn message_pending(v: &Vault, m: StoredMessage, plaintext: &[u8]) -> Pending {
    Pending {
        kind: Kind::Message,
        id: m.object,
        plain: encode_message(&m, plaintext, &v.store.config.vault),
        decoded: Decoded::Message(m),
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
