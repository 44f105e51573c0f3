//! A new device: a vault made from a remote.

use super::*;

impl Vault {
    // ----- a new device -----

    /// Makes a full working vault in `dir` (absent or empty) from a remote, as a new device.
    /// The vault is usable as soon as coffer.toml is written; the rest comes by a sync with
    /// the remote, kept as `origin`. An interrupted clone is resumed by running the same
    /// clone again (or by `sync` in `dir`): a `dir` that holds this same vault, or only what an
    /// interrupted clone of it wrote, is taken up where it stopped.
    pub fn clone_from(
        url: &str,
        dir: &Path,
        passphrase: &SecretString,
        credentials: Option<Credentials>,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        Self::join_from(url, dir, passphrase, credentials, None, progress)
    }

    /// [`Vault::clone_from`], and this device joins the roster with the passphrase under
    /// `name` (the host name when `None`) once it has pulled what the remote holds (so its
    /// joining names the roster as it is); the next sync of every other device announces it.
    pub fn join_from(
        url: &str,
        dir: &Path,
        passphrase: &SecretString,
        credentials: Option<Credentials>,
        name: Option<&str>,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        let name = match name {
            Some(n) => crate::roster::clean_device_name(n)?,
            None => crate::roster::default_device_name(),
        };
        let (mut vault, report) =
            Self::clone_without_joining(url, dir, passphrase, credentials, progress)?;
        let report = vault.join_after_pull(&name, report, progress)?;
        Ok((vault, report))
    }

    /// Joins the roster after the first pull, and uploads the joining entry.
    fn join_after_pull(
        &mut self,
        name: &str,
        mut report: SyncReport,
        progress: ProgressFn<'_>,
    ) -> Result<SyncReport> {
        if self.store.roster.member(&self.store.device).is_some() {
            return Ok(report);
        }
        self.join_roster(name)?;
        let second = self.sync(Some(ORIGIN), &SyncOptions::default(), progress)?;
        report.pushed_entries += second.pushed_entries;
        report.requests += second.requests;
        report.alarms.extend(second.alarms);
        Ok(report)
    }

    fn clone_without_joining(
        url: &str,
        dir: &Path,
        passphrase: &SecretString,
        credentials: Option<Credentials>,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        let creds = credentials.or_else(Credentials::from_env);
        let remote = StoreRemote::open(url, creds.as_ref())?;
        let mismatch = |reason: &str| Error::RemoteMismatch {
            remote: remote.describe(),
            reason: reason.to_string(),
        };
        if dir.join("coffer.toml").exists() {
            return Self::resume_clone(url, dir, passphrase, creds, &remote, progress);
        }
        progress(&Progress {
            stage: "connecting".into(),
            done: 0,
            total: 0,
        });
        let toml = remote
            .get("coffer.toml", crate::limits::CONFIG)?
            .ok_or_else(|| mismatch("it holds no vault (no coffer.toml)"))?;
        let text = String::from_utf8(toml).map_err(|_| mismatch("its coffer.toml is not text"))?;
        let config = Config::parse(&text, dir)?;
        let identity = remote
            .get("identity.age", crate::limits::IDENTITY)?
            .ok_or_else(|| mismatch("it holds no identity.age"))?;
        if !Self::only_clone_debris(dir, &identity) {
            return Err(Error::FolderNotEmpty(dir.to_path_buf()));
        }
        // Check the passphrase before writing anything.
        progress(&Progress {
            stage: "unlocking".into(),
            done: 0,
            total: 0,
        });
        let plain = crypto::decrypt_with_passphrase(passphrase, &identity)?;
        let id_text = std::str::from_utf8(&plain)
            .map_err(|_| Error::BadIdentity("identity.age does not hold text".into()))?;
        Keys::from_identity_file(id_text, &config.vault)?;
        drop(plain);
        crate::fsutil::create_dirs(dir)
            .map_err(Error::io(format!("creating {}", dir.display())))?;
        for d in ["objects", "log", "local"] {
            crate::fsutil::create_dirs(&dir.join(d))
                .map_err(Error::io(format!("creating {}", dir.display())))?;
        }
        write_atomic(&dir.join("identity.age"), &identity)?;
        write_atomic(&dir.join("coffer.toml"), config.to_toml().as_bytes())?;
        let mut vault = LockedVault::open(dir)?.unlock(passphrase)?;
        let stored_creds = match RemoteUrl::parse(url)?.kind() {
            RemoteKind::S3 => creds,
            _ => None,
        };
        vault.add_remote(ORIGIN, url, stored_creds)?;
        let report = vault.sync_with(&remote, ORIGIN, &SyncOptions::default(), progress)?;
        vault.save_snapshot()?;
        Ok((vault, report))
    }

    /// `dir` is absent, empty, or holds only what an interrupted clone from this remote wrote
    /// before coffer.toml (its folders, temp files, the same identity.age).
    fn only_clone_debris(dir: &Path, identity: &[u8]) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return true;
        };
        entries.flatten().all(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            match name.as_str() {
                "objects" | "log" | "local" => fs::read_dir(e.path())
                    .map(|mut d| {
                        d.all(|x| {
                            x.is_ok_and(|x| {
                                x.path().is_dir()
                                    || x.file_name()
                                        .to_string_lossy()
                                        .starts_with(crate::fsutil::TEMP_PREFIX)
                            })
                        })
                    })
                    .unwrap_or(false),
                "identity.age" => fs::read(e.path()).is_ok_and(|b| b == identity),
                n => n.starts_with(crate::fsutil::TEMP_PREFIX),
            }
        })
    }

    /// Takes up a clone that was interrupted after coffer.toml was written: `dir` must hold
    /// the remote's vault; the remote becomes `origin` if it is not yet, and the sync goes on.
    fn resume_clone(
        url: &str,
        dir: &Path,
        passphrase: &SecretString,
        creds: Option<Credentials>,
        remote: &StoreRemote,
        progress: ProgressFn<'_>,
    ) -> Result<(Vault, SyncReport)> {
        let exists = || Error::VaultExists(dir.to_path_buf());
        let Some(toml) = remote.get("coffer.toml", crate::limits::CONFIG)? else {
            return Err(exists());
        };
        let theirs = String::from_utf8(toml)
            .ok()
            .and_then(|t| Config::parse(&t, dir).ok())
            .ok_or_else(exists)?;
        let mut vault = LockedVault::open(dir)?.unlock(passphrase)?;
        if vault.store.config.vault != theirs.vault {
            return Err(exists());
        }
        match local::read_remotes(&vault)?
            .remotes
            .iter()
            .find(|r| r.name == ORIGIN)
        {
            Some(r) if r.url == super::remotes::stored_url(url)? => {}
            // Another origin: this is not the clone being resumed.
            Some(_) => return Err(exists()),
            None => {
                let stored_creds = match RemoteUrl::parse(url)?.kind() {
                    RemoteKind::S3 => creds,
                    _ => None,
                };
                vault.add_remote(ORIGIN, url, stored_creds)?;
            }
        }
        let report = vault.sync_with(remote, ORIGIN, &SyncOptions::default(), progress)?;
        vault.save_snapshot()?;
        Ok((vault, report))
    }
}
