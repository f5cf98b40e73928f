//! fitvision-cheat-detection: the authenticity verdict on every video before it is scored.
//!
//! Four checks, each with its own 0-100 score, evidence (frame ranges, timestamps) and a
//! short reason, combined by documented weights (see [`verdict`]):
//! - `camera_consistency` ([`checks::camera`]): cuts, splices, camera changes;
//! - `text_overlay` ([`checks::text`]): overlays, live counters/timers, captions, with the
//!   vendored PP-OCRv4 text detector ([`ocr`]);
//! - `multiple_people` ([`checks::people`]): sustained second person, from the pose track;
//! - `manipulation` ([`checks::manipulation`]): duplicated/frozen frames, looped segments,
//!   faster-than-human playback, teleporting joints.
//!
//! The video is decoded once ([`frames`]); only cheap per-frame work, and the heavier work on
//! a time-based sample, so the check costs a fraction of pose inference.

pub mod analyzer;
pub mod checks;
pub mod error;
#[cfg(feature = "eval")]
pub mod eval;
pub mod frames;
pub mod growing;
pub mod ocr;
pub mod service;
pub mod track;
pub mod verdict;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use fitvision_proto::v1::cheat_detection_service_server::CheatDetectionServiceServer;
use fitvision_service_kit::grpc::{self, Health, ServerArgs};
use tokio_util::sync::CancellationToken;

pub use analyzer::{Analysis, Analyzer, Params};
pub use error::CheckError;
pub use ocr::TextDetector;
pub use verdict::Policy;

/// Configuration of the cheat-detection service.
#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// gRPC listen address.
    #[arg(
        long = "addr",
        env = "FITVISION_CHEAT_DETECTION_ADDR",
        default_value = "127.0.0.1:50053"
    )]
    pub addr: SocketAddr,
    /// Directory holding ppocr-v4/ppocr-v4-det.{onnx,toml}.
    #[arg(
        long = "models-dir",
        env = "FITVISION_MODELS_DIR",
        default_value = "models"
    )]
    pub models_dir: PathBuf,
    /// ONNX Runtime intra-op threads of the text detector.
    #[arg(
        long = "ocr-threads",
        env = "FITVISION_CHEAT_OCR_THREADS",
        default_value_t = 2
    )]
    pub ocr_threads: usize,
    /// Videos analysed at once (each is CPU-bound).
    #[arg(
        long = "cheat-max-parallel",
        env = "FITVISION_CHEAT_MAX_PARALLEL",
        default_value_t = 2
    )]
    pub max_parallel: usize,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub storage: fitvision_storage::StorageArgs,
}

/// Runs the service until `shutdown` fires. Health turns SERVING once the text detector
/// is loaded and verified.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let health = Health::new(fitvision_proto::service_names::CHEAT_DETECTION);
    let storage = config.storage.open()?;
    let models_dir = config.models_dir.clone();
    let threads = config.ocr_threads;
    let detector =
        tokio::task::spawn_blocking(move || TextDetector::load(&models_dir, threads)).await??;
    tracing::info!(model = %detector.model_id, "text detector loaded");
    let analyzer = Arc::new(Analyzer::new(detector, Params::default()));
    let service = service::CheatDetection::new(analyzer, storage, config.max_parallel);
    let routes = tonic::service::Routes::new(CheatDetectionServiceServer::new(service));
    health.set_serving().await;
    grpc::serve_internal(config.addr, &config.server, routes, health, shutdown).await
}
