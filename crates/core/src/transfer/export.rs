//! Export: every live note as a Markdown file with front matter, attachments beside it, written
//! without ever following a link planted in the folder.

use super::*;

/// A file or folder name safe on every common file system: no `/ \ : * ? " < > |`, no
/// control characters, no leading dots or spaces, no trailing dots or spaces, not a reserved
/// Windows device name, at most 120 bytes. Never empty.
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c.is_control()
                || crate::text::is_invisible(c)
                || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let collapsed = clean_spaces(&replaced);
    let trimmed = collapsed.trim_start_matches(['.', ' ']);
    let mut out = truncate_bytes(trimmed, MAX_NAME_BYTES)
        .trim_end_matches(['.', ' '])
        .to_string();
    if out.is_empty() {
        out = "Untitled".into();
    }
    let base = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit());
    if reserved {
        out.insert(0, '_');
    }
    out
}

/// Picks `<stem><ext>`, `<stem> (2)<ext>`, ... in the folder `dir` (at `shown`): not used yet
/// by this export (case-insensitively) and not on disk.
pub(super) fn unique_name(
    used: &mut HashSet<String>,
    dir: &HeldDir,
    shown: &Path,
    stem: &str,
    ext: &str,
) -> String {
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{stem}{ext}")
        } else {
            format!("{stem} ({n}){ext}")
        };
        let key = shown.join(&name).to_string_lossy().to_lowercase();
        if !used.contains(&key) && !dir.has(&name) {
            used.insert(key);
            return name;
        }
        n += 1;
    }
}

/// Splits a file name into a stem and an extension (with its dot), for numbering.
pub(super) fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => name.split_at(i),
        _ => (name, ""),
    }
}

/// Writes the new file `name` in `dir` (at `shown`) through a temp name, so no half-written
/// file ever carries its final name, and never through a link planted at either name.
pub(super) fn write_new(
    dir: &HeldDir,
    shown: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let path = shown.join(name);
    let temp = format!("{}{}", fsutil::TEMP_PREFIX, Id::random());
    dir.write_new(&temp, name, |f| {
        let mut w = io::BufWriter::new(f);
        write(&mut w)?;
        w.flush()
            .map_err(Error::io(format!("writing {}", path.display())))
    })
    .map_err(|e| match e {
        WriteError::Io(e) => Error::io(format!("writing {}", path.display()))(e),
        WriteError::Fill(e) => e,
    })
}

/// The export folder, made (0700) if absent, opened without following a link at its own name
/// (a link swapped in there is refused), and empty.
fn open_export_root(dir: &Path) -> Result<HeldDir> {
    let invalid = |what: &str| {
        Error::Invalid(format!(
            "{} {what}; export writes into an empty or new folder only",
            dir.display()
        ))
    };
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid("does not end in a folder name (in UTF-8)"))?;
    let parent = fsutil::folder_of(dir);
    fsutil::create_dirs(parent).map_err(Error::io(format!("creating {}", parent.display())))?;
    let root = HeldDir::open(parent)
        .map_err(Error::io(format!("opening {}", parent.display())))
        .and_then(|p| {
            p.dir_creating(name).map_err(|r| match r {
                Refused::Link => invalid("is a symbolic link"),
                Refused::WrongKind | Refused::Missing => invalid("exists and is not a folder"),
                Refused::Io(e) => Error::io(format!("creating {}", dir.display()))(e),
            })
        })?;
    let entries = root
        .entries()
        .map_err(Error::io(format!("reading {}", dir.display())))?;
    if !entries.is_empty() {
        return Err(invalid("is not empty"));
    }
    Ok(root)
}

/// The folder at `parts` below the export root, created (0700: exports are plaintext) when
/// missing, never through a link.
pub(super) fn export_folder(root: &HeldDir, shown: &Path, parts: &[String]) -> Result<HeldDir> {
    root.dirs(parts.iter().map(String::as_str), true)
        .map_err(|r| {
            let mut path = shown.to_path_buf();
            path.extend(parts);
            match r {
                Refused::Link => Error::FolderLink { path },
                Refused::Io(e) => Error::io(format!("creating {}", path.display()))(e),
                Refused::Missing | Refused::WrongKind => Error::FolderChanged(path),
            }
        })
}

pub(super) fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The Markdown file of one exported note: front matter, a blank line, the body.
pub(super) fn note_file_text(rev: &Revision, attachments: &[(String, String)]) -> String {
    let mut s = String::from("---\n");
    s.push_str(&format!("title: {}\n", json_str(&rev.title)));
    s.push_str(&format!(
        "tags: {}\n",
        serde_json::Value::from(rev.tags.clone())
    ));
    if let Some(nb) = &rev.notebook {
        s.push_str(&format!("notebook: {}\n", json_str(nb)));
    }
    s.push_str(&format!(
        "created: {}\n",
        json_str(&millis_to_rfc3339(rev.created))
    ));
    s.push_str(&format!(
        "updated: {}\n",
        json_str(&millis_to_rfc3339(rev.updated))
    ));
    s.push_str(&format!("pinned: {}\n", rev.pinned));
    if !attachments.is_empty() {
        s.push_str("attachments:\n");
        for (name, path) in attachments {
            if last_segment(path) == name {
                s.push_str(&format!("  - {}\n", json_str(path)));
            } else {
                s.push_str(&format!(
                    "  - {{\"name\": {}, \"path\": {}}}\n",
                    json_str(name),
                    json_str(path)
                ));
            }
        }
    }
    s.push_str("---\n\n");
    s.push_str(&rev.body);
    s
}

