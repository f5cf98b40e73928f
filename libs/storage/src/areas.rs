//! Upload areas: crash-safe cleanup of half-written uploads.
//!
//! A process that stages uploads names an area (its instance id). Its
//! temporaries live under `tmp/uploads/<area>/` and it keeps a heartbeat
//! object `tmp/upload-areas/<area>` fresh while it runs. A process killed
//! mid-upload (SIGKILL, power loss) leaves a half-written file behind and stops
//! heart-beating; any process sweeping later (its own restart, or a replica)
//! removes the silent area whole, staged multipart files included. A live
//! upload is never touched however slowly its client sends, because the area's
//! owner is alive; the age of the temporary itself says nothing about that
//! (a 5 MiB part buffer may go minutes without a write).
//!
//! On S3-compatible stores an interrupted multipart upload has no visible
//! object to delete: the bucket's "abort incomplete multipart uploads"
//! lifecycle rule reclaims those parts.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as StorePath;

use crate::{Storage, StorageError, TEMPORARY_PREFIX, parse_key};

/// Folder of every area's staged uploads.
const UPLOADS_FOLDER: &str = "uploads";
/// Folder of the areas' heartbeat objects.
const HEARTBEATS_FOLDER: &str = "upload-areas";

/// Checks that `area` is a single key segment.
pub(crate) fn validate_area(area: &str) -> Result<(), StorageError> {
    let valid = !area.is_empty()
        && area
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(StorageError::InvalidKey {
            key: area.to_owned(),
            reason: "an upload area is one segment of letters, digits, '-' and '_'".to_owned(),
        })
    }
}

/// `tmp/uploads/<area>` (no trailing slash).
pub(crate) fn area_folder(area: &str) -> String {
    format!("{TEMPORARY_PREFIX}{UPLOADS_FOLDER}/{area}")
}

fn heartbeat_key(area: &str) -> String {
    format!("{TEMPORARY_PREFIX}{HEARTBEATS_FOLDER}/{area}")
}

impl Storage {
    /// Marks `area` alive now. Call before the first upload in the area and
    /// then well within the silence the sweepers allow.
    pub async fn beat_upload_area(&self, area: &str) -> Result<(), StorageError> {
        validate_area(area)?;
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        self.put_bytes(&heartbeat_key(area), Bytes::from(stamp.to_string()))
            .await?;
        Ok(())
    }

    /// Retires `area` on a clean exit (its uploads have drained): removes its
    /// folder and heartbeat.
    pub async fn release_upload_area(&self, area: &str) -> Result<(), StorageError> {
        validate_area(area)?;
        self.remove_area(area).await
    }

    /// Removes the areas other than `own_area` whose heartbeat is missing or
    /// older than `silence`, with everything staged in them. Returns how many
    /// areas were removed.
    pub async fn sweep_abandoned_upload_areas(
        &self,
        own_area: &str,
        silence: Duration,
    ) -> Result<usize, StorageError> {
        let cutoff = SystemTime::now()
            .checked_sub(silence)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut areas = self.staging_areas().await?;
        for key in self
            .list(&format!("{TEMPORARY_PREFIX}{HEARTBEATS_FOLDER}"))
            .await?
        {
            if let Some(area) = key.rsplit('/').next()
                && !areas.iter().any(|a| a == area)
            {
                areas.push(area.to_owned());
            }
        }
        let mut removed = 0;
        for area in areas {
            if area == own_area || validate_area(&area).is_err() {
                continue;
            }
            if self
                .heartbeat_time(&area)
                .await?
                .is_some_and(|t| t >= cutoff)
            {
                continue;
            }
            self.remove_area(&area).await?;
            tracing::info!(area, "removed an abandoned upload area");
            removed += 1;
        }
        Ok(removed)
    }

    async fn heartbeat_time(&self, area: &str) -> Result<Option<SystemTime>, StorageError> {
        let path = parse_key(&heartbeat_key(area))?;
        match self.store().head(&path).await {
            Ok(meta) => Ok(Some(SystemTime::from(meta.last_modified))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Names of the folders under `tmp/uploads/`.
    async fn staging_areas(&self) -> Result<Vec<String>, StorageError> {
        if let Some(root) = self.local_root() {
            // Staged multipart files ("<key>#<n>") are invisible to listings:
            // read the directory itself.
            let dir = root.join(TEMPORARY_PREFIX).join(UPLOADS_FOLDER);
            return tokio::task::spawn_blocking(move || subdirectories(&dir))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        }
        let prefix = StorePath::from(format!("{TEMPORARY_PREFIX}{UPLOADS_FOLDER}"));
        let listing = self.store().list_with_delimiter(Some(&prefix)).await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect())
    }

    async fn remove_area(&self, area: &str) -> Result<(), StorageError> {
        let folder = area_folder(area);
        if let Some(root) = self.local_root() {
            let dir = root.join(&folder);
            tokio::task::spawn_blocking(move || remove_dir_if_present(&dir))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
        } else {
            let keys: Vec<String> = self
                .store()
                .list(Some(&parse_key(&folder)?))
                .map(|meta| meta.map(|m| m.location.to_string()))
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()?;
            for key in keys {
                self.delete(&key).await?;
            }
        }
        self.delete(&heartbeat_key(area)).await
    }
}

fn subdirectories(dir: &Path) -> Result<Vec<String>, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

fn remove_dir_if_present(dir: &Path) -> Result<(), StorageError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}
