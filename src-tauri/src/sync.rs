//! Sync in the desktop app: commands to set up remotes (with a connection test), see devices
//! and alarms, and a worker thread that syncs after changes, on an interval and on request.
//!
//! The worker syncs through a second handle on the vault ([`coffer_core::sync::Reopener`]), so
//! a slow or unreachable remote never holds the session's vault: editing goes on meanwhile, and
//! both handles take the vault's file lock for writes, as two processes would. The second handle
//! is dropped when the vault locks. Remote credentials go from the UI into the core and never
//! back: the UI sees `RemoteInfo` (URL with any password hidden, whether credentials are kept).

use crate::error::{ApiError, ApiResult};
use crate::picker::{PickedState, Purpose};
use crate::session::Session;
use coffer_core::secrecy::ExposeSecret;
use coffer_core::sync::{
    AlarmKind, DeviceInfo, NewRemote, RemoteCheck, RemoteInfo, RemotePurpose, RemoteSpec,
    SyncOptions,
};
use coffer_core::{NoteFilter, NoteRef, Progress, Vault};
use coffer_views::{AlarmView, SyncSettings, SyncState, SyncStatus};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, State};

/// A sync starts this long after the last change (changes in a burst make one sync).
const DEBOUNCE: Duration = Duration::from_secs(2);
/// How often the worker looks for changes.
const TICK: Duration = Duration::from_millis(400);
/// After a failed sync, changes start another one no sooner than this.
const RETRY: Duration = Duration::from_secs(30);

/// What the UI may ask of the worker.
enum Ask {
    /// Sync now.
    Now,
    /// Remotes or settings changed: read them again.
    Reload,
}

/// The worker's mailbox and the status it last reported (managed state).
pub struct SyncService {
    ask: Mutex<Sender<Ask>>,
    status: Mutex<SyncStatus>,
    receiver: Mutex<Option<Receiver<Ask>>>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Default for SyncService {
    fn default() -> Self {
        let (tx, rx) = channel();
        SyncService {
            ask: Mutex::new(tx),
            status: Mutex::new(SyncStatus {
                state: SyncState::Off,
                last_sync: None,
                message: String::new(),
                progress: None,
                conflicts: Vec::new(),
                new_alarms: 0,
                new_damage: 0,
                new_news: 0,
                changes: 0,
            }),
            receiver: Mutex::new(Some(rx)),
        }
    }
}

impl SyncService {
    /// After the vault was set up from a remote (joined or paired): the worker opens it and
    /// syncs.
    pub(crate) fn set_up(&self) {
        self.ask(Ask::Reload);
        self.ask(Ask::Now);
    }

    /// Alarms were raised outside a sync (damage found by the check after unlock): the worker
    /// counts them again and tells the windows.
    pub(crate) fn alarms_raised(&self) {
        self.ask(Ask::Reload);
    }

