//! Worker pool: claims jobs, keeps their leases alive, records outcomes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::queue::{JobQueue, Retry};
use crate::db::entity::job;

/// Why a job run failed.
#[derive(Debug, Clone)]
pub struct JobFailure {
    pub message: String,
    pub retry: Retry,
}

impl JobFailure {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: Retry::Later,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry: Retry::Never,
        }
    }
}

/// Runs one job. Must be idempotent: a job may run again after a crash.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &job::Model) -> Result<(), JobFailure>;

    /// Called once a job is dead-lettered, so its subject can be marked failed.
    async fn on_dead(&self, job: &job::Model, reason: &str);
}

/// Worker pool settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub workers: usize,
    pub lease: Duration,
    pub poll_interval: Duration,
    /// Identifies this process in lease_owner.
    pub owner_prefix: String,
}

/// Starts `settings.workers` workers; they stop when `shutdown` fires,
/// handing their running jobs back to the queue.
pub fn spawn_workers(
    queue: JobQueue,
    handler: Arc<dyn JobHandler>,
    settings: WorkerSettings,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..settings.workers)
        .map(|index| {
            let worker = Worker {
                queue: queue.clone(),
                handler: handler.clone(),
                owner: format!("{}/{index}", settings.owner_prefix),
                settings: settings.clone(),
                wake: wake.clone(),
            };
            let shutdown = shutdown.clone();
            tokio::spawn(async move { worker.run(shutdown).await })
        })
        .collect()
}

struct Worker {
    queue: JobQueue,
    handler: Arc<dyn JobHandler>,
    owner: String,
    settings: WorkerSettings,
    wake: Arc<Notify>,
}

impl Worker {
    async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.queue.claim(&self.owner, self.settings.lease).await {
                Ok(Some(job)) => self.run_job(job, &shutdown).await,
                Ok(None) => {
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                        () = shutdown.cancelled() => {}
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, owner = %self.owner, "claiming a job failed");
                    tokio::select! {
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                        () = shutdown.cancelled() => {}
                    }
                }
            }
        }
    }

    async fn run_job(&self, job: job::Model, shutdown: &CancellationToken) {
        let span = tracing::info_span!(
            "job",
            id = %job.id,
            kind = %job.kind,
            attempt = job.attempts,
            trace_id = tracing::field::Empty,
        );
        if let Some(traceparent) = super::queue::traceparent_of(&job) {
            fitvision_service_kit::trace_context::set_parent_from_traceparent(&span, &traceparent);
        }
        let lease_lost = CancellationToken::new();
        let heartbeat = self.spawn_heartbeat(&job, lease_lost.clone());
        let outcome = tokio::select! {
            outcome = self.handler.run(&job).instrument(span) => Some(outcome),
            () = lease_lost.cancelled() => None,
            () = shutdown.cancelled() => None,
        };
        heartbeat.abort();
        let Some(outcome) = outcome else {
            if shutdown.is_cancelled() && !lease_lost.is_cancelled() {
                // Hand the job back so a restart (or another replica) resumes it at once.
                if let Err(error) = self.queue.release(&job.id, &self.owner).await {
                    tracing::warn!(%error, job = %job.id, "releasing a job on shutdown failed");
                }
            } else {
                tracing::warn!(job = %job.id, "lease lost; another worker owns the job now");
            }
            return;
        };
        let recorded = match outcome {
            Ok(()) => self.queue.complete(&job.id, &self.owner).await.map(|_| ()),
            Err(failure) => {
                tracing::warn!(job = %job.id, kind = %job.kind, error = %failure.message, "job failed");
                match self
                    .queue
                    .fail(&job, &self.owner, &failure.message, failure.retry)
                    .await
                {
                    Ok(state) if state == super::queue::STATE_DEAD => {
                        self.handler.on_dead(&job, &failure.message).await;
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(error) => Err(error),
                }
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, job = %job.id, "recording a job outcome failed; the lease will expire");
        }
    }

    fn spawn_heartbeat(
        &self,
        job: &job::Model,
        lease_lost: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let queue = self.queue.clone();
        let id = job.id.clone();
        let owner = self.owner.clone();
        let lease = self.settings.lease;
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(lease / 3);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                match queue.heartbeat(&id, &owner, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lease_lost.cancel();
                        return;
                    }
                    Err(error) => tracing::warn!(%error, job = %id, "heartbeat failed"),
                }
            }
        })
    }
}
