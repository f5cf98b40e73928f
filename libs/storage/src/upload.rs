//! Verified streaming uploads: bounded memory, temporary key, commit on success.

use bytes::Bytes;
use object_store::WriteMultipart;
use object_store::path::Path as StorePath;
use sha2::{Digest, Sha256};

use crate::container::{self, ContainerCheck, ContainerKind, Sniff};
use crate::{ObjectRef, Storage, StorageError, TEMPORARY_PREFIX};

/// Parts in flight per upload; with 5 MiB parts this bounds buffered bytes
/// to roughly 15 MiB whatever the file size.
const MAX_PARTS_IN_FLIGHT: usize = 2;

/// What an upload must satisfy before it is committed.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// Refuse more bytes than this.
    pub max_size_bytes: Option<u64>,
    /// The size the client announced; the received bytes must match exactly.
    pub declared_size_bytes: Option<u64>,
    /// Only accept recognised video containers with a complete structure.
    pub require_video: bool,
    /// Lower-case hex sha256 the client announced.
    pub expected_sha256_hex: Option<String>,
    /// Upload area (the uploading process's instance) to stage in, so a
    /// crash's leftovers are swept once the process stops heart-beating; see
    /// [`Storage::beat_upload_area`]. `None` stages in the shared folder,
    /// swept by age only.
    pub area: Option<String>,
}

impl UploadOptions {
    /// Any bytes (artefacts, files written by services).
    pub fn any_content() -> Self {
        Self::default()
    }

    /// A user's video upload.
    pub fn video(max_size_bytes: u64, declared_size_bytes: Option<u64>) -> Self {
        Self {
            max_size_bytes: Some(max_size_bytes),
            declared_size_bytes,
            require_video: true,
            expected_sha256_hex: None,
            area: None,
        }
    }
}

/// Why an upload was refused. Every refusal removes what was written.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is empty")]
    Empty,
    #[error("the upload exceeds the maximum size of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("declared size {declared} bytes does not match the {received} bytes received")]
    SizeMismatch { declared: u64, received: u64 },
    #[error("not a supported video: {0}")]
    UnsupportedContent(String),
    #[error("{0}")]
    MalformedContainer(String),
    #[error("sha256 mismatch: declared {expected}, received bytes hash to {actual}")]
    ChecksumMismatch { expected: String, actual: String },
    #[error("the upload already failed and was discarded")]
    AlreadyFailed,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl UploadError {
    /// True when the client sent something wrong (as opposed to a storage failure).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, UploadError::Storage(_))
    }
}

/// An upload in progress. Feed bytes with [`write`](Self::write), then
/// [`commit`](Self::commit). Errors, [`abort`](Self::abort) and drop all
/// discard the temporary object.
pub struct StreamingUpload {
    storage: Storage,
    final_path: StorePath,
    temporary_path: StorePath,
    options: UploadOptions,
    /// First bytes, kept until the container is recognised.
    head: Vec<u8>,
    /// Chunks received before the container was recognised (not yet stored).
    pending: Vec<Bytes>,
    decided: bool,
    kind: Option<ContainerKind>,
    structure: Option<ContainerCheck>,
    hasher: Sha256,
    received: u64,
    writer: Option<WriteMultipart>,
    failed: bool,
}

impl std::fmt::Debug for StreamingUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingUpload")
            .field("final_path", &self.final_path)
            .field("temporary_path", &self.temporary_path)
            .field("received", &self.received)
            .field("kind", &self.kind)
            .finish()
    }
}

impl StreamingUpload {
    pub(crate) fn new(storage: Storage, final_path: StorePath, options: UploadOptions) -> Self {
        let extension = final_path
            .extension()
            .map(|ext| format!(".{ext}"))
            .unwrap_or_default();
        let folder = match &options.area {
            Some(area) => crate::areas::area_folder(area),
            None => format!("{TEMPORARY_PREFIX}uploads"),
        };
        let temporary_path =
            StorePath::from(format!("{folder}/{}{extension}", uuid::Uuid::new_v4()));
        Self {
            storage,
            final_path,
            temporary_path,
            options,
            head: Vec::with_capacity(container::SNIFF_LEN),
            pending: Vec::new(),
            decided: false,
            kind: None,
            structure: None,
            hasher: Sha256::new(),
            received: 0,
            writer: None,
            failed: false,
        }
    }

    /// Bytes accepted so far.
    pub fn bytes_received(&self) -> u64 {
        self.received
    }

    /// The recognised container, once enough bytes arrived.
    pub fn container(&self) -> Option<ContainerKind> {
        self.kind
    }

