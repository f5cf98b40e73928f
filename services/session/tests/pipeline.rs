//! The pipeline end to end against in-process fake pose, cheat, metrics and
//! coaching services: progress events, resumption without redoing finished
//! steps, blocking, the tenant's flag policy, low-quality poses, threads and
//! rendering.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use fitvision_proto::v1 as pb;
use fitvision_proto::v1::cheat_detection_service_server::{
    CheatDetectionService, CheatDetectionServiceServer,
};
use fitvision_proto::v1::coaching_service_server::{CoachingService, CoachingServiceServer};
use fitvision_proto::v1::exercise_metrics_service_server::{
    ExerciseMetricsService, ExerciseMetricsServiceServer,
};
use fitvision_proto::v1::pose_inference_service_server::{
    PoseInferenceService, PoseInferenceServiceServer,
};
use fitvision_storage::Storage;
use support::{ADMIN_KEY, TestServer, authed, synthetic_mp4};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

/// Behaviour switches and call counters shared by the fakes.
#[derive(Default)]
struct Fakes {
    pose_calls: AtomicUsize,
    metrics_calls: AtomicUsize,
    no_person: AtomicBool,
    block: AtomicBool,
    metrics_down: AtomicBool,
    storage: std::sync::OnceLock<Storage>,
    /// The `policy` of every CheckVideo received, in order.
    policies: std::sync::Mutex<Vec<Option<pb::BlockingPolicy>>>,
}

const FRAMES: u32 = 30;

#[derive(Clone)]
struct Fake(Arc<Fakes>);

type Stream<T> = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl PoseInferenceService for Fake {
    type StreamPosesStream = Stream<pb::StreamPosesResponse>;

    async fn stream_poses(
        &self,
        _: Request<pb::StreamPosesRequest>,
    ) -> Result<Response<Self::StreamPosesStream>, Status> {
        self.0.pose_calls.fetch_add(1, Ordering::SeqCst);
        let with_person = !self.0.no_person.load(Ordering::SeqCst);
        let mut events = vec![pb::StreamPosesResponse {
            event: Some(pb::stream_poses_response::Event::Video(pb::VideoInfo {
                width_px: 640,
                height_px: 480,
                fps: 30.0,
                frame_count: FRAMES,
                header_frame_count: FRAMES,
                duration_ms: 1000.0,
                ..Default::default()
            })),
        }];
        for index in 0..FRAMES {
            let persons = if with_person {
                vec![pb::PersonPose {
                    track_id: 1,
                    confidence: 0.9,
                    keypoints: vec![
                        pb::Keypoint {
                            x_px: 1.0,
                            y_px: 2.0,
                            score: 0.9,
                            ..Default::default()
                        };
                        17
                    ],
                    ..Default::default()
                }]
            } else {
                vec![]
            };
            events.push(pb::StreamPosesResponse {
                event: Some(pb::stream_poses_response::Event::Frame(pb::PoseFrame {
                    camera: None,
                    interpolated: false,
                    frame_index: index,
                    timestamp_ms: f64::from(index) * 33.3,
                    persons,
                })),
            });
        }
        events.push(pb::StreamPosesResponse {
            event: Some(pb::stream_poses_response::Event::Summary(pb::PoseSummary {
                frames_decoded: FRAMES,
                frames_analysed: FRAMES,
                frames_with_person: if with_person { FRAMES } else { 0 },
                model_id: "fake".into(),
                schema: pb::KeypointSchema::Coco17 as i32,
                ..Default::default()
            })),
        });
        Ok(Response::new(Box::pin(tokio_stream::iter(
            events.into_iter().map(Ok),
        ))))
    }

    async fn list_models(
        &self,
        _: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    async fn probe_video(
        &self,
        _: Request<pb::ProbeVideoRequest>,
    ) -> Result<Response<pb::ProbeVideoResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    type TrackFramesStream = Stream<pb::TrackFramesResponse>;

    async fn track_frames(
        &self,
        _: Request<tonic::Streaming<pb::TrackFramesRequest>>,
    ) -> Result<Response<Self::TrackFramesStream>, Status> {
        Err(Status::unimplemented("fake"))
    }

    async fn render_annotated_video(
        &self,
        request: Request<pb::RenderAnnotatedVideoRequest>,
    ) -> Result<Response<pb::RenderAnnotatedVideoResponse>, Status> {
        let request = request.into_inner();
        let storage = self.0.storage.get().unwrap();
        let video = storage
            .put_bytes(&request.output_key, synthetic_mp4(1000))
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(pb::RenderAnnotatedVideoResponse {
            video: Some(video),
            phase_snapshots: Default::default(),
        }))
    }
}

