//! Live counting over a WebSocket (`GET /live?activity=ID`), bridged onto
//! `LiveAnalysisService.AnalyzeLive` of the session service, and the short-lived
//! tokens browsers use to open it (`POST /live/token`: a browser cannot set an
//! `Authorization` header on a WebSocket).
//!
//! Client to server: binary messages, each an 8-byte little-endian capture
//! timestamp in ms followed by one JPEG (or PNG) frame; the text message
//! `{"type":"end"}` ends the set. Server to client: JSON text messages whose `type`
//! is `status`, `pose`, `rep`, `cue`, `summary` or `error`; the socket closes after
//! the summary (or the error).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Json;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use fitvision_proto::v1 as pb;
use fitvision_proto::v1::analyze_live_request::Message as Outbound;
use fitvision_proto::v1::analyze_live_response::Event;
use fitvision_proto::v1::live_analysis_service_client::LiveAnalysisServiceClient;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult, Family};
use crate::state::AppState;

const FAMILY: Family = Family::Plain;
/// A live token opens one socket within this long.
const TOKEN_TTL: Duration = Duration::from_secs(60);
const MAX_PENDING_TOKENS: usize = 10_000;
/// Frames on their way to the session service; it keeps only the latest waiting
/// one, so this is a hand-over, not a queue.
const FORWARD_BUFFER: usize = 2;
/// Largest WebSocket message accepted: one frame of a phone camera as JPEG.
const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Single-use tokens for `GET /live?token=`, held by this edge process.
#[derive(Default)]
pub struct LiveTokens {
    pending: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl LiveTokens {
    fn issue(&self, caller: Caller) -> String {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, at)| at.elapsed() < TOKEN_TTL);
        if pending.len() >= MAX_PENDING_TOKENS {
            pending.clear();
        }
        pending.insert(token.clone(), (caller, Instant::now()));
        token
    }

    fn redeem(&self, token: &str) -> Option<Caller> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let (caller, at) = pending.remove(token)?;
        (at.elapsed() < TOKEN_TTL).then_some(caller)
    }
}

/// A token for one live socket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LiveToken {
    /// Pass as `?token=` to `GET /live` within `expires_in_s`; it opens one socket.
    pub token: String,
    #[schema(example = 60)]
    pub expires_in_s: u64,
}

/// `POST /live/token`: a single-use token to open `GET /live` from a browser.
#[utoipa::path(
    post,
    path = "/live/token",
    tag = "Live",
    responses(
        (status = 200, description = "Token issued", body = LiveToken),
        (status = 401, description = "Missing or refused credentials"),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn issue_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Json<LiveToken> {
    Json(LiveToken {
        token: state.live_tokens().issue(caller),
        expires_in_s: TOKEN_TTL.as_secs(),
    })
}

/// Query of `GET /live`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveParams {
    /// Catalog exercise id or Guru activity, e.g. `squat`, `pushup`.
    pub activity: Option<String>,
    /// A token from `POST /live/token` (else the `Authorization` header).
    pub token: Option<String>,
    /// Pose model id (default: the tenant's, else the deployment's).
    pub model: Option<String>,
    /// Language of the cues: `en`, `zh-Hans`, `zh-Hant`.
    pub language: Option<String>,
    /// `false`: analyse only, do not store the set as a session.
    pub keep: Option<bool>,
    /// `true`: also keep the frames as the stored video (H.264 MP4 at 15 fps), which
    /// then plays and renders with its skeleton like an upload.
    pub record: Option<bool>,
    /// Name of the stored session.
    pub name: Option<String>,
}

