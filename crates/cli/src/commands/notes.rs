//! Commands on notes: add, edit, show, list, search, trash, history, attachments, rendering.

use crate::cli::{AddArgs, ConflictArgs, EditArgs};
use crate::context::{Ctx, changed};
use crate::error::{CliError, Result};
use crate::output::{BOLD, PLAIN, date, datetime, hashtags, info, short};
use coffer_core::search::Segment;
use coffer_core::{
    Conflict, ConflictPart, ConflictVersion, NewNote, Note, NoteChange, NoteFilter, PartChange,
    Settlement,
};
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// Reads a body from a file, or from stdin for `-`.
fn read_body_file(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        return read_stdin();
    }
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| CliError::NotText(path.display().to_string()))
}

fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(CliError::Stdin)?;
    String::from_utf8(bytes).map_err(|_| CliError::NotText("stdin".into()))
}

pub fn add(ctx: &Ctx, args: AddArgs) -> Result<()> {
    let mut vault = ctx.open()?;
    let body = match &args.file {
        Some(f) => read_body_file(f)?,
        None => {
            if std::io::stdin().is_terminal() {
                info("Type the note's body, then press Ctrl-D on a line of its own:");
            }
            read_stdin()?
        }
    };
    let id = vault.create(NewNote {
        title: args.title,
        body,
        tags: args.tags,
        notebook: args.notebook,
        pinned: args.pin,
    })?;
    changed(&mut vault);
    ctx.out.emit(&json!({ "id": id }), || id.to_string())
}

