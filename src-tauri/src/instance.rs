//! One app per vault on a machine. Two apps on one vault would each keep their own state and
//! write under the same device, so an edit in one would look like a change made elsewhere (and
//! conflict with the other's). The first app listens on a Unix socket named after the vault; a
//! second one started on the same vault asks the first to come to the front, and exits.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// What starting on a vault found.
pub enum Claim {
    /// No app runs on the vault: this one is the first, and answers later ones here.
    First(Listener),
    /// An app already runs on the vault; it was asked to come to the front.
    Running,
    /// The socket cannot be made (an unusual folder, a path too long): the app runs
    /// without the check, which is said on stderr.
    Unavailable(String),
}

/// The first app's socket; removed when dropped.
pub struct Listener {
    #[cfg(unix)]
    socket: std::os::unix::net::UnixListener,
    path: PathBuf,
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
    let abs = std::path::absolute(vault).map_err(|e| e.to_string())?;
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

/// Claims `vault` for this app, or asks the app that has it to come to the front.
#[cfg(unix)]
pub fn claim(vault: &Path) -> Claim {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    let path = match socket_path(vault) {
        Ok(p) => p,
        Err(e) => return Claim::Unavailable(e),
    };
    for _ in 0..2 {
        if let Ok(mut s) = UnixStream::connect(&path) {
            let _ = s.write_all(b"focus\n");
            return Claim::Running;
        }
        // Nobody answers: a socket left by an app that was killed, or none.
        let _ = std::fs::remove_file(&path);
        match UnixListener::bind(&path) {
            Ok(socket) => {
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
                return Claim::First(Listener { socket, path });
            }
            // Another app started at the same moment and bound first: ask it.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Claim::Unavailable(format!("{}: {e}", path.display())),
        }
    }
    Claim::Unavailable(format!("{}: in use, yet nobody answers", path.display()))
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
                let mut line = String::new();
                let mut r = BufReader::new(&stream);
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
    fn a_second_claim_on_a_vault_finds_the_first_and_a_stale_socket_is_taken_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let vault = dir.path().join("vault");
        let Claim::First(first) = claim(&vault) else {
            panic!("the first claim is not the first");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        first.serve(move || {
            let _ = tx.send(());
        });
        assert!(matches!(claim(&vault), Claim::Running));
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the first app was asked to come to the front");
        // Another vault is claimed on its own.
        assert!(matches!(claim(&dir.path().join("other")), Claim::First(_)));
    }
}
