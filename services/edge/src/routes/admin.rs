//! Tenant administration over REST: the authenticity policy
//! (`GET|PUT /admin/tenants/{tenant_id}/authenticity-policy`), transcoded onto
//! SessionService.GetBlockingPolicy / SetBlockingPolicy. The session service
//! decides who may: admins of the tenant, platform admins for any tenant
//! (403 for everyone else, 404 for an unknown tenant). Errors: `{"error": ...}`.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use fitvision_proto::v1::{
    BlockingMode, BlockingPolicy, GetBlockingPolicyRequest, RiskLevel, SetBlockingPolicyRequest,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;

const FAMILY: Family = Family::Plain;

/// Risk level names of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyRisk {
    Low,
    Medium,
    High,
}

/// What a verdict over the thresholds does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyMode {
    /// The video is blocked (no analysis; the trainer submit answers 403).
    Block,
    /// The analysis runs; the verdict is attached to the result (`over_threshold`).
    Flag,
}

/// An authenticity policy with every default filled in, as it is in force.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PolicyView {
    /// Over the thresholds when the combined score (0-100) is at least this.
    #[schema(minimum = 0, maximum = 100, example = 40)]
    pub block_score: f64,
    /// Over the thresholds when the risk is at least this level.
    pub block_risk: PolicyRisk,
    pub mode: PolicyMode,
}

impl PolicyView {
    /// The JSON view of a policy (defaults already filled in by the service).
    pub fn of(policy: &BlockingPolicy) -> Self {
        let policy = fitvision_proto::blocking::effective(Some(policy));
        Self {
            block_score: policy.block_score,
            block_risk: match policy.block_risk() {
                RiskLevel::Low => PolicyRisk::Low,
                RiskLevel::High => PolicyRisk::High,
                RiskLevel::Medium | RiskLevel::Unspecified => PolicyRisk::Medium,
            },
            mode: match policy.mode() {
                BlockingMode::Flag => PolicyMode::Flag,
                BlockingMode::Block | BlockingMode::Unspecified => PolicyMode::Block,
            },
        }
    }
}

/// A tenant's authenticity policy in force.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TenantPolicy {
    pub tenant_id: String,
    #[serde(flatten)]
    pub policy: PolicyView,
}

/// The body of `PUT`: the whole policy (a field left out takes its default).
#[allow(dead_code)] // Documentation only: the handler parses the JSON itself.
#[derive(ToSchema)]
pub struct PolicyUpdate {
    /// Over the thresholds when the combined score is at least this; 0 or absent = 40.
    #[schema(minimum = 0, maximum = 100, example = 40)]
    block_score: Option<f64>,
    /// MEDIUM or HIGH (any case); absent = MEDIUM.
    #[schema(example = "MEDIUM")]
    block_risk: Option<UpdateRisk>,
    /// block or flag (any case); absent = block.
    #[schema(example = "flag")]
    mode: Option<PolicyMode>,
}

/// Risk levels an admin may set as the threshold.
#[allow(dead_code)] // Documentation only.
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum UpdateRisk {
    Medium,
    High,
}

/// Parses a `PUT` body into the contract's policy. Unknown fields, wrong
/// types and unknown names are 400s; ranges are the session service's to
/// check (it answers INVALID_ARGUMENT, also a 400).
pub fn parse_update(body: &[u8]) -> ApiResult<BlockingPolicy> {
    let bad = |message: String| ApiError::bad_request(FAMILY, message);
    let fields: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(bad("the body must be a JSON object".into())),
        Err(error) => return Err(bad(format!("the body is not JSON: {error}"))),
    };
    let mut policy = BlockingPolicy::default();
    for (key, value) in &fields {
        if value.is_null() {
            continue;
        }
        let text = || {
            value
                .as_str()
                .map(str::trim)
                .ok_or_else(|| bad(format!("'{key}' must be a string")))
        };
        match key.as_str() {
            "block_score" => {
                policy.block_score = value
                    .as_f64()
                    .ok_or_else(|| bad("'block_score' must be a number".into()))?;
            }
            "block_risk" => {
                let name = text()?;
                let risk =
                    RiskLevel::from_str_name(&format!("RISK_LEVEL_{}", name.to_ascii_uppercase()))
                        .filter(|r| *r != RiskLevel::Unspecified)
                        .ok_or_else(|| {
                            bad(format!("'block_risk' must be MEDIUM or HIGH, got '{name}'"))
                        })?;
                policy.block_risk = risk as i32;
            }
            "mode" => {
                let name = text()?;
                let mode = match name.to_ascii_lowercase().as_str() {
                    "block" => BlockingMode::Block,
                    "flag" => BlockingMode::Flag,
                    _ => return Err(bad(format!("'mode' must be block or flag, got '{name}'"))),
                };
                policy.mode = mode as i32;
            }
            other => {
                return Err(bad(format!(
                    "unknown field '{other}' (expected block_score, block_risk, mode)"
                )));
            }
        }
    }
    Ok(policy)
}

