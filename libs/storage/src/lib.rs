//! Object storage for the fitvision suite.
//!
//! One [`Storage`] handle wraps an `object_store` backend: a local directory
//! (the embedded default) or any S3-compatible bucket. Objects are addressed by
//! relative keys such as `videos/<id>/original.mp4`. Uploads stream through
//! [`StreamingUpload`], which writes to a temporary key and commits to the
//! final key only once the bytes are complete and verified.

mod areas;
mod args;
pub mod container;
mod local_copy;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

pub use args::StorageArgs;
pub use container::{ContainerKind, Sniff};
pub use fitvision_proto::v1::ObjectRef;
pub use local_copy::LocalCopy;
pub use upload::{StreamingUpload, UploadError, UploadOptions};

/// Prefix under which uploads in flight live until they are committed.
pub const TEMPORARY_PREFIX: &str = "tmp/";

/// Errors of storage operations.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object '{key}' not found")]
    NotFound { key: String },
    #[error("invalid object key '{key}': {reason}")]
    InvalidKey { key: String, reason: String },
    #[error("invalid storage url '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("object store error: {0}")]
    Backend(#[source] object_store::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<object_store::Error> for StorageError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { path, .. } => StorageError::NotFound { key: path },
            other => StorageError::Backend(other),
        }
    }
}

#[derive(Debug)]
enum Backend {
    /// Objects are plain files under `root`; local copies are the files themselves.
    Local {
        root: PathBuf,
    },
    Remote,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ObjectStore>,
    backend: Backend,
    description: String,
}

/// Cheaply clonable handle to the suite's object store.
#[derive(Debug, Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

