//! An in-memory SessionService for the edge's HTTP tests: real gRPC over a
//! local port, deterministic answers, the same tenant/role rules the session
//! service documents (other tenant -> NOT_FOUND, other user -> PERMISSION_DENIED).
//!
//! Credentials: `admin-key` (admin of `gofa`, modules incl. ai_move),
//! `user-key` (user `u1` of `gofa`), `user2-key` (user `u2` of `gofa`),
//! `other-key` (admin of `acme`, no ai_move), `tok-admin` (token issued for
//! client `admin` / secret `admin-key`).
//!
//! Delegation as the edge uses it for verified external JWTs: the admin key
//! plus `x-fitvision-on-behalf-of-{tenant,user}` metadata acts as that user
//! of that tenant (tenants `gofa` and `acme`; user `jwt-admin` is an admin,
//! everyone else a user); any other key asking that is refused.
//!
//! Uploads whose filename contains `blocked` get a verdict over the thresholds:
//! BLOCKED under the tenant's default policy, COMPLETE with the verdict flagged
//! under a `flag` policy (Get/SetBlockingPolicy: admins of their tenant, the
//! `gofa` admin for any known tenant). `lowpose` FAILED with
//! LOW_QUALITY_POSE_ESTIMATE; the rest COMPLETE with a fixed analysis (3 reps,
//! jump height 41.5 cm).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use fitvision_exercise_engine::names::{metrics, phases, series};
use fitvision_proto::v1::session_service_server::{SessionService, SessionServiceServer};
use fitvision_proto::v1::upload_video_request::Payload;
use fitvision_proto::v1::*;
use futures::Stream;
use tonic::{Request, Response, Status};

type Res<T> = Result<Response<T>, Status>;

#[derive(Default)]
struct Store {
    sessions: Vec<Session>,
    threads: HashMap<String, Thread>,
    annotated_requests: HashMap<String, u32>,
    /// Authenticity policies as set, by tenant.
    policies: HashMap<String, BlockingPolicy>,
    next: u64,
}

#[derive(Clone)]
pub struct FakeSession {
    store: Arc<Mutex<Store>>,
    storage_root: PathBuf,
}

fn principal_for(credential: &str) -> Option<Principal> {
    let secret = fitvision_edge::auth::strip_scheme(credential);
    let (tenant, user, role, modules): (&str, &str, Role, &[&str]) = match secret {
        "admin-key" | "tok-admin" => (
            "gofa",
            "admin",
            Role::Admin,
            &["ai_move", "workout", "weightlifting"],
        ),
        "user-key" => (
            "gofa",
            "u1",
            Role::User,
            &["ai_move", "workout", "weightlifting"],
        ),
        "user2-key" => (
            "gofa",
            "u2",
            Role::User,
            &["ai_move", "workout", "weightlifting"],
        ),
        "other-key" => ("acme", "acme-admin", Role::Admin, &["workout"]),
        _ => return None,
    };
    Some(Principal {
        tenant_id: tenant.into(),
        user_id: user.into(),
        role: role as i32,
        enabled_modules: modules.iter().map(|m| (*m).to_owned()).collect(),
        ..Default::default()
    })
}

fn tenant_modules(tenant: &str) -> Option<&'static [&'static str]> {
    match tenant {
        "gofa" => Some(&["ai_move", "workout", "weightlifting"]),
        "acme" => Some(&["workout"]),
        _ => None,
    }
}

/// The principal a delegating admin key acts for, when the metadata asks.
fn delegated(
    metadata: &tonic::metadata::MetadataMap,
    credential: &Principal,
) -> Option<Result<Principal, Status>> {
    let text = |name: &str| metadata.get(name).and_then(|v| v.to_str().ok());
    let tenant = text(fitvision_edge::auth::ON_BEHALF_OF_TENANT)?;
    let user = text(fitvision_edge::auth::ON_BEHALF_OF_USER)?;
    if !(credential.tenant_id == "gofa" && credential.role() == Role::Admin) {
        return Some(Err(Status::permission_denied(
            "only the platform admin key may act for others",
        )));
    }
    let Some(modules) = tenant_modules(tenant) else {
        return Some(Err(Status::unauthenticated("unknown tenant")));
    };
    let role = if user == "jwt-admin" {
        Role::Admin
    } else {
        Role::User
    };
    Some(Ok(Principal {
        tenant_id: tenant.into(),
        user_id: user.into(),
        role: role as i32,
        enabled_modules: modules.iter().map(|m| (*m).to_owned()).collect(),
        key_id: "on-behalf-of".into(),
        ..Default::default()
    }))
}