pub fn edit(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(&args.id)?;
    let base = match &args.base {
        Some(b) => Some(vault.resolve_revision(&id, b)?),
        None => None,
    };
    let body = match &args.file {
        Some(f) => Some(read_body_file(f)?),
        None if !std::io::stdin().is_terminal() => Some(read_stdin()?).filter(|b| !b.is_empty()),
        None => None,
    };
    let change = NoteChange {
        base,
        title: args.title,
        body,
        tags: if args.clear_tags {
            Some(Vec::new())
        } else if args.tags.is_empty() {
            None
        } else {
            Some(args.tags)
        },
        notebook: if args.no_notebook {
            Some(None)
        } else {
            args.notebook.map(Some)
        },
        pinned: match (args.pin, args.unpin) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    if change.title.is_none()
        && change.body.is_none()
        && change.tags.is_none()
        && change.notebook.is_none()
        && change.pinned.is_none()
    {
        return Err(CliError::NothingToChange);
    }
    let revision = vault.update(&id, change)?;
    changed(&mut vault);
    let conflict = !vault.note(&id)?.conflicts.is_empty();
    if let (true, Some(base)) = (conflict, &args.base) {
        crate::output::warn(&format!(
            "note {} changed since revision {base}; both versions are kept (see `coffer show {}`)",
            short(&id),
            short(&id)
        ));
    }
    ctx.out.emit(
        &json!({ "id": id, "revision": revision, "conflict": conflict }),
        || format!("updated {} (revision {})", short(&id), short(&revision)),
    )
}

/// The note as Markdown: a front-matter header, then the body.
fn show_text(note: &Note) -> String {
    let mut s = String::from("---\n");
    let mut line = |k: &str, v: &str| s.push_str(&format!("{k}: {v}\n"));
    line("title", &note.title);
    line("id", &note.id.to_string());
    line("revision", &note.revision.to_string());
    if !note.tags.is_empty() {
        line("tags", &note.tags.join(", "));
    }
    if let Some(nb) = &note.notebook {
        line("notebook", nb);
    }
    if note.pinned {
        line("pinned", "yes");
    }
    if note.trashed {
        line(
            "trashed",
            "yes (in the trash; `coffer restore` takes it out)",
        );
    }
    line("created", &datetime(note.created));
    line("updated", &datetime(note.updated));
    if !note.attachments.is_empty() {
        let list = note
            .attachments
            .iter()
            .map(|a| format!("{} ({} bytes)", a.name, a.size))
            .collect::<Vec<_>>()
            .join(", ");
        line("attachments", &list);
    }
    if !note.backlinks.is_empty() {
        let list = note
            .backlinks
            .iter()
            .map(|b| format!("{} ({})", b.title, short(&b.id)))
            .collect::<Vec<_>>()
            .join(", ");
        line("linked from", &list);
    }
    if !note.conflicts.is_empty() {
        let list = note
            .conflicts
            .iter()
            .map(short)
            .collect::<Vec<_>>()
            .join(", ");
        line(
            "conflict",
            &format!(
                "concurrent edits left other versions: {list} (see `coffer show {} --rev REV`)",
                short(&note.id)
            ),
        );
    }
    s.push_str("---\n\n");
    s.push_str(&note.body);
    s
}

pub fn show(ctx: &Ctx, id: &str, rev: Option<&str>) -> Result<()> {
    let vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let note = match rev {
        Some(r) => {
            let r = vault.resolve_revision(&id, r)?;
            vault.note_at(&id, &r)?
        }
        None => vault.note(&id)?,
    };
    ctx.out.emit(&note, || show_text(&note))
}

pub fn list(ctx: &Ctx, filter: NoteFilter) -> Result<()> {
    let vault = ctx.open()?;
    let notes = vault.list(&filter);
    if notes.is_empty() && !ctx.out.json() {
        info(if filter.trash {
            "the trash is empty"
        } else {
            "no notes"
        });
    }
    ctx.out.emit(&notes, || list_lines(&notes))
}

fn segments(segs: &[Segment], emphasis: bool) -> String {
    segs.iter()
        .map(|s| {
            if s.hit && emphasis {
                format!("{BOLD}{}{PLAIN}", s.text)
            } else {
                s.text.clone()
            }
        })
        .collect()
}

/// Notes, then messages (their own group), that match `query`. As JSON, one list: the
/// notes' hits with `"kind": "note"`, then the messages' with `"kind": "message"`.
pub fn search(ctx: &Ctx, query: &str, limit: usize) -> Result<()> {
    let mut vault = ctx.open()?;
    vault.read_attachments_for_search(None);
    let hits = vault.search(query, limit);
    let messages = vault.search_messages(query, limit)?;
    if hits.is_empty() && messages.is_empty() && !ctx.out.json() {
        info(&format!("no notes or messages match {query:?}"));
    }
    let bold = std::io::stdout().is_terminal();
    let mut all = Vec::with_capacity(hits.len() + messages.len());
    for h in &hits {
        let mut v = json!(h);
        v["kind"] = json!("note");
        all.push(v);
    }
    for m in &messages {
        all.push(json!({
            "kind": "message",
            "message": m.message,
            "snippet": m.snippet,
            "attachment": m.attachment,
        }));
    }
    ctx.out.emit(&all, || {
        let mut s = String::new();
        for h in &hits {
            s.push_str(&format!(
                "{}  {}  {}",
                short(&h.id),
                date(h.updated),
                segments(&h.title, bold)
            ));
            if !h.tags.is_empty() {
                s.push_str("  ");
                s.push_str(&hashtags(&h.tags));
            }
            if let Some(name) = &h.attachment {
                s.push_str(&format!("  [in attachment {name:?}]"));
            }
            s.push('\n');
            let snippet = segments(&h.snippet, bold);
            if !snippet.trim().is_empty() {
                s.push_str(&format!("    {}\n", snippet.replace('\n', " ")));
            }
        }
        if !messages.is_empty() {
            if !hits.is_empty() {
                s.push('\n');
            }
            s.push_str(&format!("messages ({}):\n", messages.len()));
            for h in &messages {
                let m = &h.message;
                s.push_str(&format!(
                    "{}  {}  {}",
                    short(&m.id),
                    datetime(m.time),
                    m.from.label()
                ));
                if let Some(name) = &h.attachment {
                    s.push_str(&format!("  [in attachment {name:?}]"));
                }
                s.push_str(&format!(
                    "\n    {}\n",
                    segments(&h.snippet, bold).replace('\n', " ")
                ));
            }
        }
        s
    })
}

pub fn trash(ctx: &Ctx, id: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    vault.trash(&id)?;
    changed(&mut vault);
    let title = vault.note(&id)?.title;
    ctx.out.emit(&json!({ "id": id, "trashed": true }), || {
        format!("moved {} {title:?} to the trash", short(&id))
    })
}

pub fn restore(ctx: &Ctx, id: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    vault.restore(&id)?;
    changed(&mut vault);
    let title = vault.note(&id)?.title;
    ctx.out.emit(&json!({ "id": id, "trashed": false }), || {
        format!("restored {} {title:?} from the trash", short(&id))
    })
}

pub fn purge(ctx: &Ctx, id: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let title = vault.note(&id)?.title;
    vault.purge(&id)?;
    changed(&mut vault);
    ctx.out.emit(&json!({ "id": id, "purged": true }), || {
        format!(
            "purged {} {title:?}: every revision and attachment is gone",
            short(&id)
        )
    })
}

pub fn history(ctx: &Ctx, id: &str) -> Result<()> {
    let vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let revs = vault.history(&id)?;
    ctx.out.emit(&revs, || {
        let mut s = String::new();
        for r in &revs {
            s.push_str(&format!(
                "{}  {}  {:>8} bytes  {}",
                short(&r.revision),
                datetime(r.updated),
                r.bytes,
                r.title
            ));
            if let Some(d) = &r.device {
                s.push_str(&format!("  (on {d})"));
            }
            if r.current {
                s.push_str("  [current]");
            }
            if r.trashed {
                s.push_str("  [in trash]");
            }
            s.push('\n');
        }
        s
    })
}

pub fn revert(ctx: &Ctx, id: &str, rev: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let from = vault.resolve_revision(&id, rev)?;
    let revision = vault.revert(&id, &from)?;
    changed(&mut vault);
    ctx.out.emit(
        &json!({ "id": id, "revision": revision, "reverted_to": from }),
        || {
            format!(
                "reverted {} to revision {} (new revision {})",
                short(&id),
                short(&from),
                short(&revision)
            )
        },
    )
}

pub fn pin(ctx: &Ctx, id: &str, pinned: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let revision = vault.update(
        &id,
        NoteChange {
            pinned: Some(pinned),
            ..Default::default()
        },
    )?;
    changed(&mut vault);
    ctx.out.emit(
        &json!({ "id": id, "revision": revision, "pinned": pinned }),
        || {
            format!(
                "{} {}",
                if pinned { "pinned" } else { "unpinned" },
                short(&id)
            )
        },
    )
}

pub fn attach(ctx: &Ctx, id: &str, file: &Path, name: Option<&str>) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let attachment = vault.attach(&id, file, name)?;
    changed(&mut vault);
    ctx.out.emit(&attachment, || {
        format!(
            "attached {} ({} bytes) to {}",
            attachment.name,
            attachment.size,
            short(&id)
        )
    })
}

