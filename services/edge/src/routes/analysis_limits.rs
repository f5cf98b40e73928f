//! A tenant's analysis limits over REST (`GET|PUT
//! /admin/tenants/{tenant_id}/analysis-limits`), transcoded onto
//! SessionService.GetAnalysisLimits / SetAnalysisLimits. The session service decides
//! who may: admins of the tenant (tightening only), platform admins for any tenant
//! and any value. Errors: `{"error": ...}`.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use fitvision_proto::v1::{AnalysisLimits, GetAnalysisLimitsRequest, SetAnalysisLimitsRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;

const FAMILY: Family = Family::Plain;

/// A tenant's analysis limits in force (its own, the deployment's where it set none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantLimits {
    #[schema(example = "gofa")]
    pub tenant_id: String,
    /// Longest video accepted, in seconds; a longer upload is refused with 413.
    #[schema(example = 600)]
    pub max_video_seconds: u32,
    /// Most frames a video may have; more is refused with 413.
    #[schema(example = 36000)]
    pub max_video_frames: u32,
    /// The tenant's videos queued or being analysed at once; another upload is
    /// refused with 429 and `Retry-After` until one finishes.
    #[schema(example = 16)]
    pub max_concurrent_analyses: u32,
}

impl TenantLimits {
    fn of(tenant_id: String, limits: Option<AnalysisLimits>) -> Self {
        let limits = limits.unwrap_or_default();
        Self {
            tenant_id,
            max_video_seconds: limits.max_video_seconds,
            max_video_frames: limits.max_video_frames,
            max_concurrent_analyses: limits.max_concurrent_analyses,
        }
    }
}

/// The body of `PUT`: every limit (left out, null or 0 = the deployment's).
#[derive(Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsUpdate {
    #[schema(example = 120)]
    max_video_seconds: Option<u32>,
    #[schema(example = 7200)]
    max_video_frames: Option<u32>,
    #[schema(example = 4)]
    max_concurrent_analyses: Option<u32>,
}

/// Parses a `PUT` body: unknown fields, negative numbers and wrong types are 400s.
pub fn parse_update(body: &[u8]) -> ApiResult<AnalysisLimits> {
    let update: LimitsUpdate = serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(
            FAMILY,
            format!(
                "the body must be a JSON object of non-negative integers \
                 (max_video_seconds, max_video_frames, max_concurrent_analyses): {error}"
            ),
        )
    })?;
    Ok(AnalysisLimits {
        max_video_seconds: update.max_video_seconds.unwrap_or_default(),
        max_video_frames: update.max_video_frames.unwrap_or_default(),
        max_concurrent_analyses: update.max_concurrent_analyses.unwrap_or_default(),
    })
}

/// `GET /admin/tenants/{tenant_id}/analysis-limits`
#[utoipa::path(get, path = "/admin/tenants/{tenant_id}/analysis-limits", tag = "Admin",
    params(("tenant_id" = String, Path, description = "Tenant id (`gofa` is the default tenant)", example = "gofa")),
    responses((status = 200, description = "The tenant's analysis limits in force", body = TenantLimits),
        (status = 401, description = "Missing or invalid credentials", body = Object),
        (status = 403, description = "Not an admin of this tenant (or a platform admin)", body = Object),
        (status = 404, description = "Unknown tenant", body = Object)),
    security(("api_key" = [])))]
pub async fn get_analysis_limits(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(tenant_id): Path<String>,
) -> ApiResult<Json<TenantLimits>> {
    let response = state
        .session()
        .get_analysis_limits(caller.request(GetAnalysisLimitsRequest { tenant_id }))
        .await
        .api(FAMILY)?;
    Ok(Json(TenantLimits::of(response.tenant_id, response.limits)))
}

/// `PUT /admin/tenants/{tenant_id}/analysis-limits`
#[utoipa::path(put, path = "/admin/tenants/{tenant_id}/analysis-limits", tag = "Admin",
    params(("tenant_id" = String, Path, description = "Tenant id (`gofa` is the default tenant)", example = "gofa")),
    request_body(content = LimitsUpdate, content_type = "application/json",
        description = "Every limit (left out or 0 = the deployment's). A tenant admin may only set values at or below the deployment's limits; platform admins may raise them. Applies to uploads from now on."),
    responses((status = 200, description = "The limits now in force", body = TenantLimits),
        (status = 400, description = "Malformed body: unknown field, negative or non-integer value", body = Object),
        (status = 401, description = "Missing or invalid credentials", body = Object),
        (status = 403, description = "Not an admin of this tenant, or a tenant admin raising a limit above the deployment's", body = Object),
        (status = 404, description = "Unknown tenant", body = Object)),
    security(("api_key" = [])))]
pub async fn put_analysis_limits(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(tenant_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TenantLimits>> {
    let limits = parse_update(&body)?;
    let response = state
        .session()
        .set_analysis_limits(caller.request(SetAnalysisLimitsRequest {
            tenant_id,
            limits: Some(limits),
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(TenantLimits::of(response.tenant_id, response.limits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_bodies_map_onto_the_contract() {
        assert_eq!(
            parse_update(br#"{"max_video_seconds": 120, "max_concurrent_analyses": null}"#)
                .unwrap(),
            AnalysisLimits {
                max_video_seconds: 120,
                ..Default::default()
            }
        );
        assert_eq!(parse_update(b"{}").unwrap(), AnalysisLimits::default());
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        for body in [
            &b"[]"[..],
            b"not json",
            br#"{"max_video_seconds": -1}"#,
            br#"{"max_video_seconds": 1.5}"#,
            br#"{"max_video_seconds": "60"}"#,
            br#"{"max_video_secs": 60}"#,
            br#"{"max_video_frames": 99999999999}"#,
        ] {
            let error = parse_update(body).unwrap_err();
            assert_eq!(
                error.status,
                axum::http::StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
