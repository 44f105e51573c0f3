//! The rows of the results table, one function per part of the table.

use super::SizeResult;
use super::numbers::{fmt_ms, pct, thousands};

/// Adds one row to the results table: its label, and its cell for each vault size.
pub(super) type Row<'a> = &'a mut dyn FnMut(&str, &dyn Fn(&SizeResult) -> String);

/// Rows of the results table: the vault: its text, its files, generating it, its snapshot.
pub(super) fn size_rows(row: Row<'_>) {
    row("Plaintext (note bodies), mean body", &|x| {
        format!(
            "{:.0} MB, {:.0} B",
            x.generate.body_bytes as f64 / 1e6,
            x.generate.mean_body_bytes
        )
    });
    row("Vault on disk (files)", &|x| {
        format!(
            "{:.0} MB ({})",
            x.generate.vault_bytes as f64 / 1e6,
            thousands(x.generate.files as usize)
        )
    });
    row("Generate: create_many, batches of 1000", &|x| {
        format!(
            "{:.1} s ({:.0} notes/s) on {}",
            x.generate.create_many_s,
            x.generate.notes_per_s,
            x.generate
                .generated_on
                .split(" mounted")
                .next()
                .unwrap_or_default()
        )
    });
    row(
        "Per note on the work disk, µs: encode / encrypt / sha256 / write_atomic / apply_revision",
        &|x| {
            let b = &x.generate.breakdown;
            format!(
                "{:.0} / {:.0} / {:.0} / **{:.0}** / {:.0}",
                b.encode_us, b.encrypt_us, b.sha256_us, b.write_atomic_us, b.apply_revision_us
            )
        },
    );
    row("save_snapshot (snapshot.age + bodies.age size)", &|x| {
        format!(
            "{} ({:.1} MB + {:.0} MB)",
            fmt_ms(x.generate.save_snapshot_ms),
            x.generate.snapshot_bytes as f64 / 1e6,
            x.generate.bodies_bytes as f64 / 1e6
        )
    });
}

/// Rows of the results table: opening: the baseline, with and without the snapshot.
pub(super) fn open_rows(row: Row<'_>) {
    row("**Baseline**: age-decrypt every object one by one", &|x| {
        format!(
            "{} ({:.0} µs/object)",
            fmt_ms(x.baseline.median_ms),
            x.baseline.per_object_us
        )
    });
    row("**Open with snapshot** (KDF excluded)", &|x| {
        format!(
            "{} = **{}** of baseline",
            fmt_ms(x.open_snapshot.open_ms),
            pct(x.open_snapshot.open_ms, x.baseline.median_ms)
        )
    });
    row(
        "&nbsp;&nbsp;of which read / decrypt / decompress+deserialize snapshot.age",
        &|x| match &x.open_snapshot.breakdown {
            Some(b) => format!(
                "{} / {} / {}",
                fmt_ms(b.read_ms),
                fmt_ms(b.decrypt_ms),
                fmt_ms(b.deserialize_ms)
            ),
            None => "n/a".into(),
        },
    );
    row(
        "&nbsp;&nbsp;in the background: read / decrypt / decompress+deserialize bodies.age",
        &|x| match &x.open_snapshot.breakdown {
            Some(b) if b.bodies_bytes > 0 => format!(
                "{} / {} / {}",
                fmt_ms(b.bodies_read_ms),
                fmt_ms(b.bodies_decrypt_ms),
                fmt_ms(b.bodies_deserialize_ms)
            ),
            _ => "n/a".into(),
        },
    );
    row(
        "After the start of the open (KDF excluded): first list / bodies ready / index ready",
        &|x| {
            let o = &x.open_snapshot;
            format!(
                "{} / {} / {}",
                fmt_ms(o.listed_ms),
                fmt_ms(o.bodies_ready_ms),
                fmt_ms(o.index_ready_ms)
            )
        },
    );
    row("Open without snapshot (KDF excluded)", &|x| {
        format!(
            "{} = {} of baseline{}",
            fmt_ms(x.open_log.open_ms),
            pct(x.open_log.open_ms, x.baseline.median_ms),
            if x.open_log.rewrote_snapshot {
                ", incl. rewriting the snapshot"
            } else {
                ""
            }
        )
    });
    row("KDF subtracted (scrypt, work factor 10)", &|x| {
        fmt_ms(x.open_snapshot.kdf_ms)
    });
    row(
        "First search after unlock (waits for the background index)",
        &|x| fmt_ms(x.search.index_build_ms),
    );
}

