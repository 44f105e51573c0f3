//! Remotes: where a vault's files are copied for sync. One small blocking trait, [`Remote`]
//! (contract.rs), and [`StoreRemote`], which opens the remote a URL names (url.rs): a folder
//! (folder.rs, which never follows a symbolic link), or an S3-compatible object store or a
//! WebDAV server (object.rs, through the `object_store` crate).
//!
//! Keys are `/`-separated paths relative to the remote's root (`log/<device>/<seq>.age`).
//! Every download names the largest size it accepts (crate::limits): a larger file is refused
//! before its body is read, and a server that sends more than it announced is cut off there.

mod contract;
#[cfg(unix)]
mod folder;
mod object;
mod url;

pub use contract::{CONCURRENCY, PART_SIZE, Remote};
pub use url::{
    Credentials, RemoteKind, RemoteUrl, redact, url_has_password, webdav_password_wanted,
    with_webdav_password,
};

use crate::Result;
use std::path::Path;

/// The remote a URL names, with a request counter.
pub struct StoreRemote(Box<dyn Remote + Send + Sync>);

impl StoreRemote {
    /// Opens the remote a URL names. For S3, `credentials` (else the environment's
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`) sign the requests. A folder remote is
    /// created if absent. No request is made yet.
    pub fn open(url: &str, credentials: Option<&Credentials>) -> Result<StoreRemote> {
        let parsed = RemoteUrl::parse(url)?;
        #[cfg(unix)]
        if let RemoteUrl::Folder(path) = &parsed {
            return Ok(StoreRemote(Box::new(folder::FolderRemote::open(
                path,
                redact(url),
            )?)));
        }
        Ok(StoreRemote(Box::new(object::ObjectRemote::open(
            url,
            &parsed,
            credentials,
        )?)))
    }
}

impl Remote for StoreRemote {
    fn get(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        self.0.get(key, limit)
    }
    fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.0.put(key, data)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.0.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.0.list(prefix)
    }
    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.0.list_dirs(prefix)
    }
    fn requests(&self) -> u64 {
        self.0.requests()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn get_many(&self, keys: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>>> {
        self.0.get_many(keys, limit)
    }
    fn put_many(&self, items: &[(String, Vec<u8>)]) -> Result<()> {
        self.0.put_many(items)
    }
    fn get_to_file(&self, key: &str, to: &Path, limit: u64) -> Result<Option<String>> {
        self.0.get_to_file(key, to, limit)
    }
    fn put_file(&self, key: &str, from: &Path) -> Result<()> {
        self.0.put_file(key, from)
    }
}
