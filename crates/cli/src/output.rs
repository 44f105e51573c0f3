//! Printing: one JSON document or human text on stdout, warnings on stderr, progress bars only
//! when stderr is a terminal.
//!
//! Everything printed passes through [`inert`]: titles, tags, names, bodies and messages come
//! from notes and contacts, and a control character in them could move the cursor, rewrite
//! the screen or retitle the terminal. They are printed escaped (`\u{1b}`), as are invisible
//! format characters such as `U+202E` (which reverses how the rest of a line reads). JSON is
//! escaped the same way, as `\u001b`, so it stays the same JSON.

use crate::error::{CliError, Result};
use coffer_core::note::{Millis, millis_to_rfc3339};
use coffer_core::{Id, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::cell::Cell;
use std::io::{IsTerminal, Write};

/// Where a command's result goes.
pub struct Out {
    json: bool,
    emitted: Cell<bool>,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out {
            json,
            emitted: Cell::new(false),
        }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// Whether a result has already been printed (so an error must not add a second JSON
    /// document).
    pub fn emitted(&self) -> bool {
        self.emitted.get()
    }

    /// Prints the command's result: `value` as JSON with `--json`, else `text()`.
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> Result<()> {
        self.emitted.set(true);
        let mut s = if self.json {
            serde_json::to_string_pretty(value).expect("API types serialize")
        } else {
            text()
        };
        if s.is_empty() {
            return Ok(());
        }
        if !s.ends_with('\n') {
            s.push('\n');
        }
        if self.json {
            write_json(&s)
        } else {
            write_stdout(&s)
        }
    }
}

/// Bold and plain again: the only escape sequences the CLI itself prints (search matches).
pub const BOLD: &str = "\x1b[1m";
pub const PLAIN: &str = "\x1b[0m";

/// Whether `c` must not reach a terminal as itself: a control character other than a newline
/// or a tab, or an invisible format character (coffer_core::is_invisible). Joiners stay: emoji and
/// several scripts need them.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || (coffer_core::is_invisible(c) && !matches!(c, '\u{200C}' | '\u{200D}'))
}

/// `text` with every [`hidden`] character written as `\u{…}` (or, in JSON, as `\uXXXX`,
/// which JSON reads back as the same character). The CLI's own [`BOLD`] and [`PLAIN`] stay.
pub fn inert(text: &str, json: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(hidden) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(seq) = [BOLD, PLAIN].into_iter().find(|s| rest.starts_with(*s)) {
            out.push_str(seq);
            rest = &rest[seq.len()..];
            continue;
        }
        if !hidden(c) {
            out.push(c);
        } else if json {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
        rest = &rest[c.len_utf8()..];
    }
    out.into()
}

/// Writes text to stdout, hidden characters escaped ([`inert`]), reporting failures (a closed
/// pipe among them) as errors.
pub fn write_stdout(s: &str) -> Result<()> {
    write_raw(&inert(s, false))
}

/// Writes a JSON document to stdout, hidden characters escaped the JSON way ([`inert`]).
pub fn write_json(s: &str) -> Result<()> {
    write_raw(&inert(s, true))
}

fn write_raw(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .map_err(CliError::Output)
}

/// A warning on stderr.
pub fn warn(msg: &str) {
    eprintln!("coffer: warning: {}", inert(msg, false));
}

/// A note on stderr for the person at the terminal (not part of the result).
pub fn info(msg: &str) {
    eprintln!("{}", inert(msg, false));
}

/// The first 8 characters of an id, as `list` shows it.
pub fn short(id: &Id) -> String {
    id.to_string().chars().take(8).collect()
}

/// `YYYY-MM-DD` (UTC).
pub fn date(ms: Millis) -> String {
    millis_to_rfc3339(ms).chars().take(10).collect()
}

/// `YYYY-MM-DD HH:MM UTC`.
pub fn datetime(ms: Millis) -> String {
    let s = millis_to_rfc3339(ms);
    format!(
        "{} {} UTC",
        s.get(..10).unwrap_or(&s),
        s.get(11..16).unwrap_or("")
    )
}

/// Tags as `#a #b`.
pub fn hashtags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(Some(bar))
    }

    /// Reports one step of progress.
    pub fn update(&self, p: &Progress) {
        if let Some(bar) = &self.0 {
            if p.total == 0 {
                // No known end (reading a log): the count so far.
                bar.set_message(format!("{} {}", p.stage, p.done));
                bar.set_length(1);
                bar.set_position(0);
            } else {
                bar.set_message(p.stage.clone());
                bar.set_length(p.total);
                bar.set_position(p.done);
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