#[tonic::async_trait]
impl CheatDetectionService for Fake {
    async fn check_video(
        &self,
        request: Request<pb::CheckVideoRequest>,
    ) -> Result<Response<pb::CheckVideoResponse>, Status> {
        assert!(
            request.get_ref().pose_track.is_some(),
            "the stored track is passed on"
        );
        Ok(Response::new(pb::CheckVideoResponse {
            report: Some(self.report(request.get_ref().policy)),
        }))
    }

    async fn check_video_as_poses_arrive(
        &self,
        request: Request<tonic::Streaming<pb::CheckVideoAsPosesArriveRequest>>,
    ) -> Result<Response<pb::CheckVideoAsPosesArriveResponse>, Status> {
        use pb::check_video_as_poses_arrive_request::Part;
        let mut parts = request.into_inner();
        let Some(Part::Start(start)) = parts.message().await?.and_then(|m| m.part) else {
            panic!("the stream starts with `start`");
        };
        assert!(start.video.is_some(), "the stored video is named");
        let mut frames = 0;
        loop {
            match parts.message().await?.and_then(|m| m.part) {
                Some(Part::Frames(batch)) => frames += batch.frames.len(),
                Some(Part::End(end)) => {
                    assert!(end.video.is_some(), "the end carries the video info");
                    break;
                }
                other => {
                    return Err(Status::cancelled(format!(
                        "the track ended without `end` after {frames} frames: {other:?}"
                    )));
                }
            }
        }
        assert!(frames > 0, "the pose frames are fed to the check");
        Ok(Response::new(pb::CheckVideoAsPosesArriveResponse {
            report: Some(self.report(start.policy)),
        }))
    }
}

impl Fake {
    fn report(&self, requested: Option<pb::BlockingPolicy>) -> pb::AuthenticityReport {
        self.0.policies.lock().unwrap().push(requested);
        // Applies the policy as cheat-detection does: over the thresholds blocks,
        // unless the mode is FLAG.
        let policy = fitvision_proto::blocking::effective(requested.as_ref());
        let over = self.0.block.load(Ordering::SeqCst);
        let blocked = over && policy.mode() != pb::BlockingMode::Flag;
        pb::AuthenticityReport {
            score: if over { 80.0 } else { 5.0 },
            risk_level: if over {
                pb::RiskLevel::High
            } else {
                pb::RiskLevel::Low
            } as i32,
            blocked,
            checks: vec![],
            summary: if over {
                "text overlay detected".into()
            } else {
                String::new()
            },
            policy: Some(policy),
            over_threshold: over,
        }
    }
}

#[tonic::async_trait]
impl ExerciseMetricsService for Fake {
    async fn analyze(
        &self,
        request: Request<pb::AnalyzeRequest>,
    ) -> Result<Response<pb::AnalyzeResponse>, Status> {
        self.0.metrics_calls.fetch_add(1, Ordering::SeqCst);
        if self.0.metrics_down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("metrics restarting"));
        }
        let request = request.into_inner();
        let Some(pb::analyze_request::Exercise::ExerciseId(exercise_id)) = request.exercise else {
            return Err(Status::invalid_argument("exercise id expected"));
        };
        let frames = request.track.map(|t| t.frames.len()).unwrap_or(0) as u32;
        Ok(Response::new(pb::AnalyzeResponse {
            result: Some(pb::AnalysisResult {
                exercise_id,
                mode: "rep".into(),
                rep_count: frames / 10,
                ..Default::default()
            }),
        }))
    }

    async fn list_exercises(
        &self,
        _: Request<pb::ListExercisesRequest>,
    ) -> Result<Response<pb::ListExercisesResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    async fn validate_definition(
        &self,
        _: Request<pb::ValidateDefinitionRequest>,
    ) -> Result<Response<pb::ValidateDefinitionResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
}

