//! Import: the walk of the folder (never following a link), notes and attachments committed in batches.

use super::*;

/// A file found in the imported folder, by its path relative to the root (`/`-separated).
/// Files are opened again by that path from the held root, one name at a time without
/// following links, so a file swapped for a link after the walk is refused, not followed.
pub(super) struct Found {
    pub(super) rel: String,
}

/// What a walk of the imported folder found.
#[derive(Default)]
pub(super) struct Scan {
    /// `.md`, `.markdown` and `.age` files.
    pub(super) notes: Vec<Found>,
    /// Every other regular file: attachment candidates, by relative path.
    pub(super) files: BTreeSet<String>,
    /// File name -> relative paths of the candidates with that name.
    pub(super) by_name: HashMap<String, Vec<String>>,
    /// Lowercased file name -> relative paths.
    pub(super) by_lower_name: HashMap<String, Vec<String>>,
}

/// A note read from a file, waiting for its batch.
pub(super) struct Pending {
    pub(super) rev: Revision,
    /// (attachment name, relative path).
    pub(super) attachments: Vec<(String, String)>,
}

pub(super) fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

pub(super) fn strip_markdown_ext(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for ext in [".md", ".markdown"] {
        if lower.ends_with(ext) && name.len() > ext.len() {
            return &name[..name.len() - ext.len()];
        }
    }
    name
}

