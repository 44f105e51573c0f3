//! Durable file writes: a crash at any instant leaves the old file or the new one, never a mix.

use crate::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder a file is in: `.` for a bare file name (whose `parent()` is empty).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Prefix of temporary files; anything starting with it is debris of an interrupted write.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Writes `data` to `path` atomically and durably: temp file in the same folder, fsync,
/// rename over the target, fsync of the folder.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = folder_of(path);
    let tmp = write_temp_synced(path, data)?;
    let result = fs::rename(&tmp, path)
        .map_err(Error::io(format!("renaming into {}", path.display())))
        .and_then(|()| sync_dir(dir));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Moves a finished temp file into place durably (for files written by streaming).
pub fn commit_temp(tmp: &Path, path: &Path) -> Result<()> {
    let dir = folder_of(path);
    create_dirs(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(Error::io(format!("syncing {}", tmp.display())))?;
    fs::rename(tmp, path).map_err(Error::io(format!("renaming into {}", path.display())))?;
    sync_dir(dir)
}

/// Writes `data` to a new temp file beside `path` (not synced, not yet in place); returns it.
/// For batches: sync all temps with [`sync_files`], then rename each into place.
pub fn write_temp(path: &Path, data: &[u8]) -> Result<PathBuf> {
    let tmp = temp_path(folder_of(path));
    create_file(&tmp, data, path)?;
    Ok(tmp)
}

/// Writes `data` to a new temp file beside `path` and fsyncs it through the same handle;
/// returns the temp file (not yet in place). Nothing is left behind on failure.
pub fn write_temp_synced(path: &Path, data: &[u8]) -> Result<PathBuf> {
    let tmp = temp_path(folder_of(path));
    let file = create_file(&tmp, data, path)?;
    if let Err(e) = file.sync_all() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(format!("syncing {}", path.display()))(e));
    }
    Ok(tmp)
}

/// Writes `data` to a new file at `path` (which must not exist), without syncing it; returns
/// the open file, so it can be synced without opening it again. For objects, which nothing
/// names until a later, durable log entry does. Nothing is left behind on failure.
pub fn create_new(path: &Path, data: &[u8]) -> Result<File> {
    create_file(path, data, path)
}

/// [`create_new`], with write errors naming `target` (the file a temp file will become).
/// The folder is created when missing.
fn create_file(path: &Path, data: &[u8], target: &Path) -> Result<File> {
    let dir = folder_of(path);
    let open = || new_private_file().open(path);
    let file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_dirs(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
            open()
        }
        other => other,
    };
    let mut file = file.map_err(Error::io(format!("creating {}", path.display())))?;
    if let Err(e) = file.write_all(data) {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(Error::io(format!("writing {}", target.display()))(e));
    }
    Ok(file)
}

/// What a round of fsyncs waits for: a file already open, a file to open, or a folder.
pub enum ToSync<'a> {
    File(&'a File, &'a Path),
    Path(&'a Path),
    Dir(&'a Path),
}

/// fsyncs open files and folders all at once, in parallel: one round of waiting for the disk.
pub fn sync_all(items: &[ToSync<'_>]) -> Result<()> {
    parallel(items, |item| match item {
        ToSync::File(f, p) => f
            .sync_all()
            .map_err(Error::io(format!("syncing {}", p.display()))),
        ToSync::Path(p) => File::open(p)
            .and_then(|f| f.sync_all())
            .map_err(Error::io(format!("syncing {}", p.display()))),
        ToSync::Dir(d) => sync_dir(d),
    })
}

/// fsyncs files in parallel (a few threads), returning the first error.
pub fn sync_files(paths: &[&Path]) -> Result<()> {
    sync_files_and_dirs(paths, &[])
}

/// fsyncs folders in parallel.
pub fn sync_dirs(dirs: &[&Path]) -> Result<()> {
    sync_files_and_dirs(&[], dirs)
}

/// fsyncs files and folders all at once, in parallel: one round of waiting for the disk.
pub fn sync_files_and_dirs(files: &[&Path], dirs: &[&Path]) -> Result<()> {
    let items: Vec<ToSync<'_>> = files
        .iter()
        .map(|p| ToSync::Path(p))
        .chain(dirs.iter().map(|d| ToSync::Dir(d)))
        .collect();
    sync_all(&items)
}

fn parallel<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<()> + Sync) -> Result<()> {
    const THREADS: usize = 8;
    if items.len() <= 1 {
        return items.iter().try_for_each(&f);
    }
    let chunk = items.len().div_ceil(THREADS);
    let mut parts = items.chunks(chunk);
    let mine = parts.next().unwrap_or_default();
    std::thread::scope(|s| {
        // The others on their own threads; the first on this one.
        let handles: Vec<_> = parts
            .map(|part| s.spawn(|| part.iter().try_for_each(&f)))
            .collect();
        let first = mine.iter().try_for_each(&f);
        handles
            .into_iter()
            .map(|h| h.join().expect("an fsync thread panicked"))
            .fold(first, Result::and)
    })
}

/// Moves finished temp files into place durably: one round of fsyncs for the temp files, the
/// renames in order (so a reader that finds a later file finds the earlier ones), then one
/// fsync per folder.
pub fn rename_synced(moves: &[(PathBuf, PathBuf)]) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let temps: Vec<&Path> = moves.iter().map(|(t, _)| t.as_path()).collect();
    sync_files(&temps)?;
    let mut dirs: Vec<&Path> = Vec::new();
    for (tmp, path) in moves {
        std::fs::rename(tmp, path)
            .map_err(Error::io(format!("renaming into {}", path.display())))?;
        let dir = path.parent().expect("a file has a folder");
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    sync_dirs(&dirs)
}

/// A fresh temporary path inside `dir` (not created).
pub fn temp_path(dir: &Path) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{}", crate::Id::random()))
}

/// fsync of a folder, so a rename inside it survives a power cut.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(format!("syncing folder {}", dir.display())))
}

/// Creates a file readable only by its owner (for exported secrets).
pub fn create_private(path: &Path) -> Result<File> {
    new_private_file()
        .open(path)
        .map_err(Error::io(format!("creating {}", path.display())))
}

/// Options for writing a new file readable only by its owner (0600 whatever the umask): every
/// file Coffer writes, in the vault or out of it, is made with these.
pub fn new_private_file() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Creates a folder and any missing parents, each open only to its owner (0700 whatever the
/// umask); folders that exist keep their mode.
pub fn create_dirs(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
