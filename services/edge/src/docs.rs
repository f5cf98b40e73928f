//! OpenAPI 3 document (generated from the handlers' annotations), Swagger UI
//! and ReDoc served from assets embedded at build time (no CDN), the landing
//! page and the health check.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fitvision_proto::service_names;
use serde_json::json;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::Caller;
use crate::routes::{admin, ai_move, analysis_limits, guru, lifting, live, oauth, shares, trainer};
use crate::state::AppState;
use crate::transcode;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`API-KEY <key>`, `Bearer <token>` or the bare key",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from POST /oauth2/token, a Firebase-compatible JWT or an API key",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fitvision API",
        description = "Exercise video analysis: the AI Exercise Trainer, weightlifting/jumping/running, AI Move and Guru-compatible APIs, served over the fitvision gRPC services.",
        license(name = "Apache-2.0")
    ),
    paths(
        api_status, whoami,
        trainer::create_session, trainer::submit_exercise, trainer::session_status,
        trainer::generate_ai_analysis, trainer::session_summary, trainer::delete_session, trainer::list_sessions,
        lifting::weightlifting_create, lifting::weightlifting_details, lifting::weightlifting_export,
        lifting::weightlifting_lift_analysis, lifting::weightlifting_summary, lifting::weightlifting_create_summary,
        lifting::weightlifting_recommendation,
        lifting::jumping_create, lifting::jumping_details, lifting::jumping_export, lifting::jumping_summary, lifting::jumping_create_summary,
        lifting::running_create, lifting::running_details, lifting::running_export, lifting::running_summary, lifting::running_create_summary,
        lifting::analyzed_video_route, lifting::session_management_analyzed_video,
        crate::threads::get_thread_route,
        ai_move::list_exercises, ai_move::get_exercise, ai_move::create_session, ai_move::list_sessions,
        ai_move::get_session, ai_move::update_session, ai_move::records,
        oauth::token, guru::create_video, guru::upload_video, guru::get_video, guru::update_video,
        guru::get_analysis, guru::get_j2p,
        crate::progress::video_events,
        admin::get_authenticity_policy, admin::put_authenticity_policy,
        analysis_limits::get_analysis_limits, analysis_limits::put_analysis_limits,
        live::issue_token, live::open,
        transcode::create_share_link, transcode::list_share_links, transcode::revoke_share_link,
        shares::open_shared,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "AI Exercise Trainer", description = "AI Exercise Trainer API: workout sessions, synchronous submit with cheat detection, AI coaching. Errors: {\"detail\": ...}"),
        (name = "Weightlifting", description = "Weightlifting API: snatch, clean, clean_and_jerk. Errors: {\"error\": ...}"),
        (name = "Jumping", description = "Retrieval API: jump sessions"),
        (name = "Running", description = "Retrieval API: running sessions"),
        (name = "Retrieval", description = "Retrieval API: analysed video (generated on demand)"),
        (name = "Threads", description = "GenAI comment threads, polled"),
        (name = "AI Move", description = "AI Move API: tenant-aware catalog and client-reported sessions"),
        (name = "Guru", description = "Guru API: OAuth2 client credentials, signed uploads, analysis and joint data. Errors: {\"message\": ...}"),
        (name = "Progress", description = "Server-sent events of the analysis pipeline"),
        (name = "Admin", description = "Tenant administration: the authenticity policy (block or flag). Errors: {\"error\": ...}"),
        (name = "Live", description = "Live rep counting over a WebSocket: frames in, poses, reps, cues and a summary out. Rep times in `rep` events are in the client's clock; in the summary, from the first analysed frame. Errors: {\"error\": ...}"),
        (name = "Sharing", description = "Share links: a revocable link with its own lifetime that opens one session's result without an API key (on the web page: `/#share=<token>`). Errors: {\"error\": ...}"),
        (name = "Info", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// `GET /openapi.json`
pub async fn openapi_json() -> Response {
    let mut response = Json(ApiDoc::openapi()).into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `GET /api/whoami`: who the credential signs in as (the web page shows it).
#[utoipa::path(get, path = "/api/whoami", tag = "Info",
    responses((status = 200, description = "{userId, tenantId, role}: the caller the credential authenticates", body = Object),
        (status = 401, description = "Missing or refused credentials")),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn whoami(Extension(caller): Extension<Caller>) -> Json<serde_json::Value> {
    let principal = &caller.principal;
    Json(json!({
        "userId": principal.user_id,
        "tenantId": principal.tenant_id,
        "role": principal.role().as_str_name().trim_start_matches("ROLE_").to_ascii_lowercase(),
    }))
}

/// `GET /api/status`
#[utoipa::path(get, path = "/api/status", tag = "Info",
    responses((status = 200, description = "{status: healthy, ...}", body = Object),
        (status = 503, description = "The session service is not serving", body = Object)))]