pub(super) fn last_segment(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

pub(super) fn parent_of(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

/// Opens the folder the user chose to import.
pub(super) fn open_import_root(root: &Path) -> Result<HeldDir> {
    HeldDir::open(root).map_err(|e| {
        if e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) {
            Error::Invalid(format!(
                "{} is not a folder; import reads a folder of Markdown files",
                root.display()
            ))
        } else {
            Error::io(format!("reading {}", root.display()))(e)
        }
    })
}

/// Why a path in the imported folder was not read, for the report.
pub(super) fn refused_reason(r: Refused) -> String {
    match r {
        Refused::Missing => "it is gone (removed during the import)".into(),
        Refused::Link => "a symbolic link (not followed)".into(),
        Refused::WrongKind => "not a regular file".into(),
        Refused::Io(e) => format!("cannot read: {e}"),
    }
}

/// Opens the regular file at `rel` below `root`, every part without following links.
pub(super) fn open_rel(root: &HeldDir, rel: &str) -> std::result::Result<File, String> {
    root.dirs(parent_of(rel).split('/').filter(|p| !p.is_empty()), false)
        .and_then(|dir| dir.file(last_segment(rel)))
        .map_err(refused_reason)
}

pub(super) fn walk(root: &HeldDir, report: &mut ImportReport) -> Result<Scan> {
    let mut scan = Scan::default();
    // Relative paths of the folders still to read, each opened again from the root.
    let mut stack = vec![String::new()];
    while let Some(rel_dir) = stack.pop() {
        let shown = if rel_dir.is_empty() { "." } else { &rel_dir };
        let entries = root
            .dirs(rel_dir.split('/').filter(|p| !p.is_empty()), false)
            .map_err(refused_reason)
            .and_then(|d| {
                d.entries()
                    .map_err(|e| format!("cannot read the folder: {e}"))
            });
        let mut entries = match entries {
            Ok(entries) => entries,
            Err(reason) => {
                report.skipped.push(format!("{shown}/: {reason}"));
                continue;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, kind) in entries {
            let rel_of = |name: &str| {
                if rel_dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{rel_dir}/{name}")
                }
            };
            let name = match name {
                Ok(name) => name,
                Err(lossy) => {
                    report.skipped.push(format!(
                        "{}: its name is not UTF-8 (rename it to import it)",
                        rel_of(&lossy)
                    ));
                    continue;
                }
            };
            let rel = rel_of(&name);
            if kind == FileType::Symlink {
                report
                    .skipped
                    .push(format!("{rel}: a symbolic link (not followed)"));
            } else if name.starts_with('.') {
                let what = if kind == FileType::Directory {
                    "folder"
                } else {
                    "file"
                };
                report.skipped.push(format!("{rel}: a hidden {what}"));
            } else if kind == FileType::Directory {
                subdirs.push(rel);
            } else if kind != FileType::RegularFile {
                report.skipped.push(format!("{rel}: not a regular file"));
            } else if is_markdown(&name) || name.to_ascii_lowercase().ends_with(".age") {
                scan.notes.push(Found { rel });
            } else {
                scan.by_name
                    .entry(name.clone())
                    .or_default()
                    .push(rel.clone());
                scan.by_lower_name
                    .entry(name.to_lowercase())
                    .or_default()
                    .push(rel.clone());
                scan.files.insert(rel);
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(scan)
}

/// Joins `target` to the folder `base` (both `/`-separated, relative to the root), resolving
/// `.` and `..`; `None` if it would leave the root.
pub(super) fn join_rel(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Scan {
    /// Finds the attachment candidate a link in the note at `note_rel` points to.
    fn resolve(&self, note_rel: &str, target: &str) -> Option<String> {
        let dir = parent_of(note_rel);
        let mut candidates = Vec::new();
        if let Some(root_rel) = target.strip_prefix('/') {
            candidates.extend(join_rel("", root_rel));
        } else {
            candidates.extend(join_rel(dir, target));
            candidates.extend(join_rel("", target));
        }
        if let Some(found) = candidates.into_iter().find(|c| self.files.contains(c)) {
            return Some(found);
        }
        let name = last_segment(target.trim_end_matches('/'));
        if name.is_empty() || name == "." || name == ".." {
            return None;
        }
        for (map, key) in [
            (&self.by_name, name.to_string()),
            (&self.by_lower_name, name.to_lowercase()),
        ] {
            if let Some([only]) = map.get(&key).map(Vec::as_slice) {
                return Some(only.clone());
            }
        }
        None
    }
}

pub(super) fn mtime_millis(file: &File) -> Option<Millis> {
    let t = file.metadata().ok()?.modified().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    Millis::try_from(d.as_millis()).ok()
}

/// A name not yet in `used` (compared case-insensitively): `name`, `name (2)`, ...
pub(super) fn unique_in(used: &mut HashSet<String>, name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => name.split_at(i),
        _ => (name, ""),
    };
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        if used.insert(candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

/// An attachment name Coffer accepts, made from a file name.
pub(super) fn attachment_name(name: &str) -> String {
    let n: String = name
        .trim()
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let n = truncate_bytes(&n, 200);
    if n.is_empty() || n == "." || n == ".." {
        "attachment".into()
    } else {
        n.to_string()
    }
}

pub(super) fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The plaintext of an `.age` file: a Coffer note, or Markdown.
pub(super) enum AgeContent {
    Note(Revision),
    Markdown(String),
}

pub(super) fn read_age_plaintext(plain: &[u8]) -> std::result::Result<AgeContent, String> {
    if let Ok((h, _, _)) = Header::decode(plain)
        && h.get("coffer").is_some()
    {
        let kind = h.str("kind").unwrap_or("");
        if kind != Kind::Note.as_str() {
            return Err(format!("a Coffer {kind:?} object, not a note"));
        }
        let (vault, object) = match (h.id("vault"), h.id("object")) {
            (Ok(v), Ok(o)) => (v, o),
            _ => return Err("a damaged Coffer note (no vault or object id)".into()),
        };
        // The ids are the file's own: this checks the framing and fields, not where it was.
        return Revision::decode(plain, &vault, &object)
            .map(AgeContent::Note)
            .map_err(|e| format!("a damaged Coffer note: {e}"));
    }
    match std::str::from_utf8(plain) {
        Ok(s) => Ok(AgeContent::Markdown(s.to_string())),
        Err(_) => Err("its plaintext is neither a Coffer note nor UTF-8 text".into()),
    }
}

impl Vault {
    /// Imports a folder of Markdown files (an Obsidian vault, a Joplin "Markdown + Front
    /// Matter" export, a Coffer export) and `.age` files encrypted to this vault: see the
    /// [module documentation](crate::transfer). Every note is created anew, so importing the
    /// same folder twice gives duplicates. Only a failure to write the vault stops an import
    /// (batches already committed stay); files that cannot be read are reported in
    /// [`ImportReport::skipped`].
    pub fn import_dir(&mut self, dir: &Path, progress: ProgressFn<'_>) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        self.ensure_keys()?;
        let root = open_import_root(dir)?;
        let scan = walk(&root, &mut report)?;
        let total = scan.notes.len() as u64;
        let mut referenced: HashSet<String> = HashSet::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut pending_objects = 0usize;
        progress(&Progress {
            stage: "importing".into(),
            done: 0,
            total,
        });
        for (i, found) in scan.notes.iter().enumerate() {
            match self.read_note_file(&root, found, &scan, &mut referenced, &mut report) {
                Ok(p) => {
                    pending_objects += 1 + p.attachments.len();
                    pending.push(p);
                }
                Err(reason) => report.skipped.push(format!("{}: {reason}", found.rel)),
            }
            if pending_objects >= IMPORT_BATCH {
                self.commit_import(&root, &mut pending, &mut report)?;
                pending_objects = 0;
            }
            Progress::now_and_then(progress, "importing", i as u64 + 1, total);
        }
        self.commit_import(&root, &mut pending, &mut report)?;
        for rel in &scan.files {
            if !referenced.contains(rel) {
                report
                    .skipped
                    .push(format!("{rel}: not referenced by any note"));
            }
        }
        progress(&Progress {
            stage: "importing".into(),
            done: total,
            total,
        });
        Ok(report)
    }

    /// Reads one `.md`/`.markdown`/`.age` file into a pending note; `Err` is the reason it was
    /// skipped.
    fn read_note_file(
        &self,
        root: &HeldDir,
        found: &Found,
        scan: &Scan,
        referenced: &mut HashSet<String>,
        report: &mut ImportReport,
    ) -> std::result::Result<Pending, String> {
        let file = open_rel(root, &found.rel)?;
        let mtime = mtime_millis(&file).unwrap_or_else(crate::note::now_millis);
        let bytes = match crate::limits::read_open(file, MAX_NOTE_FILE) {
            Ok(Ok(bytes)) => Zeroizing::new(bytes),
            Ok(Err(size)) => {
                return Err(format!(
                    "too large for a note ({size} bytes; the limit is {MAX_NOTE_FILE})"
                ));
            }
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        let name = last_segment(&found.rel);
        let folder = parent_of(&found.rel);
        let folder_notebook = (!folder.is_empty()).then(|| folder.to_string());
        let is_age = name.to_ascii_lowercase().ends_with(".age");
        let (parsed, stem) = if is_age {
            let stem = strip_markdown_ext(&name[..name.len() - 4]).to_string();
            match self.read_age_file(&bytes, &found.rel, &stem, report)? {
                AgeFile::Note(pending) => return Ok(pending),
                AgeFile::Markdown(text) => (parse_markdown(&text), stem),
            }
        } else {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| "not UTF-8 text (convert it to UTF-8 first)".to_string())?;
            (parse_markdown(text), strip_markdown_ext(name).to_string())
        };
        if let Some(w) = &parsed.warning {
            report.warnings.push(format!("{}: {w}", found.rel));
        }
        let attachments = note_attachments(&parsed, found, folder, scan, referenced, report);
        let created = parsed.created.unwrap_or(mtime);
        let updated = parsed.updated.unwrap_or(mtime).max(created);
        let rev = Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: Vec::new(),
            title: clean_title(parsed.title.as_deref().unwrap_or(""), &stem),
            tags: clean_tags(&parsed.tags),
            notebook: parsed
                .notebook
                .as_deref()
                .or(folder_notebook.as_deref())
                .and_then(clean_notebook),
            pinned: parsed.pinned,
            deleted: false,
            created,
            updated,
            attachments: Vec::new(),
            body: parsed.body,
        };
        Ok(Pending { rev, attachments })
    }

    /// An `.age` file of this vault: a whole note (from an export), or Markdown to parse.
    fn read_age_file(
        &self,
        bytes: &[u8],
        rel: &str,
        stem: &str,
        report: &mut ImportReport,
    ) -> std::result::Result<AgeFile, String> {
        let plain = crypto::decrypt(&self.store.read_identities(), bytes).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                "cannot decrypt: not encrypted to this vault's key".to_string()
            }
            other => format!("cannot decrypt: {other}"),
        })?;
        let rev = match read_age_plaintext(&plain)? {
            AgeContent::Note(rev) => rev,
            AgeContent::Markdown(text) => return Ok(AgeFile::Markdown(text)),
        };
        if !rev.attachments.is_empty() {
            report.warnings.push(format!(
                "{rel}: its {} attachment(s) live in another vault's objects and were not imported",
                rev.attachments.len()
            ));
        }
        let rev = Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: Vec::new(),
            title: clean_title(&rev.title, stem),
            tags: clean_tags(&rev.tags),
            notebook: rev.notebook.as_deref().and_then(clean_notebook),
            pinned: rev.pinned,
            deleted: false,
            created: rev.created,
            updated: rev.updated.max(rev.created),
            attachments: Vec::new(),
            body: rev.body,
        };
        Ok(AgeFile::Note(Pending {
            rev,
            attachments: Vec::new(),
        }))
    }

    /// Seals the pending notes and their attachments and commits them as one batch.
    fn commit_import(
        &mut self,
        root: &HeldDir,
        pending: &mut Vec<Pending>,
        report: &mut ImportReport,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut objects: Vec<NewObject> = Vec::new();
        let mut revisions = Vec::new();
        let mut attached = 0;
        let sealed = (|| {
            for p in pending.drain(..) {
                let mut rev = p.rev;
                for (name, rel) in p.attachments {
                    let file = match open_rel(root, &rel) {
                        Ok(f) => f,
                        Err(reason) => {
                            report
                                .skipped
                                .push(format!("{rel}: not attached to {:?}: {reason}", rev.title));
                            continue;
                        }
                    };
                    match self.seal_file(&rev.note, file, Path::new(&rel), &name) {
                        Ok((a, obj)) => {
                            rev.attachments.push(a);
                            objects.push(obj);
                            attached += 1;
                        }
                        Err(e @ Error::DiskFull(_)) => return Err(e),
                        Err(e) => report
                            .skipped
                            .push(format!("{rel}: not attached to {:?}: {e}", rev.title)),
                    }
                }
                objects.push(self.seal_revision(&rev)?);
                revisions.push(rev);
            }
            Ok(())
        })();
        let temps: Vec<PathBuf> = objects
            .iter()
            .filter_map(|o| match &o.sealed {
                Sealed::TempFile(p) => Some(p.clone()),
                Sealed::Bytes(_) => None,
            })
            .collect();
        let notes = revisions.len();
        let result = sealed.and_then(|()| {
            self.transact(move |_| {
                Ok((
                    (),
                    Batch {
                        objects,
                        revisions,
                        ..Default::default()
                    },
                ))
            })
        });
        if result.is_err() {
            for t in &temps {
                let _ = fs::remove_file(t);
            }
        }
        result?;
        report.notes += notes;
        report.attachments += attached;
        Ok(())
    }
}

/// The title, else the fallback (a file name), else "Untitled"; cleaned as `create` does.
pub(super) fn clean_title(title: &str, fallback: &str) -> String {
    let t = if title.trim().is_empty() {
        fallback
    } else {
        title
    };
    crate::ops::clean_title(t)
}

/// As `create` cleans a notebook name: inner whitespace collapsed, empty means none.
pub(super) fn clean_notebook(n: &str) -> Option<String> {
    crate::ops::clean_notebook(Some(n))
}

/// What an `.age` file held.
enum AgeFile {
    Note(Pending),
    Markdown(String),
}

/// A note file's attachments, as (name in the note, path in the folder): its front matter's
/// list first, then files its body links to. Each file once, each name unique in the note.
fn note_attachments(
    parsed: &Parsed,
    found: &Found,
    folder: &str,
    scan: &Scan,
    referenced: &mut HashSet<String>,
    report: &mut ImportReport,
) -> Vec<(String, String)> {
    // Attachments: front-matter list first, then links in the body.
    let mut attachments = Vec::new();
    let mut seen_paths = HashSet::new();
    let mut names = HashSet::new();
    let mut add = |name: Option<String>, rel: String| {
        if !seen_paths.insert(rel.clone()) {
            return;
        }
        if !scan.files.contains(&rel) {
            return;
        }
        let name = name.unwrap_or_else(|| last_segment(&rel).to_string());
        let name = unique_in(&mut names, &attachment_name(&name));
        referenced.insert(rel.clone());
        attachments.push((name, rel));
    };
    for (name, path) in &parsed.listed {
        match join_rel(folder, path).filter(|r| scan.files.contains(r)) {
            Some(rel) => add(name.clone(), rel),
            None => report.warnings.push(format!(
                "{}: its front matter lists the attachment {path:?}, which is not in the folder",
                found.rel
            )),
        }
    }
    for target in link_targets(&parsed.body) {
        if let Some(rel) = scan.resolve(&found.rel, &target) {
            add(None, rel);
        }
    }
    attachments
}
