//! The encrypted snapshot cache: the decrypted state, serialized and encrypted to the vault key,
//! so unlocking does not decrypt every object one by one. It is a cache only: if it is missing,
//! stale or unreadable, the state is rebuilt from the log.
//!
//! Two files (format 3), so that unlocking reads only what a notes list needs:
//! - `local/snapshot.age`: everything but the bodies of the notes' current revisions (titles,
//!   tags, notebooks, times, revision graphs, excerpts, links, high-water marks), and the
//!   random generation id of the bodies file written with it;
//! - `local/bodies.age`: those bodies, keyed by revision id, with the same generation id.
//!
//! Unlocking decodes the first and returns; a background thread decrypts the second (or, if it
//! is missing or from another generation, reads each current revision's object), hands the
//! complete state over, then builds the search index. See [`crate::state::StateCell`].

use crate::note::Revision;
use crate::roster::Roster;
use crate::search::{DocInput, SearchIndex};
use crate::state::{Loading, State, StateCell};
use crate::store::{Layout, Store};
use crate::{Error, Id, Result, crypto};
use age::x25519;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use zeroize::Zeroizing;

/// Format 3: the bodies in a second file (format 2 held them in the one snapshot; format 1 was
/// not compressed). Older snapshots are ignored and rebuilt (format 7: excerpts no longer repeat
/// a note's title; format 8: the state holds the hashes of the files the log names, for the
/// scrub).
const SNAPSHOT_FORMAT: u32 = 8;

/// The plaintext of `snapshot.age` (postcard, in an LZ4 frame, see [`pack`]).
#[derive(Serialize, Deserialize)]
struct Meta<S, R> {
    format: u32,
    vault: Id,
    /// The generation of the bodies file written with this snapshot.
    bodies: Id,
    /// The state with every head's body empty.
    state: S,
    /// The roster's events (format 4).
    roster: R,
}

/// The plaintext of `bodies.age`: the body of every head of every note, by revision id.
#[derive(Serialize, Deserialize)]
struct Bodies<'a> {
    format: u32,
    vault: Id,
    generation: Id,
    #[serde(borrow)]
    bodies: Vec<(Id, &'a str)>,
}

/// The first bytes of the decrypted `snapshot.age` of this format.
pub const META_MAGIC: &[u8; 8] = b"cofsnap8";
/// The first bytes of the decrypted `bodies.age` of this format.
pub const BODIES_MAGIC: &[u8; 8] = b"cofbody8";

/// Where the background loader finds the bodies.
#[derive(Clone)]
struct Source {
    layout: Layout,
    identity: x25519::Identity,
    vault: Id,
    generation: Id,
}

struct IndexInput<'a> {
    note: Id,
    title: String,
    tags: Vec<String>,
    deleted: bool,
    body: Cow<'a, str>,
}

/// Reads the snapshot's metadata and starts loading the bodies in the background. `None`: no
/// usable snapshot (missing, older format, another vault); the state must come from the log.
/// `search`: then also build the search index in the background ([`SearchIndex::build`]).
pub(crate) fn read(vault: &Store, search: bool) -> Result<Option<(StateCell, Roster)>> {
    let path = vault.layout.snapshot();
    let ct = match fs::read(&path) {
        Ok(ct) => ct,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading the snapshot")(e)),
    };
    let packed = crypto::decrypt(&[vault.keys.vault_identity()], &ct)
        .map_err(|e| Error::corrupt("local/snapshot.age", e.to_string()))?;
    let Some(plain) = unpack(&packed, META_MAGIC) else {
        // An older format, or damaged: rebuild from the log.
        return Ok(None);
    };
    drop(packed);
    let meta = decode_meta(&plain)?;
    let roster = meta.roster;
    if meta.format != SNAPSHOT_FORMAT || meta.vault != vault.config.vault {
        return Ok(None);
    }
    let src = Source {
        layout: vault.layout.clone(),
        identity: vault.keys.vault_identity().clone(),
        vault: vault.config.vault,
        generation: meta.bodies,
    };
    let plain = Arc::new(plain);
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let handle = {
        let (plain, src, cancel) = (plain.clone(), src.clone(), cancel.clone());
        std::thread::Builder::new()
            .name("coffer-load".into())
            .spawn(move || load_in_background(&plain, &src, &tx, &cancel, search))
            .map_err(Error::io("starting the background loader"))?
    };
    let fallback = Box::new(move || {
        let mut state = decode_meta(&plain).map(|m| m.state).unwrap_or_default();
        fill_bodies(&mut state, &HashMap::new(), &src, &AtomicBool::new(false));
        state
    });
    Ok(Some((
        StateCell::loading(
            meta.state,
            Loading {
                rx,
                cancel,
                index: Some(handle),
                fallback: Some(fallback),
            },
        ),
        roster,
    )))
}

