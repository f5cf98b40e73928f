//! Sixteen uploads of a real clip at once through the running `fitvision
//! serve`: every progress stream ends COMPLETED with the clip's counted reps,
//! no stream's percent ever goes back, and the database ends up with exactly
//! sixteen new videos, each with one result row per pipeline step, and every
//! stored object accounted for.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fitvision_integration_tests::{Suite, ground_truth, session_audit, shared_video};
use fitvision_proto::v1::{ProgressStage, VideoStatus, WatchVideoResponse};
use fitvision_session::db::entity::{job, step_result, video};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Short (126 frames), one person, counted reps in ground_truth.json.
const CLIP: &str = "jumpingjack_black_bg.mp4";
const PARALLEL: usize = 16;
const STEPS: [&str; 3] = ["poses", "authenticity", "metrics"];

/// Percent never decreases and the stream ends with the completed video.
fn check_progress(events: &[WatchVideoResponse]) -> Result<(), String> {
    let percents: Vec<f64> = events.iter().map(|e| e.percent).collect();
    if percents.windows(2).any(|w| w[1] < w[0]) {
        return Err(format!("percent went back: {percents:?}"));
    }
    let last = events.last().ok_or("no events")?;
    if last.stage != ProgressStage::Completed as i32 || last.percent != 100.0 {
        return Err(format!("ended in {last:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_parallel_uploads_all_complete_with_the_counted_reps() {
    let Some(clip) = shared_video(CLIP) else {
        return;
    };
    let (exercise, reps) = ground_truth(CLIP).expect("ground truth lists the clip");
    let suite = Arc::new(Suite::start().await.expect("suite starts"));
    let before = session_audit::footprint(&suite).await.unwrap();

    let started = Instant::now();
    let mut runs = tokio::task::JoinSet::new();
    for index in 0..PARALLEL {
        let (suite, clip, exercise) = (suite.clone(), clip.clone(), exercise.clone());
        runs.spawn(async move {
            let uploaded = suite.upload(&clip, &exercise).await?;
            let events = suite
                .watch_to_end(&uploaded.video_id, Duration::from_secs(1800))
                .await?;
            anyhow::Ok((index, uploaded.video_id, events))
        });
    }
    let mut video_ids = BTreeSet::new();
    while let Some(joined) = runs.join_next().await {
        let (index, video_id, events) = joined
            .unwrap()
            .unwrap_or_else(|e| panic!("upload or watch failed: {e:#}\nlogs:\n{}", suite.logs()));
        if let Err(problem) = check_progress(&events) {
            panic!("upload {index} ({video_id}): {problem}\nevents: {events:#?}");
        }
        let done = events
            .last()
            .and_then(|e| e.video.clone())
            .expect("final video");
        assert_eq!(done.status, VideoStatus::Complete as i32, "{done:?}");
        let result = done.result.expect("a result");
        assert_eq!(result.rep_count, reps, "upload {index} ({video_id})");
        assert!(video_ids.insert(video_id), "video ids are unique");
    }
    eprintln!(
        "{PARALLEL} parallel uploads of {CLIP}: all completed in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let db = session_audit::connect(&suite).await.unwrap();
    let after = session_audit::footprint(&suite).await.unwrap();
    assert_eq!(after.videos, before.videos + PARALLEL as u64);
    assert_eq!(after.sessions, before.sessions + PARALLEL as u64);
    let stored: BTreeSet<String> = video::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert!(video_ids.is_subset(&stored));
    for id in &video_ids {
        let steps: Vec<String> = step_result::Entity::find()
            .filter(step_result::Column::VideoId.eq(id.as_str()))
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.step)
            .collect();
        let mut sorted = steps.clone();
        sorted.sort();
        let mut expected: Vec<String> = STEPS.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(sorted, expected, "video {id}: one row per step");
        // The worker records the job's outcome just after publishing the video's.
        let deadline = Instant::now() + Duration::from_secs(30);
        let jobs = loop {
            let jobs = job::Entity::find()
                .filter(job::Column::DedupeKey.eq(format!("pipeline:{id}")))
                .all(&db)
                .await
                .unwrap();
            if jobs.iter().all(|j| j.state != "running") || Instant::now() > deadline {
                break jobs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(jobs.len(), 1, "video {id}: one pipeline job");
        assert_eq!(jobs[0].state, "succeeded", "{:?}", jobs[0]);
    }
    let audit = session_audit::audit_objects(&suite).await.unwrap();
    assert!(audit.is_clean(), "{audit:?}");
}