    fn ask(&self, a: Ask) {
        let _ = guard(&self.ask).send(a);
    }
}

// ----- settings and acknowledged alarms: local/coffer-app-sync.json -----

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct SyncFile {
    settings: SyncSettings,
    /// Alarms up to this time (milliseconds) have been seen.
    alarms_seen_until: i64,
    /// News of devices up to this time (milliseconds) has been seen.
    news_seen_until: i64,
}

fn file_path(vault: &Path) -> PathBuf {
    vault.join("local").join("coffer-app-sync.json")
}

fn load_file(vault: &Path) -> SyncFile {
    std::fs::read(file_path(vault))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_file(vault: &Path, f: &SyncFile) -> ApiResult<()> {
    let json = serde_json::to_vec_pretty(f).map_err(|e| ApiError::new("app", e.to_string()))?;
    coffer_core::create_dirs(&vault.join("local"))
        .map_err(|e| ApiError::new("io", format!("creating the settings folder: {e}")))?;
    Ok(coffer_core::write_atomic(&file_path(vault), &json)?)
}

use crate::session::blocking;

// ----- commands -----

type S<'a> = State<'a, Session>;

#[tauri::command]
pub async fn remotes(s: S<'_>) -> ApiResult<Vec<RemoteInfo>> {
    s.with(|v| v.remotes())
}

/// Tests a remote as entered, without saving it (and without holding the vault meanwhile).
#[tauri::command]
pub async fn check_remote(
    s: S<'_>,
    picked: PickedState<'_>,
    remote: NewRemote,
) -> ApiResult<RemoteCheck> {
    let vault = s.with(|v| Ok(v.vault_id()))?;
    let spec = remote.spec()?;
    check_folder_chosen(&picked, &spec)?;
    blocking(move || {
        Ok(coffer_core::sync::check_remote_for(
            &vault,
            spec.url.expose_secret(),
            spec.credentials.as_ref(),
            spec.purpose,
        )?)
    })
    .await
}

/// A folder remote must be a folder the user chose in Coffer's dialog (S3 and WebDAV URLs are
/// typed, and reach only what their credentials allow).
fn check_folder_chosen(picked: &PickedState<'_>, spec: &RemoteSpec) -> ApiResult<()> {
    match coffer_core::sync::RemoteUrl::parse(spec.url.expose_secret())? {
        coffer_core::sync::RemoteUrl::Folder(path) => picked.check(Purpose::RemoteFolder, &path),
        _ => Ok(()),
    }
}

/// Tests a remote as entered and saves it only if the test passes; then syncs with it.
#[tauri::command]
pub async fn add_remote(
    s: S<'_>,
    sync: State<'_, SyncService>,
    picked: PickedState<'_>,
    remote: NewRemote,
) -> ApiResult<RemoteInfo> {
    let spec = remote.spec()?;
    check_folder_chosen(&picked, &spec)?;
    let vault = s.with(|v| {
        if v.remotes()?.iter().any(|r| r.name == spec.name) {
            return Err(coffer_core::Error::RemoteExists(spec.name.clone()));
        }
        Ok(v.vault_id())
    })?;
    let spec = blocking(move || {
        coffer_core::sync::check_remote_for(
            &vault,
            spec.url.expose_secret(),
            spec.credentials.as_ref(),
            spec.purpose,
        )?;
        Ok(spec)
    })
    .await?;
    let purpose = spec.purpose;
    let info = s.with(|v| {
        v.add_remote_for(
            &spec.name,
            spec.url.expose_secret(),
            spec.credentials,
            purpose,
        )
    })?;
    sync.ask(Ask::Reload);
    if purpose == RemotePurpose::Sync {
        sync.ask(Ask::Now);
    }
    Ok(info)
}

/// Forgets a remote and its credentials (nothing on the remote is touched).
#[tauri::command]
pub async fn remove_remote(s: S<'_>, sync: State<'_, SyncService>, name: String) -> ApiResult<()> {
    s.with(|v| v.remove_remote(&name))?;
    sync.ask(Ask::Reload);
    Ok(())
}

/// Starts a sync with every remote now (the result comes as `sync-status` events).
#[tauri::command]
pub async fn sync_now(sync: State<'_, SyncService>) -> ApiResult<()> {
    sync.ask(Ask::Now);
    Ok(())
}

#[tauri::command]
pub async fn sync_status(sync: State<'_, SyncService>) -> ApiResult<SyncStatus> {
    Ok(guard(&sync.status).clone())
}

/// Every alarm raised so far, newest first, with the notes concerned.
#[tauri::command]
pub async fn sync_alarms(s: S<'_>) -> ApiResult<Vec<AlarmView>> {
    let seen = load_file(&s.dir).alarms_seen_until;
    s.with(|v| {
        let mut alarms = v.sync_alarms()?;
        alarms.reverse();
        let notes = v.alarm_notes(&alarms);
        Ok(alarms
            .into_iter()
            .zip(notes)
            .map(|(alarm, notes)| AlarmView {
                new: alarm.time > seen,
                alarm,
                notes,
            })
            .collect())
    })
}

/// The person has read the alarms shown: they stop counting as new.
#[tauri::command]
pub async fn acknowledge_alarms(
    app: AppHandle,
    s: S<'_>,
    sync: State<'_, SyncService>,
) -> ApiResult<()> {
    let newest = s.with(|v| Ok(v.sync_alarms()?.iter().map(|a| a.time).max()))?;
    let mut f = load_file(&s.dir);
    f.alarms_seen_until = f.alarms_seen_until.max(newest.unwrap_or(0));
    save_file(&s.dir, &f)?;
    let status = {
        let mut st = guard(&sync.status);
        st.new_alarms = 0;
        st.new_damage = 0;
        st.clone()
    };
    Ok(app.emit("sync-status", status)?)
}

/// Puts damaged or missing files back from the sync remotes (only the bytes their signed
/// entries name); a note whose current version no remote holds is saved again from its text
/// here. Reports what was healed and what was not.
#[tauri::command]
pub async fn repair_damage(
    s: S<'_>,
    sync: State<'_, SyncService>,
) -> ApiResult<coffer_core::RepairReport> {
    let report = s.with(|v| v.repair())?;
    sync.alarms_raised();
    Ok(report)
}

/// News of the vault's devices that syncs brought (a device joined with the passphrase, one
/// was removed), newest first.
#[tauri::command]
pub async fn sync_news(s: S<'_>) -> ApiResult<Vec<AlarmView>> {
    let seen = load_file(&s.dir).news_seen_until;
    s.with(|v| {
        let mut news = v.sync_news()?;
        news.reverse();
        Ok(news
            .into_iter()
            .map(|alarm| AlarmView {
                new: alarm.time > seen,
                alarm,
                notes: Vec::new(),
            })
            .collect())
    })
}

/// The person has read the news of devices shown: it stops counting as new.
#[tauri::command]
pub async fn acknowledge_news(
    app: AppHandle,
    s: S<'_>,
    sync: State<'_, SyncService>,
) -> ApiResult<()> {
    let newest = s.with(|v| Ok(v.sync_news()?.iter().map(|a| a.time).max()))?;
    let mut f = load_file(&s.dir);
    f.news_seen_until = f.news_seen_until.max(newest.unwrap_or(0));
    save_file(&s.dir, &f)?;
    let status = {
        let mut st = guard(&sync.status);
        st.new_news = 0;
        st.clone()
    };
    Ok(app.emit("sync-status", status)?)
}

#[tauri::command]
pub async fn devices(s: S<'_>) -> ApiResult<Vec<DeviceInfo>> {
    s.with(|v| v.device_list())
}

/// First run on a new device: sets the vault up from an existing one's remote with the
/// passphrase (progress as `progress` events), then syncs on as usual.
#[tauri::command]
pub async fn join_vault(
    app: AppHandle,
    picked: PickedState<'_>,
    remote: NewRemote,
    passphrase: String,
    device_name: String,
) -> ApiResult<()> {
    let spec = remote.spec()?;
    check_folder_chosen(&picked, &spec)?;
    let events = app.clone();
    crate::session::on_session(app.clone(), move |s| {
        s.join(spec, passphrase, device_name, &mut |p| {
            let _ = events.emit("progress", p);
        })
    })
    .await?;
    app.state::<SyncService>().set_up();
    crate::commands::read_attachments_in_background(app);
    Ok(())
}

/// Removes a device of the roster (named by its id): its later changes are refused
/// everywhere, and a new key generation is made for the devices that remain.
#[tauri::command]
pub async fn remove_device(
    s: S<'_>,
    sync: State<'_, SyncService>,
    device: String,
) -> ApiResult<()> {
    s.with(|v| v.remove_device(&device).map(|_| ()))?;
    sync.ask(Ask::Now);
    Ok(())
}

/// Gives a device of the roster (named by its id) a new name.
#[tauri::command]
pub async fn rename_device(
    s: S<'_>,
    sync: State<'_, SyncService>,
    device: String,
    name: String,
) -> ApiResult<()> {
    s.with(|v| v.rename_device(&device, &name))?;
    sync.ask(Ask::Now);
    Ok(())
}

#[tauri::command]
pub async fn get_sync_settings(s: S<'_>) -> ApiResult<SyncSettings> {
    Ok(load_file(&s.dir).settings)
}

#[tauri::command]
pub async fn set_sync_settings(
    s: S<'_>,
    sync: State<'_, SyncService>,
    settings: SyncSettings,
) -> ApiResult<()> {
    if !(1..=1440).contains(&settings.interval_minutes) {
        return Err(ApiError::new(
            "invalid_input",
            format!(
                "the sync interval must be between 1 and 1440 minutes, not {}",
                settings.interval_minutes
            ),
        ));
    }
    let mut f = load_file(&s.dir);
    f.settings = settings;
    save_file(&s.dir, &f)?;
    sync.ask(Ask::Reload);
    Ok(())
}

// ----- the worker -----

/// Starts the worker thread (once, at app start).
pub fn start(app: &AppHandle) {
    let Some(rx) = guard(&app.state::<SyncService>().receiver).take() else {
        return;
    };
    let app = app.clone();
    std::thread::spawn(move || Worker::new(app).run(rx));
}

/// What the worker knows between ticks; all of it is forgotten when the vault locks.
struct Worker {
    app: AppHandle,
    /// The second handle on the vault, opened at the first sync after unlock.
    vault: Option<Vault>,
    /// The main handle's vault recipient when `vault` was opened (keys rotated: reopen).
    recipient: String,
    remotes: Vec<String>,
    settings: SyncSettings,
    loaded: bool,
    /// This device's log position at the end of the last sync, and when it last moved.
    synced_seq: Option<u64>,
    seen_seq: u64,
    changed_at: Instant,
    last_attempt: Option<Instant>,
    /// The last sync failed: retry after changes only every `RETRY`.
    failed: bool,
    /// An audit (a full listing, which finds files no device wrote) runs once per unlock.
    audited: bool,
}

impl Worker {
    fn new(app: AppHandle) -> Worker {
        Worker {
            app,
            vault: None,
            recipient: String::new(),
            remotes: Vec::new(),
            settings: SyncSettings::default(),
            loaded: false,
            synced_seq: None,
            seen_seq: 0,
            changed_at: Instant::now(),
            last_attempt: None,
            failed: false,
            audited: false,
        }
    }

    fn run(mut self, rx: Receiver<Ask>) {
        loop {
            let mut now = false;
            let mut reload = false;
            match rx.recv_timeout(TICK) {
                Ok(Ask::Now) => now = true,
                Ok(Ask::Reload) => reload = true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while let Ok(a) = rx.try_recv() {
                match a {
                    Ask::Now => now = true,
                    Ask::Reload => reload = true,
                }
            }
            self.tick(now, reload);
        }
    }

    fn session(&self) -> tauri::State<'_, Session> {
        self.app.state::<Session>()
    }

    fn publish(&self, f: impl FnOnce(&mut SyncStatus)) {
        let sync = self.app.state::<SyncService>();
        let status = {
            let mut st = guard(&sync.status);
            f(&mut st);
            st.clone()
        };
        let _ = self.app.emit("sync-status", status);
    }

    fn tick(&mut self, now: bool, reload: bool) {
        // This device's position in its log, and the keys in use; `None` when locked.
        let here = self.session().peek(|v| {
            let seq = v.devices().get(&v.device_id()).copied().unwrap_or(0);
            (seq, v.vault_recipient())
        });
        let Some((seq, recipient)) = here else {
            if self.loaded {
                // Locked: forget the second handle (its keys zeroize) and what it showed.
                *self = Worker::new(self.app.clone());
                self.publish(|st| {
                    st.state = SyncState::Off;
                    st.conflicts.clear();
                    st.progress = None;
                    st.message.clear();
                });
            }
            return;
        };
        if !self.loaded || reload {
            self.reload();
        }
        if self.vault.is_some() && recipient != self.recipient {
            self.vault = None;
        }
        if seq != self.seen_seq {
            self.seen_seq = seq;
            self.changed_at = Instant::now();
        }
        if self.remotes.is_empty() {
            if now {
                self.publish(|st| {
                    st.state = SyncState::Off;
                    st.message = "No remote is set up: add one in Settings, Sync.".into();
                });
            }
            return;
        }
        let auto = self.settings.auto_sync;
        let interval = Duration::from_secs(u64::from(self.settings.interval_minutes) * 60);
        let may_retry = !self.failed || self.last_attempt.is_none_or(|t| t.elapsed() >= RETRY);
        let due = now
            || (auto && self.last_attempt.is_none())
            || (auto
                && may_retry
                && self.synced_seq != Some(seq)
                && self.changed_at.elapsed() >= DEBOUNCE)
            || (auto && self.last_attempt.is_some_and(|t| t.elapsed() >= interval));
        if due {
            self.sync(recipient);
        }
    }

    /// Reads the settings and the remotes' names again.
    fn reload(&mut self) {
        let dir = self.session().dir.clone();
        self.settings = load_file(&dir).settings;
        let listed = self.session().peek(|v| v.remotes());
        let (remotes, last) = match listed {
            Some(Ok(r)) => {
                let own = r.iter().filter(|r| r.purpose == RemotePurpose::Sync);
                (
                    own.clone().map(|r| r.name.clone()).collect(),
                    own.filter_map(|r| r.last_sync).max(),
                )
            }
            _ => (Vec::new(), None),
        };
        self.remotes = remotes;
        self.loaded = true;
        let (new_alarms, new_damage) = self.new_alarms();
        let new_news = self.new_news();
        let has_remotes = !self.remotes.is_empty();
        self.publish(|st| {
            if !has_remotes {
                st.state = SyncState::Off;
            } else if st.state == SyncState::Off {
                st.state = SyncState::Idle;
            }
            st.last_sync = last.or(st.last_sync);
            st.new_alarms = new_alarms;
            st.new_damage = new_damage;
            st.new_news = new_news;
        });
    }

    fn new_news(&self) -> usize {
        let seen = load_file(&self.session().dir).news_seen_until;
        self.session()
            .peek(|v| v.sync_news())
            .and_then(|r| r.ok())
            .map(|a| a.iter().filter(|a| a.time > seen).count())
            .unwrap_or(0)
    }

    /// Alarms raised since the person last acknowledged them: all of them, and those about
    /// damaged files on this device.
    fn new_alarms(&self) -> (usize, usize) {
        let seen = load_file(&self.session().dir).alarms_seen_until;
        let alarms = self
            .session()
            .peek(|v| v.sync_alarms())
            .and_then(|r| r.ok())
            .unwrap_or_default();
        let new = alarms.iter().filter(|a| a.time > seen);
        let damage = new.clone().filter(|a| a.kind == AlarmKind::DamagedFile);
        (new.count(), damage.count())
    }

    fn sync(&mut self, recipient: String) {
        self.last_attempt = Some(Instant::now());
        self.publish(|st| {
            st.state = SyncState::Syncing;
            st.progress = None;
        });
        match self.sync_all(recipient) {
            Ok(changed) => {
                self.failed = false;
                // The main handle reads what the sync brought in.
                let seq = self
                    .session()
                    .peek(|v| {
                        let _ = v.refresh();
                        v.devices().get(&v.device_id()).copied().unwrap_or(0)
                    })
                    .unwrap_or(self.seen_seq);
                self.synced_seq = Some(seq);
                self.seen_seq = seq;
                let conflicts = self.conflicts();
                let last = self
                    .vault
                    .as_ref()
                    .and_then(|v| v.remotes().ok())
                    .and_then(|r| r.iter().filter_map(|r| r.last_sync).max());
                let (new_alarms, new_damage) = self.new_alarms();
                let new_news = self.new_news();
                self.publish(|st| {
                    st.state = SyncState::Idle;
                    st.message.clear();
                    st.progress = None;
                    st.last_sync = last.or(st.last_sync);
                    st.conflicts = conflicts;
                    st.new_alarms = new_alarms;
                    st.new_damage = new_damage;
                    st.new_news = new_news;
                    if changed {
                        st.changes = st.changes.wrapping_add(1);
                    }
                });
            }
            Err(e) => {
                self.failed = true;
                let offline = e.code == "remote_unreachable";
                let (new_alarms, new_damage) = self.new_alarms();
                self.publish(|st| {
                    st.state = if offline {
                        SyncState::Offline
                    } else {
                        SyncState::Error
                    };
                    st.message = e.message;
                    st.progress = None;
                    st.new_alarms = new_alarms;
                    st.new_damage = new_damage;
                });
            }
        }
    }

    /// Syncs with every remote in turn; returns whether anything came in.
    fn sync_all(&mut self, recipient: String) -> ApiResult<bool> {
        if self.vault.is_none() {
            let reopener = self
                .session()
                .peek(|v| v.reopener())
                .ok_or_else(ApiError::locked)??;
            self.vault = Some(reopener.open()?);
            self.recipient = recipient;
        }
        let app = self.app.clone();
        let mut progress = |p: &Progress| {
            let p = p.clone();
            let sync = app.state::<SyncService>();
            let status = {
                let mut st = guard(&sync.status);
                st.progress = Some(p);
                st.clone()
            };
            let _ = app.emit("sync-status", status);
        };
        let opts = SyncOptions {
            audit: !self.audited,
        };
        let vault = self.vault.as_mut().ok_or_else(ApiError::locked)?;
        let mut changed = false;
        let mut first_error = None;
        for name in &self.remotes {
            match vault.sync(Some(name), &opts, &mut progress) {
                Ok(r) => changed |= r.pulled_entries > 0 || r.merged > 0,
                Err(e) => {
                    first_error.get_or_insert(ApiError::from(e));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => {
                self.audited = true;
                Ok(changed)
            }
        }
    }

    /// Notes whose concurrent edits could not be merged.
    fn conflicts(&self) -> Vec<NoteRef> {
        let Some(v) = self.vault.as_ref() else {
            return Vec::new();
        };
        v.list(&NoteFilter::default())
            .into_iter()
            .filter(|n| n.conflict)
            .map(|n| NoteRef {
                id: n.id,
                title: n.title,
            })
            .collect()
    }
}

// The TypeScript client's entries for this file's commands, made by build.rs from their
// signatures above (see typescript::client).
include!(concat!(env!("OUT_DIR"), "/client_sync.rs"));