pub fn extract(ctx: &Ctx, id: &str, name: &str, to: &Path) -> Result<()> {
    let vault = ctx.open()?;
    let id = vault.resolve(id)?;
    if to.symlink_metadata().is_ok() {
        return Err(CliError::Exists(to.to_path_buf()));
    }
    vault.extract(&id, name, to)?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    ctx.out.emit(
        &json!({ "id": id, "name": name, "to": to, "bytes": bytes }),
        || format!("wrote {name} ({bytes} bytes) to {}", to.display()),
    )
}

pub fn render(ctx: &Ctx, id: &str) -> Result<()> {
    let vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let html = vault.render(&id)?;
    ctx.out
        .emit(&json!({ "id": id, "html": html }), || html.clone())
}

fn name_counts(items: &[coffer_core::NameCount], what: &str) -> String {
    if items.is_empty() {
        info(&format!("no {what}"));
    }
    items
        .iter()
        .map(|n| format!("{:>5}  {}\n", n.count, n.name))
        .collect()
}

pub fn notebooks(ctx: &Ctx) -> Result<()> {
    let vault = ctx.open()?;
    let items = vault.notebooks();
    ctx.out.emit(&items, || name_counts(&items, "notebooks"))
}

pub fn rename_notebook(ctx: &Ctx, old: &str, new: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let moved = vault.rename_notebook(old, new)?;
    changed(&mut vault);
    ctx.out
        .emit(&json!({ "from": old, "to": new, "notes": moved }), || {
            format!("renamed notebook {old:?} to {new:?} ({moved} note(s))")
        })
}

pub fn remove_notebook(ctx: &Ctx, name: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let trashed = vault.remove_notebook(name)?;
    changed(&mut vault);
    ctx.out.emit(&json!({ "notebook": name, "trashed": trashed }), || {
        format!(
            "moved {trashed} note(s) of notebook {name:?} to the trash (`coffer list --trash`; `coffer restore ID` takes one back)"
        )
    })
}