    /// Adds the next chunk. On error the upload is discarded.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), UploadError> {
        if self.failed {
            return Err(UploadError::AlreadyFailed);
        }
        let outcome = self.write_chunk(chunk).await;
        if outcome.is_err() {
            self.discard().await;
        }
        outcome
    }

    async fn write_chunk(&mut self, chunk: Bytes) -> Result<(), UploadError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let total = self.received + chunk.len() as u64;
        if let Some(limit_bytes) = self.options.max_size_bytes
            && total > limit_bytes
        {
            return Err(UploadError::TooLarge { limit_bytes });
        }
        if let Some(declared) = self.options.declared_size_bytes
            && total > declared
        {
            return Err(UploadError::SizeMismatch {
                declared,
                received: total,
            });
        }
        self.hasher.update(&chunk);
        self.received = total;
        if self.decided {
            return self.store_chunk(chunk).await;
        }
        let wanted = container::SNIFF_LEN.saturating_sub(self.head.len());
        self.head
            .extend_from_slice(&chunk[..wanted.min(chunk.len())]);
        self.pending.push(chunk);
        match container::sniff(&self.head, false) {
            Sniff::NeedMoreBytes => Ok(()),
            verdict => self.decide(verdict).await,
        }
    }

    /// Acts on the sniffing verdict and stores what was held back.
    async fn decide(&mut self, verdict: Sniff) -> Result<(), UploadError> {
        match verdict {
            Sniff::Container(kind) => {
                self.kind = Some(kind);
                if self.options.require_video {
                    self.structure = Some(ContainerCheck::new(kind));
                }
            }
            Sniff::Unsupported(why) if self.options.require_video => {
                return Err(if self.received == 0 {
                    UploadError::Empty
                } else {
                    UploadError::UnsupportedContent(why)
                });
            }
            Sniff::Unsupported(_) | Sniff::NeedMoreBytes => {}
        }
        self.decided = true;
        let upload = self
            .storage
            .store()
            .put_multipart(&self.temporary_path)
            .await
            .map_err(StorageError::from)?;
        self.writer = Some(WriteMultipart::new(upload));
        for chunk in std::mem::take(&mut self.pending) {
            self.store_chunk(chunk).await?;
        }
        Ok(())
    }

    async fn store_chunk(&mut self, chunk: Bytes) -> Result<(), UploadError> {
        if let Some(structure) = &mut self.structure {
            structure.update(&chunk);
        }
        let writer = self.writer.as_mut().ok_or(UploadError::AlreadyFailed)?;
        // Back-pressure: wait for part uploads so memory stays bounded.
        writer
            .wait_for_capacity(MAX_PARTS_IN_FLIGHT)
            .await
            .map_err(StorageError::from)?;
        writer.put(chunk);
        Ok(())
    }

    /// Verifies size, container structure and checksum, then commits the
    /// object to its final key. On error nothing is left behind.
    pub async fn commit(mut self) -> Result<ObjectRef, UploadError> {
        if self.failed {
            return Err(UploadError::AlreadyFailed);
        }
        let outcome = self.verify_and_commit().await;
        if outcome.is_err() {
            self.discard().await;
        }
        outcome
    }

    async fn verify_and_commit(&mut self) -> Result<ObjectRef, UploadError> {
        if self.received == 0 {
            if self.options.require_video {
                return Err(UploadError::Empty);
            }
            // Multipart uploads of zero parts are not portable; an empty PUT is.
            return Ok(self
                .storage
                .put_bytes(self.final_path.as_ref(), Bytes::new())
                .await?);
        }
        if !self.decided {
            let verdict = container::sniff(&self.head, true);
            self.decide(verdict).await?;
        }
        if let Some(declared) = self.options.declared_size_bytes
            && declared != self.received
        {
            return Err(UploadError::SizeMismatch {
                declared,
                received: self.received,
            });
        }
        if let Some(structure) = &self.structure {
            structure
                .finish()
                .map_err(UploadError::MalformedContainer)?;
        }
        let sha256_hex = hex::encode(std::mem::take(&mut self.hasher).finalize());
        if let Some(expected) = &self.options.expected_sha256_hex
            && !expected.eq_ignore_ascii_case(&sha256_hex)
        {
            return Err(UploadError::ChecksumMismatch {
                expected: expected.clone(),
                actual: sha256_hex,
            });
        }
        let writer = self.writer.take().ok_or(UploadError::AlreadyFailed)?;
        writer.finish().await.map_err(StorageError::from)?;
        let store = self.storage.store();
        let stored = store
            .head(&self.temporary_path)
            .await
            .map_err(StorageError::from)?;
        if stored.size != self.received {
            return Err(UploadError::Storage(StorageError::Io(
                std::io::Error::other(format!(
                    "the store holds {} bytes after writing {}",
                    stored.size, self.received
                )),
            )));
        }
        store
            .rename(&self.temporary_path, &self.final_path)
            .await
            .map_err(StorageError::from)?;
        Ok(ObjectRef {
            key: self.final_path.to_string(),
            size_bytes: self.received,
            sha256_hex,
            content_type: self
                .kind
                .map(|kind| kind.content_type().to_owned())
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        })
    }

    /// Discards everything written so far.
    pub async fn abort(mut self) {
        self.discard().await;
    }

    async fn discard(&mut self) {
        self.failed = true;
        self.pending.clear();
        if let Some(writer) = self.writer.take()
            && let Err(error) = writer.abort().await
        {
            tracing::warn!(%error, path = %self.temporary_path, "aborting an upload failed");
        }
        // The multipart may already have completed (a failed rename or size check).
        let _ = self.storage.delete(self.temporary_path.as_ref()).await;
    }
}

impl Drop for StreamingUpload {
    fn drop(&mut self) {
        // A cancelled request drops the upload mid-stream: clean up in the background.
        let Some(writer) = self.writer.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let storage = self.storage.clone();
            let temporary = self.temporary_path.to_string();
            runtime.spawn(async move {
                let _ = writer.abort().await;
                let _ = storage.delete(&temporary).await;
            });
        }
    }
}
