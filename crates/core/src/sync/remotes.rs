//! Configured remotes (kept encrypted in `local/remotes.age`), the alarms kept so far, and
//! the devices that have written to the vault.

use super::*;

/// A remote's URL as it is kept: a folder as the absolute path it means now (a relative one
/// would mean something else from another directory, `~` something else for another user);
/// any other URL as given, trimmed. Compare URLs in this form.
pub(crate) fn stored_url(url: &str) -> Result<String> {
    Ok(match RemoteUrl::parse(url)? {
        RemoteUrl::Folder(p) => std::path::absolute(&p)
            .map_err(Error::io("resolving the remote folder"))?
            .display()
            .to_string(),
        _ => url.trim().to_string(),
    })
}

impl Vault {
    // ----- remotes -----

    /// Adds a remote this vault's devices sync through (see [`Vault::add_remote_for`]).
    pub fn add_remote(
        &mut self,
        name: &str,
        url: &str,
        credentials: Option<Credentials>,
    ) -> Result<RemoteInfo> {
        self.add_remote_for(name, url, credentials, RemotePurpose::Sync)
    }

    /// Adds a remote for `purpose`. S3 credentials given (or, if none, found in the
    /// environment) are stored encrypted to the vault key in `local/remotes.age`. The URL is
    /// checked, not contacted.
    pub fn add_remote_for(
        &mut self,
        name: &str,
        url: &str,
        credentials: Option<Credentials>,
        purpose: RemotePurpose,
    ) -> Result<RemoteInfo> {
        valid_remote_name(name)?;
        let parsed = RemoteUrl::parse(url)?;
        let url = stored_url(url)?;
        let creds = match parsed.kind() {
            RemoteKind::S3 => credentials.or_else(Credentials::from_env),
            _ => None,
        };
        let _lock = self.lock_file()?;
        let mut file = local::read_remotes(self)?;
        if file.remotes.iter().any(|r| r.name == name) {
            return Err(Error::RemoteExists(name.to_string()));
        }
        file.remotes.push(StoredRemote {
            name: name.to_string(),
            url: url.clone(),
            access_key_id: creds.as_ref().map(|c| c.access_key_id.clone()),
            secret_access_key: creds
                .as_ref()
                .map(|c| c.secret_access_key.expose_secret().to_string()),
            purpose,
        });
        local::write_remotes(self, &file)?;
        Ok(RemoteInfo {
            name: name.to_string(),
            url: remote::redact(&url),
            kind: parsed.kind(),
            purpose,
            has_credentials: creds.is_some(),
            last_sync: None,
        })
    }

    /// The configured remotes.
    pub fn remotes(&self) -> Result<Vec<RemoteInfo>> {
        let file = local::read_remotes(self)?;
        let sync = local::read_sync(self)?;
        Ok(file
            .remotes
            .iter()
            .map(|r| RemoteInfo {
                name: r.name.clone(),
                url: remote::redact(&r.url),
                kind: RemoteUrl::parse(&r.url)
                    .map(|u| u.kind())
                    .unwrap_or(RemoteKind::Folder),
                purpose: r.purpose,
                has_credentials: r.secret_access_key.is_some(),
                last_sync: sync
                    .remotes
                    .get(&r.name)
                    .filter(|m| m.url == r.url)
                    .and_then(|m| m.last_sync),
            })
            .collect())
    }

    /// The names of the configured remotes used for one purpose, in the order they were added.
    pub fn remote_names(&self, purpose: RemotePurpose) -> Result<Vec<String>> {
        Ok(local::read_remotes(self)?
            .remotes
            .iter()
            .filter(|r| r.purpose == purpose)
            .map(|r| r.name.clone())
            .collect())
    }

    /// Forgets a remote (and its credentials). Nothing on the remote is touched.
    pub fn remove_remote(&mut self, name: &str) -> Result<()> {
        let _lock = self.lock_file()?;
        let mut file = local::read_remotes(self)?;
        let before = file.remotes.len();
        file.remotes.retain(|r| r.name != name);
        if file.remotes.len() == before {
            return Err(Error::NoSuchRemote(name.to_string()));
        }
        local::write_remotes(self, &file)?;
        let mut sync = local::read_sync(self)?;
        if sync.remotes.remove(name).is_some() {
            local::write_sync(self, &mut sync)?;
        }
        Ok(())
    }

