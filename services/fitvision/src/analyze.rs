//! `fitvision analyze`: the command-line client. Uploads a video over gRPC in
//! chunks, follows the pipeline's progress stream and prints the result.

use std::path::PathBuf;

use anyhow::Context as _;
use fitvision_proto::v1::session_service_client::SessionServiceClient;
use fitvision_proto::v1::{
    AnalysisResult, AuthenticityReport, SessionKind, UploadMetadata, UploadVideoRequest, Video,
    VideoStatus, WatchVideoRequest, upload_video_request,
};
use tokio::io::AsyncReadExt;
use tokio_stream::StreamExt;

/// Chunk size of the client-streaming upload: large enough for throughput,
/// small enough to keep memory flat.
const CHUNK_BYTES: usize = 1 << 20;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Video file to analyse (mp4, mov, webm, mkv, avi).
    pub video: PathBuf,
    /// Exercise id or alias, e.g. push_up, squat, vertical_jump, snatch. Omitted: the
    /// exercise is recognised from the video (the result says which and how surely).
    #[arg(long, short, default_value = "")]
    pub exercise: String,
    /// Session service to talk to.
    #[arg(
        long,
        env = "FITVISION_SESSION_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// API key; defaults to FITVISION_ADMIN_KEY when FITVISION_API_KEY is unset.
    #[arg(long, env = "FITVISION_API_KEY")]
    pub api_key: Option<String>,
    /// Athlete height in metres (improves distances and heights).
    #[arg(long)]
    pub height_m: Option<f64>,
    /// Barbell mass in kg for lifts.
    #[arg(long)]
    pub barbell_kg: Option<f64>,
}

pub async fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let api_key = args
        .api_key
        .clone()
        .or_else(|| std::env::var("FITVISION_ADMIN_KEY").ok())
        .context("no API key: pass --api-key or set FITVISION_API_KEY / FITVISION_ADMIN_KEY")?;
    let authorization: tonic::metadata::MetadataValue<_> = format!("API-KEY {api_key}")
        .parse()
        .context("API key is not valid header text")?;

    let channel = fitvision_service_kit::client::connect_lazy(&args.server)?;
    let mut client = SessionServiceClient::new(channel)
        .max_decoding_message_size(512 << 20)
        .max_encoding_message_size(16 << 20);

    let file = tokio::fs::File::open(&args.video)
        .await
        .with_context(|| format!("cannot open {}", args.video.display()))?;
    let size = file.metadata().await?.len();
    let filename = args
        .video
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    eprintln!("uploading {filename} ({:.1} MB)", size as f64 / 1e6);

    let metadata = UploadMetadata {
        kind: SessionKind::Video as i32,
        exercise_id: args.exercise.clone(),
        filename,
        declared_size_bytes: size,
        subject: Some(fitvision_proto::v1::Subject {
            height_m: args.height_m.unwrap_or(0.0),
            barbell_mass_kg: args.barbell_kg.unwrap_or(0.0),
            ..Default::default()
        }),
        ..Default::default()
    };
    let messages = upload_messages(metadata, file);
    let mut request = tonic::Request::new(messages);
    request
        .metadata_mut()
        .insert("authorization", authorization.clone());
    let uploaded = client
        .upload_video(request)
        .await
        .map_err(status_error)?
        .into_inner()
        .video
        .context("server returned no video")?;
    eprintln!("uploaded as video {}", uploaded.video_id);

    let mut request = tonic::Request::new(WatchVideoRequest {
        video_id: uploaded.video_id.clone(),
    });
    request
        .metadata_mut()
        .insert("authorization", authorization);
    let mut events = client
        .watch_video(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let mut final_video = None;
    while let Some(event) = events.next().await {
        let event = event.map_err(status_error)?;
        eprintln!("  [{:>5.1}%] {}", event.percent, event.message);
        if event.video.is_some() {
            final_video = event.video;
        }
    }
    let video = final_video.context("progress stream ended without a final result")?;
    print_video(&video);
    if video.status == VideoStatus::Complete as i32 {
        Ok(())
    } else {
        anyhow::bail!("analysis did not complete: {}", video.failure_reason)
    }
}

