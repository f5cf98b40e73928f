//! The gRPC surface end to end over a real socket: health, ListModels, StreamPoses
//! (order, first/last messages, sampling) and error statuses. Needs no ../shared.

mod common;

use std::time::Duration;

use fitvision_pose_inference::{Config, ExecutionProvider};
use fitvision_proto::v1::pose_inference_service_client::PoseInferenceServiceClient;
use fitvision_proto::v1::stream_poses_response::Event;
use fitvision_proto::v1::{
    KeypointSchema, ListModelsRequest, ObjectRef, ProbeVideoRequest, Sampling, StreamPosesRequest,
};
use fitvision_service_kit::failure::{FailureCode, failure_code};
use fitvision_service_kit::grpc::ServerArgs;
use fitvision_storage::StorageArgs;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_poses_over_grpc() -> anyhow::Result<()> {
    let store = tempfile::tempdir()?;
    let storage = fitvision_storage::Storage::local(store.path())?;
    storage
        .put_file("videos/demo.mp4", &common::sports2d_fixture())
        .await?;
    storage
        .put_bytes("videos/notes.mp4", b"not a video, just text".to_vec())
        .await?;
    // Steady push-ups for coarse to fine (the demo's walk and flip bend everywhere).
    let pushups = fitvision_clip_fixtures::shared_video("pushup_side_tiny_426x226.mp4");
    if let Some(path) = &pushups {
        storage.put_file("videos/pushups.mp4", path).await?;
    }

    let port = fitvision_service_kit::testing::unused_loopback_port();
    let config = Config {
        addr: format!("127.0.0.1:{port}").parse()?,
        models_dir: None,
        default_model: "yolo11n-pose-dynamic".to_owned(),
        intra_op_threads: 2,
        max_parallel: 0,
        input_size: 640,
        execution_provider: ExecutionProvider::Cpu,
        ort_dylib: None,
        storage: StorageArgs {
            storage_url: Some(format!("file://{}", store.path().display())),
        },
        server: ServerArgs::default(),
    };
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(fitvision_pose_inference::run(config, shutdown.clone()));
    let url = format!("http://127.0.0.1:{port}");

    // Health turns SERVING once the models are loaded.
    let mut serving = false;
    for _ in 0..300 {
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(url.clone())?
            .connect()
            .await
        {
            let mut health = HealthClient::new(channel);
            let request = HealthCheckRequest {
                service: fitvision_proto::service_names::POSE_INFERENCE.to_owned(),
            };
            if let Ok(response) = health.check(request).await
                && response.into_inner().status == ServingStatus::Serving as i32
            {
                serving = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(serving, "service never became SERVING");

    let mut client = PoseInferenceServiceClient::connect(url).await?;
    let models = client.list_models(ListModelsRequest {}).await?.into_inner();
    assert_eq!(models.default_model_id, "yolo11n-pose-dynamic");
    let ids: Vec<_> = models
        .models
        .iter()
        .map(|model| model.id.as_str())
        .collect();
    assert!(
        ids.contains(&"yolo11n-pose-640")
            && ids.contains(&"yolo11n-pose-dynamic")
            && ids.contains(&"blazepose-full")
            && ids.contains(&"blazepose-lite"),
        "{ids:?}"
    );
    // Every model says its licence and keypoint order: YOLO's weights are AGPL-3.0 with
    // 17 COCO keypoints, BlazePose's Apache-2.0 with 33 landmarks.
    for model in &models.models {
        let expected = if model.family == "blazepose" {
            ("Apache-2.0", KeypointSchema::Blazepose33)
        } else {
            ("AGPL-3.0", KeypointSchema::Coco17)
        };
        // Only the default is loaded at start; the others load on first use.
        assert_eq!(
            model.loaded,
            model.id == "yolo11n-pose-dynamic",
            "{model:?}"
        );
        assert_eq!(
            (model.licence.as_str(), model.schema),
            (expected.0, expected.1 as i32)
        );
    }

    let video = |key: &str| {
        Some(ObjectRef {
            key: key.to_owned(),
            ..ObjectRef::default()
        })
    };
    let probe = client
        .probe_video(ProbeVideoRequest {
            video: video("videos/demo.mp4"),
            max_frames: 0,
        })
        .await?
        .into_inner();
    let info = probe.video.expect("video info");
    assert_eq!(
        (info.width_px, info.height_px, info.rotation_deg),
        (1768, 994, 0)
    );
    // The upload check's probe: two frames, the length from the header.
    let quick = client
        .probe_video(ProbeVideoRequest {
            video: video("videos/demo.mp4"),
            max_frames: 2,
        })
        .await?
        .into_inner()
        .video
        .expect("video info");
    assert_eq!(quick.frame_count, quick.header_frame_count);
    assert!(quick.header_frame_count > 60, "{quick:?}");
    assert!(
        (quick.duration_ms - info.duration_ms).abs() < 100.0,
        "{quick:?} vs {info:?}"
    );

    let request = StreamPosesRequest {
        video: video("videos/demo.mp4"),
        model_id: "yolo11n-pose-640".to_owned(),
        sampling: Some(Sampling {
            target_fps: 5.0,
            coarse_to_fine: false,
        }),
        max_persons: 0,
        min_confidence: 0.0,
    };
    let mut stream = client.stream_poses(request).await?.into_inner();
    let mut events = Vec::new();
    while let Some(message) = stream.message().await? {
        events.push(message.event.expect("event"));
    }
    assert!(matches!(events.first(), Some(Event::Video(info)) if info.width_px == 1768));
    let Some(Event::Summary(summary)) = events.last() else {
        panic!("last message is not the summary")
    };
    assert_eq!(summary.model_id, "yolo11n-pose-640");
    assert_eq!(summary.frames_decoded, 230);
    // VP9: only H.264 frames are ever left undecoded.
    assert_eq!(summary.frames_left_undecoded, 0);
    let loaded: Vec<_> = client
        .list_models(ListModelsRequest {})
        .await?
        .into_inner()
        .models
        .into_iter()
        .filter(|model| model.loaded)
        .map(|model| model.id)
        .collect();
    assert_eq!(loaded, ["yolo11n-pose-640", "yolo11n-pose-dynamic"]);
    assert_eq!(
        summary.video.as_ref().map(|video| video.frame_count),
        Some(230)
    );
    let frames: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::Frame(frame) => Some(frame),
            _ => None,
        })
        .collect();
    // 230 frames at 30 fps sampled at 5 fps: every sixth frame.
    assert_eq!(frames.len(), 39);
    assert_eq!(summary.frames_analysed, 39);
    assert!(
        frames
            .windows(2)
            .all(|pair| pair[1].frame_index == pair[0].frame_index + 6)
    );

    // Coarse to fine over the wire (with the shared videos): every sampled frame
    // streamed in order, the interpolated ones flagged and counted, never two in a row.
    if pushups.is_some() {
        let mut stream = client
            .stream_poses(StreamPosesRequest {
                video: video("videos/pushups.mp4"),
                sampling: Some(Sampling {
                    target_fps: 15.0,
                    coarse_to_fine: true,
                }),
                ..StreamPosesRequest::default()
            })
            .await?
            .into_inner();
        let (mut frames, mut summary) = (Vec::new(), None);
        while let Some(message) = stream.message().await? {
            match message.event.expect("event") {
                Event::Frame(frame) => frames.push(frame),
                Event::Summary(s) => summary = Some(s),
                Event::Video(_) => {}
            }
        }
        let summary = summary.expect("summary");
        // 24 fps at "at most 15": every frame.
        assert_eq!(frames.len(), 445);
        assert_eq!(summary.frames_analysed, 445);
        assert!(
            frames
                .windows(2)
                .all(|pair| pair[1].frame_index == pair[0].frame_index + 1)
        );
        let interpolated: Vec<usize> = (0..frames.len())
            .filter(|&i| frames[i].interpolated)
            .collect();
        assert_eq!(interpolated.len() as u32, summary.frames_interpolated);
        eprintln!("coarse to fine: {} of 445 interpolated", interpolated.len());
        // This service's default, YOLO, jitters more than BlazePose: 56 of 445 frames
        // here (BlazePose: 220, `real_videos`).
        assert!(interpolated.len() * 20 >= frames.len(), "{interpolated:?}");
        assert!(interpolated.iter().all(|i| i % 2 == 1), "{interpolated:?}");
    }

    let missing = client
        .stream_poses(StreamPosesRequest {
            video: video("videos/absent.mp4"),
            ..StreamPosesRequest::default()
        })
        .await
        .expect_err("missing object");
    assert_eq!(missing.code(), Code::NotFound);
    // The failure code travels in the status details, across the wire.
    assert_eq!(failure_code(&missing), Some(FailureCode::VideoNotFound));
    let unreadable = client
        .stream_poses(StreamPosesRequest {
            video: video("videos/notes.mp4"),
            ..StreamPosesRequest::default()
        })
        .await
        .expect_err("not a video");
    assert_eq!(unreadable.code(), Code::InvalidArgument);
    assert_eq!(
        failure_code(&unreadable),
        Some(FailureCode::UnreadableVideo)
    );
    assert!(
        unreadable.message().starts_with("UNREADABLE_VIDEO"),
        "{}",
        unreadable.message()
    );
    let no_key = client
        .stream_poses(StreamPosesRequest::default())
        .await
        .expect_err("no key");
    assert_eq!(no_key.code(), Code::InvalidArgument);

    shutdown.cancel();
    server.await??;
    Ok(())
}
