//! Behaviour of the storage handle on a local directory and on a remote (in-memory) store.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use fitvision_storage::{Storage, StorageError, UploadError, UploadOptions};
use sha2::{Digest, Sha256};

/// A structurally complete MP4: ftyp, moov, then an mdat of `payload` bytes.
fn synthetic_mp4(payload: usize) -> Vec<u8> {
    let mut file = 16u32.to_be_bytes().to_vec();
    file.extend_from_slice(b"ftypisom\0\0\x02\0");
    file.extend_from_slice(&16u32.to_be_bytes());
    file.extend_from_slice(b"moov");
    file.extend_from_slice(&[0u8; 8]);
    file.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
    file.extend_from_slice(b"mdat");
    file.extend((0..payload).map(|i| (i * 7 % 251) as u8));
    file
}

/// Every file under the directory, staged multipart files included.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

/// Name, bytes, options and the expected refusal.
type RefusalCase = (
    &'static str,
    Vec<u8>,
    UploadOptions,
    fn(&UploadError) -> bool,
);

async fn upload_in_chunks(
    storage: &Storage,
    key: &str,
    bytes: &[u8],
    options: UploadOptions,
    chunk: usize,
) -> Result<fitvision_storage::ObjectRef, UploadError> {
    let mut upload = storage.begin_upload(key, options)?;
    for part in bytes.chunks(chunk) {
        upload.write(Bytes::copy_from_slice(part)).await?;
    }
    upload.commit().await
}

#[tokio::test]
async fn bytes_round_trip_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::from_url(&format!("file://{}", dir.path().display())).unwrap();
    let object = storage
        .put_bytes("tracks/a/pose.pb", &b"hello"[..])
        .await
        .unwrap();
    assert_eq!(object.size_bytes, 5);
    assert_eq!(object.sha256_hex, hex::encode(Sha256::digest(b"hello")));
    assert_eq!(
        storage.get_bytes("tracks/a/pose.pb").await.unwrap(),
        Bytes::from_static(b"hello")
    );
    let copy = storage.local_copy("tracks/a/pose.pb").await.unwrap();
    assert!(!copy.is_temporary());
    assert_eq!(std::fs::read(&copy).unwrap(), b"hello");
    storage.delete("tracks/a/pose.pb").await.unwrap();
    storage.delete("tracks/a/pose.pb").await.unwrap();
    assert!(matches!(
        storage.get_bytes("tracks/a/pose.pb").await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        storage.local_copy("tracks/a/pose.pb").await,
        Err(StorageError::NotFound { .. })
    ));
}

#[tokio::test]
async fn keys_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    for key in ["", "/abs", "a/../b", "x#1"] {
        assert!(
            matches!(
                storage.put_bytes(key, &b"x"[..]).await,
                Err(StorageError::InvalidKey { .. })
            ),
            "{key}"
        );
    }
    assert!(Storage::from_url("ftp://nope").is_err());
    assert!(Storage::from_url("file://relative").is_err());
}

#[tokio::test]
async fn delete_prefix_removes_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    storage.put_bytes("videos/1/a", &b"a"[..]).await.unwrap();
    storage.put_bytes("videos/1/b/c", &b"c"[..]).await.unwrap();
    storage.put_bytes("videos/10/a", &b"a"[..]).await.unwrap();
    assert_eq!(storage.delete_prefix("videos/1/").await.unwrap(), 2);
    assert_eq!(
        storage.list("").await.unwrap(),
        vec!["videos/10/a".to_owned()]
    );
}

