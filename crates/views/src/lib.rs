//! What the desktop app shows and sends, in the shapes it shows them: the types that cross
//! between the Tauri shell and its web view and exist only for it (a QR code as path data, the
//! compose form, the app's settings and sync status), built from coffer-core. The core holds
//! none of them; the shell passes them through and generates their TypeScript from them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod messages;

pub use app::*;
pub use messages::*;
