//! The inboxes on every remote shared for messages, at once: one check of them all, and held
//! messages discarded from them all; a remote that fails does not stop the others.

use super::ReceiveReport;
use crate::Result;
use crate::sync::RemotePurpose;
use crate::vault::Vault;
use serde::Serialize;

/// A remote whose inbox could not be checked.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxFailure {
    /// The name of the remote that failed.
    pub remote: String,
    /// The stable error code (as [`crate::Error::code`] gives it).
    pub code: String,
    /// What went wrong, in words to show the user.
    pub message: String,
}

/// One check of the inboxes on every shared remote.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxCheck {
    /// The remotes checked (none: no remote is set up, only armored messages can arrive).
    pub remotes: Vec<String>,
    /// What came in, all remotes together.
    pub report: ReceiveReport,
    /// Remotes whose inbox could not be checked, and why; the others were checked all the same.
    pub failures: Vec<InboxFailure>,
}

/// What discarding held messages did, all shared remotes together.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiscardReport {
    /// Held messages deleted from the inboxes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub discarded: u64,
    /// Remotes where held messages could not be deleted, and why; the others were done all the
    /// same.
    pub failures: Vec<InboxFailure>,
}

impl Vault {
    /// Checks the inbox on every remote shared for messages; a remote that fails does not stop
    /// the others.
    pub fn check_inboxes(&mut self) -> Result<InboxCheck> {
        let mut out = InboxCheck::default();
        for name in self.remote_names(RemotePurpose::Messages)? {
            out.remotes.push(name.clone());
            match self.receive_from_remote(&name) {
                Ok(rep) => {
                    out.report.received.extend(rep.received);
                    out.report.held.extend(rep.held);
                    out.report.rejected.extend(rep.rejected);
                    out.report.duplicates += rep.duplicates;
                }
                Err(e) => out.failures.push(InboxFailure {
                    remote: name,
                    code: e.code().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    /// Deletes the held messages named by `keys` (from an [`InboxCheck`]'s held list) from this
    /// vault's own inbox on every shared remote, those still held (see
    /// [`Vault::discard_held_from`]); a remote that fails does not stop the others. A key
    /// outside the own inbox is refused before any remote is contacted.
    pub fn discard_held(&mut self, keys: &[String]) -> Result<DiscardReport> {
        let me = self.my_card()?;
        super::inbox::check_all_in_inbox(&me, keys)?;
        let mut out = DiscardReport::default();
        for name in self.remote_names(RemotePurpose::Messages)? {
            match self.discard_held_on(&name, keys) {
                Ok(n) => out.discarded += n,
                Err(e) => out.failures.push(InboxFailure {
                    remote: name,
                    code: e.code().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(out)
    }
}
