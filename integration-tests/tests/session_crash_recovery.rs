//! SIGKILL of the whole `fitvision serve` process, then a restart on the same
//! data directory:
//! - mid-pipeline: the job's lease expires, a worker of the new process
//!   reclaims it and the video completes with the counted reps; a step that
//!   had finished before a kill is not redone; exactly one result row per
//!   step; every object referenced by a row and every row's object present.
//! - mid-upload: the half-written temporary is swept once the dead process's
//!   upload area falls silent, and no row or object of that upload remains.

use std::time::{Duration, Instant};

use fitvision_integration_tests::{Suite, ground_truth, session_audit, shared_video, with_api_key};
use fitvision_proto::v1::{
    ProgressStage, SessionKind, UploadMetadata, UploadVideoRequest, VideoStatus, WatchVideoRequest,
    upload_video_request,
};
use fitvision_session::db::entity::{job, step_result, video};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const CLIP: &str = "squat_side_3reps.mp4";
/// Short leases so a dead process's job and upload area are reclaimed in seconds.
const ENV: &[(&str, &str)] = &[("FITVISION_JOB_LEASE_SECS", "3")];
const PATIENCE: Duration = Duration::from_secs(900);

/// Follows the video's progress until `wanted` holds for an event (true) or
/// the video reaches a terminal stage first (false).
async fn wait_for_stage(
    suite: &Suite,
    video_id: &str,
    wanted: impl Fn(ProgressStage, f64) -> bool,
) -> bool {
    let request = with_api_key(
        &suite.admin_key,
        WatchVideoRequest {
            video_id: video_id.to_owned(),
        },
    )
    .unwrap();
    let mut stream = suite
        .session_client()
        .await
        .unwrap()
        .watch_video(request)
        .await
        .unwrap()
        .into_inner();
    let deadline = Instant::now() + PATIENCE;
    while let Some(event) = tokio::time::timeout_at(deadline.into(), stream.message())
        .await
        .expect("progress in time")
        .expect("progress stream")
    {
        let stage = ProgressStage::try_from(event.stage).unwrap_or(ProgressStage::Unspecified);
        if wanted(stage, event.percent) {
            return true;
        }
        if matches!(stage, ProgressStage::Completed | ProgressStage::Failed) {
            return false;
        }
    }
    false
}

async fn steps_of(suite: &Suite, video_id: &str) -> Vec<step_result::Model> {
    let db = session_audit::connect(suite).await.unwrap();
    step_result::Entity::find()
        .filter(step_result::Column::VideoId.eq(video_id))
        .all(&db)
        .await
        .unwrap()
}