    /// Opens a configured remote (no request is made yet).
    pub fn open_remote(&self, name: &str) -> Result<StoreRemote> {
        let file = local::read_remotes(self)?;
        let r = file
            .remotes
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| Error::NoSuchRemote(name.to_string()))?;
        let creds = match (&r.access_key_id, &r.secret_access_key) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id.clone(),
                secret_access_key: SecretString::from(secret.clone()),
            }),
            _ => None,
        };
        StoreRemote::open(&r.url, creds.as_ref())
    }

    /// Opens a configured remote after checking it serves `purpose`: this vault never syncs
    /// into a place shared with contacts, and messages never go through the vault's own remote.
    pub fn open_remote_for(&self, name: &str, purpose: RemotePurpose) -> Result<StoreRemote> {
        let stored = local::read_remotes(self)?
            .remotes
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.purpose)
            .ok_or_else(|| Error::NoSuchRemote(name.to_string()))?;
        if stored != purpose {
            return Err(Error::WrongRemotePurpose {
                name: name.to_string(),
                purpose: stored.label(),
                wanted: purpose.label(),
            });
        }
        self.open_remote(name)
    }

    pub(super) fn remote_url(&self, name: &str) -> Result<String> {
        local::read_remotes(self)?
            .remotes
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.url.clone())
            .ok_or_else(|| Error::NoSuchRemote(name.to_string()))
    }

    /// Syncs with the named remote, or with the only one configured.
    pub fn sync(
        &mut self,
        name: Option<&str>,
        opts: &SyncOptions,
        progress: ProgressFn<'_>,
    ) -> Result<SyncReport> {
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let all = self.remote_names(RemotePurpose::Sync)?;
                match all.as_slice() {
                    [one] => one.clone(),
                    [] => {
                        return Err(Error::Invalid(
                            "no sync remote is configured; add one with `coffer remote add NAME URL`"
                                .into(),
                        ));
                    }
                    _ => {
                        return Err(Error::Invalid(format!(
                            "several sync remotes are configured ({}); name the one to sync with",
                            all.join(", ")
                        )));
                    }
                }
            }
        };
        let remote = self.open_remote_for(&name, RemotePurpose::Sync)?;
        self.sync_with(&remote, &name, opts, progress)
    }

    /// Every alarm raised by sync so far (oldest first).
    pub fn sync_alarms(&self) -> Result<Vec<Alarm>> {
        Ok(local::read_sync(self)?.alarms)
    }

    /// Keeps alarms found on this device (crate::scrub) with those sync raised. One already
    /// kept (the same file, the same damage) keeps its time: damage still there at the next
    /// unlock is not news again.
    pub(crate) fn raise_alarms(&mut self, alarms: &[Alarm]) -> Result<()> {
        let _lock = self.lock_file()?;
        let mut file = local::read_sync(self)?;
        let new: Vec<Alarm> = alarms
            .iter()
            .filter(|a| {
                !file.alarms.iter().any(|k| {
                    (k.kind, &k.remote, &k.key, &k.message)
                        == (a.kind, &a.remote, &a.key, &a.message)
                })
            })
            .cloned()
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        file.add_alarms(&new);
        local::write_sync(self, &mut file)
    }

    /// Forgets the damaged-file alarms about `paths` (files a repair put back).
    pub(crate) fn clear_damage_alarms(&mut self, paths: &[&str]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let _lock = self.lock_file()?;
        let mut file = local::read_sync(self)?;
        let before = file.alarms.len();
        file.alarms
            .retain(|a| a.kind != AlarmKind::DamagedFile || !paths.contains(&a.key.as_str()));
        if file.alarms.len() == before {
            return Ok(());
        }
        local::write_sync(self, &mut file)
    }

    /// Every piece of news of the user's devices that sync brought (a device joined with the
    /// passphrase, a device removed), oldest first.
    pub fn sync_news(&self) -> Result<Vec<Alarm>> {
        Ok(local::read_sync(self)?.news)
    }

    /// Forgets the alarms kept so far (once the user has seen them); returns how many. A
    /// remote that is still wrong raises them again at the next sync.
    pub fn dismiss_sync_alarms(&mut self) -> Result<usize> {
        let _lock = self.lock_file()?;
        let mut file = local::read_sync(self)?;
        let n = file.alarms.len();
        if n > 0 {
            file.alarms.clear();
            local::write_sync(self, &mut file)?;
        }
        Ok(n)
    }

    /// Devices that have written to this vault, with their last change and (for this device)
    /// the last sync.
    pub fn device_list(&self) -> Result<Vec<DeviceInfo>> {
        let sync = local::read_sync(self)?;
        let last_sync = sync.remotes.values().filter_map(|m| m.last_sync).max();
        let mut out = Vec::new();
        let mut ids: Vec<Id> = self.state.heads.keys().copied().collect();
        // Devices of the roster with no entry here yet (a paired device before its first).
        for m in self.store.roster.members() {
            if !ids.contains(&m.device) {
                ids.push(m.device);
            }
        }
        if !ids.contains(&self.store.device) {
            ids.push(self.store.device);
        }
        for id in ids {
            let (seq, _) = self
                .state
                .heads
                .get(&id)
                .cloned()
                .unwrap_or((0, String::new()));
            let last_change = (seq > 0)
                .then(|| self.read_log_entry(&id, seq))
                .flatten()
                .map(|e| e.time);
            let member = self.store.roster.member(&id);
            out.push(DeviceInfo {
                id,
                this_device: id == self.store.device,
                entries: seq,
                last_change,
                last_sync: if id == self.store.device {
                    last_sync
                } else {
                    None
                },
                name: member.map(|m| m.name.clone()),
                joined_by: member.map(|m| {
                    if m.added_by.is_some() {
                        "paired"
                    } else {
                        "passphrase"
                    }
                    .to_string()
                }),
                added_by: member
                    .and_then(|m| m.added_by)
                    .map(|by| self.store.roster.label(&by)),
                joined: member.map(|m| m.added),
                removed: member
                    .and_then(|m| m.removed.as_ref())
                    .map(|r| crate::DeviceRemoval {
                        by: self.store.roster.label(&r.by),
                        time: r.time,
                        last_entry: r.last,
                    }),
            });
        }
        out.sort_by(|a, b| {
            b.this_device
                .cmp(&a.this_device)
                .then(b.last_change.cmp(&a.last_change))
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }
}