#[tonic::async_trait]
impl CoachingService for Fake {
    async fn generate_feedback(
        &self,
        request: Request<pb::GenerateFeedbackRequest>,
    ) -> Result<Response<pb::GenerateFeedbackResponse>, Status> {
        let request = request.into_inner();
        let reps = request.results.first().map(|r| r.rep_count).unwrap_or(0);
        Ok(Response::new(pb::GenerateFeedbackResponse {
            feedback: request
                .topics
                .iter()
                .map(|t| pb::Feedback {
                    topic: t.topic.clone(),
                    text: format!("{}: {reps} reps", t.topic),
                    provider: "builtin".into(),
                    ..Default::default()
                })
                .collect(),
        }))
    }
}

async fn start() -> (TestServer, Arc<Fakes>) {
    let fakes = Arc::new(Fakes::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let fake = Fake(fakes.clone());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(PoseInferenceServiceServer::new(fake.clone()))
            .add_service(CheatDetectionServiceServer::new(fake.clone()))
            .add_service(ExerciseMetricsServiceServer::new(fake.clone()))
            .add_service(CoachingServiceServer::new(fake))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .ok();
    });
    let server = support::start_server(&support::Backend::Sqlite, |config| {
        config.workers = 2;
        config.job_backoff_ms = 50;
        config.pose_inference_url = url.clone();
        config.cheat_detection_url = url.clone();
        config.exercise_metrics_url = url.clone();
        config.coaching_url = url.clone();
    })
    .await;
    fakes.storage.set(server.context.storage.clone()).unwrap();
    (server, fakes)
}

async fn upload(server: &mut TestServer) -> pb::Video {
    let video = synthetic_mp4(50_000);
    let messages = vec![
        pb::UploadVideoRequest {
            payload: Some(pb::upload_video_request::Payload::Metadata(
                pb::UploadMetadata {
                    kind: pb::SessionKind::Workout as i32,
                    exercise_id: "pushup".into(),
                    filename: "pushups.mp4".into(),
                    ..Default::default()
                },
            )),
        },
        pb::UploadVideoRequest {
            payload: Some(pb::upload_video_request::Payload::Chunk(video)),
        },
    ];
    server
        .client
        .upload_video(authed(ADMIN_KEY, tokio_stream::iter(messages)))
        .await
        .unwrap()
        .into_inner()
        .video
        .unwrap()
}

