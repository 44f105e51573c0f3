//! The roster: which devices belong to the vault, under which keys and names, who added each
//! and who removed which. It is a set of signed events carried in the log (one at most per
//! entry, in the entry's `roster` field), so it syncs like everything else and every reader
//! rebuilds the same roster from the same entries. docs/FORMAT.md ("The roster") is the
//! specification; this module is its one implementation.
//!
//! - An event is valid when the entry that carries it was written by a device the roster holds
//!   at that point (or, for a device adding itself, carries a proof made with the passphrase
//!   key of identity.age while joining with the passphrase is open).
//! - Events are ordered by the events each one names as seen before it (`after`), ties broken
//!   by the smaller entry hash: every reader applies them in the same order, so two devices
//!   removing each other at once come out the same everywhere.
//! - A removal names the last entry of the removed device it accepts; later entries of that
//!   device are refused, never applied. It also closes joining with the passphrase (the
//!   removed device knows the passphrase key) and freezes the entries signed with the shared
//!   key of the first format at what the remover had seen.
//!
//! The same events can later hold other people's keys (members of a shared notebook): a member
//! is a signing key, an age recipient and a name, added and removed by signed events.

use crate::keys::{JOIN_PROOF_CONTEXT, verify_signature};
use crate::log::{LogEntry, SHARED_KEY_FORMAT};
use crate::note::{Millis, millis_to_words};
use crate::{Id, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A change to the roster, as one log entry carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEvent {
    /// The roster events its writer had applied that no other applied event names (the
    /// hashes of the entries carrying them): what this event comes after.
    pub after: Vec<String>,
    /// What changes.
    #[serde(flatten)]
    pub change: Change,
}

/// What a roster event changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Change {
    /// A device joins, with its public keys and its name.
    Add {
        /// The device's id (the name of its log folder).
        device: Id,
        /// Its name, as the user calls it.
        name: String,
        /// Its Ed25519 verifying key, base64: every entry it writes is signed with it.
        signing: String,
        /// Its age recipient (`age1...`): key generations are encrypted to it.
        recipient: String,
        /// For a device adding itself: the passphrase key's signature (base64) over
        /// [`join_statement`], showing its writer knew the passphrase.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<String>,
    },
    /// A device restored from a backup goes on under a new id (`coffer device
    /// continue-as-new`): the key of the id it had vouches for the new one, so this works
    /// when joining with the passphrase is closed. Written in the new id's own log.
    Continue {
        /// The new id.
        device: Id,
        /// Its name.
        name: String,
        /// Its Ed25519 verifying key, base64.
        signing: String,
        /// Its age recipient (`age1...`).
        recipient: String,
        /// The id it goes on from: a device of the roster, not removed.
        from: Id,
        /// `from`'s signature (base64) over [`join_statement`] of the new id, under
        /// [`crate::keys::CONTINUE_PROOF_CONTEXT`].
        proof: String,
        /// A passphrase proof as a joining device's `add` carries: it counts, under the
        /// rules of joining with the passphrase, where `from` does not vouch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passphrase_proof: Option<String>,
    },
    /// A device gets a new name.
    Rename {
        /// The device renamed.
        device: Id,
        /// Its new name.
        name: String,
    },
    /// A device is removed: its entries after `last` are refused.
    Remove {
        /// The device removed.
        device: Id,
        /// Its last entry that is accepted (the last one the remover had seen).
        last: u64,
        /// For every device still writing entries of the first format (signed with the shared
        /// key): the last such entry accepted, as far as the remover had seen.
        #[serde(default)]
        legacy: BTreeMap<Id, u64>,
    },
    /// Key generations handed to devices: every generation its writer holds (with a new one
    /// after a removal), sealed to the devices `to` (docs/FORMAT.md, "Key generations").
    Keys {
        /// The id of the generation new files are encrypted to from this event on.
        newest: String,
        /// The devices the generations are sealed to: the roster's devices not removed.
        to: Vec<Id>,
        /// The generations: an age identity file, age-encrypted to those devices' recipients,
        /// in ASCII armor.
        sealed: String,
        /// Set by a key rotation (`coffer rotate-keys`): the passphrase's keys are retired, as
        /// by a removal: joining with the passphrase closes, and for every device still
        /// writing entries signed with the shared key, the last such entry accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retired: Option<BTreeMap<Id, u64>>,
    },
}

/// A `keys` event the roster applied.
#[derive(Clone, Debug)]
pub struct KeyEvent {
    /// The hash of the entry that carries it.
    pub hash: String,
    /// The generation new files are encrypted to from it on.
    pub newest: String,
    /// The devices it is sealed to.
    pub to: Vec<Id>,
    /// The device that wrote it (it holds the generations too, whether or not `to` names it).
    pub writer: Id,
    /// The sealed generations.
    pub sealed: String,
}

impl KeyEvent {
    /// Every device that holds what it seals: `to`, and its writer.
    fn holders(&self) -> impl Iterator<Item = &Id> {
        self.to.iter().chain(std::iter::once(&self.writer))
    }
}

