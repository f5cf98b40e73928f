//! Command-line / environment configuration of the object store.

use std::path::Path;

use crate::{Storage, StorageError};

/// `--storage-url` / `FITVISION_STORAGE_URL`: `file:///abs/dir` or `s3://bucket[/prefix]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StorageArgs {
    /// Object store: file:///absolute/dir (local directory) or s3://bucket[/prefix]
    /// (credentials and endpoint from AWS_* variables). Empty = a directory under the data dir.
    #[arg(long = "storage-url", env = "FITVISION_STORAGE_URL")]
    pub storage_url: Option<String>,
}

impl StorageArgs {
    /// Opens the configured store, or a local directory `default_dir` when none is configured.
    pub fn open_or_local(&self, default_dir: &Path) -> Result<Storage, StorageError> {
        match self.storage_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => Storage::from_url(url),
            None => Storage::local(default_dir),
        }
    }

    /// Opens the configured store; services that have no sensible default call this.
    pub fn open(&self) -> Result<Storage, StorageError> {
        match self.storage_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => Storage::from_url(url),
            None => Err(StorageError::InvalidUrl {
                url: String::new(),
                reason: "no storage configured: pass --storage-url or set FITVISION_STORAGE_URL"
                    .to_owned(),
            }),
        }
    }
}
