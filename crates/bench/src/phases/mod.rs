//! The measurements. Each phase runs in its own child process (so its peak RSS is its own)
//! and returns a JSON-serializable result.

mod baseline;
mod common;
mod generate;
mod open;
mod save;
mod scrub;
mod search;

pub use baseline::*;
pub use common::*;
pub use generate::*;
pub use open::*;
pub use save::*;
pub use scrub::*;
pub use search::*;

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Result;
    use coffer_core::LockedVault;
    use std::fs;

    /// Every phase on a small vault, in process: the numbers are not checked, the work is.
    #[test]
    fn phases_run_on_a_small_vault() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let paths = Paths {
            root: dir.path().join("n30"),
        };
        let stage = dir.path().join("stage");
        // A third in Chinese or Japanese, as the multilingual corpus.
        let g = generate(&paths, 30, 1, Some(&stage), 0.33)?;
        assert_eq!(
            fs::read_dir(&stage)?.count(),
            0,
            "the staging copy is removed"
        );
        assert_eq!((g.notes, g.batches), (30, 1));
        assert!(g.snapshot_bytes > 0);
        let b = baseline(&paths, 1)?;
        assert_eq!(b.objects, 30);
        assert!(b.plaintext_bytes >= g.body_bytes);
        let o = open(&paths, true, 1)?;
        assert_eq!(o.notes, 30);
        assert!(o.breakdown.is_some());
        let o = open(&paths, false, 2)?;
        assert_eq!(o.notes, 30);
        assert!(!o.rewrote_snapshot);
        assert!(paths.snapshot().exists(), "the snapshot is put back");
        let list = queries(true);
        let s = search(&paths, 1, &list)?;
        assert_eq!(s.queries.len(), QUERIES.len() + CJK_QUERIES.len());
        assert!(s.queries.iter().any(|q| q.hits > 0));
        assert!(
            s.queries
                .iter()
                .any(|q| CJK_QUERIES.contains(&q.query.as_str()) && q.hits > 0),
            "no note found by a Chinese or Japanese query"
        );
        let r = ranking(&paths, 1, &list)?;
        assert_eq!(r.indexed_notes, 30);
        assert_eq!(
            r.queries.iter().map(|q| q.hits).collect::<Vec<_>>(),
            s.queries.iter().map(|q| q.hits).collect::<Vec<_>>()
        );
        let c = scrub(&paths, 1)?;
        assert!(c.files >= 30, "{c:?}");
        assert!(c.bytes > 0);
        let v = save(&paths, 3, 1)?;
        assert_eq!((v.update.n, v.bare_dir.n), (3, 3));
        assert!(!paths.vault().join("bench-bare").exists());
        let vault = LockedVault::open(&paths.vault())?.unlock(&passphrase())?;
        assert_eq!(vault.note_count(), 30);
        Ok(())
    }
}