/// `GET /live`: the WebSocket of a live set.
#[utoipa::path(
    get,
    path = "/live",
    tag = "Live",
    params(LiveParams),
    responses(
        (status = 101, description = "WebSocket opened. Send binary messages (8-byte little-endian capture time in ms, then one JPEG frame) and finally the text `{\"type\":\"end\"}`; receive JSON text messages of type status, pose, rep (count, start_ms, end_ms), cue, summary and error."),
        (status = 400, description = "No or unknown activity, or not a WebSocket request"),
        (status = 401, description = "Missing, refused or expired credentials or token"),
        (status = 426, description = "The connection cannot be upgraded to a WebSocket"),
        (status = 429, description = "Rate limit exceeded"),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn open(
    State(state): State<AppState>,
    Query(params): Query<LiveParams>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let caller = match params.token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => state.live_tokens().redeem(token).ok_or_else(|| {
            ApiError::unauthorized(FAMILY, "the live token is unknown, used or expired")
        })?,
        None => auth::resolve(&state, FAMILY, auth::credential(&headers)).await?,
    };
    let activity = params
        .activity
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::bad_request(FAMILY, "activity is required, e.g. ?activity=squat"))?
        .to_owned();
    // Checked after the credentials, so an anonymous probe learns nothing more.
    let upgrade = upgrade
        .map_err(|rejection| ApiError::new(FAMILY, rejection.status(), rejection.body_text()))?;
    let (to_session, outbound) = mpsc::channel(FORWARD_BUFFER);
    let config = pb::LiveConfig {
        exercise_id: activity,
        model_id: params.model.unwrap_or_default(),
        language: params.language.unwrap_or_default(),
        session_name: params.name.unwrap_or_default(),
        keep: params.keep,
        record: params.record.unwrap_or(false),
        subject: None,
    };
    let _ = to_session
        .send(pb::AnalyzeLiveRequest {
            message: Some(Outbound::Config(config)),
        })
        .await;
    // Opened before the upgrade, so a bad activity or model is an HTTP error.
    let events = LiveAnalysisServiceClient::new(state.channel())
        .max_encoding_message_size(MAX_MESSAGE_BYTES + 1024)
        .analyze_live(caller.request(ReceiverStream::new(outbound)))
        .await
        .map_err(|status| ApiError::from_status(FAMILY, &status))?
        .into_inner();
    Ok(upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| bridge(socket, to_session, events)))
}

/// Frames from the socket to the session service, events back, until the summary.
async fn bridge(
    socket: WebSocket,
    to_session: mpsc::Sender<pb::AnalyzeLiveRequest>,
    mut events: tonic::Streaming<pb::AnalyzeLiveResponse>,
) {
    let (mut to_client, mut from_client) = socket.split();
    let forward = async move {
        while let Some(Ok(message)) = from_client.next().await {
            let request = match message {
                Message::Binary(bytes) if bytes.len() > 8 => {
                    let mut stamp = [0u8; 8];
                    stamp.copy_from_slice(&bytes[..8]);
                    pb::AnalyzeLiveRequest {
                        message: Some(Outbound::Frame(pb::EncodedFrame {
                            image: bytes.slice(8..).to_vec(),
                            timestamp_ms: u64::from_le_bytes(stamp) as f64,
                        })),
                    }
                }
                Message::Text(text) if is_end(text.as_str()) => {
                    let _ = to_session
                        .send(pb::AnalyzeLiveRequest {
                            message: Some(Outbound::End(pb::LiveEnd {})),
                        })
                        .await;
                    return;
                }
                Message::Close(_) => return,
                // Pings are answered by axum; anything else is not part of the protocol.
                _ => continue,
            };
            if to_session.send(request).await.is_err() {
                return;
            }
        }
    };
    let answer = async move {
        loop {
            let (text, last) = match events.message().await {
                Ok(Some(response)) => match response.event {
                    Some(event) => {
                        let last = matches!(event, Event::Summary(_));
                        (event_json(event), last)
                    }
                    None => continue,
                },
                Ok(None) => break,
                Err(status) => (
                    json!({
                        "type": "error",
                        "code": format!("{:?}", status.code()),
                        "message": status.message(),
                    }),
                    true,
                ),
            };
            if to_client
                .send(Message::Text(text.to_string().into()))
                .await
                .is_err()
                || last
            {
                break;
            }
        }
        let _ = to_client.send(Message::Close(None)).await;
    };
    // The answers decide when the socket is done: the summary follows the end.
    let forwarding = tokio::spawn(forward);
    answer.await;
    forwarding.abort();
}