/// What a device must write before its next change, for what it writes to be readable by the
/// roster's devices and by no removed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysNeeded {
    /// A new generation: the one written with is known to a removed device.
    Fresh,
    /// The generations held, sealed to every device not removed: some cannot read the
    /// newest yet.
    Grant,
}

/// The bytes the passphrase key signs when a device joins with the passphrase.
pub fn join_statement(vault: &Id, device: &Id, signing: &str, recipient: &str) -> Vec<u8> {
    format!("{vault}\n{device}\n{signing}\n{recipient}").into_bytes()
}

/// A device the roster holds.
#[derive(Clone, Debug)]
pub struct Member {
    /// The device's id.
    pub device: Id,
    /// Its name.
    pub name: String,
    /// The key its entries are signed with.
    pub signing: VerifyingKey,
    /// Its age recipient.
    pub recipient: String,
    /// The device that added it, or `None` when it joined with the passphrase.
    pub added_by: Option<Id>,
    /// When it was added (the adding entry's time).
    pub added: Millis,
    /// Its first entry signed with its own key: earlier ones are of the first format.
    pub since: u64,
    /// Its removal, if it was removed.
    pub removed: Option<Removal>,
    /// The last of its own entries that carried an applied roster event.
    last_event: u64,
}

/// How a device was removed.
#[derive(Clone, Debug)]
pub struct Removal {
    /// The device that removed it.
    pub by: Id,
    /// When (the removing entry's time).
    pub time: Millis,
    /// Its last entry accepted.
    pub last: u64,
}

/// The most devices one `keys` event may be sealed to.
pub const MAX_KEY_RECIPIENTS: usize = 10_000;

/// One roster event as read from the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Recorded {
    device: Id,
    seq: u64,
    time: Millis,
    /// Whether its entry carries nothing but the event (no objects, no purges).
    bare: bool,
    /// The event as JSON text (the snapshot's encoding has no tagged enums).
    event: String,
}

/// What the events say, rebuilt from them by [`Roster::settle`].
#[derive(Clone, Debug, Default)]
struct Settled {
    members: BTreeMap<Id, Member>,
    /// Events applied, in order.
    applied: Vec<String>,
    /// Events refused, with why.
    refused: BTreeMap<String, String>,
    /// Joining with the passphrase was closed by this removal (the remover's id).
    closed_by: Option<Id>,
    /// Devices that went on under a new id, vouching for it (each does so once).
    continued: BTreeSet<Id>,
    /// Entries of the first format accepted per device, once a removal froze them.
    legacy: Option<BTreeMap<Id, u64>>,
    /// `keys` events applied, in order.
    keys: Vec<KeyEvent>,
    /// Entries holding removals applied at once with their writer's own removal, past the
    /// `last` it names (device, seq): accepted, though nothing after them is.
    together: BTreeSet<(Id, u64)>,
}

/// Every roster event seen, and what they say.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Roster {
    /// By the hash of the entry that carries each.
    events: BTreeMap<String, Recorded>,
    #[serde(skip)]
    settled: Settled,
    /// The events parsed (`None`: unreadable), so that settling again reads no JSON twice.
    #[serde(skip)]
    parsed: BTreeMap<String, Option<RosterEvent>>,
}

impl Roster {
    /// Keeps the roster event of an authentic entry (its signature checked), if it has one.
    /// [`Roster::settle`] then says whether it applies.
    pub fn record(&mut self, hash: &str, entry: &LogEntry) {
        if let Some(ev) = &entry.roster {
            self.events.insert(
                hash.to_string(),
                Recorded {
                    device: entry.device,
                    seq: entry.seq,
                    time: entry.time,
                    bare: entry.objects.is_empty() && entry.purged.is_empty(),
                    event: serde_json::to_string(ev).expect("roster events serialize"),
                },
            );
        }
    }

    /// Why the roster event of the entry with this hash was refused, if it was.
    pub fn refusal(&self, hash: &str) -> Option<&str> {
        self.settled.refused.get(hash).map(String::as_str)
    }

    /// The device and seq of the entry holding the event of this hash, if recorded.
    pub fn event_place(&self, hash: &str) -> Option<(Id, u64)> {
        self.events.get(hash).map(|r| (r.device, r.seq))
    }

    /// Whether an event of this hash was recorded.
    pub fn has_event(&self, hash: &str) -> bool {
        self.events.contains_key(hash)
    }

    /// Applies every recorded event in the roster's order (see the module documentation),
    /// checking each against the roster as it stands before it.
    pub fn settle(&mut self, vault: &Id, passphrase_key: &VerifyingKey) {
        for (h, r) in &self.events {
            if !self.parsed.contains_key(h) {
                self.parsed
                    .insert(h.clone(), serde_json::from_str(&r.event).ok());
            }
        }
        // A join with the passphrase is held to the removals and key rotations that close
        // joining: only to those the roster applies. Settled again without any that was
        // refused, until none is (each round drops at least one: it ends).
        let mut ignored: BTreeSet<String> = BTreeSet::new();
        loop {
            let s = self.settle_once(vault, passphrase_key, &ignored);
            let refused_closing: Vec<String> = self
                .parsed
                .iter()
                .filter(|(h, ev)| {
                    !ignored.contains(*h)
                        && s.refused.contains_key(*h)
                        && matches!(
                            ev,
                            Some(RosterEvent {
                                change: Change::Remove { .. }
                                    | Change::Keys {
                                        retired: Some(_),
                                        ..
                                    },
                                ..
                            })
                        )
                })
                .map(|(h, _)| h.clone())
                .collect();
            if refused_closing.is_empty() {
                self.settled = s;
                return;
            }
            ignored.extend(refused_closing);
        }
    }