/// Rows of the results table: search latency, ranking alone, the slowest query.
pub(super) fn search_rows(row: Row<'_>) {
    row("**Search** p50 / **p99** (all queries)", &|x| {
        format!(
            "{} / **{}**",
            fmt_ms(x.search.latency.p50),
            fmt_ms(x.search.latency.p99)
        )
    });
    row("Search ranking only (index, no snippets) p50 / p99", &|x| {
        format!(
            "{} / {}",
            fmt_ms(x.ranking.latency.p50),
            fmt_ms(x.ranking.latency.p99)
        )
    });
    row("Slowest query by p99", &|x| {
        x.search
            .queries
            .iter()
            .max_by(|a, b| a.latency.p99.total_cmp(&b.latency.p99))
            .map(|q| format!("\"{}\": {}", q.query, fmt_ms(q.latency.p99)))
            .unwrap_or_default()
    });
}

/// Rows of the results table: a durable save against bare writes.
pub(super) fn save_rows(row: Row<'_>) {
    row(
        "**Save**: Vault::update p50 / p99 (durable: journal append)",
        &|x| {
            format!(
                "{} / {}",
                fmt_ms(x.save.update.p50),
                fmt_ms(x.save.update.p99)
            )
        },
    );
    row("Bare 4 KiB write+fsync+rename p50 / p99", &|x| {
        format!("{} / {}", fmt_ms(x.save.bare.p50), fmt_ms(x.save.bare.p99))
    });
    row("Bare + dir fsync p50 / p99", &|x| {
        format!(
            "{} / {}",
            fmt_ms(x.save.bare_dir.p50),
            fmt_ms(x.save.bare_dir.p99)
        )
    });
    row("Two bare + dir fsync (two folders) p50 / p99", &|x| {
        format!(
            "{} / {}",
            fmt_ms(x.save.two_bare_dir.p50),
            fmt_ms(x.save.two_bare_dir.p99)
        )
    });
    row(
        "Checkpoint: all saves written out as files (per save)",
        &|x| {
            format!(
                "{} ({})",
                fmt_ms(x.save.checkpoint_ms),
                fmt_ms(x.save.checkpoint_ms / x.save.saves.max(1) as f64)
            )
        },
    );
    row(
        "Save + its share of the checkpoint, mean ÷ bare+dir fsync mean",
        &|x| {
            format!(
                "{:.2}x",
                (x.save.update.mean + x.save.checkpoint_ms / x.save.saves.max(1) as f64)
                    / x.save.bare_dir.mean
            )
        },
    );
    row(
        "Two-file commit disk work alone (no crypto) p50 / p99",
        &|x| {
            format!(
                "{} / {}",
                fmt_ms(x.save.commit_disk.p50),
                fmt_ms(x.save.commit_disk.p99)
            )
        },
    );
    row("**update ÷ bare+dir fsync** p50 / p99", &|x| {
        format!(
            "**{:.2}x** / {:.2}x",
            x.save.update.p50 / x.save.bare_dir.p50,
            x.save.update.p99 / x.save.bare_dir.p99
        )
    });
    row(
        "two-file disk work alone ÷ bare+dir fsync p50 / p99",
        &|x| {
            format!(
                "{:.2}x / {:.2}x",
                x.save.commit_disk.p50 / x.save.bare_dir.p50,
                x.save.commit_disk.p99 / x.save.bare_dir.p99
            )
        },
    );
    row("update ÷ bare (no dir fsync) p50 / p99", &|x| {
        format!(
            "{:.2}x / {:.2}x",
            x.save.update.p50 / x.save.bare.p50,
            x.save.update.p99 / x.save.bare.p99
        )
    });
}

/// Rows of the results table: peak memory of each phase.
/// Rows of the results table: the check after unlock.
pub(super) fn scrub_rows(row: Row<'_>) {
    row(
        "**Scrub** after unlock: hash every file the log names (warm cache): files, time, per file, MB/s",
        &|x| {
            let c = &x.scrub;
            if c.files == 0 {
                return "not measured".into();
            }
            format!(
                "{} files, {} ({:.0} µs, {:.0} MB/s)",
                thousands(c.files),
                fmt_ms(c.median_ms),
                c.per_file_us,
                c.mb_per_s
            )
        },
    );
}

pub(super) fn memory_rows(row: Row<'_>) {
    row("Peak RSS: generate", &|x| {
        format!("{:.0} MiB", x.generate.peak_rss_mib)
    });
    row("Peak RSS: open with snapshot", &|x| {
        format!("{:.0} MiB", x.open_snapshot.peak_rss_mib)
    });
    row("Peak RSS: open + scrub", &|x| {
        format!("{:.0} MiB", x.scrub.peak_rss_mib)
    });
    row("Peak RSS: open without snapshot", &|x| {
        format!("{:.0} MiB", x.open_log.peak_rss_mib)
    });
    row(
        "Peak RSS: open + index + searches (RSS after index)",
        &|x| {
            format!(
                "{:.0} MiB ({:.0} MiB)",
                x.search.peak_rss_mib, x.search.rss_after_index_mib
            )
        },
    );
}
