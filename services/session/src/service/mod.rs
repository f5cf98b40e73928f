//! The SessionService gRPC implementation. Every call authenticates from the
//! `authorization` metadata first; handlers live in one module per area.

mod admin;
mod catalog;
pub(crate) mod sessions;
mod shares;
mod threads;
pub(crate) mod upload;
mod videos;

use std::pin::Pin;
use std::sync::Arc;

use fitvision_proto::v1 as pb;
use fitvision_proto::v1::session_service_server::SessionService;
use futures::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::Principal;
use crate::context::AppContext;

pub use sessions::load_session_proto;
pub(crate) use sessions::module_of;

#[derive(Clone)]
pub struct SessionApi {
    ctx: Arc<AppContext>,
}

impl SessionApi {
    pub fn new(ctx: Arc<AppContext>) -> Self {
        Self { ctx }
    }

    async fn principal<T>(&self, request: &Request<T>) -> Result<Principal, Status> {
        self.ctx.auth.from_metadata(request.metadata()).await
    }

    /// [`Self::principal`] for the read RPCs of a shared result: they also accept
    /// `authorization: Share <token>`, whose holder reads that one session only.
    async fn reader<T>(&self, request: &Request<T>) -> Result<Principal, Status> {
        match shares::share_token(request.metadata()) {
            Some(token) => shares::reader(&self.ctx, token).await,
            None => self.principal(request).await,
        }
    }
}

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl SessionService for SessionApi {
    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let principal = self
            .ctx
            .auth
            .authenticate(&request.get_ref().credential)
            .await?;
        Ok(Response::new(pb::AuthenticateResponse {
            principal: Some(principal.to_proto()),
        }))
    }

    async fn issue_token(
        &self,
        request: Request<pb::IssueTokenRequest>,
    ) -> Result<Response<pb::IssueTokenResponse>, Status> {
        let body = request.into_inner();
        let (token, ttl) = self
            .ctx
            .auth
            .issue_token(&body.client_id, &body.client_secret)
            .await?;
        Ok(Response::new(pb::IssueTokenResponse {
            access_token: token,
            token_type: "Bearer".to_owned(),
            expires_in_s: ttl.as_secs() as u32,
        }))
    }

    async fn upsert_user(
        &self,
        request: Request<pb::UpsertUserRequest>,
    ) -> Result<Response<pb::UpsertUserResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::upsert_user(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreateApiKeyResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::create_api_key(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokeApiKeyResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::revoke_api_key(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn upsert_tenant(
        &self,
        request: Request<pb::UpsertTenantRequest>,
    ) -> Result<Response<pb::UpsertTenantResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::upsert_tenant(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn upsert_catalog_exercise(
        &self,
        request: Request<pb::UpsertCatalogExerciseRequest>,
    ) -> Result<Response<pb::UpsertCatalogExerciseResponse>, Status> {
        let principal = self.principal(&request).await?;
        catalog::upsert(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_blocking_policy(
        &self,
        request: Request<pb::GetBlockingPolicyRequest>,
    ) -> Result<Response<pb::GetBlockingPolicyResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::get_blocking_policy(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_blocking_policy(
        &self,
        request: Request<pb::SetBlockingPolicyRequest>,
    ) -> Result<Response<pb::SetBlockingPolicyResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::set_blocking_policy(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_analysis_limits(
        &self,
        request: Request<pb::GetAnalysisLimitsRequest>,
    ) -> Result<Response<pb::GetAnalysisLimitsResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::get_analysis_limits(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn set_analysis_limits(
        &self,
        request: Request<pb::SetAnalysisLimitsRequest>,
    ) -> Result<Response<pb::SetAnalysisLimitsResponse>, Status> {
        let principal = self.principal(&request).await?;
        admin::set_analysis_limits(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn create_session(
        &self,
        request: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::CreateSessionResponse>, Status> {
        let principal = self.principal(&request).await?;
        sessions::create(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_session(
        &self,
        request: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::GetSessionResponse>, Status> {
        let principal = self.reader(&request).await?;
        let session = sessions::get(&self.ctx, &principal, &request.get_ref().session_id).await?;
        Ok(Response::new(pb::GetSessionResponse {
            session: Some(session),
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let principal = self.principal(&request).await?;
        sessions::list(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn update_session(
        &self,
        request: Request<pb::UpdateSessionRequest>,
    ) -> Result<Response<pb::UpdateSessionResponse>, Status> {
        let principal = self.principal(&request).await?;
        sessions::update(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn delete_session(
        &self,
        request: Request<pb::DeleteSessionRequest>,
    ) -> Result<Response<pb::DeleteSessionResponse>, Status> {
        let principal = self.principal(&request).await?;
        sessions::delete(&self.ctx, &principal, &request.get_ref().session_id).await?;
        Ok(Response::new(pb::DeleteSessionResponse {}))
    }

    async fn upload_video(
        &self,
        request: Request<Streaming<pb::UploadVideoRequest>>,
    ) -> Result<Response<pb::UploadVideoResponse>, Status> {
        let principal = self.principal(&request).await?;
        upload::upload(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    type WatchVideoStream = EventStream<pb::WatchVideoResponse>;

    async fn watch_video(
        &self,
        request: Request<pb::WatchVideoRequest>,
    ) -> Result<Response<Self::WatchVideoStream>, Status> {
        let principal = self.principal(&request).await?;
        videos::watch(self.ctx.clone(), &principal, &request.get_ref().video_id)
            .await
            .map(Response::new)
    }

    async fn get_video(
        &self,
        request: Request<pb::GetVideoRequest>,
    ) -> Result<Response<pb::GetVideoResponse>, Status> {
        let principal = self.reader(&request).await?;
        videos::get(&self.ctx, &principal, &request.get_ref().video_id)
            .await
            .map(Response::new)
    }

    type StreamPoseTrackStream = EventStream<pb::StreamPoseTrackResponse>;

    async fn stream_pose_track(
        &self,
        request: Request<pb::StreamPoseTrackRequest>,
    ) -> Result<Response<Self::StreamPoseTrackStream>, Status> {
        let principal = self.reader(&request).await?;
        videos::stream_pose_track(&self.ctx, &principal, &request.get_ref().video_id)
            .await
            .map(Response::new)
    }

    async fn request_annotated_video(
        &self,
        request: Request<pb::RequestAnnotatedVideoRequest>,
    ) -> Result<Response<pb::RequestAnnotatedVideoResponse>, Status> {
        let principal = self.reader(&request).await?;
        videos::request_annotated(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn create_threads(
        &self,
        request: Request<pb::CreateThreadsRequest>,
    ) -> Result<Response<pb::CreateThreadsResponse>, Status> {
        let principal = self.principal(&request).await?;
        threads::create(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_thread(
        &self,
        request: Request<pb::GetThreadRequest>,
    ) -> Result<Response<pb::GetThreadResponse>, Status> {
        let principal = self.reader(&request).await?;
        threads::get(&self.ctx, &principal, &request.get_ref().thread_id)
            .await
            .map(Response::new)
    }

    async fn create_share_link(
        &self,
        request: Request<pb::CreateShareLinkRequest>,
    ) -> Result<Response<pb::CreateShareLinkResponse>, Status> {
        let principal = self.principal(&request).await?;
        shares::create(&self.ctx, &principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_share_links(
        &self,
        request: Request<pb::ListShareLinksRequest>,
    ) -> Result<Response<pb::ListShareLinksResponse>, Status> {
        let principal = self.principal(&request).await?;
        shares::list(&self.ctx, &principal, &request.get_ref().session_id)
            .await
            .map(Response::new)
    }

    async fn revoke_share_link(
        &self,
        request: Request<pb::RevokeShareLinkRequest>,
    ) -> Result<Response<pb::RevokeShareLinkResponse>, Status> {
        let principal = self.principal(&request).await?;
        shares::revoke(&self.ctx, &principal, &request.get_ref().share_id)
            .await
            .map(Response::new)
    }

    async fn open_share_link(
        &self,
        request: Request<pb::OpenShareLinkRequest>,
    ) -> Result<Response<pb::OpenShareLinkResponse>, Status> {
        // The token is the credential: no `authorization` is needed.
        shares::open(&self.ctx, &request.get_ref().token)
            .await
            .map(Response::new)
    }

    async fn list_catalog_exercises(
        &self,
        request: Request<pb::ListCatalogExercisesRequest>,
    ) -> Result<Response<pb::ListCatalogExercisesResponse>, Status> {
        let principal = self.principal(&request).await?;
        catalog::list(&self.ctx, &principal)
            .await
            .map(Response::new)
    }

    async fn get_catalog_exercise(
        &self,
        request: Request<pb::GetCatalogExerciseRequest>,
    ) -> Result<Response<pb::GetCatalogExerciseResponse>, Status> {
        let principal = self.principal(&request).await?;
        catalog::get(&self.ctx, &principal, &request.get_ref().exercise_id)
            .await
            .map(Response::new)
    }

    async fn get_user_stats(
        &self,
        request: Request<pb::GetUserStatsRequest>,
    ) -> Result<Response<pb::GetUserStatsResponse>, Status> {
        let principal = self.principal(&request).await?;
        sessions::user_stats(&self.ctx, &principal, &request.get_ref().user_id)
            .await
            .map(Response::new)
    }
}

/// Creates the default tenant (every module enabled) on first start.
pub async fn ensure_tenant(
    db: &sea_orm::DatabaseConnection,
    tenant_id: &str,
) -> Result<(), sea_orm::DbErr> {
    admin::ensure_tenant(db, tenant_id).await.map(|_| ())
}