/// `GET /admin/tenants/{tenant_id}/authenticity-policy`
#[utoipa::path(get, path = "/admin/tenants/{tenant_id}/authenticity-policy", tag = "Admin",
    params(("tenant_id" = String, Path, description = "Tenant id (`gofa` is the default tenant)", example = "gofa")),
    responses((status = 200, description = "The tenant's authenticity policy in force (defaults filled in)", body = TenantPolicy),
        (status = 401, description = "Missing or invalid credentials", body = Object),
        (status = 403, description = "Not an admin of this tenant (or a platform admin)", body = Object),
        (status = 404, description = "Unknown tenant", body = Object)),
    security(("api_key" = [])))]
pub async fn get_authenticity_policy(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(tenant_id): Path<String>,
) -> ApiResult<Json<TenantPolicy>> {
    let response = state
        .session()
        .get_blocking_policy(caller.request(GetBlockingPolicyRequest { tenant_id }))
        .await
        .api(FAMILY)?;
    Ok(Json(TenantPolicy {
        tenant_id: response.tenant_id,
        policy: PolicyView::of(&response.policy.unwrap_or_default()),
    }))
}

/// `PUT /admin/tenants/{tenant_id}/authenticity-policy`
#[utoipa::path(put, path = "/admin/tenants/{tenant_id}/authenticity-policy", tag = "Admin",
    params(("tenant_id" = String, Path, description = "Tenant id (`gofa` is the default tenant)", example = "gofa")),
    request_body(content = PolicyUpdate, content_type = "application/json",
        description = "The whole policy: mode `block` (default: score >= block_score or risk >= block_risk blocks the video, 403 on submit) or `flag` (the analysis runs and the verdict is attached to the result). Applies to videos checked from now on."),
    responses((status = 200, description = "The policy now in force (defaults filled in)", body = TenantPolicy),
        (status = 400, description = "Malformed body or a value out of range", body = Object),
        (status = 401, description = "Missing or invalid credentials", body = Object),
        (status = 403, description = "Not an admin of this tenant (or a platform admin)", body = Object),
        (status = 404, description = "Unknown tenant", body = Object)),
    security(("api_key" = [])))]
pub async fn put_authenticity_policy(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(tenant_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TenantPolicy>> {
    let policy = parse_update(&body)?;
    let response = state
        .session()
        .set_blocking_policy(caller.request(SetBlockingPolicyRequest {
            tenant_id,
            policy: Some(policy),
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(TenantPolicy {
        tenant_id: response.tenant_id,
        policy: PolicyView::of(&response.policy.unwrap_or_default()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_bodies_map_onto_the_contract() {
        let policy =
            parse_update(br#"{"block_score": 55, "block_risk": "high", "mode": "FLAG"}"#).unwrap();
        assert_eq!(
            policy,
            BlockingPolicy {
                block_score: 55.0,
                block_risk: RiskLevel::High as i32,
                mode: BlockingMode::Flag as i32,
            }
        );
        // Left out or null: the default (zero) for the service to fill in.
        assert_eq!(
            parse_update(br#"{"mode": "flag", "block_risk": null}"#).unwrap(),
            BlockingPolicy {
                mode: BlockingMode::Flag as i32,
                ..Default::default()
            }
        );
        assert_eq!(parse_update(b"{}").unwrap(), BlockingPolicy::default());
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        for body in [
            &b"[]"[..],
            b"not json",
            br#"{"mode": "warn"}"#,
            br#"{"block_risk": "EXTREME"}"#,
            br#"{"block_risk": "UNSPECIFIED"}"#,
            br#"{"block_score": "40"}"#,
            br#"{"mode": 2}"#,
            br#"{"block_scor": 40}"#,
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

    #[test]
    fn views_fill_in_defaults_and_name_values() {
        let view = PolicyView::of(&BlockingPolicy::default());
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::json!({"block_score": 40.0, "block_risk": "MEDIUM", "mode": "block"})
        );
        let flag = PolicyView::of(&BlockingPolicy {
            block_score: 70.0,
            block_risk: RiskLevel::High as i32,
            mode: BlockingMode::Flag as i32,
        });
        assert_eq!(
            serde_json::to_value(TenantPolicy {
                tenant_id: "acme".into(),
                policy: flag,
            })
            .unwrap(),
            serde_json::json!({"tenant_id": "acme", "block_score": 70.0, "block_risk": "HIGH", "mode": "flag"})
        );
    }
}
