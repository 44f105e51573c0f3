//! The session: the vault folder, the unlocked vault (or `None` when locked), and auto-lock.
//! Locking drops the `Vault`, whose keys zeroize on drop; the UI is told to forget plaintext.

use crate::error::{ApiError, ApiResult};
use coffer_core::secrecy::SecretString;
use coffer_core::{LockedVault, Vault};
use coffer_views::LockedEvent;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter};
use zeroize::Zeroize;

/// The state shared by every command.
pub struct Session {
    pub dir: PathBuf,
    vault: Mutex<Option<Vault>>,
    last_activity: Mutex<Instant>,
    /// A fixed auto-lock delay for tests (`--autolock-seconds` or `$COFFER_AUTOLOCK_SECONDS`),
    /// used instead of the setting only when given.
    autolock_override: Option<Duration>,
}

/// Saves are written out from the journal as files after this long without activity.
const WRITE_OUT_AFTER: Duration = Duration::from_secs(2);

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` (network work, rendering) off the async runtime, whose threads must not block, and
/// off the window's thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new("app", e.to_string()))?
}

/// Runs `f` with the session on a blocking thread: the one way a command does slow work
/// (scrypt, verify, import, export, attachments, network), so no async worker is held and no
/// lock is held across an await.
pub async fn on_session<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&Session) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    use tauri::Manager;
    blocking(move || f(&app.state::<Session>())).await
}

/// [`on_session`] on the unlocked vault.
pub async fn on_vault<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&mut Vault) -> coffer_core::Result<T> + Send + 'static,
) -> ApiResult<T> {
    on_session(app, move |s| s.with(f)).await
}

/// Wraps a passphrase from the UI in a `SecretString` and wipes the original.
pub fn secret(mut s: String) -> SecretString {
    // `to_owned` allocates exactly the length, so the boxed str inside is never reallocated.
    let out = SecretString::from(s.as_str().to_owned());
    s.zeroize();
    out
}

impl Session {
    pub fn new(dir: PathBuf, autolock_override: Option<Duration>) -> Session {
        Session {
            dir,
            vault: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            autolock_override,
        }
    }

    /// Records user activity (postpones auto-lock).
    pub fn touch(&self) {
        *guard(&self.last_activity) = Instant::now();
    }

    pub fn is_unlocked(&self) -> bool {
        guard(&self.vault).is_some()
    }

    /// Runs `f` on the unlocked vault.
    pub fn with<T>(&self, f: impl FnOnce(&mut Vault) -> coffer_core::Result<T>) -> ApiResult<T> {
        self.touch();
        let mut v = guard(&self.vault);
        let vault = v.as_mut().ok_or_else(ApiError::locked)?;
        Ok(f(vault)?)
    }

    /// Runs `f` on the unlocked vault without counting as activity (for background work,
    /// such as sync); `None` when locked.
    pub fn peek<T>(&self, f: impl FnOnce(&mut Vault) -> T) -> Option<T> {
        guard(&self.vault).as_mut().map(f)
    }

    /// Creates the vault and keeps it unlocked.
    pub fn create(&self, passphrase: String) -> ApiResult<()> {
        let pass = secret(passphrase);
        let vault = Vault::init(&self.dir, &pass, &coffer_core::InitOptions::default())?;
        self.set(vault);
        Ok(())
    }

    /// Sets this device up from an existing vault's remote (pulls everything, joins the roster
    /// as `name`) and keeps it unlocked. Resumable: run again after an interruption.
    pub fn join(
        &self,
        spec: coffer_core::sync::RemoteSpec,
        passphrase: String,
        name: String,
        progress: coffer_core::ProgressFn<'_>,
    ) -> ApiResult<()> {
        let pass = secret(passphrase);
        let name = Some(name.trim()).filter(|n| !n.is_empty());
        let (vault, _report) = Vault::join_from(
            coffer_core::secrecy::ExposeSecret::expose_secret(&spec.url),
            &self.dir,
            &pass,
            spec.credentials,
            name,
            progress,
        )?;
        self.set(vault);
        Ok(())
    }

    /// Unlocks the vault (a no-op if it is unlocked already).
    pub fn unlock(&self, passphrase: String) -> ApiResult<()> {
        let pass = secret(passphrase);
        if self.is_unlocked() {
            return Ok(());
        }
        let vault = LockedVault::open(&self.dir)?.unlock(&pass)?;
        self.set(vault);
        Ok(())
    }

    pub(crate) fn set(&self, vault: Vault) {
        self.touch();
        *guard(&self.vault) = Some(vault);
    }

    /// Drops the vault and its keys (saving the encrypted snapshot cache first, for a fast
    /// next unlock). Returns whether it was unlocked.
    pub fn lock(&self) -> bool {
        let taken = guard(&self.vault).take();
        match taken {
            Some(mut vault) => {
                // Saves are durable already: these write the journal out as files and refresh
                // the snapshot cache; a failure loses nothing (the next unlock retries).
                let _ = vault.checkpoint();
                let _ = vault.save_snapshot_if_stale();
                drop(vault);
                true
            }
            None => false,
        }
    }

    /// Checks the current passphrase, then re-encrypts the identity with the new one.
    pub fn change_passphrase(&self, current: String, new: String) -> ApiResult<()> {
        let (current, new) = (secret(current), secret(new));
        self.with(|v| {
            let wf = v.check_passphrase(&current)?;
            v.change_passphrase(&new, wf)
        })
    }

    /// A new vault key for every device of the roster, which closes joining with the
    /// passphrase (the vault is unlocked already: the passphrase is checked, as for any change
    /// of keys).
    pub fn rotate_keys(&self, passphrase: String) -> ApiResult<coffer_core::Rotation> {
        let pass = secret(passphrase);
        self.with(|v| v.rotate_keys(&pass))
    }

    /// The auto-lock delay in force.
    fn autolock_after(&self) -> Duration {
        self.autolock_override.unwrap_or_else(|| {
            Duration::from_secs(u64::from(crate::settings::load(&self.dir).auto_lock_minutes) * 60)
        })
    }

    /// Locks the vault when it has been idle for the auto-lock delay, and tells the UI.
    /// Runs on its own thread for the life of the app.
    pub fn autolock_loop(app: AppHandle) {
        use tauri::Manager;
        let tick = {
            let s = app.state::<Session>();
            if s.autolock_override
                .is_some_and(|d| d < Duration::from_secs(10))
            {
                Duration::from_millis(200)
            } else {
                Duration::from_secs(1)
            }
        };
        let mut delay = app.state::<Session>().autolock_after();
        let mut since_reload = Duration::ZERO;
        loop {
            std::thread::sleep(tick);
            let s = app.state::<Session>();
            since_reload += tick;
            if since_reload >= Duration::from_secs(5) {
                delay = s.autolock_after();
                since_reload = Duration::ZERO;
            }
            let idle = guard(&s.last_activity).elapsed();
            // Saves went to the journal: write them out as files once the user pauses.
            if idle >= WRITE_OUT_AFTER {
                s.peek(|v| {
                    if v.has_unwritten_saves() {
                        let _ = v.checkpoint();
                    }
                });
            }
            if idle >= delay && s.lock() {
                let _ = app.emit(
                    "locked",
                    LockedEvent {
                        reason: "idle".into(),
                    },
                );
            }
        }
    }
}
