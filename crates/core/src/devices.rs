//! The user's devices: joining the roster, listing, renaming and removing devices
//! (crate::roster is the format; this is what a vault does with it).

use crate::note::Millis;
use crate::roster::{Change, RosterEvent, clean_device_name};
use crate::store::Batch;
use crate::vault::Vault;
use crate::{Error, Id, Result};
use serde::Serialize;

/// How a device was removed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceRemoval {
    /// The name of the device that removed it.
    pub by: String,
    /// When, in milliseconds since the Unix epoch (UTC).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: Millis,
    /// Its last entry that is accepted.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_entry: u64,
}

impl Vault {
    /// Adds this device to the roster with the passphrase (its identity.age signs the proof),
    /// under `name`; nothing to do if it is in the roster already.
    pub fn join_roster(&mut self, name: &str) -> Result<()> {
        let name = clean_device_name(name)?;
        if self.store.roster.member(&self.store.device).is_some() {
            return Ok(());
        }
        self.commit_roster_event(|v| {
            if let Some(by) = v.store.roster.passphrase_join_closed_by() {
                return Err(Error::PassphraseJoinClosed {
                    by: v.store.roster.name_of(&by),
                });
            }
            let joined = v.store.roster.member(&v.store.device).is_some();
            Ok((!joined).then(|| v.store.join_event(&name)))
        })?;
        self.upgrade_config()
    }

    /// The device of the roster that `query` names: its exact name, or a unique prefix of its
    /// id.
    pub fn find_device(&self, query: &str) -> Result<Id> {
        let q = query.trim();
        let members: Vec<_> = self.store.roster.members().collect();
        let by_name: Vec<Id> = members
            .iter()
            .filter(|m| m.name == q)
            .map(|m| m.device)
            .collect();
        let found = if by_name.is_empty() && q.len() >= 4 {
            members
                .iter()
                .filter(|m| m.device.to_string().starts_with(&q.to_lowercase()))
                .map(|m| m.device)
                .collect()
        } else {
            by_name
        };
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::NoSuchDevice(q.to_string())),
            many => Err(Error::AmbiguousDevice {
                query: q.to_string(),
                candidates: many
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Gives a device of the roster a new name.
    pub fn rename_device(&mut self, query: &str, name: &str) -> Result<()> {
        let device = self.find_device(query)?;
        let name = clean_device_name(name)?;
        self.roster_change(Change::Rename { device, name })
    }

    /// Removes a device from the roster: its entries after the last one this vault has are
    /// refused from then on, on every device; joining with the passphrase closes. Returns the
    /// removed device's id.
    pub fn remove_device(&mut self, query: &str) -> Result<Id> {
        let device = self.find_device(query)?;
        if device == self.store.device {
            return Err(Error::Invalid(
                "this is the device you are using: remove it from another of your devices".into(),
            ));
        }
        if self
            .store
            .roster
            .member(&device)
            .is_some_and(|m| m.removed.is_some())
        {
            return Err(Error::Invalid(format!(
                "{} was removed already",
                self.store.roster.name_of(&device)
            )));
        }
        let last = self.state.meta().heads.get(&device).map_or(0, |(s, _)| *s);
        let legacy = self.store.roster.legacy_heads(&self.state.meta().heads);
        self.roster_change(Change::Remove {
            device,
            last,
            legacy,
        })?;
        Ok(device)
    }

    /// Commits one roster change of this device, and checks that the roster took it.
    pub(crate) fn roster_change(&mut self, change: Change) -> Result<()> {
        if self.store.roster.member(&self.store.device).is_none() {
            // A device that has written nothing yet joins first: a roster change is made by
            // a member.
            self.join_roster(&crate::roster::default_device_name())?;
        }
        self.commit_roster_event(|v| {
            Ok(Some(RosterEvent {
                after: v.store.roster.heads(),
                change,
            }))
        })?;
        let (seq, hash) = self.own_head();
        match hash.as_deref().and_then(|h| self.store.roster.refusal(h)) {
            Some(why) => Err(Error::Invalid(format!(
                "the roster refused the change (entry {seq}): {why}"
            ))),
            None => Ok(()),
        }
    }

    /// Commits the roster event `make` returns (made under the write lock, after catching up
    /// with other writers), if any, as an entry of its own.
    fn commit_roster_event(
        &mut self,
        make: impl FnOnce(&Vault) -> Result<Option<RosterEvent>>,
    ) -> Result<()> {
        self.transact(|v| {
            let roster = make(v)?;
            Ok((
                (),
                Batch {
                    roster,
                    ..Default::default()
                },
            ))
        })
    }

    /// Writes coffer.toml with the current format once this device signs with its own key
    /// (so an older Coffer, which cannot read the roster, refuses to open the folder).
    pub(crate) fn upgrade_config(&mut self) -> Result<()> {
        if self.store.config.format >= crate::config::VAULT_FORMAT {
            return Ok(());
        }
        let mut config = self.store.config.clone();
        config.format = crate::config::VAULT_FORMAT;
        crate::fsutil::write_atomic(&self.store.layout.config(), config.to_toml().as_bytes())?;
        self.store.config = config;
        Ok(())
    }
}