    /// One pass of [`Self::settle`]: joins with the passphrase are not held to the closing
    /// events of `ignored` (refused in an earlier pass).
    fn settle_once(
        &self,
        vault: &Id,
        passphrase_key: &VerifyingKey,
        ignored: &BTreeSet<String>,
    ) -> Settled {
        let mut s = Settled::default();
        let parsed = &self.parsed;
        // The causal past of every removal recorded (the events its `after` names, and theirs).
        let removals: Vec<(&String, &Id, u64, BTreeSet<&String>)> = parsed
            .iter()
            .filter_map(|(h, ev)| match ev {
                Some(RosterEvent {
                    change: Change::Remove { device, last, .. },
                    ..
                }) => Some((h, device, *last, causal_past(parsed, h))),
                _ => None,
            })
            .collect();
        // Two kinds of order. An event comes after the events its `after` names. And an event
        // of a removed device past the `last` its removal names, outside that removal's causal
        // past, comes after the removal: a removed device picks its events' `after` itself, so
        // it could otherwise date a change back to before its removal.
        let mut deps: BTreeMap<&String, (BTreeSet<&String>, BTreeSet<&String>)> = BTreeMap::new();
        for (h, ev) in parsed {
            let named: BTreeSet<&String> = ev
                .as_ref()
                .map(|ev| {
                    ev.after
                        .iter()
                        .filter(|a| *a != h)
                        .filter_map(|a| self.events.get_key_value(a).map(|(k, _)| k))
                        .collect()
                })
                .unwrap_or_default();
            deps.insert(h, (named, BTreeSet::new()));
        }
        for (rm, device, last, past) in &removals {
            for (h, r) in &self.events {
                // A continuation vouched for by the removed device counts as one of its
                // events past `last`: it comes after the removal unless the remover knew it.
                let vouched = matches!(
                    parsed.get(h),
                    Some(Some(RosterEvent { change: Change::Continue { from, .. }, .. })) if from == *device
                );
                let past_last = (&r.device == *device && r.seq > *last) || vouched;
                if past_last && h != *rm && !past.contains(h) {
                    deps.get_mut(h).expect("every event has deps").1.insert(*rm);
                }
            }
        }
        let mut named_by: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
        // Per event: how many of its `after` and of all it comes after are undecided.
        let mut waiting: BTreeMap<&String, (usize, usize)> = BTreeMap::new();
        for (h, (named, removals_first)) in &deps {
            let all: BTreeSet<&String> = named.union(removals_first).copied().collect();
            for d in &all {
                named_by.entry(d).or_default().push(h);
            }
            waiting.insert(h, (named.len(), all.len()));
        }
        // Joining with the passphrase must be known to every event that closes it: removals
        // and key rotations.
        let rotations: Vec<(&String, BTreeSet<&String>)> = parsed
            .iter()
            .filter(|(h, ev)| {
                !ignored.contains(*h)
                    && matches!(
                        ev,
                        Some(RosterEvent {
                            change: Change::Keys {
                                retired: Some(_),
                                ..
                            },
                            ..
                        })
                    )
            })
            .map(|(h, _)| (h, causal_past(parsed, h)))
            .collect();
        let removal_pasts: Vec<&BTreeSet<&String>> = removals
            .iter()
            .filter(|r| !ignored.contains(r.0))
            .map(|r| &r.3)
            .chain(rotations.iter().map(|(_, past)| past))
            .collect();
        let mut ready: BTreeSet<&String> = waiting
            .iter()
            .filter(|(_, (_, n))| *n == 0)
            .map(|(h, _)| *h)
            .collect();
        let mut decided: BTreeSet<&String> = BTreeSet::new();
        while decided.len() < parsed.len() {
            // Repeatedly the smallest hash among undecided events whose predecessors are all
            // decided (Kahn's order with the ready events kept sorted: many events, forged
            // ones included, settle in O(n log n) plus their dependencies). When none is
            // ready, the second kind of order has closed a cycle (devices that removed each
            // other at once): every removal whose `after` are all decided is applied at once,
            // each checked against the roster before any of them. Failing one, the smallest
            // such event of any kind is refused, not applied: it waits for a removal it
            // cannot follow (a removed device's events, dated back to form such a cycle, must
            // never be taken before their removal).
            let mut cut_off = false;
            let batch: Vec<&String> = match ready.pop_first() {
                Some(h) => vec![h],
                None => {
                    let free: Vec<&String> = waiting
                        .iter()
                        .filter(|(h, (named, _))| *named == 0 && !decided.contains(*h))
                        .map(|(h, _)| *h)
                        .collect();
                    let removing: Vec<&String> = free
                        .iter()
                        .copied()
                        .filter(|h| removals.iter().any(|r| r.0 == *h))
                        .collect();
                    if removing.is_empty() {
                        cut_off = true;
                        vec![*free.first().expect("`after` alone orders without cycles")]
                    } else {
                        removing
                    }
                }
            };
            decided.extend(batch.iter().copied());
            for hash in &batch {
                for child in named_by.get(hash).into_iter().flatten() {
                    let named = deps[child].0.contains(hash);
                    let (n_named, n_all) = waiting.get_mut(child).expect("every event is counted");
                    if named {
                        *n_named -= 1;
                    }
                    *n_all -= 1;
                    if *n_all == 0 && !decided.contains(child) {
                        ready.insert(child);
                    }
                }
            }
            let before = (batch.len() > 1).then(|| s.clone());
            let together = before.is_some();
            for hash in batch.iter().copied() {
                let ev = &parsed[hash];
                let rec = &self.events[hash];
                let verdict = match (ev, &before) {
                    _ if cut_off => Err(
                        "it waits for a device removal that waits for it (a cycle no honest device makes)"
                            .to_string(),
                    ),
                    (None, _) => Err("the roster event is unreadable".to_string()),
                    (Some(ev), None) => {
                        s.apply(hash, rec, &ev.change, vault, passphrase_key, &removal_pasts)
                    }
                    (Some(ev), Some(before)) => s.apply_with(before, rec, &ev.change),
                };
                match verdict {
                    Ok(()) => s.applied.push(hash.clone()),
                    Err(why) => {
                        s.refused.insert(hash.clone(), why);
                    }
                }
            }
            if together {
                for hash in batch {
                    let rec = &self.events[hash];
                    let past_last = s.members.get(&rec.device).and_then(|m| m.removed.as_ref());
                    if !s.refused.contains_key(hash) && past_last.is_some_and(|r| rec.seq > r.last)
                    {
                        s.together.insert((rec.device, rec.seq));
                    }
                }
            }
        }
        s
    }