async fn pipeline_job(suite: &Suite, video_id: &str) -> job::Model {
    let db = session_audit::connect(suite).await.unwrap();
    let mut jobs = job::Entity::find()
        .filter(job::Column::DedupeKey.eq(format!("pipeline:{video_id}")))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "one pipeline job per video");
    jobs.remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_pipeline_then_restart_completes_the_job_exactly_once() {
    let Some(clip) = shared_video(CLIP) else {
        return;
    };
    let (exercise, reps) = ground_truth(CLIP).expect("ground truth lists the clip");
    let mut suite = Suite::start_with_env(ENV).await.expect("suite starts");
    let uploaded = suite.upload(&clip, &exercise).await.expect("upload");
    let video_id = uploaded.video_id.clone();

    // Kill 1: while poses are being decoded (a decoding percent was reported).
    let decoding = wait_for_stage(&suite, &video_id, |stage, percent| {
        stage == ProgressStage::Decoding && percent > 0.0
    })
    .await;
    assert!(decoding, "the video finished before decoding was seen");
    suite.kill9().expect("SIGKILL");
    assert!(
        steps_of(&suite, &video_id).await.is_empty(),
        "no step had finished at the first kill"
    );
    let killed = pipeline_job(&suite, &video_id).await;
    assert_eq!(
        killed.state, "running",
        "the dead worker still holds the lease"
    );

    // Kill 2: right after the poses step was stored (or later, if the
    // remaining steps were quicker than the kill).
    let restarted = Instant::now();
    suite.restart(ENV).await.expect("restart");
    let poses_done = wait_for_stage(&suite, &video_id, |stage, _| {
        stage >= ProgressStage::PosesDone && stage != ProgressStage::Failed
    })
    .await;
    assert!(poses_done, "the reclaimed job failed:\n{}", suite.logs());
    let poses_before = steps_of(&suite, &video_id)
        .await
        .into_iter()
        .find(|s| s.step == "poses")
        .expect("poses stored before PosesDone is reported");
    suite.kill9().expect("second SIGKILL");

    suite.restart(ENV).await.expect("second restart");
    let events = suite
        .watch_to_end(&video_id, PATIENCE)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nlogs:\n{}", suite.logs()));
    eprintln!(
        "{CLIP}: completed {:.1} s after the first restart (two SIGKILLs)",
        restarted.elapsed().as_secs_f64()
    );
    let done = events
        .last()
        .and_then(|e| e.video.clone())
        .expect("final video");
    assert_eq!(done.status, VideoStatus::Complete as i32, "{done:?}");
    assert_eq!(done.result.expect("result").rep_count, reps);

    let steps = steps_of(&suite, &video_id).await;
    let mut names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["authenticity", "metrics", "poses"],
        "one row per step"
    );
    let poses_after = steps.iter().find(|s| s.step == "poses").unwrap();
    assert_eq!(
        poses_after, &poses_before,
        "the poses step finished before the second kill and was not redone"
    );
    // The worker records the job's outcome just after publishing the video's.
    let deadline = Instant::now() + Duration::from_secs(30);
    let finished = loop {
        let job = pipeline_job(&suite, &video_id).await;
        if job.state != "running" || Instant::now() > deadline {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(finished.state, "succeeded", "{finished:?}");
    assert!(
        (2..=3).contains(&finished.attempts),
        "one attempt per process that ran it: {finished:?}"
    );
    let db = session_audit::connect(&suite).await.unwrap();
    assert_eq!(video::Entity::find().all(&db).await.unwrap().len(), 1);
    let audit = session_audit::audit_objects(&suite).await.unwrap();
    assert!(audit.is_clean(), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_an_upload_leaves_neither_row_nor_object() {
    let Some(clip) = shared_video(CLIP) else {
        return;
    };
    let (exercise, _) = ground_truth(CLIP).expect("ground truth lists the clip");
    let bytes = std::fs::read(&clip).unwrap();
    let mut suite = Suite::start_with_env(ENV).await.expect("suite starts");
    let before = session_audit::footprint(&suite).await.unwrap();

    // Half the file goes out, then the stream stays open while the server dies.
    let (sender, receiver) = tokio::sync::mpsc::channel::<UploadVideoRequest>(4);
    let mut client = suite.session_client().await.unwrap();
    let request = with_api_key(
        &suite.admin_key,
        tokio_stream::wrappers::ReceiverStream::new(receiver),
    )
    .unwrap();
    let call = tokio::spawn(async move { client.upload_video(request).await });
    sender
        .send(UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Metadata(UploadMetadata {
                kind: SessionKind::Video as i32,
                exercise_id: exercise,
                filename: CLIP.to_owned(),
                declared_size_bytes: bytes.len() as u64,
                ..Default::default()
            })),
        })
        .await
        .unwrap();
    for chunk in bytes[..bytes.len() / 2].chunks(256 << 10) {
        sender
            .send(UploadVideoRequest {
                payload: Some(upload_video_request::Payload::Chunk(chunk.to_vec())),
            })
            .await
            .unwrap();
    }
    let staged = |suite: &Suite| {
        suite
            .stored_files()
            .into_iter()
            .filter(|f| f.starts_with("tmp/uploads/"))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while staged(&suite).is_empty() {
        assert!(Instant::now() < deadline, "the upload never staged a file");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    suite.kill9().expect("SIGKILL");
    let left = staged(&suite);
    assert!(!left.is_empty(), "the killed upload left its staged file");
    assert!(call.await.unwrap().is_err(), "the upload did not succeed");
    drop(sender);

    suite.restart(ENV).await.expect("restart");
    // The dead process's upload area falls silent after two leases; the new
    // process sweeps it at start or in its periodic sweep.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !staged(&suite).is_empty() {
        assert!(
            Instant::now() < deadline,
            "staged files were never swept: {:?}\nlogs:\n{}",
            staged(&suite),
            suite.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = session_audit::footprint(&suite).await.unwrap();
    assert_eq!(after, before, "nothing of the killed upload remains");
    let audit = session_audit::audit_objects(&suite).await.unwrap();
    assert!(audit.is_clean(), "{audit:?}");
}