#[tokio::test]
async fn video_upload_commits_verified_object() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    let video = synthetic_mp4(12 << 20);
    let options = UploadOptions::video(1 << 30, Some(video.len() as u64));
    let object = upload_in_chunks(
        &storage,
        "videos/v1/original.mp4",
        &video,
        options,
        64 * 1024,
    )
    .await
    .unwrap();
    assert_eq!(object.size_bytes, video.len() as u64);
    assert_eq!(object.sha256_hex, hex::encode(Sha256::digest(&video)));
    assert_eq!(object.content_type, "video/mp4");
    assert_eq!(
        std::fs::read(dir.path().join("videos/v1/original.mp4")).unwrap(),
        video
    );
    // Only the committed object remains.
    assert_eq!(
        files_under(dir.path()).len(),
        1,
        "{:?}",
        files_under(dir.path())
    );
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    let video = synthetic_mp4(6 << 20);
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 100_000));
    let cases: Vec<RefusalCase> = vec![
        ("empty", vec![], UploadOptions::video(1 << 30, None), |e| {
            matches!(e, UploadError::Empty)
        }),
        (
            "pdf",
            pdf.clone(),
            UploadOptions::video(1 << 30, None),
            |e| matches!(e, UploadError::UnsupportedContent(why) if why.contains("PDF")),
        ),
        (
            "truncated",
            video[..video.len() - 1000].to_vec(),
            UploadOptions::video(1 << 30, None),
            |e| matches!(e, UploadError::MalformedContainer(why) if why.contains("truncated")),
        ),
        (
            "declared larger",
            video.clone(),
            UploadOptions::video(1 << 30, Some(video.len() as u64 + 1)),
            |e| matches!(e, UploadError::SizeMismatch { .. }),
        ),
        (
            "declared smaller",
            video.clone(),
            UploadOptions::video(1 << 30, Some(1000)),
            |e| matches!(e, UploadError::SizeMismatch { .. }),
        ),
        (
            "over limit",
            video.clone(),
            UploadOptions::video(5 << 20, None),
            |e| matches!(e, UploadError::TooLarge { limit_bytes } if *limit_bytes == 5 << 20),
        ),
        (
            "checksum",
            video.clone(),
            UploadOptions {
                expected_sha256_hex: Some("00".repeat(32)),
                ..UploadOptions::video(1 << 30, None)
            },
            |e| matches!(e, UploadError::ChecksumMismatch { .. }),
        ),
    ];
    for (name, bytes, options, expected) in cases {
        let error = upload_in_chunks(
            &storage,
            "videos/bad/original.mp4",
            &bytes,
            options,
            256 * 1024,
        )
        .await
        .expect_err(name);
        assert!(expected(&error), "{name}: {error}");
        assert!(error.is_client_error(), "{name}");
        // Give drop-spawned cleanups a moment to run, then nothing may remain.
        tokio::task::yield_now().await;
        assert_eq!(files_under(dir.path()), Vec::<String>::new(), "{name}");
    }
}

#[tokio::test]
async fn dropped_upload_is_cleaned_up() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    let video = synthetic_mp4(1 << 20);
    let mut upload = storage
        .begin_upload("videos/x/original.mp4", UploadOptions::video(1 << 30, None))
        .unwrap();
    upload
        .write(Bytes::copy_from_slice(&video[..500_000]))
        .await
        .unwrap();
    drop(upload);
    for _ in 0..100 {
        if files_under(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn remote_store_local_copy_is_a_temporary_download() {
    let storage = Storage::from_store(
        Arc::new(object_store::memory::InMemory::new()),
        "memory".into(),
    );
    let video = synthetic_mp4(100_000);
    let object = upload_in_chunks(
        &storage,
        "videos/r/original.mp4",
        &video,
        UploadOptions::video(1 << 30, None),
        4096,
    )
    .await
    .unwrap();
    assert_eq!(object.size_bytes, video.len() as u64);
    let copy = storage.local_copy("videos/r/original.mp4").await.unwrap();
    assert!(copy.is_temporary());
    assert_eq!(copy.as_ref().extension().unwrap(), "mp4");
    assert_eq!(std::fs::read(&copy).unwrap(), video);
    let path = copy.as_ref().to_path_buf();
    drop(copy);
    assert!(!path.exists());
    assert_eq!(
        storage.list("").await.unwrap(),
        vec!["videos/r/original.mp4".to_owned()]
    );
}

#[tokio::test]
async fn put_file_streams_any_content() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(&dir.path().join("objects")).unwrap();
    let source = dir.path().join("render.bin");
    std::fs::write(&source, vec![3u8; 3 << 20]).unwrap();
    let object = storage
        .put_file("artefacts/render.bin", &source)
        .await
        .unwrap();
    assert_eq!(object.size_bytes, 3 << 20);
    assert_eq!(object.content_type, "application/octet-stream");
    assert_eq!(
        object.sha256_hex,
        hex::encode(Sha256::digest(vec![3u8; 3 << 20]))
    );
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        storage
            .put_file("artefacts/empty", &empty)
            .await
            .unwrap()
            .size_bytes,
        0
    );
}