    /// The key that must have signed `entry`: the shared key for the first format; for the
    /// second, its device's key in the roster, or the key of the `add` of itself it carries.
    pub fn signer(
        &self,
        entry: &LogEntry,
        passphrase_key: &VerifyingKey,
    ) -> std::result::Result<VerifyingKey, String> {
        if entry.format == SHARED_KEY_FORMAT {
            return Ok(*passphrase_key);
        }
        if let Some(m) = self.settled.members.get(&entry.device) {
            return Ok(m.signing);
        }
        if let Some(RosterEvent {
            change:
                Change::Add {
                    device, signing, ..
                }
                | Change::Continue {
                    device, signing, ..
                },
            ..
        }) = &entry.roster
            && device == &entry.device
        {
            return parse_signing(signing);
        }
        Err(format!(
            "it is written by device {}, which the roster does not hold",
            entry.device
        ))
    }

    /// Whether an authentic entry (`format`, of `device` at `seq`) may be applied, after its
    /// own roster event (if any) was recorded and settled.
    pub fn admits(&self, device: &Id, seq: u64, format: u32) -> std::result::Result<(), String> {
        let member = self.settled.members.get(device);
        if format == SHARED_KEY_FORMAT {
            if let Some(m) = member
                && seq >= m.since
            {
                return Err(format!(
                    "it is signed with the shared key after device '{}' took its own key",
                    m.name
                ));
            }
            if let Some(legacy) = &self.settled.legacy
                && seq > legacy.get(device).copied().unwrap_or(0)
            {
                return Err(
                    "it is signed with the shared key, which a device removal or a key rotation retired".into(),
                );
            }
            return Ok(());
        }
        let Some(m) = member else {
            return Err(format!(
                "it is written by device {device}, which the roster does not hold"
            ));
        };
        if seq < m.since {
            return Err(format!("it comes before device '{}' joined", m.name));
        }
        if let Some(r) = &m.removed
            && seq > r.last
            && !self.settled.together.contains(&(*device, seq))
        {
            return Err(format!(
                "device '{}' wrote it after it was removed on {} by {}",
                m.name,
                millis_to_words(r.time),
                self.name_of(&r.by)
            ));
        }
        Ok(())
    }

    /// [`Roster::admits`] for the entry with hash `hash`: when it is refused and its own roster
    /// event was refused, that is the reason given.
    pub fn admits_entry(&self, entry: &LogEntry, hash: &str) -> std::result::Result<(), String> {
        self.admits(&entry.device, entry.seq, entry.format)
            .map_err(|why| match self.refusal(hash) {
                Some(refused) => format!("its roster change is refused: {refused}"),
                None => why,
            })
    }

    /// Whether entries of `device` up to `seq`, applied before, are still admitted (a removal
    /// or a reordering of the roster learned since can refuse them).
    pub fn still_admits(&self, device: &Id, seq: u64) -> bool {
        let format = match self.settled.members.get(device) {
            Some(m) if seq >= m.since => crate::log::LOG_FORMAT,
            _ => SHARED_KEY_FORMAT,
        };
        seq == 0 || self.admits(device, seq, format).is_ok()
    }