pub fn move_note(ctx: &Ctx, id: &str, name: &str) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(id)?;
    let revision = vault.update(
        &id,
        NoteChange {
            notebook: Some(Some(name.to_string())),
            ..Default::default()
        },
    )?;
    changed(&mut vault);
    let note = vault.note(&id)?;
    ctx.out.emit(
        &json!({ "id": id, "revision": revision, "notebook": note.notebook }),
        || match &note.notebook {
            Some(nb) => format!("moved {} into notebook {nb:?}", short(&id)),
            None => format!("took {} out of its notebook", short(&id)),
        },
    )
}

pub fn tags(ctx: &Ctx) -> Result<()> {
    let vault = ctx.open()?;
    let items = vault.tags();
    ctx.out.emit(&items, || name_counts(&items, "tags"))
}

/// The notes as `list` prints them.
pub fn list_lines(notes: &[coffer_core::NoteSummary]) -> String {
    use crate::output::{date, hashtags, short};
    let mut s = String::new();
    for n in notes {
        s.push_str(&format!(
            "{}  {}  {}",
            short(&n.id),
            date(n.updated),
            n.title
        ));
        if !n.tags.is_empty() {
            s.push_str("  ");
            s.push_str(&hashtags(&n.tags));
        }
        s.push('\n');
    }
    s
}

/// One part of a conflict as kept: `shown`, `other`, or `both` (shown, then other, each
/// on lines of its own).
fn taken(p: &ConflictPart, side: &str) -> String {
    match side {
        "other" if p.change != PartChange::Same => p.other.clone(),
        "both" if p.change != PartChange::Same => {
            let mut s = p.shown.clone();
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
            s + &p.other
        }
        _ => p.shown.clone(),
    }
}

fn conflict_text(c: &Conflict) -> String {
    let version = |v: &ConflictVersion| {
        let on = v
            .device
            .as_deref()
            .map(|d| format!(" on {d}"))
            .unwrap_or_default();
        format!(
            "revision {}, {}{on}",
            short(&v.revision),
            datetime(v.updated)
        )
    };
    let mut s = format!(
        "note {} was changed in the same places by two devices: two versions\n  shown: {}\n  other: {}\n",
        short(&c.note),
        version(&c.shown),
        version(&c.other)
    );
    if c.shown.title != c.other.title {
        s.push_str(&format!(
            "title: {:?} (shown) or {:?} (other)\n",
            c.shown.title, c.other.title
        ));
    }
    s.push('\n');
    let mut n = 0;
    for p in &c.parts {
        if p.change == PartChange::Same {
            let lines: Vec<&str> = p.shown.lines().collect();
            let shown: Vec<String> = if lines.len() <= 5 {
                lines.iter().map(|l| format!("    {l}")).collect()
            } else {
                let mut v: Vec<String> = lines[..2].iter().map(|l| format!("    {l}")).collect();
                v.push(format!("    … {} unchanged lines …", lines.len() - 4));
                v.extend(lines[lines.len() - 2..].iter().map(|l| format!("    {l}")));
                v
            };
            for l in shown {
                s.push_str(&l);
                s.push('\n');
            }
            continue;
        }
        n += 1;
        let why = match p.change {
            PartChange::Shown => "changed in the shown version only",
            PartChange::Other => "changed in the other version only",
            _ if c.base_known => "changed in both versions",
            _ => "differs",
        };
        s.push_str(&format!("[{n}] {why}\n"));
        for (label, text) in [("shown", &p.shown), ("other", &p.other)] {
            if text.is_empty() {
                s.push_str(&format!("  {label} | (nothing here)\n"));
            }
            for l in text.lines() {
                s.push_str(&format!("  {label} | {l}\n"));
            }
        }
    }
    s.push_str(&format!(
        "\nsettle it: coffer conflict {} --take shown|other|both (once, or once for each of the {n} parts), or --keep-both",
        short(&c.note)
    ));
    if c.more > 0 {
        s.push_str(&format!("\n{} more version(s) wait after this one", c.more));
    }
    s
}