fn decode_meta(plain: &[u8]) -> Result<Meta<State, Roster>> {
    postcard::from_bytes(plain).map_err(|e| Error::corrupt("local/snapshot.age", e.to_string()))
}

/// The background loader: the complete state goes to `tx` as soon as the bodies are in; then
/// the search index is built from the same text and returned (joined on first search).
fn load_in_background(
    meta_plain: &[u8],
    src: &Source,
    tx: &mpsc::Sender<State>,
    cancel: &AtomicBool,
    search: bool,
) -> Option<SearchIndex> {
    let mut state = decode_meta(meta_plain).ok()?.state;
    let bodies_plain = read_bodies(src);
    let bodies: HashMap<Id, &str> = bodies_plain
        .as_deref()
        .and_then(|p| postcard::from_bytes::<Bodies<'_>>(p).ok())
        .filter(|b| {
            b.format == SNAPSHOT_FORMAT && b.vault == src.vault && b.generation == src.generation
        })
        .map(|b| b.bodies.into_iter().collect())
        .unwrap_or_default();
    fill_bodies(&mut state, &bodies, src, cancel);
    if !search {
        tx.send(state).ok()?;
        return None;
    }
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    // What the index needs of each note, with bodies borrowed from the decrypted file where
    // they came from it (no second copy of the text).
    let current: Vec<IndexInput<'_>> = state
        .notes
        .iter()
        .map(|(id, n)| {
            let r = n.current();
            IndexInput {
                note: *id,
                title: r.title.clone(),
                tags: r.tags.clone(),
                deleted: r.deleted,
                body: match bodies.get(&r.revision) {
                    Some(b) => Cow::Borrowed(*b),
                    None => Cow::Owned(r.body.clone()),
                },
            }
        })
        .collect();
    tx.send(state).ok()?;
    let docs: Vec<DocInput<'_>> = current
        .iter()
        .map(|n| DocInput {
            note: n.note,
            title: &n.title,
            tags: &n.tags,
            deleted: n.deleted,
            body: &n.body,
        })
        .collect();
    SearchIndex::build(&docs, cancel)
}

/// The decrypted, unpacked bodies file, if it is there and readable.
fn read_bodies(src: &Source) -> Option<Zeroizing<Vec<u8>>> {
    let ct = fs::read(bodies_path(&src.layout)).ok()?;
    let packed = crypto::decrypt(&[&src.identity], &ct).ok()?;
    unpack(&packed, BODIES_MAGIC)
}

/// Puts each head's body into the state: from `bodies`, or else from the head's own object.
fn fill_bodies(state: &mut State, bodies: &HashMap<Id, &str>, src: &Source, cancel: &AtomicBool) {
    let mut problems = Vec::new();
    for n in state.notes.values_mut() {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        for h in &mut n.heads {
            if let Some(b) = bodies.get(&h.revision) {
                h.body = (*b).to_string();
                continue;
            }
            match read_object(src, &h.revision) {
                Ok(rev) => h.body = rev.body,
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    state.problems = problems;
}

fn read_object(src: &Source, id: &Id) -> Result<Revision> {
    let ct =
        crate::limits::read_file(src.layout.object(id), crate::limits::OBJECT).map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                Error::corrupt(id, "the file is missing")
            } else {
                Error::io(format!("reading object {id}"))(e)
            }
        })?;
    let plain = crypto::decrypt(&[&src.identity], &ct)
        .map_err(|e| Error::corrupt(id, format!("cannot decrypt: {e}")))?;
    Revision::decode(&plain, &src.vault, id)
}

fn bodies_path(layout: &Layout) -> PathBuf {
    layout.local().join("bodies.age")
}

/// Writes both files: the bodies first, then the snapshot naming their generation (a crash in
/// between leaves an old snapshot whose bodies file does not match: its bodies are then read
/// from the objects).
pub(crate) fn write(store: &Store, state: &mut State) -> Result<()> {
    let generation = Id::random();
    let vault_id = store.config.vault;
    let recipient = store.keys.vault_recipient();
    let bodies = Bodies {
        format: SNAPSHOT_FORMAT,
        vault: vault_id,
        generation,
        bodies: state
            .notes
            .values()
            .flat_map(|n| n.heads.iter().map(|h| (h.revision, h.body.as_str())))
            .collect(),
    };
    let plain = postcard::to_stdvec(&bodies)
        .map(Zeroizing::new)
        .map_err(|e| Error::Internal {
            what: "encode the snapshot",
            reason: e.to_string(),
        })?;
    drop(bodies);
    let ct = crypto::encrypt(&[&recipient], &pack(&plain, BODIES_MAGIC))?;
    drop(plain);
    crate::fsutil::write_atomic(&bodies_path(&store.layout), &ct)?;

    // The metadata: the same state with the bodies moved out for the time of encoding.
    let mut taken: Vec<String> = Vec::new();
    for n in state.notes.values_mut() {
        for h in &mut n.heads {
            taken.push(std::mem::take(&mut h.body));
        }
    }
    let plain = postcard::to_stdvec(&Meta {
        format: SNAPSHOT_FORMAT,
        vault: vault_id,
        bodies: generation,
        state: &*state,
        roster: &store.roster,
    })
    .map(Zeroizing::new);
    let mut taken = taken.into_iter();
    for n in state.notes.values_mut() {
        for h in &mut n.heads {
            h.body = taken.next().expect("one body per head, in the same order");
        }
    }
    let plain = plain.map_err(|e| Error::Internal {
        what: "encode the snapshot",
        reason: e.to_string(),
    })?;
    let ct = crypto::encrypt(&[&recipient], &pack(&plain, META_MAGIC))?;
    crate::fsutil::write_atomic(&store.layout.snapshot(), &ct)
}

/// `magic || u64 LE plaintext length || LZ4 block`, in a buffer that is zeroed when dropped.
/// A local cache sees no attacker-chosen text next to secrets, so compression leaks nothing.
fn pack(plain: &[u8], magic: &[u8; 8]) -> Zeroizing<Vec<u8>> {
    let bound = lz4_flex::block::get_maximum_output_size(plain.len());
    let mut out = Zeroizing::new(vec![0u8; 16 + bound]);
    out[..8].copy_from_slice(magic);
    out[8..16].copy_from_slice(&(plain.len() as u64).to_le_bytes());
    let n = lz4_flex::block::compress_into(plain, &mut out[16..]).expect("the bound fits");
    out.truncate(16 + n);
    out
}

fn unpack(packed: &[u8], magic: &[u8; 8]) -> Option<Zeroizing<Vec<u8>>> {
    let rest = packed.strip_prefix(magic)?;
    let len = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?) as usize;
    // A damaged length must not make us allocate absurdly: LZ4 expands at most 255x.
    if len > rest.len().saturating_mul(255) {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    let n = lz4_flex::block::decompress_into(&rest[8..], &mut out).ok()?;
    (n == len).then_some(out)
}
