//! fitvision-edge: the public HTTP API.
//!
//! Every documented endpoint of the five documented APIs is served here and transcoded
//! onto the SessionService gRPC API, forwarding the caller's credential as
//! `authorization` metadata. Also: per-key rate limits, signed downloads with
//! Range support, SSE progress, and OpenAPI docs rendered by embedded Swagger
//! UI / ReDoc.

pub mod auth;
pub mod config;
pub mod docs;
pub mod downloads;
pub mod error;
pub mod failed_auth;
pub mod grpc_web;
pub mod jwt;
pub mod params;
pub mod progress;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod signing;
pub mod state;
pub mod threads;
pub mod transcode;
pub mod units;
pub mod upload;
pub mod views;
pub mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use tokio_util::sync::CancellationToken;
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
pub use state::AppState;

use crate::error::{ApiError, Family};
use crate::routes::{admin, ai_move, analysis_limits, guru, lifting, live, oauth, shares, trainer};

/// Largest body of a route that takes no video: JSON, forms, the token request.
pub const SMALL_BODY_BYTES: usize = 256 * 1024;

/// Builds the whole HTTP application over a session-service channel.
pub fn router(state: AppState) -> Router {
    let authed = |family: Family| from_fn_with_state((state.clone(), family), auth::authenticate);
    let public =
        |family: Family| from_fn_with_state((state.clone(), family), auth::rate_limit_only);
    let size_checked = |family: Family| {
        from_fn_with_state((state.clone(), family), upload::reject_declared_oversize)
    };
    let upload_limit = DefaultBodyLimit::max(
        usize::try_from(state.config().max_upload_bytes).unwrap_or(usize::MAX),
    );

    let trainer_routes = Router::new()
        .route("/session/create", post(trainer::create_session))
        .route(
            "/session/{session_id}/submit-exercise",
            post(trainer::submit_exercise).layer(upload_limit),
        )
        .route("/session/{session_id}/status", get(trainer::session_status))
        .route(
            "/session/{session_id}/generate-ai-analysis",
            post(trainer::generate_ai_analysis),
        )
        .route(
            "/session/{session_id}/summary",
            get(trainer::session_summary),
        )
        .route(
            "/session/{session_id}",
            axum::routing::delete(trainer::delete_session),
        )
        .route("/sessions", get(trainer::list_sessions))
        .route_layer(size_checked(Family::Trainer))
        .route_layer(authed(Family::Trainer));

    let lifting_routes = Router::new()
        .route(
            "/weightlifting/sessions/",
            post(lifting::weightlifting_create).layer(upload_limit),
        )
        .route(
            "/weightlifting/sessions/{session_id}/",
            get(lifting::weightlifting_details),
        )
        .route(
            "/weightlifting/sessions/{session_id}/export/",
            get(lifting::weightlifting_export),
        )
        .route(
            "/weightlifting/sessions/{session_id}/lift-analysis/",
            get(lifting::weightlifting_lift_analysis),
        )
        .route(
            "/weightlifting/sessions/{session_id}/summary/",
            get(lifting::weightlifting_summary).post(lifting::weightlifting_create_summary),
        )
        .route(
            "/weightlifting/sessions/{session_id}/recommendation/",
            post(lifting::weightlifting_recommendation),
        )
        .route(
            "/jumping/sessions/",
            post(lifting::jumping_create).layer(upload_limit),
        )
        .route(
            "/jumping/sessions/{session_id}/",
            get(lifting::jumping_details),
        )
        .route(
            "/jumping/sessions/{session_id}/export/",
            get(lifting::jumping_export),
        )
        .route(
            "/jumping/sessions/{session_id}/summary/",
            get(lifting::jumping_summary).post(lifting::jumping_create_summary),
        )
        .route(
            "/running/sessions/",
            post(lifting::running_create).layer(upload_limit),
        )
        .route(
            "/running/sessions/{session_id}/",
            get(lifting::running_details),
        )
        .route(
            "/running/sessions/{session_id}/export/",
            get(lifting::running_export),
        )
        .route(
            "/running/sessions/{session_id}/summary/",
            get(lifting::running_summary).post(lifting::running_create_summary),
        )
        .route(
            "/sessions/{session_id}/analyzed-video/",
            get(lifting::analyzed_video_route),
        )
        .route(
            "/session-management/sessions/{session_id}/analyzed-video/",
            get(lifting::session_management_analyzed_video),
        )
        .route("/threads/{thread_id}", get(threads::get_thread_route))
        .route_layer(size_checked(Family::Lifting))
        .route_layer(authed(Family::Lifting));

    let ai_move_routes = Router::new()
        .route("/api/ai-move/exercises", get(ai_move::list_exercises))
        .route(
            "/api/ai-move/exercises/{exercise_id}",
            get(ai_move::get_exercise),
        )
        .route(
            "/api/ai-move/sessions",
            get(ai_move::list_sessions).post(ai_move::create_session),
        )
        .route(
            "/api/ai-move/sessions/{session_id}",
            get(ai_move::get_session).patch(ai_move::update_session),
        )
        .route("/api/ai-move/records", get(ai_move::records))
        .route_layer(authed(Family::AiMove));

    let guru_routes = Router::new()
        .route("/videos", post(guru::create_video))
        .route("/videos/{id}", get(guru::get_video).put(guru::update_video))
        .route("/videos/{id}/analysis", get(guru::get_analysis))
        .route("/videos/{id}/j2p", get(guru::get_j2p))
        .route_layer(authed(Family::Guru));

    let admin_routes = Router::new()
        .route(
            "/admin/tenants/{tenant_id}/authenticity-policy",
            get(admin::get_authenticity_policy).put(admin::put_authenticity_policy),
        )
        .route(
            "/admin/tenants/{tenant_id}/analysis-limits",
            get(analysis_limits::get_analysis_limits).put(analysis_limits::put_analysis_limits),
        )
        .route_layer(authed(Family::Plain));

    let progress_routes = Router::new()
        .route("/videos/{id}/events", get(progress::video_events))
        .route("/live/token", post(live::issue_token))
        .route("/api/whoami", get(docs::whoami))
        .route_layer(authed(Family::Plain));

    // google.api.http transcoding of the unary RPCs.
    let transcoded_routes = Router::new()
        .route(
            "/v1/sessions",
            post(transcode::create_session).get(transcode::list_sessions),
        )
        .route(
            "/v1/sessions/{session_id}",
            get(transcode::get_session)
                .patch(transcode::update_session)
                .delete(transcode::delete_session),
        )
        .route(
            "/v1/sessions/{session_id}/threads",
            post(transcode::create_threads),
        )
        .route(
            "/v1/sessions/{session_id}/shares",
            post(transcode::create_share_link).get(transcode::list_share_links),
        )
        .route(
            "/v1/shares/{share_id}",
            delete(transcode::revoke_share_link),
        )
        .route("/v1/videos/{video_id}", get(transcode::get_video))
        .route("/v1/threads/{thread_id}", get(transcode::get_thread))
        .route(
            "/v1/catalog/exercises",
            get(transcode::list_catalog_exercises),
        )
        .route(
            "/v1/catalog/exercises/{exercise_id}",
            get(transcode::get_catalog_exercise),
        )
        .route_layer(authed(Family::Plain));

    let grpc_web = tower::Layer::layer(
        &tonic_web::GrpcWebLayer::new(),
        grpc_web::SessionProxy::new(state.channel()),
    );
    let public_routes = Router::new()
        .route_service("/fitvision.v1.SessionService/{method}", grpc_web)
        .route("/oauth2/token", post(oauth::token))
        .route(
            "/videos/{id}/upload",
            post(guru::upload_video)
                .layer(upload_limit)
                .layer(size_checked(Family::Guru)),
        )
        .route("/files/{*key}", get(downloads::download))
        // The token is the credential (a share link opened without an API key).
        .route("/v1/shared/{token}", get(shares::open_shared))
        // Authenticates itself: by header, or by a token from POST /live/token.
        .route("/live", get(live::open))
        .route_layer(public(Family::Plain));

    let mut docs_routes = Router::new()
        .route("/api/status", get(docs::api_status))
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::swagger_ui))
        .route("/docs/assets/{name}", get(docs::swagger_asset))
        .route("/redoc", get(docs::redoc))
        .route("/redoc/assets/{name}", get(docs::redoc_asset));
    docs_routes = docs_routes.route("/landing", get(docs::landing));
    docs_routes = match state.config().web_dir.clone() {
        // An override directory (FITVISION_WEB_DIR) is read from disk, for page development.
        Some(dir) if dir.join("index.html").is_file() => docs_routes.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .append_index_html_on_directories(true)
                .fallback(tower::service_fn(|_request| async {
                    Ok::<_, std::convert::Infallible>(not_found().await.into_response())
                })),
        ),
        // Otherwise the page embedded at build time; without one, the plain landing page.
        _ if web::embedded_page_present() => docs_routes.fallback(embedded_page),
        _ => docs_routes
            .route("/", get(docs::landing))
            .fallback(not_found),
    };

    Router::new()
        .merge(trainer_routes)
        .merge(lifting_routes)
        .merge(ai_move_routes)
        .merge(guru_routes)
        .merge(admin_routes)
        .merge(progress_routes)
        .merge(transcoded_routes)
        .merge(public_routes)
        .merge(docs_routes)
        // Only the upload routes above read large bodies; every other body (JSON,
        // forms, the OAuth2 token request) is refused past a small limit before it
        // is read, authenticated or not.
        .layer(DefaultBodyLimit::max(SMALL_BODY_BYTES))
        // Guessing credentials: refused ones are counted per client address, which is
        // then blocked with back-off before any credential is looked at.
        .layer(from_fn_with_state(
            state.clone(),
            failed_auth::limit_failed_authentications,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any)
                .expose_headers([
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderName::from_static("x-request-id"),
                ]),
        )
        .layer(from_fn_with_state(
            state.clone(),
            drop_untrusted_forwarded_headers,
        ))
        .layer(axum::middleware::from_fn(reject_overlong_path_segments))
        .layer(axum::middleware::from_fn(json_error_bodies))
        // Every answer: no MIME sniffing, no framing, no referrer leaking signed URLs.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // A panic becomes a JSON 500, never a bare error page or a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(fitvision_service_kit::http::layers())
        .with_state(state)
}