impl Vault {
    /// Writes every live note (not those in the trash) to `dir` as Markdown files with front
    /// matter, and their attachments beside them: see the [module documentation](crate::transfer).
    /// `dir` must be empty or absent. A note with unreconciled concurrent edits is exported as
    /// its current version. An attachment whose object is damaged is left out and reported
    /// in [`ExportReport::skipped`]; the rest of the export goes on.
    pub fn export_dir(&self, dir: &Path, progress: ProgressFn<'_>) -> Result<ExportReport> {
        let root = open_export_root(dir)?;
        let mut notes: Vec<(&Id, &Revision)> = self
            .state
            .notes
            .iter()
            .map(|(id, n)| (id, n.current()))
            .filter(|(_, r)| !r.deleted)
            .collect();
        notes.sort_by(|a, b| {
            (&a.1.notebook, &a.1.title, a.1.created, a.0).cmp(&(
                &b.1.notebook,
                &b.1.title,
                b.1.created,
                b.0,
            ))
        });
        let total = notes.len() as u64;
        progress(&Progress {
            stage: "exporting".into(),
            done: 0,
            total,
        });
        let mut out = Exporting {
            root: &root,
            dir,
            used: HashSet::new(),
            report: ExportReport::default(),
        };
        for (i, (id, rev)) in notes.into_iter().enumerate() {
            out.note(self, id, rev)?;
            Progress::now_and_then(progress, "exporting", i as u64 + 1, total);
        }
        let report = out.report;
        root.sync()
            .map_err(Error::io(format!("syncing {}", dir.display())))?;
        progress(&Progress {
            stage: "exporting".into(),
            done: total,
            total,
        });
        Ok(report)
    }
}

/// An export under way: the folder written into, the file names used, what was written.
struct Exporting<'a> {
    root: &'a HeldDir,
    /// The export folder as the user named it (in messages).
    dir: &'a Path,
    used: HashSet<String>,
    report: ExportReport,
}

impl Exporting<'_> {
    /// Writes one note's file (in its notebook's folder) and its attachments beside it.
    fn note(&mut self, vault: &Vault, id: &Id, rev: &Revision) -> Result<()> {
        let parts = notebook_folders(rev);
        let mut shown = self.dir.to_path_buf();
        shown.extend(&parts);
        let folder = export_folder(self.root, self.dir, &parts)?;
        let file_name = unique_name(
            &mut self.used,
            &folder,
            &shown,
            &safe_file_name(&rev.title),
            ".md",
        );
        let stem = &file_name[..file_name.len() - 3];
        let listed = if rev.attachments.is_empty() {
            Vec::new()
        } else {
            self.attachments(vault, id, rev, &parts, &shown, stem)?
        };
        let text = note_file_text(rev, &listed);
        write_new(&folder, &shown, &file_name, |w| {
            w.write_all(text.as_bytes()).map_err(Error::io(format!(
                "writing {}",
                shown.join(&file_name).display()
            )))
        })?;
        self.report.notes += 1;
        Ok(())
    }

    /// Writes a note's attachments into `attachments/<stem>/` beside its file; returns them as
    /// (name in the note, path from the note's file) for its front matter. A damaged one is
    /// left out and reported.
    fn attachments(
        &mut self,
        vault: &Vault,
        id: &Id,
        rev: &Revision,
        parts: &[String],
        shown: &Path,
        stem: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut listed = Vec::new();
        let mut aparts = parts.to_vec();
        aparts.extend([ATTACHMENTS_DIR.to_string(), stem.to_string()]);
        let adir = export_folder(self.root, self.dir, &aparts)?;
        let ashown = shown.join(ATTACHMENTS_DIR).join(stem);
        for a in &rev.attachments {
            let safe = safe_file_name(&a.name);
            let (s, e) = split_ext(&safe);
            let aname = unique_name(&mut self.used, &adir, &ashown, s, e);
            match write_new(&adir, &ashown, &aname, |w| {
                vault.decrypt_attachment(id, a, w)
            }) {
                Ok(()) => {
                    self.report.attachments += 1;
                    listed.push((a.name.clone(), format!("{ATTACHMENTS_DIR}/{stem}/{aname}")));
                }
                Err(e @ (Error::CorruptObject { .. } | Error::NoSuchAttachment { .. })) => {
                    self.report
                        .skipped
                        .push(format!("attachment {:?} of {:?}: {e}", a.name, rev.title));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(listed)
    }
}

/// The folders of a note's notebook (`a/b` is `a`, then `b`), as safe file names, at most
/// [`MAX_EXPORT_DEPTH`] deep; a folder named like the attachments folder gets a `_`.
fn notebook_folders(rev: &Revision) -> Vec<String> {
    rev.notebook
        .iter()
        .flat_map(|nb| nb.split('/'))
        .filter(|p| !p.trim().is_empty())
        .take(MAX_EXPORT_DEPTH)
        .map(|part| {
            let mut p = safe_file_name(part);
            if p.eq_ignore_ascii_case(ATTACHMENTS_DIR) {
                p.push('_');
            }
            p
        })
        .collect()
}
