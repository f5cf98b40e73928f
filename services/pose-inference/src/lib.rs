//! fitvision pose-inference: per-frame, per-person body keypoints from stored videos.
//!
//! - [`VideoDecoder`](fitvision_video::VideoDecoder) streams frames (rotation applied,
//!   decoder timestamps); [`pipeline`] overlaps decoding and inference with backpressure.
//! - [`registry`] loads models from their manifests; [`model::PoseModel`] hides the
//!   family (YOLO pose today) from everything else.
//! - [`tracker`] gives each person a stable id across frames.
//! - In-process use: [`extract_pose_track`] / [`PoseEngine`]; over gRPC: [`run`].

pub mod bench_peer;
pub mod cadence;
pub mod engine;
mod error;
mod execution;
pub mod focus;
pub mod geometry;
pub mod letterbox;
mod live;
pub mod model;
pub mod pipeline;
pub mod registry;
pub mod render;
mod service;
pub mod tracker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use fitvision_proto::v1::pose_inference_service_server::PoseInferenceServiceServer;
use fitvision_service_kit::grpc::{self, Health, ServerArgs};
use fitvision_storage::StorageArgs;
use tokio_util::sync::CancellationToken;

pub use engine::{PoseEngine, extract_pose_track};
pub use error::PoseError;
pub use fitvision_onnx::default_models_dir;
pub use geometry::{Detection, PixelBox, PixelKeypoint};
pub use model::SessionOptions;
pub use pipeline::{Flow, InputPolicy, PoseEvent, PoseOptions};
pub use registry::{ModelRegistry, RegistryConfig};
pub use service::PoseInferenceApi;

/// Largest gRPC message accepted or sent (a PoseFrame is a few kB; this is headroom).
const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Which hardware runs the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExecutionProvider {
    #[default]
    Cpu,
    /// CUDA when this build has the `cuda` feature and a GPU is available; else the CPU.
    Cuda,
}

/// pose-inference configuration (flags and `FITVISION_*` environment variables).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to serve gRPC on.
    #[arg(
        long = "addr",
        env = "FITVISION_POSE_ADDR",
        default_value = "127.0.0.1:50052"
    )]
    pub addr: SocketAddr,
    /// Directory with model manifests (`*.toml`) and ONNX files (default: ./models, else the repository's).
    #[arg(long, env = "FITVISION_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// Model used when a request names none.
    #[arg(long, env = "FITVISION_POSE_MODEL", default_value = engine::DEFAULT_MODEL_ID)]
    pub default_model: String,
    /// ONNX Runtime intra-op threads per inference.
    #[arg(long, env = "FITVISION_ORT_THREADS", default_value_t = engine::DEFAULT_INTRA_OP_THREADS)]
    pub intra_op_threads: usize,
    /// Videos analysed at once; further requests wait their turn (0 = the machine's
    /// cores divided by the inference threads, at least 1). Each run is CPU-bound and
    /// holds its own activations: more at once only slows each down and adds memory.
    #[arg(
        long = "pose-max-parallel",
        env = "FITVISION_POSE_MAX_PARALLEL",
        default_value_t = 0
    )]
    pub max_parallel: usize,
    /// Long side of the model input for dynamic-shape models (multiple of 32).
    #[arg(long, env = "FITVISION_POSE_INPUT_SIZE", default_value_t = engine::DEFAULT_INPUT_LONG_SIDE)]
    pub input_size: u32,
    /// Execution provider; CUDA is never required (falls back to the CPU).
    #[arg(long, env = "FITVISION_ORT_EXECUTION_PROVIDER", value_enum, default_value_t = ExecutionProvider::Cpu)]
    pub execution_provider: ExecutionProvider,
    /// ONNX Runtime shared library (default: $ORT_DYLIB_PATH, else the image's copy).
    #[arg(long, env = "FITVISION_ORT_DYLIB")]
    pub ort_dylib: Option<PathBuf>,
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

impl Config {
    pub fn registry_config(&self) -> RegistryConfig {
        RegistryConfig {
            models_dir: self.models_dir.clone().unwrap_or_else(default_models_dir),
            default_model: self.default_model.clone(),
            only: Vec::new(),
            session: SessionOptions {
                use_cuda: self.execution_provider == ExecutionProvider::Cuda,
                ..SessionOptions::cpu(self.intra_op_threads, self.input_size)
            },
            ort_dylib: self.ort_dylib.clone(),
        }
    }
}

impl Config {
    /// Pose runs allowed at once (see [`Config::max_parallel`]).
    pub fn parallel_runs(&self) -> usize {
        if self.max_parallel > 0 {
            return self.max_parallel;
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (cores / self.intra_op_threads.max(1)).max(1)
    }
}

/// Serves `PoseInferenceService` until `shutdown`. Health stays NOT_SERVING until every
/// model is loaded.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let storage = config.storage.open()?;
    let health = Health::new(fitvision_proto::service_names::POSE_INFERENCE);
    let registry_config = config.registry_config();
    let engine = tokio::task::spawn_blocking(move || PoseEngine::load(&registry_config)).await??;
    let api = PoseInferenceApi::new(Arc::new(engine), storage, config.parallel_runs());
    let service = PoseInferenceServiceServer::new(api)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    health.set_serving().await;
    grpc::serve_internal(
        config.addr,
        &config.server,
        tonic::service::Routes::new(service),
        health,
        shutdown,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn config(args: &[&str]) -> Config {
        Cli::parse_from(std::iter::once("pose").chain(args.iter().copied())).config
    }

    #[test]
    fn parallel_runs_follow_the_cores_unless_set() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(
            config(&["--intra-op-threads", "1"]).parallel_runs(),
            cores.max(1)
        );
        // More inference threads than cores still leaves one run.
        assert_eq!(config(&["--intra-op-threads", "64"]).parallel_runs(), 1);
        assert_eq!(config(&["--pose-max-parallel", "3"]).parallel_runs(), 3);
    }
}