pub async fn api_status(State(state): State<AppState>) -> Response {
    let mut health = HealthClient::new(state.channel());
    let check = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        health.check(HealthCheckRequest {
            service: service_names::SESSION.to_owned(),
        }),
    )
    .await;
    let serving = matches!(&check, Ok(Ok(r)) if r.get_ref().status() == ServingStatus::Serving);
    let body = json!({
        "status": if serving { "healthy" } else { "degraded" },
        "service": "fitvision-edge",
        "version": env!("CARGO_PKG_VERSION"),
        "session_service": if serving { "serving" } else { "unavailable" },
        "exercises": crate::routes::trainer::exercise_types(),
        "cheat_detection": "mandatory",
    });
    let status = if serving {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

const SWAGGER_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fitvision API - Swagger UI</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/swagger-init.js"></script>
</body></html>"#;

const SWAGGER_INIT: &str = r##"window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"
});"##;

const REDOC_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fitvision API - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/assets/redoc.standalone.js"></script></body></html>"#;

pub async fn swagger_ui() -> Html<&'static str> {
    Html(SWAGGER_HTML)
}

pub async fn redoc() -> Html<&'static str> {
    Html(REDOC_HTML)
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

/// Embedded documentation assets (npm swagger-ui-dist 5.35.0, redoc 2.5.4).
pub async fn swagger_asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match name.as_str() {
        "swagger-ui.css" => asset(
            "text/css",
            include_bytes!("../assets/swagger-ui/swagger-ui.css"),
        ),
        "swagger-ui-bundle.js" => asset(
            "application/javascript",
            include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
        ),
        "swagger-ui-standalone-preset.js" => asset(
            "application/javascript",
            include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
        ),
        "favicon-32x32.png" => asset(
            "image/png",
            include_bytes!("../assets/swagger-ui/favicon-32x32.png"),
        ),
        "swagger-init.js" => asset("application/javascript", SWAGGER_INIT.as_bytes()),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn redoc_asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match name.as_str() {
        "redoc.standalone.js" => asset(
            "application/javascript",
            include_bytes!("../assets/redoc/redoc.standalone.js"),
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

const LANDING_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fitvision - AI Exercise Trainer API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code{background:#f3f3f3;padding:0 .25rem;border-radius:3px}h1{margin-bottom:0}</style></head>
<body>
<h1>fitvision API</h1>
<p>Complete exercise analysis with mandatory cheat detection and AI coaching.</p>
<h2>Links</h2>
<ul>
<li><a href="/docs">API Documentation</a> (Swagger UI)</li>
<li><a href="/redoc">Alternative Docs</a> (ReDoc)</li>
<li><a href="/api/status">Health Check</a></li>
<li><a href="/openapi.json">OpenAPI 3 document</a></li>
</ul>
<h2>Workflow (AI Exercise Trainer)</h2>
<ol>
<li>Create a session: <code>POST /session/create</code></li>
<li>Submit exercises: <code>POST /session/{id}/submit-exercise</code> (multipart <code>exercise_type</code> + <code>video</code>)</li>
<li>Check status: <code>GET /session/{id}/status</code></li>
<li>Generate AI analysis: <code>POST /session/{id}/generate-ai-analysis</code></li>
<li>Get the summary: <code>GET /session/{id}/summary</code></li>
</ol>
<p>Exercises: pushup, squat, situp, sit_and_reach, skipping, jumping_jacks, vertical_jump, broad_jump.
Videos with an authenticity score &ge; 40 or MEDIUM/HIGH risk are blocked (403), unless the tenant's
admin sets another policy (<code>PUT /admin/tenants/{id}/authenticity-policy</code>; mode <code>flag</code>
analyses the video and attaches the verdict). Videos longer than the tenant's analysis limits are refused
with 413 and uploads beyond its analyses in flight with 429 (<code>GET|PUT /admin/tenants/{id}/analysis-limits</code>).</p>
<p>Also served: weightlifting / jumping / running sessions, AI Move (<code>/api/ai-move</code>) and the Guru-compatible video API.
Every call needs <code>Authorization: API-KEY &lt;key&gt;</code>, <code>Bearer &lt;token&gt;</code> or the bare key.</p>
</body></html>"#;

/// `GET /`: the landing page with documentation links.
pub async fn landing() -> Html<&'static str> {
    Html(LANDING_HTML)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names of the query parameters the document gives an operation.
    fn query_params(spec: &serde_json::Value, path: &str, method: &str) -> Vec<String> {
        spec["paths"][path][method]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn typed_query_parameters_keep_the_api_documents_names() {
        let spec = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(
            query_params(&spec, "/api/ai-move/sessions", "get"),
            ["limit", "startAfter"]
        );
        assert_eq!(
            query_params(&spec, "/api/ai-move/records", "get"),
            ["clientId", "limit"]
        );
        assert_eq!(query_params(&spec, "/videos/{id}", "get"), ["include"]);
    }
}