impl Storage {
    /// Opens `file:///abs/dir` (created if missing), a bare absolute path, or
    /// `s3://bucket[/prefix]` configured from the usual `AWS_*` environment
    /// variables (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP` for S3-compatible stores).
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        let invalid = |reason: &str| StorageError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid("file:// urls need an absolute path"));
            }
            return Self::local(Path::new(path));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("missing bucket name"));
            }
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| invalid(&e.to_string()))?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            };
            return Ok(Self::from_store(store, url.to_owned()));
        }
        if url.starts_with('/') {
            return Self::local(Path::new(url));
        }
        Err(invalid(
            "expected file:///absolute/dir or s3://bucket[/prefix]",
        ))
    }

    /// A store rooted at a local directory, created if missing.
    pub fn local(root: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root)?;
        let root = std::fs::canonicalize(root)?;
        let store = LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true);
        Ok(Self {
            inner: Arc::new(Inner {
                store: Arc::new(store),
                description: format!("file://{}", root.display()),
                backend: Backend::Local { root },
            }),
        })
    }

    /// Wraps any `object_store` backend (tests use `InMemory` as a remote store).
    pub fn from_store(store: Arc<dyn ObjectStore>, description: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                backend: Backend::Remote,
                description,
            }),
        }
    }

    /// Where the objects live, for logs.
    pub fn description(&self) -> &str {
        &self.inner.description
    }

    /// The root directory when the store is a local directory.
    pub fn local_root(&self) -> Option<&Path> {
        match &self.inner.backend {
            Backend::Local { root } => Some(root),
            Backend::Remote => None,
        }
    }

    pub(crate) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner.store
    }

    /// Writes a whole object atomically (the backends stage and rename / single PUT).
    pub async fn put_bytes(
        &self,
        key: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<ObjectRef, StorageError> {
        let path = parse_key(key)?;
        let bytes: Bytes = bytes.into();
        let object = ObjectRef {
            key: key.to_owned(),
            size_bytes: bytes.len() as u64,
            sha256_hex: hex::encode(Sha256::digest(&bytes)),
            content_type: content_type_of(&bytes),
        };
        self.inner
            .store
            .put(&path, PutPayload::from_bytes(bytes))
            .await?;
        Ok(object)
    }

    /// Reads a whole object into memory (pose tracks, results; not videos).
    pub async fn get_bytes(&self, key: &str) -> Result<Bytes, StorageError> {
        let path = parse_key(key)?;
        let result = self.inner.store.get(&path).await?;
        Ok(result.bytes().await?)
    }

    /// Streams an object's bytes.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        let path = parse_key(key)?;
        let result = self.inner.store.get(&path).await?;
        Ok(result
            .into_stream()
            .map(|r| r.map_err(StorageError::from))
            .boxed())
    }

    /// Size of an object, or `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StorageError> {
        let path = parse_key(key)?;
        match self.inner.store.head(&path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        Ok(self.size(key).await?.is_some())
    }

    /// Deletes an object; deleting a missing object is not an error (idempotent).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = parse_key(key)?;
        match self.inner.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Keys of every object under `prefix` (a folder such as `videos/<id>/`), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let prefix = prefix.trim_end_matches('/');
        let path = if prefix.is_empty() {
            None
        } else {
            Some(parse_key(prefix)?)
        };
        let mut keys: Vec<String> = self
            .inner
            .store
            .list(path.as_ref())
            .map(|meta| meta.map(|m| m.location.to_string()))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        keys.sort();
        Ok(keys)
    }

    /// Keys of every object under `prefix` with their last modification, sorted by key.
    pub async fn list_with_modified(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, SystemTime)>, StorageError> {
        let prefix = prefix.trim_end_matches('/');
        let path = if prefix.is_empty() {
            None
        } else {
            Some(parse_key(prefix)?)
        };
        let mut objects: Vec<(String, SystemTime)> = self
            .inner
            .store
            .list(path.as_ref())
            .map(|meta| meta.map(|m| (m.location.to_string(), SystemTime::from(m.last_modified))))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        objects.sort();
        Ok(objects)
    }

    /// Deletes every object under `prefix`; returns how many were deleted.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        let keys = self.list(prefix).await?;
        for key in &keys {
            self.delete(key).await?;
        }
        Ok(keys.len())
    }

    /// Streams a local file into the store (verified like an upload) and
    /// returns its reference. Any content is accepted.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<ObjectRef, UploadError> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| UploadError::Storage(e.into()))?;
        let mut upload = self.begin_upload(key, UploadOptions::any_content())?;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = tokio::io::AsyncReadExt::read(&mut file, &mut buffer)
                .await
                .map_err(|e| UploadError::Storage(e.into()));
            let read = match read {
                Ok(read) => read,
                Err(error) => {
                    upload.abort().await;
                    return Err(error);
                }
            };
            if read == 0 {
                break;
            }
            upload
                .write(Bytes::copy_from_slice(&buffer[..read]))
                .await?;
        }
        upload.commit().await
    }

    /// Starts a verified streaming upload that will commit to `key`.
    pub fn begin_upload(
        &self,
        key: &str,
        options: UploadOptions,
    ) -> Result<StreamingUpload, UploadError> {
        let final_path = parse_key(key).map_err(UploadError::Storage)?;
        if let Some(area) = &options.area {
            areas::validate_area(area)?;
        }
        Ok(StreamingUpload::new(self.clone(), final_path, options))
    }

    /// A filesystem path with the object's bytes: the object itself for a
    /// local store, otherwise a temporary download deleted on drop.
    pub async fn local_copy(&self, key: &str) -> Result<LocalCopy, StorageError> {
        let path = parse_key(key)?;
        match &self.inner.backend {
            Backend::Local { root } => {
                let file = root.join(path.as_ref());
                if tokio::fs::metadata(&file).await.is_err() {
                    return Err(StorageError::NotFound {
                        key: key.to_owned(),
                    });
                }
                Ok(LocalCopy::in_place(file))
            }
            Backend::Remote => local_copy::download(self, key).await,
        }
    }

    /// Removes uploads abandoned by a crash: temporary objects older than
    /// `older_than`. Returns how many were removed.
    pub async fn sweep_temporaries(&self, older_than: Duration) -> Result<usize, StorageError> {
        let cutoff = SystemTime::now()
            .checked_sub(older_than)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        if let Backend::Local { root } = &self.inner.backend {
            // Staged multipart files ("<key>#<n>") are invisible to listings, so
            // walk the directory itself.
            let dir = root.join(TEMPORARY_PREFIX);
            return tokio::task::spawn_blocking(move || remove_files_older_than(&dir, cutoff))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        }
        let prefix = parse_key(TEMPORARY_PREFIX.trim_end_matches('/'))?;
        let stale: Vec<StorePath> = self
            .inner
            .store
            .list(Some(&prefix))
            .filter_map(|meta| async move {
                meta.ok()
                    .filter(|m| SystemTime::from(m.last_modified) < cutoff)
                    .map(|m| m.location)
            })
            .collect()
            .await;
        for path in &stale {
            self.delete(path.as_ref()).await?;
        }
        Ok(stale.len())
    }
}

fn remove_files_older_than(dir: &Path, cutoff: SystemTime) -> Result<usize, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error.into()),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let metadata = entry.metadata()?;
        if metadata.is_dir() {
            removed += remove_files_older_than(&entry.path(), cutoff)?;
        } else if metadata.modified()? < cutoff {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Validates a relative object key.
fn parse_key(key: &str) -> Result<StorePath, StorageError> {
    let invalid = |reason: &str| StorageError::InvalidKey {
        key: key.to_owned(),
        reason: reason.to_owned(),
    };
    if key.is_empty() {
        return Err(invalid("empty"));
    }
    if key.starts_with('/') || key.split('/').any(|part| part == ".." || part == ".") {
        return Err(invalid(
            "keys are relative and may not contain '.' or '..' segments",
        ));
    }
    if key.contains('#') {
        // The local backend reserves '#' for staged writes.
        return Err(invalid("'#' is reserved"));
    }
    StorePath::parse(key).map_err(|e| invalid(&e.to_string()))
}

/// Content type of a small object: a video container when recognised.
fn content_type_of(bytes: &[u8]) -> String {
    match container::sniff(&bytes[..bytes.len().min(container::SNIFF_LEN)], true) {
        Sniff::Container(kind) => kind.content_type().to_owned(),
        _ => "application/octet-stream".to_owned(),
    }
}
