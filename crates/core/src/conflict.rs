//! Settling a conflict: a note changed on two devices at once, in the same places, so sync
//! kept both versions (sync/merge.rs merges the edits that do not overlap by itself). The
//! two versions are laid out part by part, each differing part marked with the side that
//! changed it; the person takes one side, both, or their own text for each, or keeps both
//! versions as two notes. Nothing is thrown away: the settled revision has both versions as
//! parents, so each stays in the history.

use crate::model::{Conflict, ConflictPart, ConflictVersion, PartChange, Settlement};
use crate::note::{Attachment, Revision, now_millis};
use crate::ops::clean_title;
use crate::state::NoteState;
use crate::sync::merge::{common_ancestor, pick};
use crate::vault::Vault;
use crate::{Error, Id, Result};

/// One line of a two-way line diff, with whether it is in the first text, the second, or
/// both.
enum Line {
    Both(String),
    First(String),
    Second(String),
}

/// The lines of `a` and `b`, matched (a longest common subsequence of lines, by diffy).
/// Each line keeps its end of line, so the lines of each side join back to its text.
fn diff_lines(a: &str, b: &str) -> Vec<Line> {
    let mut opts = diffy::DiffOptions::new();
    // Context as long as the texts: one hunk covering everything, so every line is listed.
    opts.set_context_len(a.lines().count().max(b.lines().count()) + 1);
    let patch = opts.create_patch(a, b);
    let mut out = Vec::new();
    for hunk in patch.hunks() {
        for line in hunk.lines() {
            out.push(match line {
                diffy::Line::Context(l) => Line::Both(l.to_string()),
                diffy::Line::Delete(l) => Line::First(l.to_string()),
                diffy::Line::Insert(l) => Line::Second(l.to_string()),
            });
        }
    }
    if out.is_empty() && !a.is_empty() {
        // Equal texts: diffy lists no hunk.
        out.push(Line::Both(a.to_string()));
    }
    out
}

/// How `text` differs from `base`, line by line: for each line of `text`, whether it is not
/// one of base's lines kept in place; and for each gap between lines (before line 0, ...,
/// after the last), whether base lines were taken out there.
struct Changes {
    lines: Vec<bool>,
    gaps: Vec<bool>,
}

impl Changes {
    fn of(base: &str, text: &str) -> Changes {
        let mut c = Changes {
            lines: Vec::new(),
            gaps: vec![false],
        };
        for l in diff_lines(base, text) {
            match l {
                Line::Both(l) => {
                    for _ in 0..l.split_inclusive('\n').count().max(1) {
                        c.lines.push(false);
                        c.gaps.push(false);
                    }
                }
                Line::Second(_) => {
                    c.lines.push(true);
                    c.gaps.push(false);
                }
                Line::First(_) => {
                    *c.gaps.last_mut().expect("one gap at least") = true;
                }
            }
        }
        c
    }

    /// Whether the lines `from..to` of the text, or the gaps around and between them, hold a
    /// change.
    fn any(&self, from: usize, to: usize) -> bool {
        self.lines[from..to].iter().any(|c| *c) || self.gaps[from..=to].iter().any(|c| *c)
    }
}