/// Longest path segment (an id, a file name) any route accepts: ids are UUIDs or
/// short slugs, object keys a few such segments.
pub const MAX_PATH_SEGMENT_BYTES: usize = 512;

/// Answers 404 to a path with a segment longer than [`MAX_PATH_SEGMENT_BYTES`] before
/// any handler runs: no id or route is that long, and passing it on would only travel
/// into gRPC messages and error texts (a 60 000-byte id used to end as a 500).
async fn reject_overlong_path_segments(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request
        .uri()
        .path()
        .split('/')
        .any(|segment| segment.len() > MAX_PATH_SEGMENT_BYTES)
    {
        return ApiError::not_found(
            Family::Plain,
            format!("not found: a path segment is longer than {MAX_PATH_SEGMENT_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(request).await
}

/// Removes `X-Forwarded-Host`/`-Proto` unless the request comes from a configured
/// reverse proxy: they decide the host of every URL handed out (signed downloads,
/// upload policies), so a client sending its own must not redirect them elsewhere.
async fn drop_untrusted_forwarded_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = failed_auth::peer_ip(&request);
    let trusted = peer.is_some_and(|ip| state.config().trusted_proxies.contains(&ip));
    if !trusted {
        let headers = request.headers_mut();
        headers.remove("x-forwarded-host");
        headers.remove("x-forwarded-proto");
    }
    next.run(request).await
}

/// Turns the plain-text error answers of axum's extractors (a body over its limit, a
/// malformed JSON or form body, a wrong content type) into the JSON error every other
/// answer of the API has, `{"error": "<the text>"}` with the same status.
async fn json_error_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(response.status().is_client_error() || response.status().is_server_error()) || !plain_text
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are a line or two; anything longer is cut, never buffered whole.
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({ "error": text }).to_string();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
}

/// The embedded browser page, else the JSON 404 of unknown routes.
async fn embedded_page(uri: axum::http::Uri) -> axum::response::Response {
    web::embedded_response(&uri)
        .unwrap_or_else(|| ApiError::not_found(Family::Plain, "Not Found").into_response())
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("handler panicked");
    ApiError::internal(Family::Plain, "internal error").into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found(Family::Plain, "Not Found")
}

/// Runs the edge until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    if let Some(token) = config.service_token.clone().filter(|t| !t.is_empty()) {
        fitvision_service_kit::service_auth::set_outgoing_token(token);
    }
    let channel = fitvision_service_kit::client::connect_lazy(&config.session_url)?;
    let addr = config.addr;
    let state = AppState::new(config, channel)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "fitvision edge listening");
    serve(listener, state, shutdown).await
}

/// Serves the edge on an already bound listener (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let limits = state.config().connections;
    let exempt = state.config().trusted_proxies.clone();
    server::serve_with_limits(listener, router(state), limits, exempt, shutdown).await
}
