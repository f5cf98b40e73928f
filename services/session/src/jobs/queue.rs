//! The durable job table: enqueue, claim with a lease, heartbeat, complete,
//! retry with exponential back-off, dead-letter.
//!
//! Claiming is one atomic `UPDATE ... WHERE id = (SELECT ...) RETURNING`:
//! PostgreSQL adds `FOR UPDATE SKIP LOCKED` so replicas never block each other
//! or take the same row; SQLite serialises writers, which gives the same
//! guarantee. A job whose lease expired (its worker died) is claimable again.

use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, Set, Statement,
};

use crate::db::entity::job;
use crate::db::{is_unique_violation, new_id, now_ms};

pub const STATE_QUEUED: &str = "queued";
pub const STATE_RUNNING: &str = "running";
pub const STATE_SUCCEEDED: &str = "succeeded";
pub const STATE_DEAD: &str = "dead";

/// Retry timing.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Delay before the attempt after `attempts` failed ones: base * 2^(attempts-1), capped.
    pub fn delay(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
        self.base.saturating_mul(1 << exponent).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

/// A job to add.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    /// One live job per key; enqueueing an existing key returns the existing job.
    pub dedupe_key: String,
    pub max_attempts: i32,
}

/// How a failed run should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Transient (a dependency was down): try again after the back-off.
    Later,
    /// Permanent (bad input): dead-letter now.
    Never,
}

#[derive(Debug, Clone)]
pub struct JobQueue {
    db: DatabaseConnection,
    backoff: Backoff,
}

/// Payload key holding the enqueuing request's W3C `traceparent`, so the
/// worker's run (and every gRPC call it makes) joins the caller's trace.
pub const TRACEPARENT_KEY: &str = "traceparent";

/// The payload as stored: the job's own fields plus the current trace context.
fn stored_payload(payload: &serde_json::Value) -> String {
    let mut payload = payload.clone();
    if let (serde_json::Value::Object(fields), Some(traceparent)) = (
        &mut payload,
        fitvision_service_kit::trace_context::current_traceparent(),
    ) {
        fields
            .entry(TRACEPARENT_KEY)
            .or_insert(serde_json::Value::String(traceparent));
    }
    payload.to_string()
}

/// The trace context stored with a job, if its enqueuer had one.
pub fn traceparent_of(job: &job::Model) -> Option<String> {
    let payload: serde_json::Value = serde_json::from_str(&job.payload).ok()?;
    payload.get(TRACEPARENT_KEY)?.as_str().map(str::to_owned)
}

