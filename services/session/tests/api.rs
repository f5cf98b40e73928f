//! The SessionService over gRPC on SQLite and PostgreSQL: auth, tenancy,
//! sessions, pagination, AI Move results and statistics, uploads.

mod support;

use fitvision_proto::v1 as pb;
use fitvision_session::db::entity::{job, session, video};
use sea_orm::{EntityTrait, PaginatorTrait};
use support::{ADMIN_KEY, TestServer, authed, start_server, synthetic_mp4};
use tonic::Code;

/// A tenant's timer exercise in the engine's definition format.
const WALL_SIT_DEFINITION: &str = r#"{
  "id": "wall_sit", "name": "Wall Sit", "mode": "timer", "met": 2.5,
  "hold": {"conditions": [
    {"signal": {"kind": "joint_angle", "joint": "knee", "side": "auto"}, "min": 75, "max": 110}
  ]}
}"#;

async fn key_for(server: &mut TestServer, tenant: &str, user: &str, role: pb::Role) -> String {
    server
        .client
        .create_api_key(authed(
            ADMIN_KEY,
            pb::CreateApiKeyRequest {
                user_id: user.into(),
                role: role as i32,
                scopes: vec![],
                tenant_id: tenant.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key
}

async fn create(
    server: &mut TestServer,
    key: &str,
    request: pb::CreateSessionRequest,
) -> Result<pb::Session, tonic::Status> {
    server
        .client
        .create_session(authed(key, request))
        .await
        .map(|r| r.into_inner().session.unwrap())
}

fn ai_move(exercise: &str) -> pb::CreateSessionRequest {
    pb::CreateSessionRequest {
        kind: pb::SessionKind::AiMove as i32,
        exercise_id: exercise.into(),
        client_results: Some(pb::ClientResults {
            exercise_type: "rep".into(),
            target_reps: 10,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn credentials_and_tokens() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let name = backend.name();
        let status = server
            .client
            .list_sessions(pb::ListSessionsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{name}");
        let status = server
            .client
            .list_sessions(authed("wrong", pb::ListSessionsRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{name}");
        for credential in [
            format!("API-KEY {ADMIN_KEY}"),
            format!("Bearer {ADMIN_KEY}"),
            ADMIN_KEY.to_owned(),
        ] {
            let principal = server
                .client
                .authenticate(pb::AuthenticateRequest { credential })
                .await
                .unwrap()
                .into_inner()
                .principal
                .unwrap();
            assert_eq!(principal.role, pb::Role::Admin as i32);
            assert_eq!(principal.tenant_id, "gofa");
            assert!(principal.enabled_modules.contains(&"ai_move".to_owned()));
        }
        let token = server
            .client
            .issue_token(pb::IssueTokenRequest {
                client_id: "admin".into(),
                client_secret: ADMIN_KEY.into(),
                scope: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(token.expires_in_s, 3600);
        let mut request = tonic::Request::new(pb::ListSessionsRequest::default());
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", token.access_token).parse().unwrap(),
        );
        server.client.list_sessions(request).await.unwrap();
        let status = server
            .client
            .issue_token(pb::IssueTokenRequest {
                client_id: "admin".into(),
                client_secret: "nope".into(),
                scope: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{name}");

        // Keys: client credentials with key id + key, then revocation ends both.
        let created = server
            .client
            .create_api_key(authed(
                ADMIN_KEY,
                pb::CreateApiKeyRequest {
                    user_id: "u1".into(),
                    role: pb::Role::User as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let token = server
            .client
            .issue_token(pb::IssueTokenRequest {
                client_id: created.key_id.clone(),
                client_secret: created.api_key.clone(),
                scope: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .access_token;
        server
            .client
            .revoke_api_key(authed(
                ADMIN_KEY,
                pb::RevokeApiKeyRequest {
                    key_id: created.key_id,
                },
            ))
            .await
            .unwrap();
        for credential in [created.api_key, token] {
            let status = server
                .client
                .authenticate(pb::AuthenticateRequest { credential })
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated, "{name}: revoked");
        }
    }
}

#[tokio::test]
async fn tenancy_and_roles() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let name = backend.name();
        let alice = key_for(&mut server, "", "alice", pb::Role::User).await;
        let bob = key_for(&mut server, "", "bob", pb::Role::User).await;
        let coach = key_for(&mut server, "", "coach", pb::Role::SubAdmin).await;
        let other_tenant = key_for(&mut server, "acme", "mallory", pb::Role::Admin).await;

        let session = create(&mut server, &alice, ai_move("squat-basic"))
            .await
            .unwrap();
        assert_eq!(session.user_id, "alice");
        assert_eq!(session.status, pb::SessionStatus::Created as i32);
        let get = |key: String, id: String| {
            let mut client = server.client.clone();
            async move {
                client
                    .get_session(authed(&key, pb::GetSessionRequest { session_id: id }))
                    .await
            }
        };
        get(alice.clone(), session.session_id.clone())
            .await
            .unwrap();
        get(coach.clone(), session.session_id.clone())
            .await
            .unwrap();
        assert_eq!(
            get(bob.clone(), session.session_id.clone())
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied,
            "{name}"
        );
        assert_eq!(
            get(other_tenant.clone(), session.session_id.clone())
                .await
                .unwrap_err()
                .code(),
            Code::NotFound,
            "{name}"
        );
        assert_eq!(
            get(alice.clone(), "missing".into())
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );

        // Users cannot create on behalf of others; sub-admins can (as the Weightlifting API
        // documents).
        let mut for_bob = ai_move("squat");
        for_bob.user_id = "bob".into();
        assert_eq!(
            create(&mut server, &alice, for_bob.clone())
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            create(&mut server, &coach, for_bob).await.unwrap().user_id,
            "bob"
        );
        // Unknown exercise and missing kind are refused.
        assert_eq!(
            create(&mut server, &alice, ai_move("moonwalk"))
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );
        assert_eq!(
            create(&mut server, &alice, pb::CreateSessionRequest::default())
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );
        // A tenant without the module gets PERMISSION_DENIED.
        server
            .client
            .upsert_tenant(authed(
                ADMIN_KEY,
                pb::UpsertTenantRequest {
                    tenant: Some(pb::Tenant {
                        tenant_id: "acme".into(),
                        enabled_modules: vec!["weightlifting".into()],
                        ..Default::default()
                    }),
                    replace_library_selection: false,
                },
            ))
            .await
            .unwrap();
        assert_eq!(
            create(&mut server, &other_tenant, ai_move("squat"))
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        // Only platform admins configure tenants.
        let status = server
            .client
            .upsert_tenant(authed(&other_tenant, pb::UpsertTenantRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn cursor_pagination_and_filters() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let alice = key_for(&mut server, "", "alice", pb::Role::User).await;
        let bob = key_for(&mut server, "", "bob", pb::Role::User).await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(
                create(&mut server, &alice, ai_move("squat"))
                    .await
                    .unwrap()
                    .session_id,
            );
        }
        create(&mut server, &bob, ai_move("squat")).await.unwrap();
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = server
                .client
                .list_sessions(authed(
                    &alice,
                    pb::ListSessionsRequest {
                        limit: 2,
                        start_after: cursor.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(page.sessions.len() <= 2);
            seen.extend(page.sessions.iter().map(|s| s.session_id.clone()));
            if page.next_cursor.is_empty() {
                break;
            }
            cursor = page.next_cursor;
        }
        assert_eq!(
            seen,
            ids,
            "{}: alice sees her five, oldest first",
            backend.name()
        );
        let newest = server
            .client
            .list_sessions(authed(
                &alice,
                pb::ListSessionsRequest {
                    limit: 1,
                    newest_first: true,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(newest.sessions[0].session_id, ids[4]);
        let everyone = server
            .client
            .list_sessions(authed(
                ADMIN_KEY,
                pb::ListSessionsRequest {
                    limit: 100,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(everyone.sessions.len(), 6);
        let status = server
            .client
            .list_sessions(authed(
                &alice,
                pb::ListSessionsRequest {
                    user_id: "bob".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn ai_move_results_and_statistics() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let alice = key_for(&mut server, "", "alice", pb::Role::User).await;
        let bob = key_for(&mut server, "", "bob", pb::Role::User).await;
        let client = server.client.clone();
        let complete = move |key: String, id: String, reps: u32, form: f64| {
            let mut client = client.clone();
            async move {
                client
                    .update_session(authed(
                        &key,
                        pb::UpdateSessionRequest {
                            session_id: id,
                            status: Some(pb::SessionStatus::Completed as i32),
                            client_results: Some(pb::ClientResults {
                                reps_completed: reps,
                                duration_s: 45.0,
                                calories_burned_kcal: 8.0,
                                pose_accuracy: 0.92,
                                form_score: Some(form),
                                completion_outcome: Some("success".into()),
                                ..Default::default()
                            }),
                            client_result_fields: vec![
                                "repsCompleted".into(),
                                "durationSeconds".into(),
                                "caloriesBurned".into(),
                                "poseAccuracy".into(),
                                "formScore".into(),
                                "completionOutcome".into(),
                            ],
                            ..Default::default()
                        },
                    ))
                    .await
            }
        };
        let first = create(&mut server, &alice, ai_move("squat"))
            .await
            .unwrap()
            .session_id;
        let second = create(&mut server, &alice, ai_move("squat"))
            .await
            .unwrap()
            .session_id;
        let updated = complete(alice.clone(), first.clone(), 10, 0.88)
            .await
            .unwrap()
            .into_inner()
            .session
            .unwrap();
        assert_eq!(updated.status, pb::SessionStatus::Completed as i32);
        assert!(updated.completed_at.is_some());
        let results = updated.client_results.unwrap();
        assert_eq!(
            (results.reps_completed, results.target_reps),
            (10, 10),
            "mask kept target_reps"
        );
        // Completing again does not count twice.
        complete(alice.clone(), first.clone(), 10, 0.88)
            .await
            .unwrap();
        complete(alice.clone(), second, 7, 0.95).await.unwrap();
        assert_eq!(
            complete(bob.clone(), first.clone(), 1, 0.1)
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied
        );
        let stats = server
            .client
            .get_user_stats(authed(&alice, pb::GetUserStatsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .stats;
        assert_eq!(stats.len(), 1, "{}", backend.name());
        assert_eq!(stats[0].exercise_id, "squat");
        assert_eq!(stats[0].sessions_completed, 2);
        assert_eq!(stats[0].total_reps, 17);
        assert!((stats[0].total_duration_s - 90.0).abs() < 1e-9);
        assert!((stats[0].best_form_score - 0.95).abs() < 1e-9);
        // Range validation.
        let status = server
            .client
            .update_session(authed(
                &alice,
                pb::UpdateSessionRequest {
                    session_id: first.clone(),
                    client_results: Some(pb::ClientResults {
                        pose_accuracy: 1.5,
                        ..Default::default()
                    }),
                    client_result_fields: vec!["poseAccuracy".into()],
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let status = server
            .client
            .update_session(authed(
                &alice,
                pb::UpdateSessionRequest {
                    session_id: first,
                    status: Some(99),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }
}

#[tokio::test]
async fn tenant_aware_catalog() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let library = server
            .client
            .list_catalog_exercises(authed(ADMIN_KEY, pb::ListCatalogExercisesRequest {}))
            .await
            .unwrap()
            .into_inner()
            .exercises;
        assert!(library.len() >= 20);
        assert!(
            library
                .windows(2)
                .all(|w| w[0].sort_order <= w[1].sort_order)
        );
        let acme = key_for(&mut server, "acme", "acme-admin", pb::Role::Admin).await;
        let empty = server
            .client
            .list_catalog_exercises(authed(&acme, pb::ListCatalogExercisesRequest {}))
            .await
            .unwrap()
            .into_inner()
            .exercises;
        assert!(empty.is_empty(), "{}: nothing selected yet", backend.name());
        server
            .client
            .upsert_tenant(authed(
                ADMIN_KEY,
                pb::UpsertTenantRequest {
                    tenant: Some(pb::Tenant {
                        tenant_id: "acme".into(),
                        enabled_modules: vec!["ai_move".into()],
                        library_selection: vec![
                            pb::LibrarySelection {
                                exercise_id: "squat".into(),
                                sort_order: 20,
                                enabled: true,
                            },
                            pb::LibrarySelection {
                                exercise_id: "plank".into(),
                                sort_order: 5,
                                enabled: false,
                            },
                        ],
                        ..Default::default()
                    }),
                    replace_library_selection: true,
                },
            ))
            .await
            .unwrap();
        server
            .client
            .upsert_catalog_exercise(authed(
                &acme,
                pb::UpsertCatalogExerciseRequest {
                    exercise: Some(pb::CatalogExercise {
                        exercise_id: "wall-sit".into(),
                        name: "Wall Sit".into(),
                        r#type: "timer".into(),
                        algorithm_json: WALL_SIT_DEFINITION.into(),
                        enabled: true,
                        sort_order: 10,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap();
        let visible: Vec<String> = server
            .client
            .list_catalog_exercises(authed(&acme, pb::ListCatalogExercisesRequest {}))
            .await
            .unwrap()
            .into_inner()
            .exercises
            .into_iter()
            .map(|e| format!("{}:{}", e.client_id, e.exercise_id))
            .collect();
        assert_eq!(
            visible,
            vec!["acme:wall-sit".to_owned(), "gofa:squat".to_owned()]
        );
        let status = server
            .client
            .get_catalog_exercise(authed(
                &acme,
                pb::GetCatalogExerciseRequest {
                    exercise_id: "push_up".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "not selected");
        let found = server
            .client
            .get_catalog_exercise(authed(
                ADMIN_KEY,
                pb::GetCatalogExerciseRequest {
                    exercise_id: "pushup".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .exercise
            .unwrap();
        // Names and definitions come from the metrics engine's catalog.
        let engine = fitvision_exercise_engine::Catalog::builtin().unwrap();
        let definition = engine.get("push_up").unwrap();
        assert_eq!(found.exercise_id, "push_up");
        assert_eq!(found.name_zh, definition.name_zh);
        assert_eq!(found.algorithm_json, definition.to_json());
    }
}

/// Streams an upload with the given metadata and bytes in 64 KiB chunks.
async fn upload(
    server: &mut TestServer,
    key: &str,
    metadata: pb::UploadMetadata,
    bytes: &[u8],
) -> Result<pb::Video, tonic::Status> {
    let mut messages = vec![pb::UploadVideoRequest {
        payload: Some(pb::upload_video_request::Payload::Metadata(metadata)),
    }];
    messages.extend(bytes.chunks(64 * 1024).map(|chunk| pb::UploadVideoRequest {
        payload: Some(pb::upload_video_request::Payload::Chunk(chunk.to_vec())),
    }));
    server
        .client
        .upload_video(authed(key, tokio_stream::iter(messages)))
        .await
        .map(|r| r.into_inner().video.unwrap())
}

/// Objects, sessions, videos and jobs currently stored (the upload-area
/// heartbeat says the process is alive; it is not data).
async fn footprint(server: &TestServer) -> (Vec<String>, u64, u64, u64) {
    let db = &server.context.db;
    let objects = server.data_dir.path().join("objects");
    let heartbeats = objects.join("tmp/upload-areas");
    let mut files = Vec::new();
    let mut stack = vec![objects];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else if !entry.path().starts_with(&heartbeats) {
                files.push(entry.path().display().to_string());
            }
        }
    }
    files.sort();
    (
        files,
        session::Entity::find().count(db).await.unwrap(),
        video::Entity::find().count(db).await.unwrap(),
        job::Entity::find().count(db).await.unwrap(),
    )
}

#[tokio::test]
async fn uploads_are_verified_and_refusals_leave_nothing() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |config| config.max_upload_bytes = 4 << 20).await;
        let name = backend.name();
        let alice = key_for(&mut server, "", "alice", pb::Role::User).await;
        let foreign = key_for(&mut server, "acme", "mallory", pb::Role::Admin).await;
        let video = synthetic_mp4(2 << 20);
        let meta = |exercise: &str, size: u64| pb::UploadMetadata {
            kind: pb::SessionKind::Workout as i32,
            exercise_id: exercise.into(),
            filename: "pushups.mp4".into(),
            declared_size_bytes: size,
            ..Default::default()
        };

        let stored = upload(
            &mut server,
            &alice,
            meta("pushup", video.len() as u64),
            &video,
        )
        .await
        .unwrap();
        assert_eq!(stored.status, pb::VideoStatus::Queued as i32, "{name}");
        let original = stored.original.clone().unwrap();
        assert_eq!(original.size_bytes, video.len() as u64);
        assert_eq!(original.content_type, "video/mp4");
        assert_eq!(
            original.sha256_hex,
            hex::encode(sha2::Sha256::digest(&video))
        );
        let before = footprint(&server).await;
        assert_eq!(
            (before.0.len(), before.1, before.2, before.3),
            (1, 1, 1, 1),
            "{name}: one of each"
        );

        let mut pdf = b"%PDF-1.5\n".to_vec();
        pdf.extend(std::iter::repeat_n(b'a', 200_000));
        let own_session = stored.session_id.clone();
        let cases: Vec<(&str, String, pb::UploadMetadata, Vec<u8>, Code)> = vec![
            (
                "empty",
                alice.clone(),
                meta("pushup", 0),
                vec![],
                Code::InvalidArgument,
            ),
            (
                "truncated mp4",
                alice.clone(),
                meta("pushup", 0),
                video[..video.len() / 2].to_vec(),
                Code::InvalidArgument,
            ),
            (
                "pdf named .mp4",
                alice.clone(),
                meta("pushup", 0),
                pdf,
                Code::InvalidArgument,
            ),
            (
                "declared size too big",
                alice.clone(),
                meta("pushup", video.len() as u64 + 10),
                video.clone(),
                Code::InvalidArgument,
            ),
            (
                "declared size too small",
                alice.clone(),
                meta("pushup", 1000),
                video.clone(),
                Code::InvalidArgument,
            ),
            (
                "over the limit",
                alice.clone(),
                meta("pushup", 0),
                synthetic_mp4(5 << 20),
                Code::ResourceExhausted,
            ),
            (
                "declared over the limit",
                alice.clone(),
                meta("pushup", 5 << 20),
                video.clone(),
                Code::ResourceExhausted,
            ),
            (
                "unknown exercise",
                alice.clone(),
                meta("moonwalk", 0),
                video.clone(),
                Code::InvalidArgument,
            ),
            (
                "foreign tenant's session",
                foreign.clone(),
                pb::UploadMetadata {
                    session_id: own_session.clone(),
                    ..meta("pushup", 0)
                },
                video.clone(),
                Code::NotFound,
            ),
        ];
        for (case, key, metadata, bytes, expected) in cases {
            let status = upload(&mut server, &key, metadata, &bytes)
                .await
                .unwrap_err();
            assert_eq!(
                status.code(),
                expected,
                "{name}: {case}: {}",
                status.message()
            );
            // Drop-spawned cleanups run on the server's runtime; give them a moment.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert_eq!(
                footprint(&server).await,
                before,
                "{name}: {case} left something behind"
            );
        }
        let status = upload(
            &mut server,
            &alice,
            pb::UploadMetadata {
                sha256_hex: "ab".repeat(32),
                ..meta("pushup", 0)
            },
            &video,
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: checksum");

        // A second video into the same session, then deletion removes everything.
        upload(
            &mut server,
            &alice,
            pb::UploadMetadata {
                session_id: own_session.clone(),
                ..meta("squat", 0)
            },
            &video,
        )
        .await
        .unwrap();
        let session = server
            .client
            .get_session(authed(
                &alice,
                pb::GetSessionRequest {
                    session_id: own_session.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .session
            .unwrap();
        assert_eq!(session.videos.len(), 2);
        assert_eq!(session.status, pb::SessionStatus::InProgress as i32);
        server
            .client
            .delete_session(authed(
                &alice,
                pb::DeleteSessionRequest {
                    session_id: own_session,
                },
            ))
            .await
            .unwrap();
        assert_eq!(
            footprint(&server).await,
            (vec![], 0, 0, 0),
            "{name}: delete left something"
        );
    }
}

#[tokio::test]
async fn guru_create_then_upload() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let video = synthetic_mp4(100_000);
        let session = create(
            &mut server,
            ADMIN_KEY,
            pb::CreateSessionRequest {
                kind: pb::SessionKind::Video as i32,
                exercise_id: "squat".into(),
                pending_video: Some(pb::PendingVideo {
                    filename: "workout.mp4".into(),
                    declared_size_bytes: video.len() as u64,
                    expected_rep_count: 12,
                    exercise_id: String::new(),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let pending = &session.videos[0];
        assert_eq!(pending.status, pb::VideoStatus::AwaitingUpload as i32);
        assert_eq!(pending.expected_rep_count, 12);
        let uploaded = upload(
            &mut server,
            ADMIN_KEY,
            pb::UploadMetadata {
                video_id: pending.video_id.clone(),
                ..Default::default()
            },
            &video,
        )
        .await
        .unwrap();
        assert_eq!(uploaded.video_id, pending.video_id, "{}", backend.name());
        assert_eq!(uploaded.status, pb::VideoStatus::Queued as i32);
        let again = upload(
            &mut server,
            ADMIN_KEY,
            pb::UploadMetadata {
                video_id: pending.video_id.clone(),
                ..Default::default()
            },
            &video,
        )
        .await
        .unwrap_err();
        assert_eq!(again.code(), Code::FailedPrecondition);
    }
}

use sha2::Digest;

#[tokio::test]
async fn custom_exercise_definitions_are_validated_by_the_engine() {
    let mut server = start_server(&support::Backend::Sqlite, |_| {}).await;
    let acme = key_for(&mut server, "acme", "acme-admin", pb::Role::Admin).await;
    let upsert = |definition: &str, kind: &str| pb::UpsertCatalogExerciseRequest {
        exercise: Some(pb::CatalogExercise {
            exercise_id: "wall-sit".into(),
            name: "Wall Sit".into(),
            r#type: kind.into(),
            algorithm_json: definition.into(),
            enabled: true,
            ..Default::default()
        }),
    };
    let invalid_engine_rules = WALL_SIT_DEFINITION
        .replace("\"met\": 2.5", "\"met\": 99")
        .replace("\"joint\": \"knee\"", "\"joint\": \"tail\"");
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "not JSON",
            "{mode: rule".into(),
            "",
            &["not a valid exercise definition"],
        ),
        (
            "JSON but not a definition",
            "{\"mode\":\"rule\"}".into(),
            "",
            &["not a valid exercise definition", "rule"],
        ),
        (
            "every engine rule broken is listed",
            invalid_engine_rules,
            "",
            &["tail"],
        ),
        (
            "type contradicts the definition",
            WALL_SIT_DEFINITION.into(),
            "rep",
            &["type 'rep' contradicts the definition's mode 'timer'"],
        ),
    ];
    for (name, definition, kind, expected) in cases {
        let status = server
            .client
            .upsert_catalog_exercise(authed(&acme, upsert(&definition, kind)))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        for part in expected {
            assert!(
                status.message().contains(part),
                "{name}: '{}' lacks '{part}'",
                status.message()
            );
        }
    }
    let listed = server
        .client
        .list_catalog_exercises(authed(&acme, pb::ListCatalogExercisesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .exercises;
    assert!(listed.is_empty(), "refused definitions are not stored");

    // The engine's own wording reaches the tenant.
    let both = WALL_SIT_DEFINITION.replace("\"met\": 2.5", "\"met\": 99");
    let status = server
        .client
        .upsert_catalog_exercise(authed(&acme, upsert(&both, "")))
        .await
        .unwrap_err();
    assert!(status.message().contains("met 99"), "{}", status.message());

    let saved = server
        .client
        .upsert_catalog_exercise(authed(&acme, upsert(WALL_SIT_DEFINITION, "")))
        .await
        .unwrap()
        .into_inner()
        .exercise
        .unwrap();
    assert_eq!(
        saved.r#type, "timer",
        "the type follows the definition's mode"
    );
}

/// SQLite admits one writer: concurrent upload transactions (which read
/// before they write) must queue for the lock instead of failing with
/// "database is locked".
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_uploads_all_commit() {
    for backend in support::backends() {
        let server = start_server(&backend, |_| {}).await;
        let video = synthetic_mp4(256 << 10);
        let mut uploads = tokio::task::JoinSet::new();
        for index in 0..16 {
            let mut client = server.client.clone();
            let video = video.clone();
            uploads.spawn(async move {
                let metadata = pb::UploadMetadata {
                    kind: pb::SessionKind::Video as i32,
                    exercise_id: "squat".into(),
                    filename: format!("{index}.mp4"),
                    declared_size_bytes: video.len() as u64,
                    user_id: format!("user-{index}"),
                    ..Default::default()
                };
                let mut messages = vec![pb::UploadVideoRequest {
                    payload: Some(pb::upload_video_request::Payload::Metadata(metadata)),
                }];
                messages.extend(video.chunks(64 << 10).map(|chunk| pb::UploadVideoRequest {
                    payload: Some(pb::upload_video_request::Payload::Chunk(chunk.to_vec())),
                }));
                client
                    .upload_video(authed(ADMIN_KEY, tokio_stream::iter(messages)))
                    .await
            });
        }
        while let Some(joined) = uploads.join_next().await {
            let outcome = joined.unwrap();
            assert!(outcome.is_ok(), "{}: {outcome:?}", backend.name());
        }
        let (files, sessions, videos, jobs) = footprint(&server).await;
        assert_eq!(
            (files.len(), sessions, videos, jobs),
            (16, 16, 16, 16),
            "{}",
            backend.name()
        );
    }
}

#[tokio::test]
async fn tokens_need_our_issuer_a_start_and_a_bounded_lifetime() {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    const SECRET: &str = "token-secret-for-this-test";
    let mut server = start_server(&support::Backend::Sqlite, |c| {
        c.token_secret = Some(SECRET.into());
    })
    .await;
    let issued = server
        .client
        .issue_token(pb::IssueTokenRequest {
            client_id: "admin".into(),
            client_secret: ADMIN_KEY.into(),
            scope: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    let mut read = Validation::new(Algorithm::HS256);
    read.validate_nbf = true;
    let claims: serde_json::Value =
        jsonwebtoken::decode(&issued, &DecodingKey::from_secret(SECRET.as_bytes()), &read)
            .unwrap()
            .claims;
    assert_eq!(claims["iss"], fitvision_session::auth::TOKEN_ISSUER);
    assert_eq!(claims["nbf"], claims["iat"]);
    let accepted = |token: String| {
        let mut client = server.client.clone();
        async move {
            let mut request = tonic::Request::new(pb::ListSessionsRequest::default());
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            client.list_sessions(request).await.map(|_| ())
        }
    };
    accepted(issued.clone()).await.unwrap();
    // The same claims re-signed with the secret but changed one way or another.
    let forge = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut forged = claims.clone();
        change(&mut forged);
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &forged,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    let now = claims["iat"].as_i64().unwrap();
    type Change<'a> = &'a dyn Fn(&mut serde_json::Value);
    let cases: [(&str, Change); 4] = [
        ("another issuer", &|c| c["iss"] = "someone-else".into()),
        ("no issuer", &|c| {
            c.as_object_mut().unwrap().remove("iss");
        }),
        ("not yet valid", &|c| c["nbf"] = (now + 3600).into()),
        ("a year long", &|c| c["exp"] = (now + 365 * 86_400).into()),
    ];
    for (what, change) in cases {
        let status = accepted(forge(change)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{what}");
    }
}
