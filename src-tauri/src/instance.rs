//! One app per vault on a machine. Two apps on one vault would each keep their own state and
//! write under the same device, so an edit in one would look like a change made elsewhere (and
//! conflict with the other's). The first app listens on a Unix socket named after the vault; a
//! second one started on the same vault asks the first to come to the front, and exits.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// What starting on a vault found.
pub enum Claim {
    /// No app runs on the vault: this one is the first, and answers later ones here.
    First(Listener),
    /// An app already runs on the vault; it was asked to come to the front.
    Running,
    /// An app holds the vault and does not answer (it is starting, or stuck).
    Silent,
    /// The socket cannot be made (an unusual folder, a path too long): the app runs
    /// without the check, which is said on stderr.
    Unavailable(String),
}

/// The first app's socket, and the lock that makes it the first (held while it runs); the
/// socket is removed when dropped.
pub struct Listener {
    #[cfg(unix)]
    socket: std::os::unix::net::UnixListener,
    path: PathBuf,
    _lock: std::fs::File,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where the socket for `vault` is: in `$XDG_RUNTIME_DIR` (private to the user) when there is
/// one, else beside the vault; named by a hash of the vault's absolute path.
fn socket_path(vault: &Path) -> Result<PathBuf, String> {
    use sha2::{Digest, Sha256};
    // One name however the vault is written (a trailing slash, `..`, a link to it).
    let abs = std::fs::canonicalize(vault)
        .or_else(|_| std::path::absolute(vault))
        .map_err(|e| e.to_string())?;
    let hash = hex::encode(&Sha256::digest(abs.as_os_str().as_encoded_bytes())[..8]);
    let name = format!(".coffer-app-{hash}.sock");
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir());
    let dir = match runtime {
        Some(d) => d,
        None => {
            let parent = abs
                .parent()
                .ok_or("the vault has no parent folder")?
                .to_path_buf();
            coffer_core::create_dirs(&parent).map_err(|e| e.to_string())?;
            parent
        }
    };
    Ok(dir.join(name))
}

/// Claims `vault` for this app, or asks the app that has it to come to the front. The lock
/// file beside the socket decides which app is the first (two started at once cannot both be);
/// only the holder of the lock binds the socket.
#[cfg(unix)]
pub fn claim(vault: &Path) -> Claim {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::os::unix::net::{UnixListener, UnixStream};
    let path = match socket_path(vault) {
        Ok(p) => p,
        Err(e) => return Claim::Unavailable(e),
    };
    let lock_path = path.with_extension("lock");
    let lock = match std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) => return Claim::Unavailable(format!("{}: {e}", lock_path.display())),
    };
    match lock.try_lock() {
        Ok(()) => {
            // The only app on the vault: a socket left here is a dead app's.
            let _ = std::fs::remove_file(&path);
            match UnixListener::bind(&path) {
                Ok(socket) => {
                    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
                    Claim::First(Listener {
                        socket,
                        path,
                        _lock: lock,
                    })
                }
                Err(e) => Claim::Unavailable(format!("{}: {e}", path.display())),
            }
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            // Another app holds the vault; it may still be making its socket.
            for _ in 0..50 {
                if let Ok(mut s) = UnixStream::connect(&path) {
                    let _ = s.write_all(b"focus\n");
                    return Claim::Running;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Claim::Silent
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Claim::Unavailable(format!("{}: {e}", lock_path.display()))
        }
    }
}

#[cfg(not(unix))]
pub fn claim(_vault: &Path) -> Claim {
    Claim::Unavailable("only on Unix".into())
}

impl Listener {
    /// Answers later apps on the vault, on a thread of its own: each one that asks brings
    /// the window to the front by calling `focus`.
    pub fn serve(self, focus: impl Fn() + Send + 'static) {
        std::thread::spawn(move || {
            #[cfg(unix)]
            for stream in self.socket.incoming().flatten() {
                // One short line is all an app sends; one that sends nothing is not waited for.
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let mut line = String::new();
                // At most a short line: a client that sends more is not read further.
                let mut r = BufReader::new((&stream).take(64));
                if r.read_line(&mut line).is_ok() && line.trim() == "focus" {
                    focus();
                }
            }
        });
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_a_vault_however_written_finds_the_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = dir.path().join("vault");
        std::fs::create_dir_all(&vault).expect("vault folder");
        std::fs::create_dir_all(dir.path().join("x")).expect("a folder");
        let Claim::First(first) = claim(&vault) else {
            panic!("the first claim is not the first");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        first.serve(move || {
            let _ = tx.send(());
        });
        for again in [vault.clone(), dir.path().join("x/../vault/")] {
            assert!(
                matches!(claim(&again), Claim::Running),
                "{}",
                again.display()
            );
            rx.recv_timeout(std::time::Duration::from_secs(5))
                .expect("the first app was asked to come to the front");
        }
        // A client that sends a flood, or nothing, does not stop the next one.
        let path = socket_path(&vault).expect("the socket");
        let mut flood = std::os::unix::net::UnixStream::connect(&path).expect("connect");
        let _ = flood.write_all(&vec![b'x'; 1 << 20]);
        drop(flood);
        let _silent = std::os::unix::net::UnixStream::connect(&path).expect("connect");
        assert!(matches!(claim(&vault), Claim::Running));
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("a later app is still answered");
        assert!(matches!(claim(&dir.path().join("other")), Claim::First(_)));
    }

    #[test]
    fn a_socket_left_by_a_dead_app_is_taken_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = dir.path().join("vault");
        let path = socket_path(&vault).expect("a socket path");
        // A socket file nobody listens on, and no lock held.
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        assert!(path.exists());
        let Claim::First(l) = claim(&vault) else {
            panic!("the dead app's socket was not taken over");
        };
        drop(l);
        assert!(!path.exists(), "the socket is removed with the app");
        assert!(matches!(claim(&vault), Claim::First(_)));
    }
}