fn is_end(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|value| value.get("type").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|kind| kind == "end")
}

fn rep_json(count: u32, rep: &pb::Rep) -> Value {
    json!({
        "type": "rep",
        "count": count,
        "index": rep.index,
        "start_ms": rep.start_timestamp_ms,
        "mid_ms": rep.mid_timestamp_ms,
        "end_ms": rep.end_timestamp_ms,
        "good_form": rep.good_form,
        "analyses": rep.analyses.iter().map(|a| json!({
            "type": a.analysis_type,
            "value": a.scalar,
            "opinion": match a.opinion() {
                pb::Opinion::Good => "good",
                pb::Opinion::Bad => "bad",
                pb::Opinion::Unspecified => "none",
            },
        })).collect::<Vec<_>>(),
    })
}

fn checks_json(checks: &[pb::AuthenticityCheck]) -> Value {
    checks
        .iter()
        .map(|c| json!({"check": c.check, "reason": c.reason, "score": c.score}))
        .collect()
}

fn event_json(event: Event) -> Value {
    match event {
        Event::Status(status) => json!({
            "type": "status",
            "state": status.state,
            "frames_received": status.frames_received,
            "frames_analysed": status.frames_analysed,
            "frames_dropped": status.frames_dropped,
            "analysed_fps": status.analysed_fps,
            "hold_time_s": status.hold_time_s,
            "checks": checks_json(&status.checks),
            "model_id": status.model_id,
        }),
        Event::Pose(pose) => {
            let frame = pose.frame.unwrap_or_default();
            json!({
                "type": "pose",
                "timestamp_ms": frame.timestamp_ms,
                "frame_index": frame.frame_index,
                "width": pose.width_px,
                "height": pose.height_px,
                "persons": frame.persons.iter().map(|person| json!({
                    "track_id": person.track_id,
                    "confidence": person.confidence,
                    // [x, y, score] per keypoint, x and y in 0..1 of the frame.
                    "keypoints": person.keypoints.iter()
                        .map(|k| [k.x_norm, k.y_norm, k.score])
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        }
        Event::Rep(rep) => rep_json(rep.count, &rep.rep.unwrap_or_default()),
        Event::Cue(cue) => json!({
            "type": "cue",
            "key": cue.key,
            "message": cue.message,
            "rep_index": cue.rep_index,
            "timestamp_ms": cue.timestamp_ms,
        }),
        Event::Summary(summary) => {
            let result = summary.result.unwrap_or_default();
            let report = summary.authenticity.unwrap_or_default();
            json!({
                "type": "summary",
                "exercise_id": result.exercise_id,
                "rep_count": result.rep_count,
                "reps": result.reps.iter().enumerate()
                    .map(|(i, rep)| rep_json(i as u32 + 1, rep))
                    .collect::<Vec<_>>(),
                "form_score": result.form_score,
                "hold_time_s": result.hold_time_s,
                "duration_s": result.duration_s,
                "session_id": summary.session_id,
                "video_id": summary.video_id,
                "frames_received": summary.frames_received,
                "frames_analysed": summary.frames_analysed,
                "frames_dropped": summary.frames_dropped,
                "checks": checks_json(&summary.checks),
                "authenticity": {
                    "score": report.score,
                    "risk": report.risk_level().as_str_name().trim_start_matches("RISK_LEVEL_"),
                    "blocked": report.blocked,
                    "summary": report.summary,
                    "checks": checks_json(&report.checks),
                },
            })
        }
    }
}