    /// A device's name as shown in a list: its name, or the first 8 digits of its id when the
    /// roster does not hold it.
    pub fn label(&self, device: &Id) -> String {
        match self.settled.members.get(device) {
            Some(m) => m.name.clone(),
            None => device.to_string()[..8].to_string(),
        }
    }

    /// The devices the roster holds, removed ones included, by id.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.settled.members.values()
    }

    /// One device of the roster.
    pub fn member(&self, device: &Id) -> Option<&Member> {
        self.settled.members.get(device)
    }

    /// A device's name, or its short id when the roster does not hold it.
    pub fn name_of(&self, device: &Id) -> String {
        self.settled.display(device)
    }

    /// The events the next one comes after: applied events no other applied event names.
    pub fn heads(&self) -> Vec<String> {
        let named: BTreeSet<String> = self
            .settled
            .applied
            .iter()
            .filter_map(|h| self.parsed.get(h).and_then(Option::as_ref))
            .flat_map(|ev| ev.after.iter().cloned())
            .collect();
        self.settled
            .applied
            .iter()
            .filter(|h| !named.contains(*h))
            .cloned()
            .collect()
    }

    /// Events that were refused: the entry that carries each, and why.
    pub fn refused(&self) -> impl Iterator<Item = (Id, u64, &str)> {
        self.settled.refused.iter().map(|(h, why)| {
            let r = &self.events[h];
            (r.device, r.seq, why.as_str())
        })
    }

    /// Whether a device may still join with the passphrase; if not, which device's removal
    /// closed it.
    pub fn passphrase_join_closed_by(&self) -> Option<Id> {
        self.settled.closed_by
    }

    /// The `keys` events applied, in the roster's order.
    pub fn key_events(&self) -> &[KeyEvent] {
        &self.settled.keys
    }

    /// The devices not removed, with their recipients.
    pub fn active(&self) -> impl Iterator<Item = &Member> {
        self.members().filter(|m| m.removed.is_none())
    }

    /// What a device writing with generation `write` (`first`: the vault key of identity.age)
    /// must hand out first, if anything (docs/FORMAT.md, "Key generations"):
    /// - a new generation, when a removed device may hold `write`: the first generation after
    ///   any removal (it is in identity.age), or one that an event from its introduction on
    ///   sealed to a device removed since;
    /// - the generations again, when a device not removed is in no such event.
    pub fn keys_needed(&self, write: &str, first: &str) -> Option<KeysNeeded> {
        let removed: BTreeSet<Id> = self
            .members()
            .filter(|m| m.removed.is_some())
            .map(|m| m.device)
            .collect();
        if write == first {
            return (!removed.is_empty()).then_some(KeysNeeded::Fresh);
        }
        let keys = &self.settled.keys;
        let Some(intro) = keys.iter().position(|k| k.newest == write) else {
            return Some(KeysNeeded::Fresh);
        };
        let since = &keys[intro..];
        if since
            .iter()
            .any(|k| k.holders().any(|d| removed.contains(d)))
        {
            return Some(KeysNeeded::Fresh);
        }
        let reached: BTreeSet<&Id> = since.iter().flat_map(|k| k.holders()).collect();
        self.active()
            .any(|m| !reached.contains(&m.device))
            .then_some(KeysNeeded::Grant)
    }

    /// The last entry of each device still writing with the shared key, for a removal's
    /// `legacy` map: every device of `heads` the roster does not hold with its own key.
    pub fn legacy_heads(&self, heads: &BTreeMap<Id, (u64, String)>) -> BTreeMap<Id, u64> {
        heads
            .iter()
            .filter_map(|(d, (seq, _))| {
                let last = match self.settled.members.get(d) {
                    Some(m) => m.since.saturating_sub(1).min(*seq),
                    None => *seq,
                };
                (last > 0).then_some((*d, last))
            })
            .collect()
    }
}

