//! Filesystem access to stored objects for code that needs a path (OpenCV).

use std::path::{Path, PathBuf};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::{Storage, StorageError};

/// A path holding an object's bytes. For a local store it is the object
/// itself (read it, do not modify it); for a remote store it is a temporary
/// download removed when this value is dropped.
#[derive(Debug)]
pub struct LocalCopy {
    path: PathBuf,
    _temporary: Option<tempfile::TempPath>,
}

impl LocalCopy {
    pub(crate) fn in_place(path: PathBuf) -> Self {
        Self {
            path,
            _temporary: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the path is a temporary download rather than the stored object.
    pub fn is_temporary(&self) -> bool {
        self._temporary.is_some()
    }
}

impl AsRef<Path> for LocalCopy {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// Streams a remote object into a temporary file that keeps the key's
/// extension (decoders sometimes look at it).
pub(crate) async fn download(storage: &Storage, key: &str) -> Result<LocalCopy, StorageError> {
    let suffix = Path::new(key)
        .extension()
        .map(|ext| format!(".{}", ext.to_string_lossy()))
        .unwrap_or_default();
    let temporary = tempfile::Builder::new()
        .prefix("fitvision-object-")
        .suffix(&suffix)
        .tempfile()?
        .into_temp_path();
    let mut file = tokio::fs::File::create(&temporary).await?;
    let mut stream = storage.get_stream(key).await?;
    while let Some(chunk) = stream.next().await {
        file.write_all(&chunk?).await?;
    }
    file.flush().await?;
    Ok(LocalCopy {
        path: temporary.to_path_buf(),
        _temporary: Some(temporary),
    })
}