/// Every event until the terminal one.
async fn watch(server: &mut TestServer, video_id: &str) -> Vec<pb::WatchVideoResponse> {
    let mut stream = server
        .client
        .watch_video(authed(
            ADMIN_KEY,
            pb::WatchVideoRequest {
                video_id: video_id.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    let deadline = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(event) = stream.next().await {
            events.push(event.unwrap());
        }
    });
    deadline.await.expect("pipeline did not finish");
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn video_runs_through_the_pipeline() {
    let (mut server, fakes) = start().await;
    let video = upload(&mut server).await;
    let events = watch(&mut server, &video.video_id).await;
    let last = events.last().unwrap();
    assert_eq!(
        last.stage,
        pb::ProgressStage::Completed as i32,
        "{events:?}"
    );
    let done = last.video.clone().unwrap();
    assert_eq!(done.status, pb::VideoStatus::Complete as i32);
    assert_eq!(done.result.unwrap().rep_count, FRAMES / 10);
    assert_eq!(
        done.authenticity.unwrap().risk_level,
        pb::RiskLevel::Low as i32
    );
    assert_eq!(done.info.unwrap().frame_count, FRAMES);
    assert!(done.pose_track.is_some());
    // The analysed session is what a demo read may serve; a session without an
    // analysed video is not.
    let empty = server
        .client
        .create_session(authed(
            ADMIN_KEY,
            pb::CreateSessionRequest {
                kind: pb::SessionKind::Workout as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    let list = |analysed_only: bool| pb::ListSessionsRequest {
        kind: pb::SessionKind::Workout as i32,
        analysed_only,
        limit: 10,
        ..Default::default()
    };
    let ids = |response: pb::ListSessionsResponse| -> Vec<String> {
        response
            .sessions
            .into_iter()
            .map(|s| s.session_id)
            .collect()
    };
    let all = ids(server
        .client
        .list_sessions(authed(ADMIN_KEY, list(false)))
        .await
        .unwrap()
        .into_inner());
    assert!(all.contains(&empty.session_id) && all.contains(&video.session_id));
    let analysed = ids(server
        .client
        .list_sessions(authed(ADMIN_KEY, list(true)))
        .await
        .unwrap()
        .into_inner());
    assert_eq!(analysed, std::slice::from_ref(&video.session_id));
    // A late watcher gets the final state at once.
    let late = watch(&mut server, &video.video_id).await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].stage, pb::ProgressStage::Completed as i32);
    // The stored track streams back frame by frame.
    let items: Vec<_> = server
        .client
        .stream_pose_track(authed(
            ADMIN_KEY,
            pb::StreamPoseTrackRequest {
                video_id: video.video_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    // The header (model, keypoint order), the video facts, then every frame.
    assert_eq!(items.len(), FRAMES as usize + 2);
    let first = items[0].as_ref().expect("header item");
    assert!(
        matches!(
            &first.item,
            Some(pb::stream_pose_track_response::Item::Header(h)) if h.schema == pb::KeypointSchema::Coco17 as i32
        ),
        "{first:?}"
    );
    assert_eq!(fakes.pose_calls.load(Ordering::SeqCst), 1);

    // Coaching threads are generated and polled.
    let threads = server
        .client
        .create_threads(authed(
            ADMIN_KEY,
            pb::CreateThreadsRequest {
                session_id: video.session_id.clone(),
                topics: vec!["power".into(), "final_summary".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .thread_ids;
    assert_eq!(threads.len(), 2);
    // A language the coach does not write is refused up front, not left to fail later.
    let refused = server
        .client
        .create_threads(authed(
            ADMIN_KEY,
            pb::CreateThreadsRequest {
                session_id: video.session_id.clone(),
                topics: vec!["power".into()],
                language: "fr".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("\"fr\""), "{refused:?}");
    let power = poll_thread(&mut server, &threads["power"]).await;
    assert_eq!(
        (power.status(), power.text.as_str()),
        (pb::ThreadStatus::Complete, "power: 3 reps")
    );

    // The annotated video is queued, rendered, then returned.
    let request = pb::RequestAnnotatedVideoRequest {
        video_id: video.video_id.clone(),
        flavour: pb::AnnotatedVideoFlavour::Skeleton as i32,
    };
    let first = server
        .client
        .request_annotated_video(authed(ADMIN_KEY, request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.status(), pb::AnnotatedVideoStatus::Pending);
    let mut rendered = None;
    for _ in 0..200 {
        let reply = server
            .client
            .request_annotated_video(authed(ADMIN_KEY, request.clone()))
            .await
            .unwrap()
            .into_inner();
        if reply.status() == pb::AnnotatedVideoStatus::Complete {
            rendered = reply.video;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rendered = rendered.expect("annotated video rendered");
    assert!(rendered.key.ends_with("annotated_skeleton.mp4"));
    assert!(server.context.storage.exists(&rendered.key).await.unwrap());

    // Deleting the session removes the track and the rendering too.
    server
        .client
        .delete_session(authed(
            ADMIN_KEY,
            pb::DeleteSessionRequest {
                session_id: video.session_id,
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        server.context.storage.list("videos/").await.unwrap(),
        Vec::<String>::new()
    );
}

async fn poll_thread(server: &mut TestServer, id: &str) -> pb::Thread {
    for _ in 0..200 {
        let thread = server
            .client
            .get_thread(authed(
                ADMIN_KEY,
                pb::GetThreadRequest {
                    thread_id: id.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .thread
            .unwrap();
        if thread.status() != pb::ThreadStatus::Pending {
            return thread;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("thread {id} never finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_job_does_not_redo_finished_steps() {
    let (mut server, fakes) = start().await;
    fakes.metrics_down.store(true, Ordering::SeqCst);
    let video = upload(&mut server).await;
    // Wait until metrics has been tried (and failed) at least twice.
    for _ in 0..400 {
        if fakes.metrics_calls.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        fakes.metrics_calls.load(Ordering::SeqCst) >= 2,
        "metrics retried"
    );
    fakes.metrics_down.store(false, Ordering::SeqCst);
    let events = watch(&mut server, &video.video_id).await;
    assert_eq!(
        events.last().unwrap().stage,
        pb::ProgressStage::Completed as i32
    );
    assert_eq!(
        fakes.pose_calls.load(Ordering::SeqCst),
        1,
        "poses were not recomputed"
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    let rows = fitvision_session::db::entity::step_result::Entity::find()
        .count(&server.context.db)
        .await
        .unwrap();
    assert_eq!(rows, 3, "one row per step");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocked_video_stops_before_metrics() {
    let (mut server, fakes) = start().await;
    fakes.block.store(true, Ordering::SeqCst);
    let video = upload(&mut server).await;
    let events = watch(&mut server, &video.video_id).await;
    // The fakes are fast, so the watch may subscribe after the verdict event
    // went by (it then starts from the stored state); any verdict it did see
    // must say blocked, and the terminal state below must always say so.
    for verdict in events
        .iter()
        .filter(|e| e.stage == pb::ProgressStage::Authenticity as i32)
        .filter(|e| e.message.starts_with("authenticity score"))
    {
        assert!(verdict.message.ends_with("blocked"), "{}", verdict.message);
    }
    let last = events.last().unwrap();
    let done = last.video.clone().unwrap();
    assert_eq!(done.status, pb::VideoStatus::Blocked as i32);
    assert_eq!(
        done.failure_code,
        pb::FailureCode::BlockedByAuthenticity as i32
    );
    assert_eq!(done.failure_reason, "text overlay detected");
    assert!(done.authenticity.unwrap().blocked);
    assert_eq!(fakes.metrics_calls.load(Ordering::SeqCst), 0);
    // A tenant that never set a policy sends none: cheat-detection's defaults apply.
    assert_eq!(*fakes.policies.lock().unwrap(), vec![None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flag_policy_analyses_a_video_over_the_thresholds() {
    let (mut server, fakes) = start().await;
    let flag = pb::BlockingPolicy {
        block_score: 55.0,
        mode: pb::BlockingMode::Flag as i32,
        ..Default::default()
    };
    server
        .client
        .set_blocking_policy(authed(
            ADMIN_KEY,
            pb::SetBlockingPolicyRequest {
                tenant_id: String::new(),
                policy: Some(flag),
            },
        ))
        .await
        .unwrap();
    fakes.block.store(true, Ordering::SeqCst);
    let video = upload(&mut server).await;
    let events = watch(&mut server, &video.video_id).await;
    for verdict in events
        .iter()
        .filter(|e| e.message.starts_with("authenticity score"))
    {
        assert!(verdict.message.ends_with("flagged"), "{}", verdict.message);
    }
    let done = events.last().unwrap().video.clone().unwrap();
    assert_eq!(done.status, pb::VideoStatus::Complete as i32, "{events:?}");
    assert_eq!(done.failure_code, pb::FailureCode::Unspecified as i32);
    // The verdict is attached to the analysed video, with the policy it was made under.
    let report = done.authenticity.clone().unwrap();
    assert!(!report.blocked && report.over_threshold);
    assert_eq!(report.risk_level, pb::RiskLevel::High as i32);
    assert_eq!(
        report.policy,
        Some(pb::BlockingPolicy {
            block_score: 55.0,
            block_risk: pb::RiskLevel::Medium as i32,
            mode: pb::BlockingMode::Flag as i32,
        })
    );
    assert_eq!(done.result.unwrap().rep_count, FRAMES / 10);
    assert_eq!(fakes.metrics_calls.load(Ordering::SeqCst), 1);
    // The tenant's policy went to CheckVideo as set.
    assert_eq!(*fakes.policies.lock().unwrap(), vec![Some(flag)]);
    // Read back later, the video still carries the verdict.
    let stored = server
        .client
        .get_video(authed(
            ADMIN_KEY,
            pb::GetVideoRequest {
                video_id: video.video_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .video
        .unwrap();
    assert_eq!(stored.authenticity, Some(report));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_person_fails_with_low_quality_pose_estimate() {
    let (mut server, fakes) = start().await;
    fakes.no_person.store(true, Ordering::SeqCst);
    let video = upload(&mut server).await;
    let events = watch(&mut server, &video.video_id).await;
    let done = events.last().unwrap().video.clone().unwrap();
    assert_eq!(done.status, pb::VideoStatus::Failed as i32);
    assert_eq!(
        done.failure_code,
        pb::FailureCode::LowQualityPoseEstimate as i32
    );
    assert!(
        done.failure_reason.contains("0 of 30"),
        "{}",
        done.failure_reason
    );
}
