//! The deployment's demo sessions: what `demo=true` serves a caller that has no
//! analysed session of its own (a fresh deployment, a new user). They are real
//! analyses of a clip a registry package ships (`scripts/fetch-fixtures.sh` fetches the
//! BSD-3-Clause Sports2D demo), made once at first start in a tenant of their own and
//! readable, never writable, by every caller.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fitvision_proto::v1 as pb;
use futures::StreamExt as _;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio_util::io::ReaderStream;

use crate::auth::Principal;
use crate::context::AppContext;
use crate::db::entity::session;

/// The tenant that holds the demo sessions: reserved (UpsertTenant and CreateApiKey
/// refuse it), so no caller can ever write what every caller may read.
pub const DEMO_TENANT: &str = "fitvision-demo";
/// Their owner.
pub const DEMO_USER: &str = "demo";

/// One demo session per family whose reads document `demo=true`, with the exercise
/// its clip is analysed as.
const DEMOS: &[(pb::SessionKind, &str)] = &[
    (pb::SessionKind::Weightlifting, "snatch"),
    (pb::SessionKind::Jumping, "vertical_jump"),
    (pb::SessionKind::Running, "sprint"),
];

/// A demo session (readable by every caller).
pub fn is_demo(model: &session::Model) -> bool {
    model.tenant_id == DEMO_TENANT
}

/// Creates the demo sessions that do not exist yet from `clip`, in the background of a
/// start: each is queued like an upload and analysed by the pipeline. Their tenant's
/// authenticity policy is `flag`: the demo shows the verdict beside the analysis
/// rather than withholding it (the packaged clip has a second person in frame).
pub fn spawn_ensure(ctx: Arc<AppContext>, clip: PathBuf) {
    tokio::spawn(async move {
        if let Err(error) = ensure(&ctx, &clip).await {
            tracing::warn!(clip = %clip.display(), %error, "demo sessions not created");
        }
    });
}

async fn ensure(ctx: &AppContext, clip: &Path) -> anyhow::Result<()> {
    let size = tokio::fs::metadata(clip).await?.len();
    crate::service::ensure_tenant(&ctx.db, DEMO_TENANT).await?;
    crate::blocking::store(
        &ctx.db,
        DEMO_TENANT,
        &pb::BlockingPolicy {
            mode: pb::BlockingMode::Flag as i32,
            ..Default::default()
        },
    )
    .await?;
    let principal = Principal {
        tenant_id: DEMO_TENANT.to_owned(),
        user_id: DEMO_USER.to_owned(),
        role: pb::Role::Admin,
        scopes: Vec::new(),
        enabled_modules: DEMOS
            .iter()
            .filter_map(|(kind, _)| crate::service::module_of(*kind))
            .map(str::to_owned)
            .collect(),
        key_id: String::new(),
        platform_admin: false,
        shared_session: None,
    };
    for (kind, exercise) in DEMOS {
        let existing = session::Entity::find()
            .filter(session::Column::TenantId.eq(DEMO_TENANT))
            .filter(session::Column::Kind.eq(*kind as i32))
            .count(&ctx.db)
            .await?;
        if existing > 0 {
            continue;
        }
        let metadata = pb::UploadMetadata {
            kind: *kind as i32,
            exercise_id: (*exercise).to_owned(),
            filename: clip
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            declared_size_bytes: size,
            user_id: DEMO_USER.to_owned(),
            title: format!("Demo: {exercise}"),
            ..Default::default()
        };
        let first = futures::stream::once(async move {
            Ok(pb::UploadVideoRequest {
                payload: Some(pb::upload_video_request::Payload::Metadata(metadata)),
            })
        });
        let chunks = ReaderStream::new(tokio::fs::File::open(clip).await?).map(|chunk| {
            chunk
                .map(|bytes| pb::UploadVideoRequest {
                    payload: Some(pb::upload_video_request::Payload::Chunk(bytes.to_vec())),
                })
                .map_err(|e| tonic::Status::data_loss(format!("reading the demo clip: {e}")))
        });
        let uploaded =
            crate::service::upload::upload(ctx, &principal, Box::pin(first.chain(chunks))).await?;
        tracing::info!(
            kind = kind.as_str_name(),
            video = uploaded.video.map(|v| v.video_id).unwrap_or_default(),
            "demo session queued"
        );
    }
    Ok(())
}