fn principal_from(
    metadata: &tonic::metadata::MetadataMap,
    credential: &str,
) -> Result<Principal, Status> {
    let principal =
        principal_for(credential).ok_or_else(|| Status::unauthenticated("bad credential"))?;
    delegated(metadata, &principal).unwrap_or(Ok(principal))
}

fn caller<T>(request: &Request<T>) -> Result<Principal, Status> {
    let credential = request
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Status::unauthenticated("no credential"))?;
    principal_from(request.metadata(), credential)
}

fn now() -> prost_types::Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    prost_types::Timestamp {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

fn is_manager(p: &Principal) -> bool {
    matches!(p.role(), Role::Admin | Role::SubAdmin)
}

fn check_access(p: &Principal, s: &Session) -> Result<(), Status> {
    if s.tenant_id != p.tenant_id {
        return Err(Status::not_found("session not found"));
    }
    if !is_manager(p) && s.user_id != p.user_id {
        return Err(Status::permission_denied("belongs to another user"));
    }
    Ok(())
}

fn catalog() -> Vec<CatalogExercise> {
    vec![
        CatalogExercise {
            exercise_id: "squat-basic".into(),
            client_id: "gofa".into(),
            name: "Basic Squat".into(),
            name_zh: "基礎深蹲".into(),
            description: "Lower into a squat and return to standing.".into(),
            category: "strength".into(),
            difficulty: "beginner".into(),
            image_url: "/assets/ai-move/squat-basic.webp".into(),
            r#type: "rep".into(),
            target_value: 10,
            estimated_calories: 8.0,
            algorithm_json: r#"{"mode":"rule"}"#.into(),
            enabled: true,
            sort_order: 10,
        },
        CatalogExercise {
            exercise_id: "plank-hold".into(),
            client_id: "gofa".into(),
            name: "Plank".into(),
            r#type: "timer".into(),
            target_value: 30,
            enabled: true,
            sort_order: 20,
            ..Default::default()
        },
    ]
}

/// A fixed analysis: 3 reps, a jump height, angle and bar series, two phases.
fn analysis(exercise_id: &str) -> AnalysisResult {
    let reps = (0..3)
        .map(|i| Rep {
            index: i,
            start_timestamp_ms: 1000.0 * f64::from(i),
            mid_timestamp_ms: 1000.0 * f64::from(i) + 400.0,
            end_timestamp_ms: 1000.0 * f64::from(i) + 900.0,
            analyses: vec![RepAnalysis {
                analysis_type: "HIP_KNEE_ANGLE_DEGREES".into(),
                scalar: Some(84.5),
                opinion: Opinion::Good as i32,
            }],
            good_form: true,
            ..Default::default()
        })
        .collect();
    let series = |unit: &str, values: Vec<f64>| Series {
        unit: unit.into(),
        values,
    };
    AnalysisResult {
        exercise_id: exercise_id.into(),
        mode: "rep".into(),
        rep_count: 3,
        reps,
        form_score: 0.9,
        pose_accuracy: 0.95,
        duration_s: 3.0,
        calories_kcal: 1.5,
        metrics: HashMap::from([
            (metrics::JUMP_HEIGHT_CM.into(), 41.5),
            (metrics::MAX_BAR_SPEED_M_S.into(), 1.8),
        ]),
        series: HashMap::from([
            (
                series::LEFT_KNEE_ANGLE.into(),
                series("deg", vec![170.0, 90.0, 170.0]),
            ),
            (
                series::LEFT_ELBOW_ANGLE.into(),
                series("deg", vec![160.0, 150.0, 160.0]),
            ),
            (
                series::BAR_VELOCITY.into(),
                series("m/s", vec![0.0, 1.8, 0.2]),
            ),
            (series::BAR_HEIGHT.into(), series("m", vec![0.2, 0.9, 1.4])),
            // Names as libs/exercise-engine's lift analyser emits them.
            (
                series::POWER_OUTPUT.into(),
                series("W", vec![100.0, 2400.0, 300.0]),
            ),
            (
                series::BARBELL_TRAJECTORY_X.into(),
                series("m", vec![0.0, 0.05, 0.02]),
            ),
            (
                series::BARBELL_TRAJECTORY_Y.into(),
                series("m", vec![0.2, 0.9, 1.4]),
            ),
        ]),
        series_timestamps_ms: vec![0.0, 500.0, 1000.0],
        phases: vec![
            Phase {
                name: phases::FIRST_PULL.into(),
                start_timestamp_ms: 0.0,
                end_timestamp_ms: 536.0,
                ..Default::default()
            },
            Phase {
                name: phases::SECOND_PULL.into(),
                start_timestamp_ms: 536.0,
                end_timestamp_ms: 952.0,
                ..Default::default()
            },
        ],
        subject_track_id: 1,
        ..Default::default()
    }
}

/// A verdict over the thresholds (`over`) or a clean one, under `policy` (in force).
fn report(over: bool, policy: BlockingPolicy) -> AuthenticityReport {
    let blocked = over && policy.mode() != BlockingMode::Flag;
    let check = |name: &str, score: f64, flagged: bool| AuthenticityCheck {
        check: name.into(),
        score,
        flagged,
        reason: if flagged {
            "suspicious".into()
        } else {
            "ok".into()
        },
        weight: 0.25,
        ..Default::default()
    };
    AuthenticityReport {
        score: if over { 72.0 } else { 8.0 },
        risk_level: if over {
            RiskLevel::High
        } else {
            RiskLevel::Low
        } as i32,
        blocked,
        checks: vec![
            check("camera_consistency", 5.0, false),
            check("text_overlay", if over { 90.0 } else { 3.0 }, over),
            check("multiple_people", 0.0, false),
            check("manipulation", 10.0, false),
        ],
        summary: if blocked {
            "blocked".into()
        } else if over {
            "flagged".into()
        } else {
            "authentic".into()
        },
        policy: Some(policy),
        over_threshold: over,
    }
}

/// The tenant a blocking-policy call may reach, as the session service rules.
fn policy_tenant(p: &Principal, requested: &str) -> Result<String, Status> {
    if p.role() != Role::Admin {
        return Err(Status::permission_denied("admin role required"));
    }
    let tenant = if requested.is_empty() {
        p.tenant_id.clone()
    } else {
        requested.to_owned()
    };
    if tenant != p.tenant_id && p.tenant_id != "gofa" {
        return Err(Status::permission_denied(
            "only platform admins configure other tenants",
        ));
    }
    if tenant_modules(&tenant).is_none() {
        return Err(Status::not_found(format!("tenant '{tenant}' not found")));
    }
    Ok(tenant)
}

impl FakeSession {
    pub fn new(storage_root: PathBuf) -> Self {
        Self {
            store: Arc::new(Mutex::new(Store::default())),
            storage_root,
        }
    }

    /// The tenant's policy in force (defaults filled in).
    fn policy_of(&self, tenant: &str) -> BlockingPolicy {
        let store = self.store.lock().unwrap();
        fitvision_proto::blocking::effective(store.policies.get(tenant))
    }

    fn id(&self, prefix: &str) -> String {
        let mut store = self.store.lock().unwrap();
        store.next += 1;
        format!("{prefix}{:04}", store.next)
    }

    fn find(&self, p: &Principal, id: &str) -> Result<Session, Status> {
        let store = self.store.lock().unwrap();
        let s = store
            .sessions
            .iter()
            .find(|s| s.session_id == id)
            .ok_or_else(|| Status::not_found("session not found"))?;
        check_access(p, s)?;
        Ok(s.clone())
    }

    fn find_video(&self, p: &Principal, video_id: &str) -> Result<(Session, Video), Status> {
        let store = self.store.lock().unwrap();
        for s in &store.sessions {
            if let Some(v) = s.videos.iter().find(|v| v.video_id == video_id) {
                check_access(p, s)?;
                return Ok((s.clone(), v.clone()));
            }
        }
        Err(Status::not_found("video not found"))
    }

    fn with_session<R>(&self, id: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        let mut store = self.store.lock().unwrap();
        store
            .sessions
            .iter_mut()
            .find(|s| s.session_id == id)
            .map(f)
    }

    /// Binds a port, serves, returns the URL.
    pub async fn spawn(self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status(
                fitvision_proto::service_names::SESSION,
                tonic_health::ServingStatus::Serving,
            )
            .await;
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(health)
                .add_service(SessionServiceServer::new(self))
                .serve_with_incoming(incoming)
                .await
                .unwrap();
        });
        format!("http://{addr}")
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl SessionService for FakeSession {
    async fn authenticate(&self, r: Request<AuthenticateRequest>) -> Res<AuthenticateResponse> {
        let principal = principal_from(r.metadata(), &r.get_ref().credential)?;
        Ok(Response::new(AuthenticateResponse {
            principal: Some(principal),
        }))
    }

    async fn issue_token(&self, r: Request<IssueTokenRequest>) -> Res<IssueTokenResponse> {
        let r = r.into_inner();
        if r.client_id == "admin" && r.client_secret == "admin-key" {
            Ok(Response::new(IssueTokenResponse {
                access_token: "tok-admin".into(),
                token_type: "Bearer".into(),
                expires_in_s: 3600,
            }))
        } else {
            Err(Status::unauthenticated("invalid client"))
        }
    }

    async fn upsert_user(&self, _: Request<UpsertUserRequest>) -> Res<UpsertUserResponse> {
        Err(Status::unimplemented("not in the fake"))
    }
    async fn create_api_key(&self, _: Request<CreateApiKeyRequest>) -> Res<CreateApiKeyResponse> {
        Err(Status::unimplemented("not in the fake"))
    }
    async fn revoke_api_key(&self, _: Request<RevokeApiKeyRequest>) -> Res<RevokeApiKeyResponse> {
        Err(Status::unimplemented("not in the fake"))
    }
    async fn upsert_tenant(&self, _: Request<UpsertTenantRequest>) -> Res<UpsertTenantResponse> {
        Err(Status::unimplemented("not in the fake"))
    }
    async fn upsert_catalog_exercise(
        &self,
        _: Request<UpsertCatalogExerciseRequest>,
    ) -> Res<UpsertCatalogExerciseResponse> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn get_blocking_policy(
        &self,
        r: Request<GetBlockingPolicyRequest>,
    ) -> Res<GetBlockingPolicyResponse> {
        let p = caller(&r)?;
        let tenant_id = policy_tenant(&p, &r.get_ref().tenant_id)?;
        Ok(Response::new(GetBlockingPolicyResponse {
            policy: Some(self.policy_of(&tenant_id)),
            tenant_id,
        }))
    }

    async fn set_blocking_policy(
        &self,
        r: Request<SetBlockingPolicyRequest>,
    ) -> Res<SetBlockingPolicyResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        let tenant_id = policy_tenant(&p, &r.tenant_id)?;
        let policy = r.policy.unwrap_or_default();
        fitvision_proto::blocking::validate(&policy).map_err(Status::invalid_argument)?;
        self.store
            .lock()
            .unwrap()
            .policies
            .insert(tenant_id.clone(), policy);
        Ok(Response::new(SetBlockingPolicyResponse {
            policy: Some(self.policy_of(&tenant_id)),
            tenant_id,
        }))
    }

    // Analysis limits are exercised against the real session service
    // (integration-tests/tests/analysis_limits.rs).
    async fn get_analysis_limits(
        &self,
        _: Request<fitvision_proto::v1::GetAnalysisLimitsRequest>,
    ) -> Res<fitvision_proto::v1::GetAnalysisLimitsResponse> {
        Err(Status::unimplemented("fake session: analysis limits"))
    }

    async fn set_analysis_limits(
        &self,
        _: Request<fitvision_proto::v1::SetAnalysisLimitsRequest>,
    ) -> Res<fitvision_proto::v1::SetAnalysisLimitsResponse> {
        Err(Status::unimplemented("fake session: analysis limits"))
    }

    // Share links are exercised against the real session service
    // (integration-tests/tests/edge_share_links.rs).
    async fn create_share_link(
        &self,
        _: Request<fitvision_proto::v1::CreateShareLinkRequest>,
    ) -> Res<fitvision_proto::v1::CreateShareLinkResponse> {
        Err(Status::unimplemented("fake session: share links"))
    }

    async fn list_share_links(
        &self,
        _: Request<fitvision_proto::v1::ListShareLinksRequest>,
    ) -> Res<fitvision_proto::v1::ListShareLinksResponse> {
        Err(Status::unimplemented("fake session: share links"))
    }

    async fn revoke_share_link(
        &self,
        _: Request<fitvision_proto::v1::RevokeShareLinkRequest>,
    ) -> Res<fitvision_proto::v1::RevokeShareLinkResponse> {
        Err(Status::unimplemented("fake session: share links"))
    }

    async fn open_share_link(
        &self,
        _: Request<fitvision_proto::v1::OpenShareLinkRequest>,
    ) -> Res<fitvision_proto::v1::OpenShareLinkResponse> {
        Err(Status::unimplemented("fake session: share links"))
    }

    async fn create_session(&self, r: Request<CreateSessionRequest>) -> Res<CreateSessionResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        let user_id = if r.user_id.is_empty() {
            p.user_id.clone()
        } else {
            r.user_id.clone()
        };
        if user_id != p.user_id && !is_manager(&p) {
            return Err(Status::permission_denied(
                "admin or sub-admin role required",
            ));
        }
        if r.kind() == SessionKind::AiMove && !p.enabled_modules.iter().any(|m| m == "ai_move") {
            return Err(Status::permission_denied("ai_move not enabled"));
        }
        let session_id = self.id("s");
        let mut videos = Vec::new();
        if let Some(pending) = r.pending_video {
            videos.push(Video {
                video_id: self.id("v"),
                session_id: session_id.clone(),
                status: VideoStatus::AwaitingUpload as i32,
                filename: pending.filename,
                expected_rep_count: pending.expected_rep_count,
                created_at: Some(now()),
                ..Default::default()
            });
        }
        let session = Session {
            session_id,
            tenant_id: p.tenant_id.clone(),
            user_id: user_id.clone(),
            kind: r.kind,
            title: r.title,
            exercise_id: r.exercise_id,
            status: SessionStatus::Created as i32,
            created_at: Some(now()),
            subject: r.subject,
            client_results: r.client_results,
            attributes: r.attributes,
            videos,
            user: Some(UserProfile {
                user_id: user_id.clone(),
                display_name: format!("User {user_id}"),
                age_years: 28,
                weight_kg: 75.0,
                height_cm: 178.0,
                role: Role::User as i32,
            }),
            ..Default::default()
        };
        self.store.lock().unwrap().sessions.push(session.clone());
        Ok(Response::new(CreateSessionResponse {
            session: Some(session),
        }))
    }

    async fn get_session(&self, r: Request<GetSessionRequest>) -> Res<GetSessionResponse> {
        let p = caller(&r)?;
        Ok(Response::new(GetSessionResponse {
            session: Some(self.find(&p, &r.get_ref().session_id)?),
        }))
    }

    async fn list_sessions(&self, r: Request<ListSessionsRequest>) -> Res<ListSessionsResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        let tenant = if r.tenant_id.is_empty() {
            p.tenant_id.clone()
        } else {
            r.tenant_id.clone()
        };
        if tenant != p.tenant_id {
            return Err(Status::permission_denied("other tenant"));
        }
        let store = self.store.lock().unwrap();
        let mut items: Vec<Session> = store
            .sessions
            .iter()
            .filter(|s| s.tenant_id == tenant && s.kind == r.kind)
            .filter(|s| {
                if is_manager(&p) {
                    r.user_id.is_empty() || s.user_id == r.user_id
                } else {
                    s.user_id == p.user_id
                }
            })
            .filter(|s| {
                !r.analysed_only || s.videos.iter().any(|v| v.status() == VideoStatus::Complete)
            })
            .cloned()
            .collect();
        if r.newest_first {
            items.reverse();
        }
        if !r.start_after.is_empty()
            && let Some(pos) = items.iter().position(|s| s.session_id == r.start_after)
        {
            items.drain(..=pos);
        }
        let limit = if r.limit == 0 { 20 } else { r.limit as usize };
        let next_cursor = if items.len() > limit {
            items[limit - 1].session_id.clone()
        } else {
            String::new()
        };
        items.truncate(limit);
        Ok(Response::new(ListSessionsResponse {
            sessions: items,
            next_cursor,
        }))
    }

    async fn update_session(&self, r: Request<UpdateSessionRequest>) -> Res<UpdateSessionResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        self.find(&p, &r.session_id)?;
        let session = self
            .with_session(&r.session_id, |s| {
                if let Some(status) = r.status {
                    s.status = status;
                    if status == SessionStatus::Completed as i32 {
                        s.completed_at = Some(now());
                    }
                }
                if let Some(e) = &r.exercise_id {
                    s.exercise_id = e.clone();
                }
                s.attributes.extend(r.attributes.clone());
                if let Some(update) = &r.client_results {
                    let current = s.client_results.get_or_insert_with(Default::default);
                    for field in &r.client_result_fields {
                        match field.as_str() {
                            "reps_completed" => current.reps_completed = update.reps_completed,
                            "duration_s" => current.duration_s = update.duration_s,
                            "pose_accuracy" => current.pose_accuracy = update.pose_accuracy,
                            "form_score" => current.form_score = update.form_score,
                            "completion_outcome" => {
                                current.completion_outcome = update.completion_outcome.clone()
                            }
                            "calories_burned_kcal" => {
                                current.calories_burned_kcal = update.calories_burned_kcal
                            }
                            _ => {}
                        }
                    }
                }
                if let Some(n) = r.expected_rep_count
                    && let Some(v) = s.videos.last_mut()
                {
                    v.expected_rep_count = n;
                }
                s.clone()
            })
            .unwrap();
        Ok(Response::new(UpdateSessionResponse {
            session: Some(session),
        }))
    }

    async fn delete_session(&self, r: Request<DeleteSessionRequest>) -> Res<DeleteSessionResponse> {
        let p = caller(&r)?;
        let id = r.get_ref().session_id.clone();
        self.find(&p, &id)?;
        self.store
            .lock()
            .unwrap()
            .sessions
            .retain(|s| s.session_id != id);
        Ok(Response::new(DeleteSessionResponse {}))
    }

    async fn upload_video(
        &self,
        r: Request<tonic::Streaming<UploadVideoRequest>>,
    ) -> Res<UploadVideoResponse> {
        let p = caller(&r)?;
        let mut stream = r.into_inner();
        let Some(first) = stream.message().await? else {
            return Err(Status::invalid_argument("empty upload"));
        };
        let Some(Payload::Metadata(meta)) = first.payload else {
            return Err(Status::invalid_argument("metadata first"));
        };
        let session = self.find(&p, &meta.session_id)?;
        let mut bytes = Vec::new();
        while let Some(message) = stream.message().await? {
            if let Some(Payload::Chunk(chunk)) = message.payload {
                bytes.extend_from_slice(&chunk);
            }
        }
        if meta.declared_size_bytes > 0 && meta.declared_size_bytes != bytes.len() as u64 {
            return Err(Status::invalid_argument(
                "size differs from the declared size",
            ));
        }
        if bytes.is_empty() {
            return Err(Status::invalid_argument("empty video"));
        }
        let video_id = if meta.video_id.is_empty() {
            self.id("v")
        } else {
            meta.video_id.clone()
        };
        let key = format!("videos/{video_id}/original.mp4");
        let path = self.storage_root.join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let exercise = if meta.exercise_id.is_empty() {
            session.exercise_id.clone()
        } else {
            meta.exercise_id.clone()
        };
        let over = meta.filename.contains("blocked");
        let policy = self.policy_of(&session.tenant_id);
        let blocked = over && policy.mode() != BlockingMode::Flag;
        let low_pose = meta.filename.contains("lowpose");
        let status = if blocked {
            VideoStatus::Blocked
        } else if low_pose {
            VideoStatus::Failed
        } else {
            VideoStatus::Complete
        };
        let video = Video {
            video_id: video_id.clone(),
            session_id: session.session_id.clone(),
            exercise_id: exercise.clone(),
            status: status as i32,
            failure_code: if low_pose {
                FailureCode::LowQualityPoseEstimate as i32
            } else if blocked {
                FailureCode::BlockedByAuthenticity as i32
            } else {
                0
            },
            failure_reason: if low_pose {
                "no confident person".into()
            } else {
                String::new()
            },
            filename: meta.filename.clone(),
            original: Some(ObjectRef {
                key,
                size_bytes: bytes.len() as u64,
                ..Default::default()
            }),
            pose_track: (!low_pose).then(|| ObjectRef {
                key: format!("videos/{video_id}/pose.pb"),
                ..Default::default()
            }),
            info: Some(VideoInfo {
                width_px: 640,
                height_px: 480,
                fps: 30.0,
                frame_count: 2,
                ..Default::default()
            }),
            authenticity: Some(report(over, policy)),
            result: (status == VideoStatus::Complete).then(|| analysis(&exercise)),
            artefacts: HashMap::from([(
                // Named by event, as the renderer names them.
                "snapshot_first_pull_end".to_owned(),
                ObjectRef {
                    key: format!("videos/{video_id}/snapshots/first_pull_end.jpg"),
                    ..Default::default()
                },
            )]),
            created_at: Some(now()),
            completed_at: Some(now()),
            progress_percent: 100.0,
            expected_rep_count: meta.expected_rep_count,
            ..Default::default()
        };
        self.with_session(&session.session_id, |s| {
            s.videos.retain(|v| v.video_id != video_id);
            s.videos.push(video.clone());
            if status == VideoStatus::Complete {
                s.status = SessionStatus::Completed as i32;
            }
        });
        Ok(Response::new(UploadVideoResponse { video: Some(video) }))
    }

    type WatchVideoStream = BoxStream<WatchVideoResponse>;
    async fn watch_video(&self, r: Request<WatchVideoRequest>) -> Res<Self::WatchVideoStream> {
        let p = caller(&r)?;
        let (_, video) = self.find_video(&p, &r.get_ref().video_id)?;
        let events = vec![
            Ok(WatchVideoResponse {
                video_id: video.video_id.clone(),
                stage: ProgressStage::Queued as i32,
                percent: 0.0,
                message: "queued".into(),
                video: None,
            }),
            Ok(WatchVideoResponse {
                video_id: video.video_id.clone(),
                stage: if video.status() == VideoStatus::Complete {
                    ProgressStage::Completed
                } else {
                    ProgressStage::Failed
                } as i32,
                percent: 100.0,
                message: "done".into(),
                video: Some(video),
            }),
        ];
        Ok(Response::new(Box::pin(futures::stream::iter(events))))
    }

    async fn get_video(&self, r: Request<GetVideoRequest>) -> Res<GetVideoResponse> {
        let p = caller(&r)?;
        let (session, video) = self.find_video(&p, &r.get_ref().video_id)?;
        Ok(Response::new(GetVideoResponse {
            video: Some(video),
            session: Some(session),
        }))
    }

    type StreamPoseTrackStream = BoxStream<StreamPoseTrackResponse>;
    async fn stream_pose_track(
        &self,
        r: Request<StreamPoseTrackRequest>,
    ) -> Res<Self::StreamPoseTrackStream> {
        use fitvision_proto::v1::stream_pose_track_response::Item;
        let p = caller(&r)?;
        let (_, video) = self.find_video(&p, &r.get_ref().video_id)?;
        let keypoints: Vec<Keypoint> = (0..17)
            .map(|k| Keypoint {
                x_px: 320.0,
                y_px: 10.0 * k as f32,
                x_norm: 0.5,
                y_norm: k as f32 / 20.0,
                score: 0.9,
            })
            .collect();
        let mut items = vec![Ok(StreamPoseTrackResponse {
            item: Some(Item::Info(video.info.clone().unwrap_or_default())),
        })];
        for i in 0..2u32 {
            items.push(Ok(StreamPoseTrackResponse {
                item: Some(Item::Frame(PoseFrame {
                    camera: None,
                    interpolated: false,
                    frame_index: i,
                    timestamp_ms: f64::from(i) * 100.0,
                    persons: vec![PersonPose {
                        track_id: 1,
                        r#box: Some(BoundingBox {
                            x_px: 64.0,
                            y_px: 48.0,
                            width_px: 320.0,
                            height_px: 240.0,
                        }),
                        confidence: 0.9,
                        keypoints: keypoints.clone(),
                    }],
                })),
            }));
        }
        Ok(Response::new(Box::pin(futures::stream::iter(items))))
    }

    async fn request_annotated_video(
        &self,
        r: Request<RequestAnnotatedVideoRequest>,
    ) -> Res<RequestAnnotatedVideoResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        let (_, video) = self.find_video(&p, &r.video_id)?;
        let name = if r.flavour() == AnnotatedVideoFlavour::Skeleton {
            "annotated_skeleton"
        } else {
            "annotated_all"
        };
        // First request queues, the next finds it done.
        let count = {
            let mut store = self.store.lock().unwrap();
            let count = store
                .annotated_requests
                .entry(format!("{}:{name}", video.video_id))
                .or_default();
            *count += 1;
            *count
        };
        if count == 1 {
            return Ok(Response::new(RequestAnnotatedVideoResponse {
                status: AnnotatedVideoStatus::Pending as i32,
                ..Default::default()
            }));
        }
        let key = format!("videos/{}/{name}.mp4", video.video_id);
        let original = self
            .storage_root
            .join(video.original.as_ref().unwrap().key.clone());
        let target = self.storage_root.join(&key);
        std::fs::copy(original, &target).unwrap();
        let object = ObjectRef {
            key,
            ..Default::default()
        };
        self.with_session(&video.session_id, |s| {
            if let Some(v) = s.videos.iter_mut().find(|v| v.video_id == video.video_id) {
                v.artefacts.insert(name.to_owned(), object.clone());
            }
        });
        Ok(Response::new(RequestAnnotatedVideoResponse {
            status: AnnotatedVideoStatus::Complete as i32,
            video: Some(object),
            reason: String::new(),
        }))
    }

    async fn create_threads(&self, r: Request<CreateThreadsRequest>) -> Res<CreateThreadsResponse> {
        let p = caller(&r)?;
        let r = r.into_inner();
        self.find(&p, &r.session_id)?;
        let mut ids = HashMap::new();
        for topic in &r.topics {
            let id = self.id("thread_");
            self.store.lock().unwrap().threads.insert(
                id.clone(),
                Thread {
                    thread_id: id.clone(),
                    session_id: r.session_id.clone(),
                    topic: topic.clone(),
                    status: ThreadStatus::Complete as i32,
                    text: format!("Coaching about {topic}."),
                    provider: "builtin".into(),
                    created_at: Some(now()),
                    completed_at: Some(now()),
                    measurement_system: r.measurement_system,
                    language: r.language.clone(),
                    ..Default::default()
                },
            );
            ids.insert(topic.clone(), id);
        }
        Ok(Response::new(CreateThreadsResponse { thread_ids: ids }))
    }

    async fn get_thread(&self, r: Request<GetThreadRequest>) -> Res<GetThreadResponse> {
        let p = caller(&r)?;
        let thread = self
            .store
            .lock()
            .unwrap()
            .threads
            .get(&r.get_ref().thread_id)
            .cloned()
            .ok_or_else(|| Status::not_found("thread not found"))?;
        self.find(&p, &thread.session_id)?;
        Ok(Response::new(GetThreadResponse {
            thread: Some(thread),
        }))
    }

    async fn list_catalog_exercises(
        &self,
        r: Request<ListCatalogExercisesRequest>,
    ) -> Res<ListCatalogExercisesResponse> {
        caller(&r)?;
        Ok(Response::new(ListCatalogExercisesResponse {
            exercises: catalog(),
        }))
    }

    async fn get_catalog_exercise(
        &self,
        r: Request<GetCatalogExerciseRequest>,
    ) -> Res<GetCatalogExerciseResponse> {
        caller(&r)?;
        let exercise = catalog()
            .into_iter()
            .find(|e| e.exercise_id == r.get_ref().exercise_id)
            .ok_or_else(|| Status::not_found("exercise not found"))?;
        Ok(Response::new(GetCatalogExerciseResponse {
            exercise: Some(exercise),
        }))
    }

    async fn get_user_stats(&self, r: Request<GetUserStatsRequest>) -> Res<GetUserStatsResponse> {
        caller(&r)?;
        Ok(Response::new(GetUserStatsResponse::default()))
    }
}