impl Settled {
    /// Applies one event written by entry `rec`, or says why it is refused.
    fn apply(
        &mut self,
        hash: &str,
        rec: &Recorded,
        change: &Change,
        vault: &Id,
        passphrase_key: &VerifyingKey,
        removal_pasts: &[&BTreeSet<&String>],
    ) -> std::result::Result<(), String> {
        match change {
            Change::Add {
                device,
                name,
                signing,
                recipient,
                proof,
            } => {
                if self.members.contains_key(device) {
                    return Err(format!("device {device} is in the roster already"));
                }
                let key = parse_signing(signing)?;
                recipient
                    .parse::<age::x25519::Recipient>()
                    .map_err(|_| "its age recipient is not valid".to_string())?;
                let name = crate::messages::card::clean_new_name(name)?;
                let added_by = if *device == rec.device {
                    let statement = join_statement(vault, device, signing, recipient);
                    self.check_passphrase_join(
                        hash,
                        &statement,
                        proof.as_deref(),
                        passphrase_key,
                        removal_pasts,
                    )?;
                    None
                } else {
                    self.writer_ok(rec)?;
                    Some(rec.device)
                };
                self.members.insert(
                    *device,
                    Member {
                        device: *device,
                        name,
                        signing: key,
                        recipient: recipient.clone(),
                        added_by,
                        added: rec.time,
                        since: if added_by.is_none() { rec.seq } else { 1 },
                        removed: None,
                        last_event: if added_by.is_none() { rec.seq } else { 0 },
                    },
                );
            }
            Change::Continue {
                device,
                name,
                signing,
                recipient,
                from,
                proof,
                passphrase_proof,
            } => {
                if *device != rec.device {
                    return Err("a device goes on under a new id only in the new id's log".into());
                }
                if self.members.contains_key(device) {
                    return Err(format!("device {device} is in the roster already"));
                }
                let key = parse_signing(signing)?;
                recipient
                    .parse::<age::x25519::Recipient>()
                    .map_err(|_| "its age recipient is not valid".to_string())?;
                let name = crate::messages::card::clean_new_name(name)?;
                let vouched = match self.members.get(from) {
                    _ if self.continued.contains(from) => Err(format!(
                        "device {from} went on under a new id already (a device goes on once)"
                    )),
                    Some(m) if m.removed.is_none() => Ok(m),
                    Some(m) => Err(format!(
                        "it goes on from '{}', which was removed before it",
                        m.name
                    )),
                    None => Err(format!(
                        "it goes on from device {from}, which the roster does not hold"
                    )),
                };
                let statement = join_statement(vault, device, signing, recipient);
                let vouched = vouched.and_then(|voucher| {
                    let proof = B64
                        .decode(proof)
                        .map_err(|_| "its proof is not base64".to_string())?;
                    if verify_signature(
                        &voucher.signing,
                        crate::keys::CONTINUE_PROOF_CONTEXT,
                        &statement,
                        &proof,
                    ) {
                        Ok(())
                    } else {
                        Err(format!(
                            "its proof does not verify with the key of '{}'",
                            voucher.name
                        ))
                    }
                });
                // Not vouched for (a roster that lacks the old id, as the continuing device's
                // own until a sync brings that log back): it may still join with the
                // passphrase, under that rule.
                let added_by = match (vouched, passphrase_proof) {
                    (Ok(()), _) => {
                        self.continued.insert(*from);
                        Some(*from)
                    }
                    (Err(why), None) => return Err(why),
                    (Err(why), Some(p)) => {
                        self.check_passphrase_join(
                            hash,
                            &statement,
                            Some(p),
                            passphrase_key,
                            removal_pasts,
                        )
                        .map_err(|then| format!("{why}; and {then}"))?;
                        None
                    }
                };
                self.members.insert(
                    *device,
                    Member {
                        device: *device,
                        name,
                        signing: key,
                        recipient: recipient.clone(),
                        added_by,
                        added: rec.time,
                        since: rec.seq,
                        removed: None,
                        last_event: rec.seq,
                    },
                );
            }
            Change::Rename { device, name } => {
                self.writer_ok(rec)?;
                let name = crate::messages::card::clean_new_name(name)?;
                match self.members.get_mut(device) {
                    Some(m) if m.removed.is_none() => m.name = name,
                    _ => return Err(format!("device {device} is not in the roster")),
                }
            }
            Change::Remove {
                device,
                last,
                legacy,
            } => {
                self.check_remove(rec, device, *last)?;
                self.remove(rec, device, *last, legacy);
            }
            Change::Keys {
                newest,
                to,
                sealed,
                retired,
            } => {
                self.writer_ok(rec)?;
                let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
                if newest.len() != 32 || !newest.chars().all(hex) {
                    return Err("its newest generation is not named by 32 hex digits".into());
                }
                if to.is_empty() || to.len() > MAX_KEY_RECIPIENTS {
                    return Err("it is sealed to no device, or to too many".into());
                }
                if let Some(d) = to.iter().find(|d| !self.members.contains_key(d)) {
                    return Err(format!(
                        "it is sealed to device {d}, which the roster does not hold"
                    ));
                }
                if sealed.len() > crate::generations::MAX_SEALED_CHARS {
                    return Err("its sealed generations are too long".into());
                }
                if let Some(legacy) = retired {
                    self.closed_by.get_or_insert(rec.device);
                    self.legacy.get_or_insert_with(|| legacy.clone());
                }
                self.keys.push(KeyEvent {
                    hash: hash.to_string(),
                    newest: newest.clone(),
                    to: to.clone(),
                    writer: rec.device,
                    sealed: sealed.clone(),
                });
            }
        }
        if let Some(w) = self.members.get_mut(&rec.device) {
            w.last_event = w.last_event.max(rec.seq);
        }
        Ok(())
    }

