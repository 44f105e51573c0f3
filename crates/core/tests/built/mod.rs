//! Binaries that `cargo test` already built (examples, and with `--workspace` every binary),
//! with the features of the run: tests use them when they are fresh instead of asking cargo,
//! whose own feature resolution for one package can rebuild many crates.

use std::path::Path;

/// `bin` exists and was built after the last change to any file under `dirs`.
pub fn newer_than_sources(bin: &Path, dirs: &[&Path]) -> bool {
    fn newest(dir: &Path) -> Option<std::time::SystemTime> {
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                if m.is_dir() {
                    newest(&e.path())
                } else {
                    m.modified().ok()
                }
            })
            .max()
    }
    let Some(built) = std::fs::metadata(bin).and_then(|m| m.modified()).ok() else {
        return false;
    };
    dirs.iter().all(|d| newest(d).is_some_and(|t| t <= built))
}