fn new_model(new: &NewJob, now: i64) -> job::ActiveModel {
    job::ActiveModel {
        id: Set(new_id()),
        kind: Set(new.kind.clone()),
        payload: Set(stored_payload(&new.payload)),
        dedupe_key: Set(new.dedupe_key.clone()),
        state: Set(STATE_QUEUED.to_owned()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts.max(1)),
        run_after: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_error: Set(None),
        dead_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
}

/// Inserts a job inside the caller's transaction, so it commits (or not)
/// with the rows it refers to. The key must be new.
pub async fn enqueue_in<C: ConnectionTrait>(db: &C, new: NewJob) -> Result<job::Model, DbErr> {
    new_model(&new, now_ms()).insert(db).await
}

#[derive(Debug, Clone, FromQueryResult)]
struct ClaimedRow {
    id: String,
}

impl JobQueue {
    pub fn new(db: DatabaseConnection, backoff: Backoff) -> Self {
        Self { db, backoff }
    }

    /// Adds a job, or returns the live job already holding `dedupe_key`. A
    /// dead or finished job under that key is re-queued when `requeue_finished`.
    pub async fn enqueue(&self, new: NewJob, requeue_finished: bool) -> Result<job::Model, DbErr> {
        let now = now_ms();
        let model = new_model(&new, now);
        match model.insert(&self.db).await {
            Ok(inserted) => Ok(inserted),
            Err(error) if is_unique_violation(&error) => {
                let existing = job::Entity::find()
                    .filter(job::Column::DedupeKey.eq(new.dedupe_key.as_str()))
                    .one(&self.db)
                    .await?
                    .ok_or(error)?;
                let finished = existing.state == STATE_DEAD || existing.state == STATE_SUCCEEDED;
                if !(requeue_finished && finished) {
                    return Ok(existing);
                }
                let mut active: job::ActiveModel = existing.into();
                active.state = Set(STATE_QUEUED.to_owned());
                active.attempts = Set(0);
                active.payload = Set(stored_payload(&new.payload));
                active.run_after = Set(now);
                active.lease_owner = Set(None);
                active.lease_expires_at = Set(None);
                active.dead_reason = Set(None);
                active.finished_at = Set(None);
                active.updated_at = Set(now);
                active.update(&self.db).await
            }
            Err(error) => Err(error),
        }
    }

    /// Claims the next runnable job for `owner` with a lease of `lease`.
    /// Runnable: queued and due, or running with an expired lease.
    pub async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<job::Model>, DbErr> {
        let backend = self.db.get_database_backend();
        let now = now_ms();
        let expires = now + lease.as_millis() as i64;
        let lock = if backend == DbBackend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let (p1, p2, p3) = match backend {
            DbBackend::Postgres => ("$1", "$2", "$3"),
            _ => ("?", "?", "?"),
        };
        // Parameters are positional: owner, expires, now (used twice in the
        // subquery on Postgres via $3; SQLite's '?' are bound in order).
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = {p1}, lease_expires_at = {p2}, \
             attempts = attempts + 1, updated_at = {p3} \
             WHERE id = (SELECT id FROM jobs WHERE \
               (state = 'queued' AND run_after <= {p3}) OR (state = 'running' AND lease_expires_at < {p3}) \
               ORDER BY run_after, created_at LIMIT 1{lock}) \
             RETURNING id"
        );
        let values: Vec<sea_orm::Value> = match backend {
            DbBackend::Postgres => vec![owner.into(), expires.into(), now.into()],
            _ => vec![
                owner.into(),
                expires.into(),
                now.into(),
                now.into(),
                now.into(),
            ],
        };
        let statement = Statement::from_sql_and_values(backend, sql, values);
        let Some(row) = ClaimedRow::find_by_statement(statement)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let claimed = job::Entity::find_by_id(row.id).one(&self.db).await?;
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        if claimed.attempts > claimed.max_attempts {
            // Its workers kept dying (lease expiry each time): stop retrying.
            let reason = format!(
                "gave up after {} attempts; last error: {}",
                claimed.max_attempts,
                claimed
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "lease expired".to_owned())
            );
            self.dead_letter(&claimed.id, owner, &reason).await?;
            return Box::pin(self.claim(owner, lease)).await;
        }
        Ok(Some(claimed))
    }

    /// Extends the lease. Returns false when the job is no longer ours
    /// (another worker took it over after our lease expired).
    pub async fn heartbeat(&self, id: &str, owner: &str, lease: Duration) -> Result<bool, DbErr> {
        let now = now_ms();
        let result = job::Entity::update_many()
            .col_expr(
                job::Column::LeaseExpiresAt,
                sea_orm::sea_query::Expr::value(now + lease.as_millis() as i64),
            )
            .col_expr(job::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LeaseOwner.eq(owner))
            .filter(job::Column::State.eq(STATE_RUNNING))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Marks the job done. Returns false when the lease had been lost.
    pub async fn complete(&self, id: &str, owner: &str) -> Result<bool, DbErr> {
        let now = now_ms();
        let result = job::Entity::update_many()
            .col_expr(job::Column::State, STATE_SUCCEEDED.into())
            .col_expr(job::Column::FinishedAt, now.into())
            .col_expr(job::Column::UpdatedAt, now.into())
            .col_expr(job::Column::LeaseExpiresAt, Option::<i64>::None.into())
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LeaseOwner.eq(owner))
            .filter(job::Column::State.eq(STATE_RUNNING))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records a failed run: re-queued after the back-off while attempts
    /// remain and the failure is transient, dead-lettered otherwise.
    /// Returns the job's new state.
    pub async fn fail(
        &self,
        job: &job::Model,
        owner: &str,
        error: &str,
        retry: Retry,
    ) -> Result<&'static str, DbErr> {
        if retry == Retry::Never || job.attempts >= job.max_attempts {
            let reason = match retry {
                Retry::Never => error.to_owned(),
                Retry::Later => format!("gave up after {} attempts: {error}", job.attempts),
            };
            self.dead_letter(&job.id, owner, &reason).await?;
            return Ok(STATE_DEAD);
        }
        let now = now_ms();
        let run_after = now + self.backoff.delay(job.attempts).as_millis() as i64;
        job::Entity::update_many()
            .col_expr(job::Column::State, STATE_QUEUED.into())
            .col_expr(job::Column::RunAfter, run_after.into())
            .col_expr(job::Column::LastError, Some(error.to_owned()).into())
            .col_expr(job::Column::LeaseOwner, Option::<String>::None.into())
            .col_expr(job::Column::LeaseExpiresAt, Option::<i64>::None.into())
            .col_expr(job::Column::UpdatedAt, now.into())
            .filter(job::Column::Id.eq(job.id.as_str()))
            .filter(job::Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(STATE_QUEUED)
    }

    async fn dead_letter(&self, id: &str, owner: &str, reason: &str) -> Result<(), DbErr> {
        let now = now_ms();
        job::Entity::update_many()
            .col_expr(job::Column::State, STATE_DEAD.into())
            .col_expr(job::Column::DeadReason, Some(reason.to_owned()).into())
            .col_expr(job::Column::LastError, Some(reason.to_owned()).into())
            .col_expr(job::Column::FinishedAt, Some(now).into())
            .col_expr(job::Column::UpdatedAt, now.into())
            .col_expr(job::Column::LeaseExpiresAt, Option::<i64>::None.into())
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Hands a running job back without counting the attempt (graceful shutdown).
    pub async fn release(&self, id: &str, owner: &str) -> Result<(), DbErr> {
        let backend = self.db.get_database_backend();
        let (p1, p2, p3) = match backend {
            DbBackend::Postgres => ("$1", "$2", "$3"),
            _ => ("?", "?", "?"),
        };
        let sql = format!(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, \
             lease_expires_at = NULL, run_after = {p1}, updated_at = {p1} \
             WHERE id = {p2} AND lease_owner = {p3} AND state = 'running'"
        );
        let now = now_ms();
        let values: Vec<sea_orm::Value> = match backend {
            DbBackend::Postgres => vec![now.into(), id.into(), owner.into()],
            _ => vec![now.into(), now.into(), id.into(), owner.into()],
        };
        self.db
            .execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<job::Model>, DbErr> {
        job::Entity::find_by_id(id.to_owned()).one(&self.db).await
    }

    pub async fn find_by_key(&self, dedupe_key: &str) -> Result<Option<job::Model>, DbErr> {
        job::Entity::find()
            .filter(job::Column::DedupeKey.eq(dedupe_key))
            .one(&self.db)
            .await
    }

    /// Removes the jobs whose key starts with `prefix` (their subject was deleted).
    pub async fn delete_by_key_prefix(&self, prefix: &str) -> Result<u64, DbErr> {
        let result = job::Entity::delete_many()
            .filter(job::Column::DedupeKey.starts_with(prefix))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