    /// Whether a device may add itself with the passphrase, by `proof` (the passphrase key's
    /// signature over `statement`): joining must not be closed, and every removal and key
    /// rotation must know the event `hash`.
    fn check_passphrase_join(
        &self,
        hash: &str,
        statement: &[u8],
        proof: Option<&str>,
        passphrase_key: &VerifyingKey,
        removal_pasts: &[&BTreeSet<&String>],
    ) -> std::result::Result<(), String> {
        if let Some(by) = self.closed_by {
            return Err(format!(
                "joining with the passphrase was closed by {} (a device removal or a key rotation)",
                self.display(&by)
            ));
        }
        if removal_pasts
            .iter()
            .any(|past| !past.contains(&hash.to_string()))
        {
            return Err(
                "it joins with the passphrase unknown to a device removal or key rotation (which closes joining with the passphrase)".into(),
            );
        }
        let proof = proof
            .and_then(|p| B64.decode(p).ok())
            .ok_or("a device adding itself must carry a passphrase proof")?;
        if !verify_signature(passphrase_key, JOIN_PROOF_CONTEXT, statement, &proof) {
            return Err("its passphrase proof does not verify".into());
        }
        Ok(())
    }

    /// Whether the writer of `rec` is a member for an event at its seq.
    fn writer_ok(&self, rec: &Recorded) -> std::result::Result<(), String> {
        match self.members.get(&rec.device) {
            Some(m)
                if rec.seq >= m.since && m.removed.as_ref().is_none_or(|r| rec.seq <= r.last) =>
            {
                Ok(())
            }
            Some(m) => Err(format!("its writer '{}' was removed before it", m.name)),
            None => Err(format!(
                "its writer, device {}, is not in the roster",
                rec.device
            )),
        }
    }

    /// Whether `rec` may remove `device` with `last`, by the roster as it stands.
    fn check_remove(
        &self,
        rec: &Recorded,
        device: &Id,
        last: u64,
    ) -> std::result::Result<(), String> {
        self.writer_ok(rec)?;
        let Some(m) = self.members.get(device) else {
            return Err(format!("device {device} is not in the roster"));
        };
        if m.removed.is_some() {
            return Err(format!("device '{}' was removed already", m.name));
        }
        if last < m.last_event {
            return Err(format!(
                "it cuts device '{}' off before a roster change of its that came first",
                m.name
            ));
        }
        Ok(())
    }

    /// Removes `device` (checked), as `rec` says.
    fn remove(&mut self, rec: &Recorded, device: &Id, last: u64, legacy: &BTreeMap<Id, u64>) {
        let m = self.members.get_mut(device).expect("checked before");
        m.removed = Some(Removal {
            by: rec.device,
            time: rec.time,
            last,
        });
        self.closed_by.get_or_insert(rec.device);
        self.legacy.get_or_insert_with(|| legacy.clone());
    }

    /// Applies one of removals made at once (devices that removed each other): checked
    /// against the roster `before` any of them, so each writer still counts as a member.
    fn apply_with(
        &mut self,
        before: &Settled,
        rec: &Recorded,
        change: &Change,
    ) -> std::result::Result<(), String> {
        let Change::Remove {
            device,
            last,
            legacy,
        } = change
        else {
            unreachable!("only removals are applied at once");
        };
        if !rec.bare {
            return Err(
                "a removal made at once with its writer's own removal must be an entry of its own"
                    .into(),
            );
        }
        before.check_remove(rec, device, *last)?;
        if let Some(m) = self.members.get(device)
            && m.removed.is_some()
        {
            return Err(format!("device '{}' was removed already", m.name));
        }
        self.remove(rec, device, *last, legacy);
        if let Some(w) = self.members.get_mut(&rec.device) {
            w.last_event = w.last_event.max(rec.seq);
        }
        Ok(())
    }

    fn display(&self, device: &Id) -> String {
        match self.members.get(device) {
            Some(m) => format!("'{}'", m.name),
            None => format!("device {}", &device.to_string()[..8]),
        }
    }
}

/// The events `hash`'s `after` names, and theirs, transitively (those this vault has).
fn causal_past<'a>(
    parsed: &'a BTreeMap<String, Option<RosterEvent>>,
    hash: &str,
) -> BTreeSet<&'a String> {
    let mut past = BTreeSet::new();
    let mut stack: Vec<&str> = vec![hash];
    while let Some(x) = stack.pop() {
        for a in parsed
            .get(x)
            .and_then(Option::as_ref)
            .map_or(&[][..], |e| &e.after[..])
        {
            if let Some((k, _)) = parsed.get_key_value(a)
                && past.insert(k)
            {
                stack.push(k);
            }
        }
    }
    past
}

fn parse_signing(b64: &str) -> std::result::Result<VerifyingKey, String> {
    let bad = || "its signing key is not valid".to_string();
    let raw = B64.decode(b64).map_err(|_| bad())?;
    let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| bad())?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad())?;
    if key.is_weak() {
        return Err(bad());
    }
    Ok(key)
}

/// The base64 text of a verifying key, as roster events hold it.
pub fn signing_text(key: &VerifyingKey) -> String {
    B64.encode(key.as_bytes())
}

/// Checks a device name the user gives (same rules as contact names).
pub fn clean_device_name(name: &str) -> Result<String> {
    crate::messages::card::clean_new_name(name)
        .map_err(|why| crate::Error::Invalid(format!("device name: {why}")))
}