/// The two bodies laid out in parts: equal runs and differing runs, each differing run
/// marked by the side that changed it since `base` (when known).
pub(crate) fn parts(base: Option<&str>, shown: &str, other: &str) -> Vec<ConflictPart> {
    let changed_shown = base.map(|b| Changes::of(b, shown));
    let changed_other = base.map(|b| Changes::of(b, other));
    let mut out: Vec<ConflictPart> = Vec::new();
    let (mut i, mut j) = (0usize, 0usize); // line numbers in shown and other
    let mut run: Option<(String, String, usize, usize)> = None; // a differing run being built
    let finish = |out: &mut Vec<ConflictPart>,
                  run: &mut Option<(String, String, usize, usize)>,
                  i: usize,
                  j: usize| {
        if let Some((s, o, i0, j0)) = run.take() {
            let change = match (&changed_shown, &changed_other) {
                (Some(cs), Some(co)) => match (cs.any(i0, i), co.any(j0, j)) {
                    (true, false) => PartChange::Shown,
                    (false, true) => PartChange::Other,
                    _ => PartChange::Both,
                },
                _ => PartChange::Both,
            };
            out.push(ConflictPart {
                shown: s,
                other: o,
                change,
            });
        }
    };
    for line in diff_lines(shown, other) {
        match line {
            Line::Both(l) => {
                finish(&mut out, &mut run, i, j);
                let n = l.split_inclusive('\n').count().max(1);
                match out.last_mut() {
                    Some(p) if p.change == PartChange::Same => {
                        p.shown.push_str(&l);
                        p.other.push_str(&l);
                    }
                    _ => out.push(ConflictPart {
                        shown: l.to_string(),
                        other: l.to_string(),
                        change: PartChange::Same,
                    }),
                }
                i += n;
                j += n;
            }
            Line::First(l) => {
                run.get_or_insert_with(|| (String::new(), String::new(), i, j))
                    .0
                    .push_str(&l);
                i += 1;
            }
            Line::Second(l) => {
                run.get_or_insert_with(|| (String::new(), String::new(), i, j))
                    .1
                    .push_str(&l);
                j += 1;
            }
        }
    }
    finish(&mut out, &mut run, i, j);
    out
}

