//! Note templates and the daily note. A template is any live note in the notebook
//! "Templates" (or in one inside it). A note made from one takes its body, tags and title with
//! `{{date}}` and `{{title}}` filled in. The daily note of a day is the note titled with that
//! day (YYYY-MM-DD) in the notebook "Daily", made from the template titled "Daily" when there
//! is one.

use crate::model::{NoteFilter, NoteSummary};
use crate::note::Revision;
use crate::notebooks::within;
use crate::ops::{clean_notebook, clean_tags, clean_title};
use crate::vault::Vault;
use crate::{Error, Id, Result};

/// The notebook that holds templates.
pub const TEMPLATES_NOTEBOOK: &str = "Templates";
/// The notebook that holds daily notes.
pub const DAILY_NOTEBOOK: &str = "Daily";
/// The title of the template daily notes are made from.
pub const DAILY_TEMPLATE: &str = "Daily";

/// `day` if it is a date written YYYY-MM-DD.
fn valid_day(day: &str) -> Result<&str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &format)
        .map(|_| day)
        .map_err(|_| Error::Invalid(format!("{day:?} is not a date written YYYY-MM-DD")))
}

/// The text with its placeholders filled in.
fn fill(text: &str, title: &str, day: &str) -> String {
    text.replace("{{date}}", day).replace("{{title}}", title)
}

impl Vault {
    /// The templates: live notes in the notebook "Templates" or inside it, by title.
    pub fn templates(&self) -> Vec<NoteSummary> {
        let mut t = self.list(&NoteFilter {
            notebook: Some(TEMPLATES_NOTEBOOK.into()),
            ..Default::default()
        });
        t.sort_by_key(|a| a.title.to_lowercase());
        t
    }

    /// A new note from `template` (a note in "Templates"), made on `day` (YYYY-MM-DD): its
    /// body and tags; its title `title`, or, when that is empty, the template's. `{{date}}`
    /// is filled in both, and `{{title}}` in the body. Filed in `notebook`. Returns the new note's id.
    pub fn create_from_template(
        &mut self,
        template: &Id,
        title: &str,
        day: &str,
        notebook: Option<&str>,
    ) -> Result<Id> {
        let day = valid_day(day)?;
        let t = self.state.note(template)?.current().clone();
        if t.deleted
            || !t
                .notebook
                .as_deref()
                .is_some_and(|nb| within(nb, TEMPLATES_NOTEBOOK))
        {
            return Err(Error::Invalid(format!(
                "note {template} is not a template (templates are the notes in the notebook \"{TEMPLATES_NOTEBOOK}\")"
            )));
        }
        let title = if title.trim().is_empty() {
            clean_title(&fill(&t.title, "", day))
        } else {
            clean_title(&fill(title, "", day))
        };
        let new = self.new_revision(
            &title,
            fill(&t.body, &title, day),
            clean_tags(&t.tags),
            notebook,
        );
        let id = new.note;
        self.write_revisions(vec![new])?;
        Ok(id)
    }

    /// The daily note of `day` (YYYY-MM-DD): the live note titled so in the notebook "Daily",
    /// or, when there is none, a new one (from the template titled "Daily" if there is one).
    /// Returns its id and whether it was made now.
    pub fn daily_note(&mut self, day: &str) -> Result<(Id, bool)> {
        let day = valid_day(day)?;
        let found = self
            .list(&NoteFilter {
                notebook: Some(DAILY_NOTEBOOK.into()),
                ..Default::default()
            })
            .into_iter()
            .filter(|n| n.title == day)
            .min_by_key(|n| n.created);
        if let Some(n) = found {
            return Ok((n.id, false));
        }
        let template = self
            .templates()
            .into_iter()
            .find(|t| t.title.eq_ignore_ascii_case(DAILY_TEMPLATE));
        let (body, tags) = match template {
            Some(t) => {
                let r = self.state.note(&t.id)?.current();
                (fill(&r.body, day, day), clean_tags(&r.tags))
            }
            None => (String::new(), Vec::new()),
        };
        let new = self.new_revision(day, body, tags, Some(DAILY_NOTEBOOK));
        let id = new.note;
        self.write_revisions(vec![new])?;
        Ok((id, true))
    }

    /// The first revision of a new note.
    fn new_revision(
        &self,
        title: &str,
        body: String,
        tags: Vec<String>,
        notebook: Option<&str>,
    ) -> Revision {
        let now = crate::note::now_millis();
        Revision {
            note: Id::random(),
            revision: Id::random(),
            parents: vec![],
            title: clean_title(title),
            tags,
            notebook: clean_notebook(notebook),
            pinned: false,
            deleted: false,
            created: now,
            updated: now,
            attachments: vec![],
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_days() {
        assert_eq!(
            fill("# {{title}} on {{date}}", "Standup", "2026-12-03"),
            "# Standup on 2026-12-03"
        );
        assert!(valid_day("2026-12-03").is_ok());
        for bad in ["2026-13-01", "3 Dec", "", "2026-12-03; rm"] {
            assert!(valid_day(bad).is_err(), "{bad}");
        }
    }
}
