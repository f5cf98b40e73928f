//! Storage upkeep while the process runs: keeps this process's upload area
//! alive and removes what crashed processes left behind.
//!
//! - The area heartbeat runs at a third of the job lease and areas silent for
//!   two leases are swept, so a process killed mid-upload has its
//!   half-written file removed about as soon as its jobs are reclaimed.
//! - A process killed between committing an upload's object and committing
//!   its rows leaves a `videos/<id>/` folder no row knows; such folders are
//!   removed just after start and hourly, once older than any commit in flight.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

use fitvision_storage::{Storage, StorageError};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::sync::CancellationToken;

use crate::db::entity::video;

/// A `videos/<id>/` folder without a row is only an orphan once it is older
/// than this: a replica may be between writing the object and its rows.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(600);
/// How often the (listing-heavy) orphan sweep runs while the process lives.
const ORPHAN_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Video ids looked up per query.
const LOOKUP_BATCH: usize = 500;

/// Temporaries outside any upload area (other services' staged writes) older
/// than this were abandoned.
const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(24 * 3600);

/// Removes silent upload areas and stale loose temporaries once; failures are
/// logged (the next round retries).
pub async fn sweep_once(storage: &Storage, own_area: &str, lease: Duration) {
    match storage
        .sweep_abandoned_upload_areas(own_area, lease * 2)
        .await
    {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "removed uploads abandoned by stopped processes"),
        Err(error) => tracing::warn!(%error, "sweeping abandoned upload areas failed"),
    }
    match storage.sweep_temporaries(STALE_TEMPORARY_AGE).await {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "removed stale temporary objects"),
        Err(error) => tracing::warn!(%error, "sweeping stale temporaries failed"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// Removes `videos/<id>/` folders whose video row does not exist and whose
/// newest object is older than `grace`. Returns how many folders went.
pub async fn sweep_orphaned_videos(
    db: &DatabaseConnection,
    storage: &Storage,
    grace: Duration,
) -> Result<usize, SweepError> {
    let cutoff = SystemTime::now()
        .checked_sub(grace)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    // Newest modification per video folder.
    let mut newest: BTreeMap<String, SystemTime> = BTreeMap::new();
    for (key, modified) in storage.list_with_modified("videos").await? {
        if let Some(id) = key.split('/').nth(1) {
            let entry = newest.entry(id.to_owned()).or_insert(modified);
            *entry = (*entry).max(modified);
        }
    }
    let settled: Vec<String> = newest
        .into_iter()
        .filter(|(_, modified)| *modified < cutoff)
        .map(|(id, _)| id)
        .collect();
    let mut removed = 0;
    for batch in settled.chunks(LOOKUP_BATCH) {
        let known: BTreeSet<String> = video::Entity::find()
            .select_only()
            .column(video::Column::Id)
            .filter(video::Column::Id.is_in(batch.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for id in batch.iter().filter(|id| !known.contains(*id)) {
            storage.delete_prefix(&format!("videos/{id}/")).await?;
            tracing::info!(video = %id, "removed objects of a video that has no row");
            removed += 1;
        }
    }
    Ok(removed)
}

/// Logs instead of failing: the next round retries.
pub async fn sweep_orphans_logged(db: &DatabaseConnection, storage: &Storage) {
    if let Err(error) = sweep_orphaned_videos(db, storage, ORPHAN_GRACE).await {
        tracing::warn!(%error, "sweeping orphaned video objects failed");
    }
}

/// Beats `area` every lease/3, sweeps upload areas every lease and orphaned
/// videos hourly, until `shutdown`.
pub fn spawn(
    db: DatabaseConnection,
    storage: Storage,
    area: String,
    lease: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let beat_every = lease / 3;
        let beats_per_sweep = 3;
        let mut ticker = tokio::time::interval(beat_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut beats = 0u32;
        // The first round runs at once (right after start).
        let mut last_orphan_sweep: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = shutdown.cancelled() => return,
            }
            if let Err(error) = storage.beat_upload_area(&area).await {
                tracing::warn!(%error, area, "upload area heartbeat failed");
            }
            beats += 1;
            if beats.is_multiple_of(beats_per_sweep) {
                sweep_once(&storage, &area, lease).await;
            }
            if last_orphan_sweep.is_none_or(|at| at.elapsed() >= ORPHAN_SWEEP_EVERY) {
                last_orphan_sweep = Some(Instant::now());
                sweep_orphans_logged(&db, &storage).await;
            }
        }
    })
}
