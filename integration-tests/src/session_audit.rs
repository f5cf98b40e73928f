//! What the session service holds: row counts of its SQLite database and the
//! files of its object store, and whether the two agree (every object is
//! referenced by a row, every referenced object exists).

use std::collections::BTreeSet;

use fitvision_session::convert::{PosesOutcome, STEP_POSES};
use fitvision_session::db::entity::{artefact, job, session, step_result, video};
use prost::Message;
use sea_orm::{
    ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::Suite;

/// Heartbeats of live processes' upload areas: liveness markers, not data.
const HEARTBEAT_PREFIX: &str = "tmp/upload-areas/";

/// Opens the suite's database (while it runs, too: SQLite in WAL mode lets a
/// reader in beside the writer).
pub async fn connect(suite: &Suite) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=rw", suite.database_path().display());
    Ok(Database::connect(url).await?)
}

/// Row counts and stored data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub sessions: u64,
    pub videos: u64,
    pub jobs: u64,
    pub step_results: u64,
    pub artefacts: u64,
    /// Object-store files other than upload-area heartbeats.
    pub files: Vec<String>,
}

pub async fn footprint(suite: &Suite) -> anyhow::Result<Footprint> {
    let db = connect(suite).await?;
    Ok(Footprint {
        sessions: session::Entity::find().count(&db).await?,
        videos: video::Entity::find().count(&db).await?,
        jobs: job::Entity::find().count(&db).await?,
        step_results: step_result::Entity::find().count(&db).await?,
        artefacts: artefact::Entity::find().count(&db).await?,
        files: data_files(suite),
    })
}

/// Object-store files that hold data (heartbeats left out).
pub fn data_files(suite: &Suite) -> Vec<String> {
    suite
        .stored_files()
        .into_iter()
        .filter(|file| !file.starts_with(HEARTBEAT_PREFIX))
        .collect()
}

/// Disagreements between rows and objects.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ObjectAudit {
    /// Stored files no row refers to (orphans, temporaries left behind).
    pub unreferenced: Vec<String>,
    /// Keys rows refer to that the store does not hold.
    pub missing: Vec<String>,
}

impl ObjectAudit {
    pub fn is_clean(&self) -> bool {
        self.unreferenced.is_empty() && self.missing.is_empty()
    }
}

/// Every object key a row refers to: originals, artefacts, pose tracks.
pub async fn referenced_keys(db: &DatabaseConnection) -> anyhow::Result<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    for model in video::Entity::find().all(db).await? {
        keys.extend(model.object_key);
    }
    for model in artefact::Entity::find().all(db).await? {
        keys.insert(model.object_key);
    }
    for model in step_result::Entity::find()
        .filter(step_result::Column::Step.eq(STEP_POSES))
        .all(db)
        .await?
    {
        let poses = PosesOutcome::decode(model.payload.as_slice())?;
        keys.extend(poses.track.map(|track| track.key));
    }
    Ok(keys)
}

pub async fn audit_objects(suite: &Suite) -> anyhow::Result<ObjectAudit> {
    let db = connect(suite).await?;
    let referenced = referenced_keys(&db).await?;
    let stored: BTreeSet<String> = data_files(suite).into_iter().collect();
    Ok(ObjectAudit {
        unreferenced: stored.difference(&referenced).cloned().collect(),
        missing: referenced.difference(&stored).cloned().collect(),
    })
}
