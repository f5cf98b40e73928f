//! Refused uploads through the running `fitvision serve` over gRPC: each gets
//! its documented status code and a message naming the problem, and
//! afterwards the database and the object store hold nothing from them while
//! a video stored earlier is untouched. Custom exercise definitions are
//! checked by the metrics engine before they are stored.

use fitvision_integration_tests::{Suite, session_audit, shared_video, with_api_key};
use fitvision_proto::v1::{
    CatalogExercise, CreateSessionRequest, ListCatalogExercisesRequest, Role, SessionKind,
    UploadMetadata, UpsertCatalogExerciseRequest,
};
use fitvision_session::db::entity::video;
use sea_orm::EntityTrait;
use sha2::{Digest, Sha256};
use tonic::Code;

const GOOD: &str = "jumpingjack_black_bg.mp4";
const LARGE: &str = "squat_side_3reps.mp4";
/// Upload limit of this suite: the good clip fits, the large one does not.
const LIMIT_BYTES: u64 = 1 << 20;

/// A minimal but well-formed PDF document.
fn tiny_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
      2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
      trailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

fn metadata(exercise: &str, filename: &str, declared: usize) -> UploadMetadata {
    UploadMetadata {
        kind: SessionKind::Video as i32,
        exercise_id: exercise.to_owned(),
        filename: filename.to_owned(),
        declared_size_bytes: declared as u64,
        ..Default::default()
    }
}

fn chunks(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.chunks(64 << 10).map(<[u8]>::to_vec).collect()
}