/// `name`, or "name (other version).ext" when the note already has a file of that name.
fn free_name(name: &str, taken: &[Attachment]) -> String {
    if !taken.iter().any(|a| a.name == name) {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            format!("{stem} (other version){ext}")
        } else {
            format!("{stem} (other version {n}){ext}")
        };
        if !taken.iter().any(|a| a.name == candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Every field but the title and body of the settled revision: each by the 3-way rule when
/// the common ancestor is known; otherwise (or when both changed it) the choice that loses
/// nothing: every tag and every file of both, pinned if either is, in the trash only if
/// both are.
fn settle_fields(base: Option<&Revision>, shown: &Revision, other: &Revision) -> Revision {
    let mut r = shown.clone();
    let three_way =
        |f: &dyn Fn(&Revision) -> bool| base.and_then(|b| pick(&f(b), &f(shown), &f(other)));
    r.pinned = three_way(&|r| r.pinned).unwrap_or(shown.pinned || other.pinned);
    r.deleted = three_way(&|r| r.deleted).unwrap_or(shown.deleted && other.deleted);
    r.notebook = base
        .and_then(|b| pick(&b.notebook, &shown.notebook, &other.notebook))
        .unwrap_or_else(|| shown.notebook.clone().or_else(|| other.notebook.clone()));
    r.tags = match base.and_then(|b| pick(&b.tags, &shown.tags, &other.tags)) {
        Some(t) => t,
        None => {
            let mut t = shown.tags.clone();
            for tag in &other.tags {
                if !t.iter().any(|x| x.eq_ignore_ascii_case(tag)) {
                    t.push(tag.clone());
                }
            }
            t
        }
    };
    r.attachments =
        match base.and_then(|b| pick(&b.attachments, &shown.attachments, &other.attachments)) {
            Some(a) => a,
            None => {
                let mut all = shown.attachments.clone();
                for a in &other.attachments {
                    if !all.iter().any(|x| x.object == a.object) {
                        let name = free_name(&a.name, &all);
                        all.push(Attachment { name, ..a.clone() });
                    }
                }
                all
            }
        };
    r.created = shown.created.min(other.created);
    r
}

impl Vault {
    /// The common ancestor of two versions of a note, read, when it is known and readable.
    pub(crate) fn ancestor_of(&self, note: &NoteState, a: &Id, b: &Id) -> Option<Revision> {
        let base_id = common_ancestor(note, a, b)?;
        match note.heads.iter().find(|h| h.revision == base_id) {
            Some(h) => Some(h.clone()),
            None => self.read_revision_checked(&base_id, None).ok(),
        }
    }

    /// The shown version and the first other current version of a note, with their
    /// ancestor.
    fn two_versions(&self, id: &Id) -> Result<(Revision, Revision, Option<Revision>, usize)> {
        let n = self.state.note(id)?;
        let others = n.other_heads();
        let Some(other_id) = others.iter().min() else {
            return Err(Error::NoConflict(id.to_string()));
        };
        let shown = n.current().clone();
        let other = n
            .heads
            .iter()
            .find(|h| h.revision == *other_id)
            .cloned()
            .expect("a head");
        let base = self.ancestor_of(n, &shown.revision, &other.revision);
        Ok((shown, other, base, others.len() - 1))
    }

    /// A note's conflict laid out to be settled: the shown version and one other, their
    /// bodies in parts. With three or more versions, settling this one leaves the next.
    pub fn conflict(&self, id: &Id) -> Result<Conflict> {
        let (shown, other, base, more) = self.two_versions(id)?;
        let version = |r: &Revision| ConflictVersion {
            revision: r.revision,
            title: r.title.clone(),
            updated: r.updated,
            device: self
                .state
                .meta()
                .note(id)
                .ok()
                .and_then(|n| n.revisions.get(&r.revision))
                .and_then(|m| m.device)
                .map(|d| self.store.roster.label(&d)),
        };
        Ok(Conflict {
            note: *id,
            title_changed: match &base {
                _ if shown.title == other.title => PartChange::Same,
                Some(b) if b.title == shown.title => PartChange::Other,
                Some(b) if b.title == other.title => PartChange::Shown,
                _ => PartChange::Both,
            },
            parts: parts(
                base.as_ref().map(|b| b.body.as_str()),
                &shown.body,
                &other.body,
            ),
            shown: version(&shown),
            other: version(&other),
            base_known: base.is_some(),
            more,
        })
    }

    /// Settles a conflict with the title and body the person made: one revision whose
    /// parents are both versions (each stays in the history). The other fields are merged
    /// so that nothing is lost (`settle_fields`). Fails with `ConflictChanged`, writing
    /// nothing, when either version is no longer current.
    pub fn settle_conflict(&mut self, id: &Id, s: Settlement) -> Result<Id> {
        let (shown, other, base, _) = self.two_versions(id)?;
        if (shown.revision, other.revision) != (s.shown, s.other) {
            return Err(Error::ConflictChanged(id.to_string()));
        }
        let mut rev = settle_fields(base.as_ref(), &shown, &other);
        rev.title = clean_title(&s.title);
        rev.body = s.body;
        rev.revision = Id::random();
        rev.parents = vec![shown.revision, other.revision];
        rev.updated = now_millis().max(shown.updated.max(other.updated) + 1);
        let new_id = rev.revision;
        self.write_revisions(vec![rev])?;
        Ok(new_id)
    }

    /// Keeps both versions as two notes: the note settles on the shown version (its other
    /// fields merged as in `settle_conflict`), and a new note holds the other version's
    /// title (marked "(other version)"), body, tags and notebook. Its files stay with the
    /// original note. One batch; returns the new note's id.
    pub fn keep_both(&mut self, id: &Id, shown_id: &Id, other_id: &Id) -> Result<Id> {
        let (shown, other, base, _) = self.two_versions(id)?;
        if (shown.revision, other.revision) != (*shown_id, *other_id) {
            return Err(Error::ConflictChanged(id.to_string()));
        }
        let now = now_millis();
        let mut settled = settle_fields(base.as_ref(), &shown, &other);
        settled.revision = Id::random();
        settled.parents = vec![shown.revision, other.revision];
        settled.updated = now.max(shown.updated.max(other.updated) + 1);
        let copy = Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![],
            title: clean_title(&format!("{} (other version)", other.title)),
            tags: other.tags.clone(),
            notebook: other.notebook.clone(),
            pinned: false,
            deleted: false,
            created: now,
            updated: now,
            attachments: vec![],
            body: other.body.clone(),
        };
        let new_note = copy.note;
        self.write_revisions(vec![settled, copy])?;
        Ok(new_note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(parts: &[ConflictPart]) -> (String, String) {
        (
            parts.iter().map(|p| p.shown.as_str()).collect(),
            parts.iter().map(|p| p.other.as_str()).collect(),
        )
    }

    #[test]
    fn parts_join_back_to_each_version_and_name_the_side_that_changed() {
        let base = "title\none\ntwo\nthree\nfour\nfive\n";
        let shown = "title\nONE\ntwo\nthree\nfour!\nfive\n";
        let other = "title\none\ntwo\nthree\nfour?\nfive\nsix\n";
        let p = parts(Some(base), shown, other);
        assert_eq!(join(&p), (shown.to_string(), other.to_string()));
        let kinds: Vec<PartChange> = p.iter().map(|p| p.change).collect();
        assert_eq!(
            kinds,
            [
                PartChange::Same,
                PartChange::Shown,
                PartChange::Same,
                PartChange::Both,
                PartChange::Same,
                PartChange::Other
            ]
        );
        assert_eq!(p[1].shown, "ONE\n");
        assert_eq!(p[1].other, "one\n");
        assert_eq!(p[3].shown, "four!\n");
        assert_eq!(p[3].other, "four?\n");
        assert_eq!(p[5].shown, "");
        assert_eq!(p[5].other, "six\n");
    }

    #[test]
    fn a_line_taken_out_on_one_side_is_that_sides_change() {
        let base = "a\nb\nc\n";
        let p = parts(Some(base), "a\nc\n", "a\nb\nc\nd");
        assert_eq!(join(&p), ("a\nc\n".into(), "a\nb\nc\nd".into()));
        assert_eq!(p[1].change, PartChange::Shown, "{p:?}");
        assert_eq!(p.last().unwrap().change, PartChange::Other, "{p:?}");
    }

    /// The changes of the parts that differ, in order.
    fn differing(parts: &[ConflictPart]) -> Vec<PartChange> {
        parts
            .iter()
            .map(|p| p.change)
            .filter(|c| *c != PartChange::Same)
            .collect()
    }

    #[test]
    fn a_line_taken_out_on_one_side_and_changed_on_the_other_is_both() {
        let p = parts(Some("a\nb\nc\n"), "a\nc\n", "a\nB\nc\n");
        assert_eq!(join(&p), ("a\nc\n".into(), "a\nB\nc\n".into()));
        assert_eq!(differing(&p), [PartChange::Both], "{p:?}");
        // Taken out at the very end, and added after it on the other side.
        let p = parts(Some("a\nb\n"), "a\n", "a\nb\nc\n");
        assert_eq!(differing(&p), [PartChange::Both], "{p:?}");
    }

    #[test]
    fn without_an_ancestor_every_difference_is_both_sides() {
        let p = parts(None, "x\ny", "x\nz");
        assert_eq!(join(&p), ("x\ny".into(), "x\nz".into()));
        assert!(
            p.iter()
                .all(|p| p.change != PartChange::Shown && p.change != PartChange::Other)
        );
        assert_eq!(parts(None, "", ""), vec![]);
        let same = parts(None, "same", "same");
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].change, PartChange::Same);
    }

    #[test]
    fn files_of_the_same_name_both_stay() {
        let taken = vec![Attachment {
            name: "report.pdf".into(),
            object: Id::random(),
            size: 1,
            sha256: String::new(),
        }];
        assert_eq!(
            free_name("report.pdf", &taken),
            "report (other version).pdf"
        );
        assert_eq!(free_name("notes", &taken), "notes");
    }
}
