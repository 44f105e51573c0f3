//! The copy of identity.age a remote keeps for `coffer clone`, and the signed statement beside
//! it (`identity.sig`) that says which copy this vault put there, and when. Without it a remote
//! could swap the copy unnoticed: for an older one (opened by a passphrase that was changed
//! because it leaked) or for anything else. Every sync reads both: a copy this vault signed
//! later than the one last seen is taken as a passphrase change on another device; any other
//! change raises an [`AlarmKind::ReplacedIdentity`] alarm and, where this device's copy is the
//! good one, puts it back.
//!
//! A remote written before statements existed has none: the copy found at the first sync is
//! trusted as it is (and signed, with time 0, when it is this device's). Every device should
//! run a version that writes statements: an older one changing the passphrase replaces the
//! copy without one, which the others report and undo.

use super::local::Marks;
use super::{AlarmKind, Remote, Run};
use crate::note::{Millis, now_millis};
use crate::{Result, Vault, crypto, keys};
use base64::Engine;
use serde::{Deserialize, Serialize};

pub(super) const IDENTITY_KEY: &str = "identity.age";
pub(super) const STATEMENT_KEY: &str = "identity.sig";
const CONTEXT: &[u8] = b"coffer identity statement v1\0";
/// A statement is a short JSON object.
const STATEMENT_LIMIT: u64 = 4 << 10;

/// What `identity.sig` holds.
#[derive(Serialize, Deserialize)]
struct Statement {
    /// SHA-256 of the identity.age it is about.
    sha256: String,
    /// When it was put there (later than any statement the signer had seen).
    time: Millis,
    /// Ed25519 signature by the vault's signing key over `sha256` and `time`.
    signature: String,
}

fn signed_bytes(sha256: &str, time: Millis) -> Vec<u8> {
    format!("{sha256}\n{time}").into_bytes()
}

/// The remote's `identity.sig`.
enum Found {
    Absent,
    /// Not a statement this vault signed (garbled or forged).
    Invalid,
    /// A statement this vault signed: (sha256, time).
    Signed(String, Millis),
}

impl Vault {
    /// Puts `identity` (this device's identity.age) on the remote with a statement made now
    /// (later than any seen: a passphrase change here, or a new remote), and records it.
    pub(super) fn put_identity(
        &self,
        remote: &dyn Remote,
        identity: &[u8],
        marks: &mut Marks,
    ) -> Result<()> {
        let theirs = match self.remote_statement(remote)? {
            Found::Signed(_, t) => t + 1,
            _ => 0,
        };
        let known = marks.remote_identity.as_ref().map_or(0, |(_, t)| t + 1);
        let time = now_millis().max(theirs).max(known);
        self.put_identity_at(remote, identity, time, marks)
    }

    /// Puts `identity` on the remote with a statement of `time`: the statement first, so a
    /// device reading in between still finds the copy it knows.
    fn put_identity_at(
        &self,
        remote: &dyn Remote,
        identity: &[u8],
        time: Millis,
        marks: &mut Marks,
    ) -> Result<()> {
        let sha256 = crypto::sha256_hex(identity);
        let signature = self.store.keys.sign(CONTEXT, &signed_bytes(&sha256, time));
        let statement = Statement {
            sha256: sha256.clone(),
            time,
            signature: base64::engine::general_purpose::STANDARD.encode(signature),
        };
        remote.put(
            STATEMENT_KEY,
            &serde_json::to_vec(&statement).expect("a statement serializes"),
        )?;
        remote.put(IDENTITY_KEY, identity)?;
        marks.remote_identity = Some((sha256, time));
        Ok(())
    }

    /// The remote's statement (see [`Found`]).
    fn remote_statement(&self, remote: &dyn Remote) -> Result<Found> {
        let Some(bytes) = remote.get(STATEMENT_KEY, STATEMENT_LIMIT)? else {
            return Ok(Found::Absent);
        };
        let Ok(s) = serde_json::from_slice::<Statement>(&bytes) else {
            return Ok(Found::Invalid);
        };
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(&s.signature) else {
            return Ok(Found::Invalid);
        };
        let valid = keys::verify_signature(
            &self.store.keys.verifying_key(),
            CONTEXT,
            &signed_bytes(&s.sha256, s.time),
            &sig,
        );
        Ok(if valid {
            Found::Signed(s.sha256, s.time)
        } else {
            Found::Invalid
        })
    }

    /// Checks the remote's identity.age against what this vault signed (see the module docs).
    /// `identity` is this device's identity.age.
    pub(super) fn check_remote_identity(&self, run: &mut Run<'_>, identity: &[u8]) -> Result<()> {
        let (remote, marks) = (run.remote, &mut run.marks);
        let ours = crypto::sha256_hex(identity);
        let Some(theirs) = remote.get(IDENTITY_KEY, crate::limits::IDENTITY)? else {
            return self.restore_identity(run, identity, &ours, "was gone");
        };
        let found = crypto::sha256_hex(&theirs);
        let known = marks.remote_identity.clone();
        if known.as_ref().is_some_and(|(h, _)| *h == found) {
            return Ok(());
        }
        let statement = self.remote_statement(remote)?;
        let signed = match &statement {
            Found::Signed(h, t) if *h == found => Some(*t),
            _ => None,
        };
        let what = match (signed, &known) {
            // Signed later than the copy seen last (the passphrase changed on another device),
            // or the first signed copy seen.
            (Some(t), seen) if seen.as_ref().is_none_or(|(_, seen)| t > *seen) => {
                marks.remote_identity = Some((found, t));
                return Ok(());
            }
            (Some(_), _) => "was swapped for an older one, which an old passphrase opens",
            // A remote from before statements (none there at all): this device's own copy is
            // signed now, with time 0; another is trusted as found, once.
            (None, None) if matches!(statement, Found::Absent) => {
                if found == ours {
                    return self.put_identity_at(remote, identity, 0, marks);
                }
                marks.remote_identity = Some((found, 0));
                return Ok(());
            }
            // A statement this device cannot check and no copy trusted yet: nothing to judge
            // by (a device on keys rotated away elsewhere reads the new keys' statement so),
            // so nothing is written.
            (None, None) => return Ok(()),
            (None, _) => "was replaced by one this vault did not put there",
        };
        self.restore_identity(run, identity, &ours, what)
    }

    /// The remote's copy went missing or was replaced (`what` happened to it): an alarm, and
    /// this device's copy put back when it is the last good one known (or none is known);
    /// otherwise the alarm says how to put a good one there.
    fn restore_identity(
        &self,
        run: &mut Run<'_>,
        identity: &[u8],
        ours: &str,
        what: &str,
    ) -> Result<()> {
        let (remote, marks) = (run.remote, &mut run.marks);
        // Put back with the time it was signed with, never a newer one: a device that missed a
        // passphrase change must not make its old copy look like the newest. A device that
        // never trusted any copy puts nothing back (it may be on keys rotated away).
        let good = match &marks.remote_identity {
            Some((h, t)) if h == ours => Some(*t),
            _ => None,
        };
        let then = if let Some(time) = good {
            self.put_identity_at(remote, identity, time, marks)?;
            "this device's copy was put back"
        } else {
            "this device does not hold the good copy (it came from another device): that device puts it back at its next sync, or run `coffer passwd` on any device to put a new one there; do not clone from this remote until then"
        };
        run.alarm(
            AlarmKind::ReplacedIdentity,
            IDENTITY_KEY.into(),
            format!("the remote's identity.age (the copy `coffer clone` opens) {what}; {then}"),
        );
        Ok(())
    }
}