/// One refused upload: who sends what, and the status expected.
struct Case {
    name: &'static str,
    key: String,
    metadata: UploadMetadata,
    bytes: Vec<u8>,
    code: Code,
    message: &'static str,
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_uploads_get_their_status_and_leave_nothing_behind() {
    let (Some(good_path), Some(large_path)) = (shared_video(GOOD), shared_video(LARGE)) else {
        return;
    };
    let good = std::fs::read(&good_path).unwrap();
    let large = std::fs::read(&large_path).unwrap();
    assert!((good.len() as u64) < LIMIT_BYTES && (large.len() as u64) > LIMIT_BYTES);
    // No workers: the stored video stays exactly as uploaded while we compare.
    let limit = LIMIT_BYTES.to_string();
    let suite = Suite::start_with_env(&[
        ("FITVISION_MAX_UPLOAD_BYTES", limit.as_str()),
        ("FITVISION_SESSION_WORKERS", "0"),
    ])
    .await
    .expect("suite starts");
    let admin = suite.admin_key.clone();

    let stored = suite
        .upload_chunks(&admin, metadata("squat", GOOD, good.len()), chunks(&good))
        .await
        .unwrap()
        .expect("the good video is accepted");
    let original = stored.original.clone().expect("stored original");
    assert_eq!(original.sha256_hex, hex(&good));

    // Sessions of another tenant and of another user of the same tenant.
    let rival = suite
        .create_api_key("rival", "rival-admin", Role::Admin)
        .await
        .unwrap();
    let acme_admin = suite
        .create_api_key("acme", "acme-admin", Role::Admin)
        .await
        .unwrap();
    let alice = suite
        .create_api_key("acme", "alice", Role::User)
        .await
        .unwrap();
    let bob = suite
        .create_api_key("acme", "bob", Role::User)
        .await
        .unwrap();
    let create = |key: &str| {
        let key = key.to_owned();
        let suite = &suite;
        async move {
            let request = with_api_key(
                &key,
                CreateSessionRequest {
                    kind: SessionKind::Video as i32,
                    exercise_id: "squat".into(),
                    ..Default::default()
                },
            )
            .unwrap();
            suite
                .session_client()
                .await
                .unwrap()
                .create_session(request)
                .await
                .unwrap()
                .into_inner()
                .session
                .unwrap()
                .session_id
        }
    };
    let rival_session = create(&rival).await;
    let alice_session = create(&alice).await;

    let before = session_audit::footprint(&suite).await.unwrap();
    let half = good.len() / 2;
    let into = |mut m: UploadMetadata, session: &str| {
        m.session_id = session.to_owned();
        m
    };
    let cases = vec![
        Case {
            name: "empty file",
            key: admin.clone(),
            metadata: metadata("squat", "empty.mp4", 0),
            bytes: Vec::new(),
            code: Code::InvalidArgument,
            message: "the upload is empty",
        },
        Case {
            name: "truncated mp4",
            key: admin.clone(),
            metadata: metadata("squat", "cut.mp4", half),
            bytes: good[..half].to_vec(),
            code: Code::InvalidArgument,
            message: "truncated mp4",
        },
        Case {
            name: "PDF named .mp4",
            key: admin.clone(),
            metadata: metadata("squat", "workout.mp4", tiny_pdf().len()),
            bytes: tiny_pdf(),
            code: Code::InvalidArgument,
            message: "a PDF document, not a video",
        },
        Case {
            name: "declared size larger than sent",
            key: admin.clone(),
            metadata: metadata("squat", "short.mp4", good.len() + 1000),
            bytes: good.clone(),
            code: Code::InvalidArgument,
            message: "does not match",
        },
        Case {
            name: "declared size smaller than sent",
            key: admin.clone(),
            metadata: metadata("squat", "long.mp4", good.len() - 1000),
            bytes: good.clone(),
            code: Code::InvalidArgument,
            message: "does not match",
        },
        Case {
            name: "over the limit, declared",
            key: admin.clone(),
            metadata: metadata("squat", LARGE, large.len()),
            bytes: large.clone(),
            code: Code::ResourceExhausted,
            message: "exceeds the maximum",
        },
        Case {
            name: "over the limit, undeclared",
            key: admin.clone(),
            metadata: metadata("squat", LARGE, 0),
            bytes: large.clone(),
            code: Code::ResourceExhausted,
            message: "exceeds the maximum size",
        },
        Case {
            name: "wrong checksum",
            key: admin.clone(),
            metadata: UploadMetadata {
                sha256_hex: hex(b"something else"),
                ..metadata("squat", GOOD, good.len())
            },
            bytes: good.clone(),
            code: Code::InvalidArgument,
            message: "sha256 mismatch",
        },
        Case {
            name: "unknown exercise",
            key: admin.clone(),
            metadata: metadata("underwater_basket_weaving", GOOD, good.len()),
            bytes: good.clone(),
            code: Code::InvalidArgument,
            message: "unknown exercise 'underwater_basket_weaving'",
        },
        Case {
            name: "another tenant's session",
            key: acme_admin.clone(),
            metadata: into(metadata("squat", GOOD, good.len()), &rival_session),
            bytes: good.clone(),
            code: Code::NotFound,
            message: "not found",
        },
        Case {
            name: "another user's session",
            key: bob.clone(),
            metadata: into(metadata("squat", GOOD, good.len()), &alice_session),
            bytes: good.clone(),
            code: Code::PermissionDenied,
            message: "",
        },
    ];
    for case in cases {
        let status = suite
            .upload_chunks(&case.key, case.metadata, chunks(&case.bytes))
            .await
            .unwrap()
            .expect_err(case.name);
        eprintln!("{}: {:?} {}", case.name, status.code(), status.message());
        assert_eq!(status.code(), case.code, "{}: {status:?}", case.name);
        assert!(
            status.message().contains(case.message),
            "{}: '{}' lacks '{}'",
            case.name,
            status.message(),
            case.message
        );
        let now = session_audit::footprint(&suite).await.unwrap();
        assert_eq!(now, before, "{}: something was kept", case.name);
    }

    // The good video: same row, same bytes.
    let db = session_audit::connect(&suite).await.unwrap();
    let row = video::Entity::find_by_id(stored.video_id.clone())
        .one(&db)
        .await
        .unwrap()
        .expect("good video row");
    assert_eq!(row.sha256_hex, hex(&good));
    assert_eq!(row.size_bytes, good.len() as i64);
    let on_disk = std::fs::read(suite.objects_path().join(&original.key)).unwrap();
    assert_eq!(
        hex(&on_disk),
        hex(&good),
        "the stored original is untouched"
    );
    let audit = session_audit::audit_objects(&suite).await.unwrap();
    assert!(audit.is_clean(), "{audit:?}");
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_definitions_are_validated_by_the_engine_before_they_are_stored() {
    let suite = Suite::start_with_env(&[("FITVISION_SESSION_WORKERS", "0")])
        .await
        .expect("suite starts");
    let acme = suite
        .create_api_key("acme", "acme-admin", Role::Admin)
        .await
        .unwrap();
    let upsert = |definition: &str| {
        with_api_key(
            &acme,
            UpsertCatalogExerciseRequest {
                exercise: Some(CatalogExercise {
                    exercise_id: "wall-sit".into(),
                    name: "Wall Sit".into(),
                    algorithm_json: definition.into(),
                    enabled: true,
                    ..Default::default()
                }),
            },
        )
        .unwrap()
    };
    let mut client = suite.session_client().await.unwrap();
    // Valid JSON, but the engine refuses it: rep mode without a signal or rules.
    let status = client
        .upsert_catalog_exercise(upsert(
            r#"{"id": "wall_sit", "name": "Wall Sit", "mode": "rep", "met": 2.5}"#,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    for reason in ["rep mode needs a `signal`", "rep mode needs `reps` rules"] {
        assert!(status.message().contains(reason), "{}", status.message());
    }
    let listed = client
        .list_catalog_exercises(with_api_key(&acme, ListCatalogExercisesRequest {}).unwrap())
        .await
        .unwrap()
        .into_inner()
        .exercises;
    assert!(listed.is_empty(), "nothing stored: {listed:?}");

    let valid = r#"{"id": "wall_sit", "name": "Wall Sit", "mode": "timer", "met": 2.5,
        "hold": {"conditions": [{"signal": {"kind": "joint_angle", "joint": "knee",
        "side": "auto"}, "min": 75, "max": 110}]}}"#;
    let saved = client
        .upsert_catalog_exercise(upsert(valid))
        .await
        .unwrap()
        .into_inner()
        .exercise
        .unwrap();
    assert_eq!(saved.r#type, "timer");
}