/// `coffer conflict`: shows a note's two versions part by part, or settles them.
pub fn conflict(ctx: &Ctx, args: &ConflictArgs) -> Result<()> {
    let mut vault = ctx.open()?;
    let id = vault.resolve(&args.id)?;
    let c = vault.conflict(&id)?;
    let more = |s: String| {
        if c.more > 0 {
            format!(
                "{s}\n{} more version(s) wait: run `coffer conflict {}` again",
                c.more,
                short(&id)
            )
        } else {
            s
        }
    };
    if args.keep_both {
        let copy = vault.keep_both(&id, &c.shown.revision, &c.other.revision)?;
        changed(&mut vault);
        return ctx.out.emit(
            &json!({ "id": id, "kept_as": copy, "more": c.more }),
            || {
                more(format!(
                    "kept both: note {} keeps the shown version; the other is now note {} \"{} (other version)\"",
                    short(&id),
                    short(&copy),
                    c.other.title
                ))
            },
        );
    }
    if args.take.is_empty() {
        return ctx.out.emit(&c, || conflict_text(&c));
    }
    let differing = c
        .parts
        .iter()
        .filter(|p| p.change != PartChange::Same)
        .count();
    let takes: Vec<&str> = match args.take.len() {
        1 => vec![args.take[0].as_str(); differing],
        n if n == differing => args.take.iter().map(String::as_str).collect(),
        n => {
            return Err(CliError::Usage(format!(
                "{differing} parts differ, and --take was given {n} times: give it once (for all of them) or once for each part"
            )));
        }
    };
    let mut takes = takes.into_iter();
    let body: String = c
        .parts
        .iter()
        .map(|p| {
            if p.change == PartChange::Same {
                p.shown.clone()
            } else {
                taken(p, takes.next().unwrap_or("shown"))
            }
        })
        .collect();
    let title = args.title.clone().unwrap_or_else(|| match c.title_changed {
        PartChange::Other => c.other.title.clone(),
        _ => c.shown.title.clone(),
    });
    let revision = vault.settle_conflict(
        &id,
        Settlement {
            shown: c.shown.revision,
            other: c.other.revision,
            title,
            body,
        },
    )?;
    changed(&mut vault);
    ctx.out.emit(
        &json!({ "id": id, "revision": revision, "more": c.more }),
        || {
            more(format!(
                "settled {}: new revision {}; both versions stay in its history",
                short(&id),
                short(&revision)
            ))
        },
    )
}

/// Today's date here (the local time zone; UTC when it cannot be known), YYYY-MM-DD.
fn today_here() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let format = time::macros::format_description!("[year]-[month]-[day]");
    now.format(&format).unwrap_or_default()
}

pub fn templates(ctx: &Ctx) -> Result<()> {
    let vault = ctx.open()?;
    let t = vault.templates();
    ctx.out.emit(&t, || {
        if t.is_empty() {
            "no templates yet: a template is any note in the notebook \"Templates\"".to_string()
        } else {
            list_lines(&t)
        }
    })
}

pub fn new_from_template(
    ctx: &Ctx,
    template: &str,
    title: Option<&str>,
    notebook: Option<&str>,
    date: Option<&str>,
) -> Result<()> {
    let day = date.map(str::to_string).unwrap_or_else(today_here);
    let mut vault = ctx.open()?;
    let templates = vault.templates();
    let by_title: Vec<_> = templates
        .iter()
        .filter(|t| t.title.eq_ignore_ascii_case(template.trim()))
        .collect();
    let id = match by_title.as_slice() {
        [one] => one.id,
        _ => vault.resolve(template)?,
    };
    let new = vault.create_from_template(&id, title.unwrap_or(""), &day, notebook)?;
    changed(&mut vault);
    let note = vault.note(&new)?;
    ctx.out
        .emit(&json!({ "id": new, "title": note.title }), || {
            format!("{}  {}", new, note.title)
        })
}

pub fn today(ctx: &Ctx, date: Option<&str>) -> Result<()> {
    let day = date.map(str::to_string).unwrap_or_else(today_here);
    let mut vault = ctx.open()?;
    let (id, made) = vault.daily_note(&day)?;
    if made {
        changed(&mut vault);
    }
    ctx.out
        .emit(&json!({ "id": id, "date": day, "created": made }), || {
            format!("{id}  {day}{}", if made { "  (new)" } else { "" })
        })
}