#[tokio::test]
async fn sweep_removes_stale_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    storage
        .put_bytes("tmp/uploads/stale", &b"x"[..])
        .await
        .unwrap();
    storage.put_bytes("videos/keep", &b"x"[..]).await.unwrap();
    assert_eq!(
        storage
            .sweep_temporaries(std::time::Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        storage
            .sweep_temporaries(std::time::Duration::ZERO)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        storage.list("").await.unwrap(),
        vec!["videos/keep".to_owned()]
    );
}

/// Files under `tmp/uploads/<area>/` (staged multipart files included).
fn staged_in(root: &Path, area: &str) -> Vec<String> {
    files_under(&root.join("tmp/uploads").join(area))
}

#[tokio::test]
async fn silent_upload_areas_are_swept_with_their_half_written_files() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    let video = synthetic_mp4(1 << 20);
    for area in ["own", "dead"] {
        storage.beat_upload_area(area).await.unwrap();
        let mut options = UploadOptions::video(1 << 30, None);
        options.area = Some(area.to_owned());
        let mut upload = storage
            .begin_upload(&format!("videos/{area}/original.mp4"), options)
            .unwrap();
        upload
            .write(Bytes::copy_from_slice(&video[..500_000]))
            .await
            .unwrap();
        // A killed process runs no destructor: its staged file stays behind.
        std::mem::forget(upload);
        assert_eq!(staged_in(dir.path(), area).len(), 1, "{area}");
    }
    let hour = std::time::Duration::from_secs(3600);
    assert_eq!(
        storage
            .sweep_abandoned_upload_areas("own", hour)
            .await
            .unwrap(),
        0,
        "both areas beat within the hour"
    );
    assert_eq!(staged_in(dir.path(), "dead").len(), 1);
    let swept = storage
        .sweep_abandoned_upload_areas("own", std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept, 1, "only the other, silent area");
    assert!(staged_in(dir.path(), "dead").is_empty());
    assert_eq!(staged_in(dir.path(), "own").len(), 1, "own area kept");
    storage.release_upload_area("own").await.unwrap();
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn uploads_in_an_area_commit_and_leave_the_area_empty() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::local(dir.path()).unwrap();
    storage.beat_upload_area("live").await.unwrap();
    let video = synthetic_mp4(300_000);
    let mut options = UploadOptions::video(1 << 30, Some(video.len() as u64));
    options.area = Some("live".into());
    let object = upload_in_chunks(&storage, "videos/a/original.mp4", &video, options, 65_536)
        .await
        .unwrap();
    assert_eq!(object.size_bytes, video.len() as u64);
    assert!(staged_in(dir.path(), "live").is_empty());
    let mut bad = UploadOptions::video(1 << 30, None);
    bad.area = Some("../escape".into());
    assert!(matches!(
        storage.begin_upload("videos/b/original.mp4", bad),
        Err(UploadError::Storage(StorageError::InvalidKey { .. }))
    ));
}

#[tokio::test]
async fn remote_store_areas_without_heartbeat_are_swept() {
    let storage = Storage::from_store(
        Arc::new(object_store::memory::InMemory::new()),
        "memory".into(),
    );
    storage.beat_upload_area("own").await.unwrap();
    storage
        .put_bytes("tmp/uploads/gone/left.mp4", &b"half"[..])
        .await
        .unwrap();
    storage
        .put_bytes("videos/keep/original.mp4", &b"x"[..])
        .await
        .unwrap();
    let hour = std::time::Duration::from_secs(3600);
    assert_eq!(
        storage
            .sweep_abandoned_upload_areas("own", hour)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        storage.list("").await.unwrap(),
        vec![
            "tmp/upload-areas/own".to_owned(),
            "videos/keep/original.mp4".to_owned()
        ]
    );
}
