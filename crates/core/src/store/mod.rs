//! The store: the vault folder's layout, the write lock, and batches of new objects placed on
//! the disk. It knows paths, files and keys, never the notes' state (see docs/ARCHITECTURE.md).

mod batch;
mod layout;
mod lock;

pub(crate) use batch::{Batch, NewObject, Sealed, place_objects};
pub use layout::Layout;
pub(crate) use layout::load_or_create_device;
pub(crate) use lock::WriteLock;