/// The name a device takes when none is given: the machine's host name.
pub fn default_device_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .and_then(|h| clean_device_name(&h).ok())
        .unwrap_or_else(|| "this device".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{CONTINUE_PROOF_CONTEXT, DeviceKeys, Keys};

    fn entry(vault: Id, device: Id, seq: u64, after: &[&str], change: Change) -> LogEntry {
        LogEntry {
            format: crate::log::LOG_FORMAT,
            vault,
            device,
            seq,
            prev: None,
            time: seq as i64,
            objects: vec![],
            purged: vec![],
            roster: Some(RosterEvent {
                after: after.iter().map(|a| a.to_string()).collect(),
                change,
            }),
        }
    }

    fn add(vault: &Id, device: Id, keys: &DeviceKeys, proof: impl Fn(&[u8]) -> [u8; 64]) -> Change {
        let signing = signing_text(&keys.verifying_key());
        let recipient = keys.recipient().to_string();
        let statement = join_statement(vault, &device, &signing, &recipient);
        Change::Add {
            device,
            name: format!("d{}", &device.to_string()[..4]),
            signing,
            recipient,
            proof: Some(B64.encode(proof(&statement))),
        }
    }

    /// A removal that names nothing before it (no honest device writes one: its writer's own
    /// join is not in its past) is refused, and does not refuse the joins it does not know:
    /// only the removals the roster applies close joining.
    #[test]
    fn a_refused_removal_refuses_no_join() {
        let vault = Id::random();
        let shared = Keys::generate();
        let (a, r) = (Id::random(), Id::random());
        let (ka, kr) = (DeviceKeys::generate(), DeviceKeys::generate());
        let join = |s: &[u8]| shared.sign(JOIN_PROOF_CONTEXT, s);
        let mut roster = Roster::default();
        roster.record("a1", &entry(vault, a, 1, &[], add(&vault, a, &ka, join)));
        roster.record(
            "r1",
            &entry(vault, r, 1, &["a1"], add(&vault, r, &kr, join)),
        );
        roster.record(
            "x",
            &entry(
                vault,
                r,
                2,
                &[],
                Change::Remove {
                    device: a,
                    last: 0,
                    legacy: BTreeMap::new(),
                },
            ),
        );
        roster.settle(&vault, &shared.verifying_key());
        assert!(roster.refusal("x").is_some());
        for d in [a, r] {
            assert!(
                roster.member(&d).is_some_and(|m| m.removed.is_none()),
                "{:?}",
                roster.settled.refused
            );
        }
        assert!(roster.passphrase_join_closed_by().is_none());
    }

    /// A removed device R vouches for a new id N, whose next event removes R's remover A dated
    /// before A's last roster change G (which A's removal of R names). That closes a cycle in
    /// which no removal is free; N's continuation sorts first. It is refused, not taken: R's
    /// removal stands, A stays, N is not a member. (Hashes are chosen here, as a forger would
    /// grind them.)
    #[test]
    fn a_cycle_with_no_free_removal_takes_none_of_its_events() {
        let vault = Id::random();
        let shared = Keys::generate();
        let (a, r, n) = (Id::random(), Id::random(), Id::random());
        let (ka, kr, kn) = (
            DeviceKeys::generate(),
            DeviceKeys::generate(),
            DeviceKeys::generate(),
        );
        let join = |s: &[u8]| shared.sign(JOIN_PROOF_CONTEXT, s);
        let mut roster = Roster::default();
        let mut record = |hash: &str, e: LogEntry| roster.record(hash, &e);
        record("a1", entry(vault, a, 1, &[], add(&vault, a, &ka, join)));
        record("r1", entry(vault, r, 1, &["a1"], add(&vault, r, &kr, join)));
        record(
            "g",
            entry(
                vault,
                a,
                2,
                &["r1"],
                Change::Rename {
                    device: r,
                    name: "lost".into(),
                },
            ),
        );
        record(
            "rm",
            entry(
                vault,
                a,
                3,
                &["g"],
                Change::Remove {
                    device: r,
                    last: 1,
                    legacy: BTreeMap::new(),
                },
            ),
        );
        let signing = signing_text(&kn.verifying_key());
        let recipient = kn.recipient().to_string();
        let statement = join_statement(&vault, &n, &signing, &recipient);
        record(
            "c0",
            entry(
                vault,
                n,
                1,
                &[],
                Change::Continue {
                    device: n,
                    name: "r again".into(),
                    signing,
                    recipient,
                    from: r,
                    proof: B64.encode(kr.sign(CONTINUE_PROOF_CONTEXT, &statement)),
                    passphrase_proof: None,
                },
            ),
        );
        record(
            "x",
            entry(
                vault,
                n,
                2,
                &["c0", "r1"],
                Change::Remove {
                    device: a,
                    last: 1,
                    legacy: BTreeMap::new(),
                },
            ),
        );
        roster.settle(&vault, &shared.verifying_key());
        assert!(
            roster.member(&r).is_some_and(|m| m.removed.is_some()),
            "R's removal stands"
        );
        assert!(
            roster.member(&a).is_some_and(|m| m.removed.is_none()),
            "A stays"
        );
        assert!(roster.member(&n).is_none(), "N is not a member");
        assert!(roster.refusal("c0").is_some() && roster.refusal("x").is_some());
    }
}
