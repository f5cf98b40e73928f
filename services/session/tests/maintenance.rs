//! Storage upkeep: objects of videos that have no row (a crash between the
//! object's commit and the rows') are removed once older than the grace
//! period; referenced videos and recent folders are kept.

mod support;

use std::time::{Duration, SystemTime};

use fitvision_proto::v1 as pb;
use fitvision_session::maintenance::{ORPHAN_GRACE, sweep_orphaned_videos};
use support::{ADMIN_KEY, authed, start_server, synthetic_mp4};

/// Back-dates a stored object's modification time.
fn age(path: &std::path::Path, by: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn objects_of_videos_without_rows_are_swept_after_the_grace_period() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let name = backend.name();
        let video = synthetic_mp4(64 << 10);
        let mut messages = vec![pb::UploadVideoRequest {
            payload: Some(pb::upload_video_request::Payload::Metadata(
                pb::UploadMetadata {
                    kind: pb::SessionKind::Video as i32,
                    exercise_id: "squat".into(),
                    filename: "kept.mp4".into(),
                    declared_size_bytes: video.len() as u64,
                    ..Default::default()
                },
            )),
        }];
        messages.push(pb::UploadVideoRequest {
            payload: Some(pb::upload_video_request::Payload::Chunk(video.clone())),
        });
        let kept = server
            .client
            .upload_video(authed(ADMIN_KEY, tokio_stream::iter(messages)))
            .await
            .unwrap()
            .into_inner()
            .video
            .unwrap();
        let storage = &server.context.storage;
        let root = storage.local_root().unwrap().to_path_buf();
        for key in [
            "videos/old-orphan/original.mp4",
            "videos/old-orphan/pose_track.pb",
        ] {
            storage.put_bytes(key, &b"left"[..]).await.unwrap();
        }
        storage
            .put_bytes("videos/new-orphan/original.mp4", &b"committing"[..])
            .await
            .unwrap();
        let old = ORPHAN_GRACE * 2;
        age(&root.join("videos/old-orphan/original.mp4"), old);
        age(&root.join("videos/old-orphan/pose_track.pb"), old);
        age(
            &root.join(kept.original.as_ref().unwrap().key.as_str()),
            old,
        );

        let swept = sweep_orphaned_videos(&server.context.db, storage, ORPHAN_GRACE)
            .await
            .unwrap();
        assert_eq!(swept, 1, "{name}");
        let mut left = storage.list("videos").await.unwrap();
        left.sort();
        assert_eq!(
            left,
            vec![
                format!("videos/{}/original.mp4", kept.video_id),
                "videos/new-orphan/original.mp4".to_owned(),
            ],
            "{name}"
        );
    }
}