/// The metadata message followed by the file in chunks, read lazily so the
/// whole video is never in memory.
fn upload_messages(
    metadata: UploadMetadata,
    mut file: tokio::fs::File,
) -> impl tokio_stream::Stream<Item = UploadVideoRequest> {
    async_stream_from_fn(move |sender| async move {
        let first = UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Metadata(metadata)),
        };
        if sender.send(first).await.is_err() {
            return;
        }
        let mut buffer = vec![0u8; CHUNK_BYTES];
        loop {
            match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => {
                    let chunk = UploadVideoRequest {
                        payload: Some(upload_video_request::Payload::Chunk(
                            buffer[..read].to_vec(),
                        )),
                    };
                    if sender.send(chunk).await.is_err() {
                        break;
                    }
                }
                Err(error) => {
                    eprintln!("read error: {error}");
                    break;
                }
            }
        }
    })
}

/// A stream fed by a producer task through a small bounded channel
/// (backpressure: the producer waits while the network is busy).
fn async_stream_from_fn<T, F, Fut>(producer: F) -> impl tokio_stream::Stream<Item = T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(producer(sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

fn print_video(video: &Video) {
    let status = VideoStatus::try_from(video.status).unwrap_or(VideoStatus::Unspecified);
    println!("video      {}", video.video_id);
    println!("status     {}", status.as_str_name());
    if !video.failure_reason.is_empty() {
        println!("reason     {}", video.failure_reason);
    }
    if let Some(info) = &video.info {
        println!(
            "video info {}x{} @ {:.2} fps, {} frames, {:.2} s",
            info.width_px,
            info.height_px,
            info.fps,
            info.frame_count,
            info.duration_ms / 1000.0
        );
    }
    if let Some(report) = &video.authenticity {
        print_authenticity(report);
    }
    if let Some(result) = &video.result {
        print_result(result);
    }
}

fn print_authenticity(report: &AuthenticityReport) {
    let risk = fitvision_proto::v1::RiskLevel::try_from(report.risk_level)
        .map(|risk| {
            risk.as_str_name()
                .trim_start_matches("RISK_LEVEL_")
                .to_owned()
        })
        .unwrap_or_default();
    println!(
        "authenticity score {:.0}/100, risk {risk}, blocked {}",
        report.score, report.blocked
    );
    for check in &report.checks {
        println!(
            "  - {:<20} {:>5.1} {} {}",
            check.check,
            check.score,
            if check.flagged { "FLAGGED" } else { "ok     " },
            check.reason
        );
    }
}

fn print_result(result: &AnalysisResult) {
    println!("exercise   {} ({})", result.exercise_id, result.mode);
    if let Some(recognition) = &result.recognition {
        println!(
            "           recognised, confidence {:.2}: {}",
            recognition.confidence, recognition.reason
        );
    }
    println!("reps       {}", result.rep_count);
    for rep in &result.reps {
        println!(
            "  rep {:>2}: {:>7.0} ms .. {:>7.0} ms (mid {:>7.0}), ROM {:.1}",
            rep.index + 1,
            rep.start_timestamp_ms,
            rep.end_timestamp_ms,
            rep.mid_timestamp_ms,
            rep.range_of_motion
        );
    }
    println!(
        "form score {:.2}, pose accuracy {:.2}, duration {:.1} s, calories {:.1} kcal",
        result.form_score, result.pose_accuracy, result.duration_s, result.calories_kcal
    );
    let mut metrics: Vec<_> = result.metrics.iter().collect();
    metrics.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in metrics {
        println!("  {name:<28} {value:.3}");
    }
    for violation in &result.form_violations {
        println!(
            "  fault {:<24} {}/{} ({:.0}%)",
            violation.label,
            violation.violation_count,
            violation.total_checks,
            violation.violation_rate * 100.0
        );
    }
    for warning in &result.warnings {
        println!("  note: {warning}");
    }
}
