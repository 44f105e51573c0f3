//! A conversation as a person reads it: oldest first, each body rendered by the sanitizer (like
//! a note's preview), and a message's attachment saved where the person chose.

use super::MessageView;
use crate::render::Prepared;
use crate::vault::Vault;
use crate::{Id, Result};
use serde::Serialize;
use std::path::Path;

/// One message of a thread with its body rendered (sanitized HTML, like a note's preview).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadMessage {
    /// The message, with its sender, time and attachments.
    pub message: MessageView,
    /// Its body rendered as sanitized HTML (like a note's preview; links to notes do nothing).
    pub html: String,
}

/// A message of a thread and its body, to render without the vault.
pub struct MessageToRender {
    /// The message, with its sender, time and attachments; [`MessageToRender::render`] adds its
    /// body.
    pub message: MessageView,
    body: Prepared,
}

impl MessageToRender {
    /// The message with its body rendered (bounded: crate::render).
    pub fn render(self) -> ThreadMessage {
        ThreadMessage {
            html: self.body.render(),
            message: self.message,
        }
    }
}

impl Vault {
    /// A conversation, oldest first, each body rendered; marks it read.
    pub fn open_conversation(&mut self, conversation: &Id) -> Result<Vec<ThreadMessage>> {
        Ok(self
            .conversation_to_render(conversation)?
            .into_iter()
            .map(MessageToRender::render)
            .collect())
    }

    /// A conversation, oldest first, with each body ready to render without the vault (a
    /// contact's message can be slow to render: see crate::render); marks it read.
    pub fn conversation_to_render(&mut self, conversation: &Id) -> Result<Vec<MessageToRender>> {
        let messages = self.thread(conversation)?;
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let body = self.message_body(&m.id)?;
            out.push(MessageToRender {
                message: m,
                body: Prepared::without_links(body),
            });
        }
        self.mark_read(conversation)?;
        Ok(out)
    }

    /// Writes a message's attachment to a file the user chose.
    pub fn save_message_attachment(&mut self, id: &Id, name: &str, to: &Path) -> Result<()> {
        let bytes = self.message_attachment(id, name)?;
        crate::fsutil::write_atomic(to, &bytes)
    }
}
