//! The durable job queue on SQLite and PostgreSQL: claiming, leases,
//! retries with back-off, dead-lettering, concurrent workers.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use fitvision_session::db::connect_and_migrate;
use fitvision_session::jobs::queue::{STATE_DEAD, STATE_QUEUED, STATE_RUNNING, STATE_SUCCEEDED};
use fitvision_session::jobs::{Backoff, JobQueue, NewJob, Retry};

fn job(key: &str, max_attempts: i32) -> NewJob {
    NewJob {
        kind: "test".into(),
        payload: serde_json::json!({ "key": key }),
        dedupe_key: key.into(),
        max_attempts,
    }
}

async fn queue_for(
    backend: &support::Backend,
    dir: &std::path::Path,
    backoff: Backoff,
) -> JobQueue {
    let url = support::database_url(backend, dir).await;
    JobQueue::new(connect_and_migrate(&url).await.unwrap(), backoff)
}

const FAST: Backoff = Backoff {
    base: Duration::from_millis(20),
    max: Duration::from_millis(50),
};

#[test]
fn backoff_doubles_and_caps() {
    let backoff = Backoff {
        base: Duration::from_secs(2),
        max: Duration::from_secs(30),
    };
    let delays: Vec<u64> = (1..=6).map(|a| backoff.delay(a).as_secs()).collect();
    assert_eq!(delays, vec![2, 4, 8, 16, 30, 30]);
}

#[tokio::test]
async fn claim_heartbeat_complete() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(&backend, dir.path(), FAST).await;
        let first = queue.enqueue(job("a", 3), false).await.unwrap();
        let again = queue.enqueue(job("a", 3), false).await.unwrap();
        assert_eq!(first.id, again.id, "{}: dedupe key", backend.name());

        let claimed = queue
            .claim("w1", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.id, first.id);
        assert_eq!(claimed.state, STATE_RUNNING);
        assert_eq!(claimed.attempts, 1);
        assert_eq!(claimed.lease_owner.as_deref(), Some("w1"));
        assert!(
            queue
                .claim("w2", Duration::from_secs(30))
                .await
                .unwrap()
                .is_none(),
            "{}",
            backend.name()
        );

        assert!(
            queue
                .heartbeat(&claimed.id, "w1", Duration::from_secs(30))
                .await
                .unwrap()
        );
        assert!(
            !queue
                .heartbeat(&claimed.id, "w2", Duration::from_secs(30))
                .await
                .unwrap()
        );
        assert!(!queue.complete(&claimed.id, "w2").await.unwrap());
        assert!(queue.complete(&claimed.id, "w1").await.unwrap());
        let done = queue.get(&claimed.id).await.unwrap().unwrap();
        assert_eq!(done.state, STATE_SUCCEEDED);
        assert!(done.finished_at.is_some());

        // A finished key is re-queued only on request.
        assert_eq!(
            queue.enqueue(job("a", 3), false).await.unwrap().state,
            STATE_SUCCEEDED
        );
        let requeued = queue.enqueue(job("a", 3), true).await.unwrap();
        assert_eq!(
            (requeued.state.as_str(), requeued.attempts),
            (STATE_QUEUED, 0)
        );
    }
}

#[tokio::test]
async fn expired_lease_is_taken_over() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(&backend, dir.path(), FAST).await;
        queue.enqueue(job("crash", 5), false).await.unwrap();
        let first = queue
            .claim("dead-worker", Duration::from_millis(1))
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = queue
            .claim("live-worker", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.id, second.id, "{}", backend.name());
        assert_eq!(second.attempts, 2);
        // The dead worker's late outcome is ignored.
        assert!(!queue.complete(&first.id, "dead-worker").await.unwrap());
        assert!(
            !queue
                .heartbeat(&first.id, "dead-worker", Duration::from_secs(1))
                .await
                .unwrap()
        );
        assert!(queue.complete(&first.id, "live-worker").await.unwrap());
    }
}

