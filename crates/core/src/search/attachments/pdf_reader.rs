//! PDFs are read in a child process with limits on its memory and its time.
//!
//! A PDF is a container of compressed streams: a few kilobytes of it can expand into
//! gigabytes (a "decompression bomb", and filters can be stacked), and the parser can be made
//! to recurse or loop. Read in the app's own process, one hostile attachment would take all
//! memory on every unlock. So a program that serves as its own PDF reader
//! ([`serve_or_register`], first thing in `main`) reads each PDF in a child of itself: the
//! decrypted bytes go through a pipe (never to disk), the child may use at most
//! [`READER_MEMORY`] of memory and [`READER_CPU_SECONDS`] of processor time, and is killed
//! after [`READER_WAIT`]; a PDF that exceeds them has no text. Where no program registered
//! (a library user, the core's own tests) PDFs are read in the calling process.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The argument that makes a Coffer program the PDF reader of another.
pub const READER_ARG: &str = "--coffer-read-pdf-text";
/// The address space the reader may use: the program itself and its libraries, the PDF, its
/// parsed form and its text (a PDF is at most [`super::MAX_PDF`]).
pub const READER_MEMORY: u64 = 2 << 30;
/// The processor time the reader may use.
pub const READER_CPU_SECONDS: u64 = 20;
/// How long the reader may take in all.
pub const READER_WAIT: Duration = Duration::from_secs(30);

static READER: OnceLock<PathBuf> = OnceLock::new();

/// For a program's `main`, first thing. Started as another's PDF reader (with [`READER_ARG`]):
/// reads a PDF on standard input, writes its text to standard output and exits. Otherwise
/// makes this process read PDFs in such a child of its own program, and returns.
pub fn serve_or_register() {
    if std::env::args_os().nth(1).as_deref() == Some(OsStr::new(READER_ARG)) {
        std::process::exit(serve());
    }
    if let Ok(exe) = std::env::current_exe() {
        let _ = READER.set(exe);
    }
}

/// The text of a PDF, read in a child process if the program registered
/// ([`serve_or_register`]), else here.
pub(super) fn read(bytes: &[u8]) -> Result<String, String> {
    match READER.get() {
        Some(exe) => read_in_child(exe, bytes),
        None => read_here(bytes),
    }
}

/// The text of a PDF, read in this process (a panic of the parser is caught).
pub(super) fn read_here(bytes: &[u8]) -> Result<String, String> {
    if !bytes.starts_with(b"%PDF-") {
        return Err("not a PDF".into());
    }
    match std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(format!("the PDF cannot be read: {e}")),
        Err(_) => Err("the PDF cannot be read".into()),
    }
}

/// The reader's side: limits itself, reads the PDF from standard input, answers on standard
/// output ("ok" and the text, or "error" and why). Its exit status says which.
fn serve() -> i32 {
    let _ = crate::process::harden_process();
    limit_self();
    // The parser's complaints would go to standard error: the parent drops them.
    std::panic::set_hook(Box::new(|_| {}));
    let mut bytes = Zeroizing::new(Vec::new());
    if std::io::stdin()
        .take(super::MAX_PDF + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return 2;
    }
    let (status, answer) = match read_here(&bytes) {
        Ok(t) => (0, Zeroizing::new(super::cut(t))),
        Err(e) => (1, Zeroizing::new(e)),
    };
    drop(bytes);
    let mut out = std::io::stdout().lock();
    if out
        .write_all(answer.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return 2;
    }
    status
}

#[cfg(unix)]
fn limit_self() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let to = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    let _ = setrlimit(Resource::As, to(READER_MEMORY));
    let _ = setrlimit(Resource::Cpu, to(READER_CPU_SECONDS));
}

#[cfg(not(unix))]
fn limit_self() {}

/// The parent's side: starts the reader, gives it the bytes, takes its answer; kills it when
/// it takes longer than [`READER_WAIT`].
fn read_in_child(exe: &std::path::Path, bytes: &[u8]) -> Result<String, String> {
    if !bytes.starts_with(b"%PDF-") {
        return Err("not a PDF".into());
    }
    let mut child = Command::new(exe)
        .arg(READER_ARG)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the PDF reader cannot be started: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let started = Instant::now();
    let (status, answer) = std::thread::scope(|scope| {
        // A reader that stops reading (it failed, or was killed) ends the write with an error.
        scope.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let answer = scope.spawn(move || {
            let mut answer = Zeroizing::new(Vec::new());
            let _ = (&mut stdout)
                .take(super::MAX_TEXT as u64 + 4096)
                .read_to_end(&mut answer);
            answer
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() < READER_WAIT => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        (status, answer.join().unwrap_or_default())
    });
    let Some(status) = status else {
        return Err(format!(
            "the PDF took longer than {} s to read",
            READER_WAIT.as_secs()
        ));
    };
    let mut answer = answer;
    let answer = String::from_utf8(std::mem::take(&mut *answer))
        .map_err(|_| "the PDF reader failed".to_string())?;
    match status.code() {
        Some(0) => Ok(super::cut(answer)),
        Some(1) => Err(answer),
        Some(_) => Err("the PDF reader failed".into()),
        None => Err(format!(
            "the PDF reader was stopped: the PDF needs more than {} MiB of memory or {} s of \
             processor time to read",
            READER_MEMORY >> 20,
            READER_CPU_SECONDS
        )),
    }
}
