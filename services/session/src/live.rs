//! `LiveAnalysisService`: counting while the athlete trains.
//!
//! A client streams encoded camera frames. One task receives them into a
//! one-frame inbox (a newer frame replaces a waiting one: latest-wins, so a slow
//! machine drops frames instead of queueing them without bound); another sends
//! each taken frame to the pose service's `TrackFrames`, appends the poses to the
//! set's track and counts that track with the exercise-metrics service, the
//! same call an uploaded video gets. Reps are announced as the count grows; the
//! summary at the end is the count of the whole track, i.e. what the analysed
//! frames give offline. The authenticity checks a pose track allows (people in
//! frame, body physics at the feed's clock) run on the set so far every 2 s, and
//! on the whole set at the end, whose verdict is stored with it; a frozen feed is
//! noticed from the pictures themselves. The finished set is stored as a session
//! with one video.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fitvision_proto::v1 as pb;
use fitvision_proto::v1::analyze_live_request::Message as Inbound;
use fitvision_proto::v1::analyze_live_response::Event;
use fitvision_proto::v1::live_analysis_service_server::LiveAnalysisService;
use tokio::sync::{Notify, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::Principal;
use crate::context::AppContext;
use crate::error::SessionError;

/// Events buffered towards a slow client; past it, analysis waits (and the
/// inbox drops frames), so memory stays bounded.
const EVENT_BUFFER: usize = 64;
/// The running count is refreshed at most this often: each refresh re-counts
/// the whole track, which costs more as the set grows.
const COUNT_INTERVAL: Duration = Duration::from_millis(100);
/// A status message at least this often.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);
/// Analysed rate is measured over this window.
const RATE_WINDOW: Duration = Duration::from_secs(3);
/// Byte-identical pictures for this long: the feed is frozen (a camera's sensor
/// noise makes two real captures differ).
const FROZEN_AFTER_MS: f64 = 2000.0;
/// The pose-track authenticity checks of the set so far run this often.
const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// ... once the set has this many analysed frames (a second at 15 fps).
const CHECK_MIN_FRAMES: usize = 15;
/// Largest encoded frame accepted (a 4K JPEG is a few MB).
const MAX_FRAME_BYTES: usize = 16 << 20;

#[derive(Clone)]
pub struct LiveApi {
    ctx: Arc<AppContext>,
}

impl LiveApi {
    pub fn new(ctx: Arc<AppContext>) -> Self {
        Self { ctx }
    }
}

type LiveStream = ReceiverStream<Result<pb::AnalyzeLiveResponse, Status>>;

#[tonic::async_trait]
impl LiveAnalysisService for LiveApi {
    type AnalyzeLiveStream = LiveStream;

    async fn analyze_live(
        &self,
        request: Request<Streaming<pb::AnalyzeLiveRequest>>,
    ) -> Result<Response<LiveStream>, Status> {
        let principal = self.ctx.auth.from_metadata(request.metadata()).await?;
        let mut inbound = request.into_inner();
        let config = match inbound.message().await? {
            Some(pb::AnalyzeLiveRequest {
                message: Some(Inbound::Config(config)),
            }) => config,
            _ => return Err(invalid("the first AnalyzeLive message must be its config")),
        };
        let plan = Plan::prepare(&self.ctx, &principal, config).await?;
        // A kept set is in history from its start, like an upload in progress.
        let stored = match plan.keep {
            true => Some(create_stored_set(&self.ctx, &principal, &plan).await?),
            false => None,
        };
        let record_key = match (&stored, plan.record) {
            (Some(set), true) => format!("videos/{}/live.mp4", set.video_id),
            _ => String::new(),
        };
        let (to_pose, pose_frames) = mpsc::channel(1);
        let _ = to_pose
            .send(pb::TrackFramesRequest {
                message: Some(pb::track_frames_request::Message::Config(
                    pb::TrackFramesConfig {
                        model_id: plan.model_id.clone(),
                        max_persons: 0,
                        record_key,
                    },
                )),
            })
            .await;
        let poses = self
            .ctx
            .clients
            .pose
            .clone()
            .track_frames(ReceiverStream::new(pose_frames))
            .await;
        let poses = match poses {
            Ok(response) => response.into_inner(),
            Err(status) => {
                let status = upstream("pose-inference", status);
                if let Some(set) = &stored {
                    set.fail(&self.ctx, &status).await;
                }
                return Err(status);
            }
        };
        let inbox = Arc::new(Inbox::default());
        tokio::spawn(receive(inbound, inbox.clone()));
        let (events, receiver) = mpsc::channel(EVENT_BUFFER);
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let set = LiveSet {
                ctx: ctx.clone(),
                plan,
                stored: stored.clone(),
                inbox,
                to_pose: Some(to_pose),
                poses,
                events: events.clone(),
                state: State::default(),
            };
            if let Err(status) = set.run().await {
                if let Some(set) = &stored {
                    set.fail(&ctx, &status).await;
                }
                let _ = events.send(Err(status)).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }
}

fn invalid(message: impl Into<String>) -> Status {
    SessionError::InvalidArgument(message.into()).into()
}

fn upstream(service: &str, status: Status) -> Status {
    match status.code() {
        tonic::Code::InvalidArgument | tonic::Code::NotFound => status,
        code => Status::new(code, format!("{service}: {}", status.message())),
    }
}

/// What the configuration resolved to.
struct Plan {
    exercise: pb::analyze_request::Exercise,
    exercise_id: String,
    model_id: String,
    subject: pb::Subject,
    chinese: bool,
    session_name: String,
    keep: bool,
    record: bool,
    tenant_id: String,
}

impl Plan {
    async fn prepare(
        ctx: &AppContext,
        principal: &Principal,
        config: pb::LiveConfig,
    ) -> Result<Self, Status> {
        let wanted = config.exercise_id.trim();
        if wanted.is_empty() {
            return Err(invalid(
                "exercise_id is required: live counting needs the exercise up front",
            ));
        }
        let exercise =
            crate::catalog::resolve(&ctx.db, &principal.tenant_id, ctx.library_tenant(), wanted)
                .await
                .map_err(|e| Status::unavailable(format!("database: {e}")))?
                .ok_or_else(|| invalid(format!("unknown exercise '{wanted}'")))?;
        let choice = if exercise.is_library {
            pb::analyze_request::Exercise::ExerciseId(exercise.id.clone())
        } else {
            pb::analyze_request::Exercise::DefinitionJson(exercise.definition_json.clone())
        };
        let model_id = match config.model_id.trim() {
            "" => crate::pose_model::for_tenant(ctx, &principal.tenant_id)
                .await
                .map_err(|e| Status::unavailable(format!("database: {e}")))?,
            chosen => {
                crate::pose_model::ensure_known(ctx, chosen).await?;
                chosen.to_owned()
            }
        };
        let keep = config.keep.unwrap_or(true);
        if config.record && !keep {
            return Err(invalid(
                "record needs keep: a recording is stored with the set",
            ));
        }
        let language = config.language.trim().to_ascii_lowercase();
        Ok(Self {
            exercise: choice,
            session_name: match config.session_name.trim() {
                "" => format!("Live {}", exercise.id),
                name => name.to_owned(),
            },
            exercise_id: exercise.id,
            model_id,
            subject: config.subject.unwrap_or_default(),
            chinese: language.starts_with("zh"),
            keep,
            record: config.record,
            tenant_id: principal.tenant_id.clone(),
        })
    }
}

/// The session and video a kept set is stored as.
#[derive(Clone)]
struct StoredSet {
    session_id: String,
    video_id: String,
}

impl StoredSet {
    /// A set that ended in an error is kept as a failed video with the reason.
    async fn fail(&self, ctx: &AppContext, status: &Status) {
        let code = match status.code() {
            tonic::Code::InvalidArgument => pb::FailureCode::UnreadableVideo,
            tonic::Code::FailedPrecondition => pb::FailureCode::LowQualityPoseEstimate,
            _ => pb::FailureCode::Internal,
        };
        if let Err(error) =
            crate::pipeline::fail_video(ctx, &self.video_id, code, status.message()).await
        {
            tracing::warn!(%error, video = %self.video_id, "marking a failed live set");
        }
    }
}

/// Creates the session and the video (processing) a kept set is stored as.
async fn create_stored_set(
    ctx: &AppContext,
    principal: &Principal,
    plan: &Plan,
) -> Result<StoredSet, Status> {
    let created = crate::service::sessions::create(
        ctx,
        principal,
        pb::CreateSessionRequest {
            kind: pb::SessionKind::Video as i32,
            title: plan.session_name.clone(),
            exercise_id: plan.exercise_id.clone(),
            subject: Some(plan.subject),
            pending_video: Some(pb::PendingVideo {
                filename: "live".to_owned(),
                ..pb::PendingVideo::default()
            }),
            ..pb::CreateSessionRequest::default()
        },
    )
    .await?;
    let session = created.session.unwrap_or_default();
    let video_id = session
        .videos
        .first()
        .map(|video| video.video_id.clone())
        .ok_or_else(|| Status::internal("the live session was created without its video"))?;
    crate::pipeline::mark_live(ctx, &video_id).await?;
    Ok(StoredSet {
        session_id: session.session_id,
        video_id,
    })
}

/// The one-frame inbox between the receiving and the analysing task.
#[derive(Default)]
struct Inbox {
    slot: Mutex<Slot>,
    wake: Notify,
}

#[derive(Default)]
struct Slot {
    latest: Option<pb::EncodedFrame>,
    ended: bool,
    error: Option<Status>,
    received: u32,
    dropped: u32,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Receives the client's messages until it ends the set or goes away.
async fn receive(mut inbound: Streaming<pb::AnalyzeLiveRequest>, inbox: Arc<Inbox>) {
    loop {
        let next = inbound.message().await;
        let ended = {
            let mut slot = inbox.lock();
            match next {
                Ok(Some(pb::AnalyzeLiveRequest {
                    message: Some(Inbound::Frame(frame)),
                })) => {
                    if frame.image.is_empty() || frame.image.len() > MAX_FRAME_BYTES {
                        slot.error = Some(invalid(format!(
                            "a frame must hold 1 to {MAX_FRAME_BYTES} bytes of JPEG or PNG"
                        )));
                        slot.ended = true;
                    } else {
                        slot.received += 1;
                        if slot.latest.replace(frame).is_some() {
                            slot.dropped += 1;
                        }
                    }
                }
                Ok(Some(pb::AnalyzeLiveRequest {
                    message: Some(Inbound::Config(_)),
                })) => {
                    slot.error = Some(invalid("the config may only be sent first"));
                    slot.ended = true;
                }
                // `end`, an empty message, the client closing its side or going away:
                // the set is over either way; what was analysed is summarised.
                Ok(_) | Err(_) => slot.ended = true,
            }
            slot.ended
        };
        inbox.wake.notify_one();
        if ended {
            return;
        }
    }
}

/// What the set has given so far.
#[derive(Default)]
struct State {
    track: pb::PoseTrack,
    /// The client's timestamp of the first analysed frame: the track starts at 0.
    origin_ms: Option<f64>,
    last_timestamp_ms: Option<f64>,
    analysed: u32,
    analysed_at: VecDeque<Instant>,
    reps_announced: usize,
    last_count: Option<Instant>,
    last_status: Option<Instant>,
    hold_time_s: f64,
    /// Hash of the last picture and since when (track ms) it has not changed.
    same_picture: Option<(u64, f64)>,
    frozen: bool,
    last_check: Option<Instant>,
    /// The flagged checks of the last pose-track check.
    track_flags: Vec<pb::AuthenticityCheck>,
    checks: Vec<pb::AuthenticityCheck>,
}

struct LiveSet {
    ctx: Arc<AppContext>,
    plan: Plan,
    /// Where a kept set is stored.
    stored: Option<StoredSet>,
    inbox: Arc<Inbox>,
    /// `None` once the set ended: dropping it ends the pose service's stream.
    to_pose: Option<mpsc::Sender<pb::TrackFramesRequest>>,
    poses: Streaming<pb::TrackFramesResponse>,
    events: mpsc::Sender<Result<pb::AnalyzeLiveResponse, Status>>,
    state: State,
}

impl LiveSet {
    async fn run(mut self) -> Result<(), Status> {
        self.status("ready").await?;
        loop {
            let (frame, ended, error) = {
                let mut slot = self.inbox.lock();
                (slot.latest.take(), slot.ended, slot.error.take())
            };
            if let Some(error) = error {
                return Err(error);
            }
            match frame {
                Some(frame) => self.analyse(frame).await?,
                None if ended => break,
                None => self.inbox.wake.notified().await,
            }
        }
        // No more frames for the pose service: its stream ends.
        self.to_pose = None;
        self.finish().await
    }

    async fn send(&self, event: Event) -> Result<(), Status> {
        self.events
            .send(Ok(pb::AnalyzeLiveResponse { event: Some(event) }))
            .await
            .map_err(|_| Status::cancelled("the client went away"))
    }

    async fn analyse(&mut self, frame: pb::EncodedFrame) -> Result<(), Status> {
        let captured_ms = frame.timestamp_ms;
        if !captured_ms.is_finite() {
            return Err(invalid("frame timestamp_ms must be a finite number"));
        }
        if self
            .state
            .last_timestamp_ms
            .is_some_and(|last| captured_ms <= last)
        {
            return Err(invalid(format!(
                "frame timestamps must increase: {captured_ms} ms came after {} ms",
                self.state.last_timestamp_ms.unwrap_or_default()
            )));
        }
        self.state.last_timestamp_ms = Some(captured_ms);
        let origin = *self.state.origin_ms.get_or_insert(captured_ms);
        let at_ms = captured_ms - origin;
        self.watch_picture(&frame.image, at_ms);
        let to_pose = self
            .to_pose
            .as_ref()
            .ok_or_else(|| Status::internal("the live feed is closed"))?;
        to_pose
            .send(pb::TrackFramesRequest {
                message: Some(pb::track_frames_request::Message::Frame(pb::EncodedFrame {
                    image: frame.image,
                    timestamp_ms: at_ms,
                })),
            })
            .await
            .map_err(|_| Status::unavailable("pose-inference: the live feed closed"))?;
        let answer = self
            .poses
            .message()
            .await
            .map_err(|status| upstream("pose-inference", status))?
            .ok_or_else(|| Status::unavailable("pose-inference: the live feed ended"))?;
        let pose = answer.frame.unwrap_or_default();
        let state = &mut self.state;
        if state.track.frames.is_empty() {
            state.track.schema = answer.schema;
            state.track.model_id = answer.model_id.clone();
            state.track.video = Some(pb::VideoInfo {
                width_px: answer.width_px,
                height_px: answer.height_px,
                codec: "live".to_owned(),
                ..pb::VideoInfo::default()
            });
        }
        state.track.frames.push(pose.clone());
        state.analysed += 1;
        let now = Instant::now();
        state.analysed_at.push_back(now);
        while state
            .analysed_at
            .front()
            .is_some_and(|at| now.duration_since(*at) > RATE_WINDOW)
        {
            state.analysed_at.pop_front();
        }
        self.send(Event::Pose(pb::LivePose {
            frame: Some(in_client_clock(pose, origin)),
            width_px: answer.width_px,
            height_px: answer.height_px,
            schema: answer.schema,
        }))
        .await?;

        if self
            .state
            .last_count
            .is_none_or(|at| at.elapsed() >= COUNT_INTERVAL)
        {
            self.state.last_count = Some(Instant::now());
            // A short or person-less start cannot be counted yet: not an error live.
            if let Ok(result) = self.count().await {
                self.announce(&result).await?;
            }
        }
        if self.state.track.frames.len() >= CHECK_MIN_FRAMES
            && self
                .state
                .last_check
                .is_none_or(|at| at.elapsed() >= CHECK_INTERVAL)
        {
            self.state.last_check = Some(Instant::now());
            // Informative while the set runs; the verdict is the final check's.
            if let Ok(report) = self.check().await {
                self.state.track_flags = report.checks.into_iter().filter(|c| c.flagged).collect();
            }
        }
        let checks_changed = self.refresh_checks();
        if checks_changed
            || self
                .state
                .last_status
                .is_none_or(|at| at.elapsed() >= STATUS_INTERVAL)
        {
            self.status("analysing").await?;
        }
        Ok(())
    }

    /// Counts the track so far, as an uploaded video's track is counted.
    async fn count(&mut self) -> Result<pb::AnalysisResult, Status> {
        let frames = &self.state.track.frames;
        if let (Some(video), Some(first), Some(last)) = (
            self.state.track.video.as_mut(),
            frames.first(),
            frames.last(),
        ) {
            let span_ms = last.timestamp_ms - first.timestamp_ms;
            let n = frames.len() as u32;
            video.frame_count = n;
            video.fps = if n > 1 && span_ms > 0.0 {
                f64::from(n - 1) * 1000.0 / span_ms
            } else {
                0.0
            };
            video.duration_ms = if video.fps > 0.0 {
                span_ms + 1000.0 / video.fps
            } else {
                span_ms
            };
        }
        let request = pb::AnalyzeRequest {
            exercise: Some(self.plan.exercise.clone()),
            track: Some(self.state.track.clone()),
            subject: Some(self.plan.subject),
            plate: None,
        };
        let result = self
            .ctx
            .clients
            .metrics
            .clone()
            .analyze(request)
            .await
            .map_err(|status| upstream("exercise-metrics", status))?
            .into_inner()
            .result
            .unwrap_or_default();
        self.state.hold_time_s = result.hold_time_s;
        Ok(result)
    }

    /// The authenticity checks a pose track allows, on the set so far, under the
    /// tenant's policy.
    async fn check(&self) -> Result<pb::AuthenticityReport, Status> {
        let policy = crate::blocking::stored(&self.ctx.db, &self.plan.tenant_id)
            .await
            .map_err(|e| Status::unavailable(format!("database: {e}")))?;
        let request = pb::CheckVideoRequest {
            video: None,
            pose_track: None,
            exercise_id: self.plan.exercise_id.clone(),
            policy,
            pose_track_inline: Some(self.state.track.clone()),
        };
        let response = self
            .ctx
            .clients
            .cheat
            .clone()
            .check_video(request)
            .await
            .map_err(|status| upstream("cheat-detection", status))?;
        Ok(response.into_inner().report.unwrap_or_default())
    }

    /// Announces the reps counted since the last announcement, with their cues.
    async fn announce(&mut self, result: &pb::AnalysisResult) -> Result<(), Status> {
        let origin = self.state.origin_ms.unwrap_or_default();
        for (position, rep) in result
            .reps
            .iter()
            .enumerate()
            .skip(self.state.reps_announced)
        {
            let mut shown = rep.clone();
            shown.start_timestamp_ms += origin;
            shown.mid_timestamp_ms += origin;
            shown.end_timestamp_ms += origin;
            self.send(Event::Rep(pb::LiveRep {
                count: position as u32 + 1,
                rep: Some(shown),
            }))
            .await?;
            for analysis in &rep.analyses {
                if analysis.opinion() != pb::Opinion::Bad {
                    continue;
                }
                self.send(Event::Cue(pb::LiveCue {
                    key: analysis.analysis_type.clone(),
                    message: cue_message(result, &analysis.analysis_type, self.plan.chinese),
                    rep_index: rep.index,
                    timestamp_ms: rep.end_timestamp_ms + origin,
                }))
                .await?;
            }
        }
        self.state.reps_announced = self.state.reps_announced.max(result.reps.len());
        Ok(())
    }

    fn watch_picture(&mut self, image: &[u8], at_ms: f64) {
        let mut hasher = DefaultHasher::new();
        image.hash(&mut hasher);
        let hash = hasher.finish();
        let since = match self.state.same_picture {
            Some((last, since)) if last == hash => since,
            _ => at_ms,
        };
        self.state.same_picture = Some((hash, since));
        self.state.frozen = at_ms - since >= FROZEN_AFTER_MS;
    }

    /// Re-evaluates the live checks; true when the set that fires changed.
    fn refresh_checks(&mut self) -> bool {
        let state = &self.state;
        let mut checks = Vec::new();
        if state.frozen {
            checks.push(frozen_check());
        }
        checks.extend(state.track_flags.iter().cloned());
        let changed = checks.iter().map(|c| &c.check).ne(self
            .state
            .checks
            .iter()
            .map(|c| &c.check));
        self.state.checks = checks;
        changed
    }

    async fn status(&mut self, state_name: &str) -> Result<(), Status> {
        self.state.last_status = Some(Instant::now());
        let (received, dropped) = {
            let slot = self.inbox.lock();
            (slot.received, slot.dropped)
        };
        let analysed_fps = match (
            self.state.analysed_at.front(),
            self.state.analysed_at.back(),
        ) {
            (Some(first), Some(last)) if self.state.analysed_at.len() > 1 => {
                let span = last.duration_since(*first).as_secs_f64();
                if span > 0.0 {
                    (self.state.analysed_at.len() - 1) as f64 / span
                } else {
                    0.0
                }
            }
            _ => 0.0,
        };
        let status = pb::LiveStatus {
            state: state_name.to_owned(),
            frames_received: received,
            frames_analysed: self.state.analysed,
            frames_dropped: dropped,
            analysed_fps,
            hold_time_s: self.state.hold_time_s,
            checks: self.state.checks.clone(),
            model_id: self.plan.model_id.clone(),
        };
        self.send(Event::Status(status)).await
    }

    /// The whole set's count, stored when asked, then the summary.
    async fn finish(mut self) -> Result<(), Status> {
        if self.state.track.frames.is_empty() {
            return Err(Status::failed_precondition(
                "the set ended before any frame was analysed",
            ));
        }
        if !self
            .state
            .track
            .frames
            .iter()
            .any(|frame| !frame.persons.is_empty())
        {
            return Err(Status::failed_precondition(
                "no person was found in any analysed frame",
            ));
        }
        let result = self.count().await?;
        self.announce(&result).await?;
        let mut report = match self.check().await {
            Ok(report) => report,
            Err(status) => pb::AuthenticityReport {
                summary: format!(
                    "the authenticity checks could not run: {}",
                    status.message()
                ),
                ..pb::AuthenticityReport::default()
            },
        };
        if self.state.frozen {
            report.checks.push(frozen_check());
        }
        let (received, dropped) = {
            let slot = self.inbox.lock();
            (slot.received, slot.dropped)
        };
        let recorded = match self.plan.record {
            true => self.recording().await,
            false => None,
        };
        let (session_id, video_id) = match &self.stored {
            Some(set) => {
                crate::pipeline::record_live(
                    &self.ctx,
                    &set.video_id,
                    &self.state.track,
                    report.clone(),
                    &result,
                    recorded,
                )
                .await?;
                (set.session_id.clone(), set.video_id.clone())
            }
            None => (String::new(), String::new()),
        };
        self.send(Event::Summary(pb::LiveSummary {
            result: Some(result),
            session_id,
            video_id,
            frames_received: received,
            frames_analysed: self.state.analysed,
            frames_dropped: dropped,
            checks: self.state.checks.clone(),
            authenticity: Some(report),
        }))
        .await
    }

    /// The stored recording, which the pose service sends once the feed ended.
    async fn recording(&mut self) -> Option<pb::ObjectRef> {
        loop {
            match self.poses.message().await {
                Ok(Some(answer)) if answer.recorded.is_some() => return answer.recorded,
                Ok(Some(_)) => continue,
                Ok(None) => return None,
                Err(status) => {
                    tracing::warn!(%status, "the live set's recording failed");
                    return None;
                }
            }
        }
    }
}

fn frozen_check() -> pb::AuthenticityCheck {
    pb::AuthenticityCheck {
        check: "frozen_feed".to_owned(),
        score: 100.0,
        flagged: true,
        reason: format!(
            "the same picture was sent for {:.0} s or more",
            FROZEN_AFTER_MS / 1000.0
        ),
        ..Default::default()
    }
}

/// A pose frame with its timestamp in the client's clock.
fn in_client_clock(mut frame: pb::PoseFrame, origin_ms: f64) -> pb::PoseFrame {
    frame.timestamp_ms += origin_ms;
    frame
}

/// The cue for a failed check, from the result's form labels.
fn cue_message(result: &pb::AnalysisResult, key: &str, chinese: bool) -> String {
    result
        .form_violations
        .iter()
        .find(|violation| violation.key == key)
        .map(|violation| {
            if chinese && !violation.label_zh.is_empty() {
                violation.label_zh.clone()
            } else {
                violation.label.clone()
            }
        })
        .filter(|label| !label.is_empty())
        .unwrap_or_else(|| key.replace('_', " "))
}