#[tokio::test]
async fn retries_back_off_then_dead_letter() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(
            &backend,
            dir.path(),
            Backoff {
                base: Duration::from_millis(300),
                max: Duration::from_millis(300),
            },
        )
        .await;
        let created = queue.enqueue(job("flaky", 2), false).await.unwrap();
        let claimed = queue
            .claim("w", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        let state = queue
            .fail(&claimed, "w", "pose service unavailable", Retry::Later)
            .await
            .unwrap();
        assert_eq!(state, STATE_QUEUED, "{}", backend.name());
        let waiting = queue.get(&created.id).await.unwrap().unwrap();
        assert!(
            waiting.run_after >= waiting.updated_at + 300,
            "back-off applied"
        );
        assert_eq!(
            waiting.last_error.as_deref(),
            Some("pose service unavailable")
        );
        assert!(
            queue
                .claim("w", Duration::from_secs(30))
                .await
                .unwrap()
                .is_none(),
            "not due yet"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        let retried = queue
            .claim("w", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(retried.attempts, 2);
        let state = queue
            .fail(&retried, "w", "still down", Retry::Later)
            .await
            .unwrap();
        assert_eq!(state, STATE_DEAD);
        let dead = queue.get(&created.id).await.unwrap().unwrap();
        assert_eq!(dead.state, STATE_DEAD);
        assert!(dead.dead_reason.unwrap().contains("still down"));
        assert!(
            queue
                .claim("w", Duration::from_secs(30))
                .await
                .unwrap()
                .is_none()
        );

        // Permanent failures skip the retries.
        queue.enqueue(job("bad-input", 5), false).await.unwrap();
        let claimed = queue
            .claim("w", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            queue
                .fail(&claimed, "w", "not a video", Retry::Never)
                .await
                .unwrap(),
            STATE_DEAD
        );
    }
}

#[tokio::test]
async fn workers_that_keep_dying_dead_letter_the_job() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(&backend, dir.path(), FAST).await;
        let created = queue.enqueue(job("poison", 2), false).await.unwrap();
        for _ in 0..2 {
            assert!(
                queue
                    .claim("w", Duration::from_millis(1))
                    .await
                    .unwrap()
                    .is_some()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Third claim finds attempts exhausted by lease expiries.
        assert!(
            queue
                .claim("w", Duration::from_millis(1))
                .await
                .unwrap()
                .is_none(),
            "{}",
            backend.name()
        );
        let dead = queue.get(&created.id).await.unwrap().unwrap();
        assert_eq!(dead.state, STATE_DEAD);
        assert!(dead.dead_reason.unwrap().contains("lease expired"));
    }
}

#[tokio::test]
async fn release_hands_the_job_back_without_counting() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(&backend, dir.path(), FAST).await;
        let created = queue.enqueue(job("drain", 3), false).await.unwrap();
        queue
            .claim("w", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        queue.release(&created.id, "w").await.unwrap();
        let back = queue.get(&created.id).await.unwrap().unwrap();
        assert_eq!(
            (back.state.as_str(), back.attempts),
            (STATE_QUEUED, 0),
            "{}",
            backend.name()
        );
        assert!(
            queue
                .claim("w2", Duration::from_secs(30))
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_claim_each_job_once() {
    for backend in support::backends() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_for(&backend, dir.path(), FAST).await;
        for index in 0..40 {
            queue
                .enqueue(job(&format!("job-{index}"), 3), false)
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let queue = queue.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("w{worker}");
                let mut mine = Vec::new();
                let mut failures = 0;
                loop {
                    match queue.claim(&owner, Duration::from_secs(60)).await {
                        Ok(Some(job)) => {
                            assert!(queue.complete(&job.id, &owner).await.unwrap());
                            mine.push(job.id);
                        }
                        Ok(None) => break,
                        // SQLite may report a busy database under contention: try again.
                        Err(_) if failures < 50 => {
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        Err(error) => panic!("claim failed: {error}"),
                    }
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(all.len(), 40, "{}: every job claimed", backend.name());
        assert_eq!(unique.len(), 40, "{}: no job claimed twice", backend.name());
    }
}
