//! In-process pose extraction: the registry plus the pipeline, for the service, tests,
//! benches and other crates (e.g. evaluation) that want poses without gRPC.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use fitvision_onnx::default_models_dir;
use fitvision_proto::v1::{PoseSummary, PoseTrack};
use fitvision_video::VideoDecoder;

use crate::model::PoseModel;
use crate::pipeline::{Flow, PoseEvent, PoseOptions, collect_pose_track, stream_poses};
use crate::registry::{ModelRegistry, RegistryConfig};
use crate::{PoseError, SessionOptions};

/// The model used when nothing else is configured: BlazePose-full (Apache-2.0, 33
/// landmarks with hands and feet). It matched YOLO11n-pose (AGPL-3.0) on every accuracy
/// evaluation of the shared clips and their honest variants and is about three times
/// faster per frame, so a default install needs no AGPL weights (see the README's model
/// comparison).
pub const DEFAULT_MODEL_ID: &str = "blazepose-full";
/// Default ONNX Runtime intra-op threads: the suite targets 2-core machines.
pub const DEFAULT_INTRA_OP_THREADS: usize = 2;
/// Default long side of the input of dynamic-shape models.
pub const DEFAULT_INPUT_LONG_SIDE: u32 = 640;

/// Loaded models and the way to run them on a video file.
pub struct PoseEngine {
    registry: ModelRegistry,
}

impl PoseEngine {
    pub fn load(config: &RegistryConfig) -> Result<Self, PoseError> {
        Ok(Self {
            registry: ModelRegistry::load(config)?,
        })
    }

    /// One engine per process, configured from the environment (see
    /// [`RegistryConfig::from_env`]); loaded on first use.
    pub fn shared() -> Result<&'static PoseEngine, PoseError> {
        static SHARED: OnceLock<Result<PoseEngine, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                PoseEngine::load(&RegistryConfig::from_env()).map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|reason| PoseError::ModelLoad {
                model_id: "default".to_owned(),
                reason: reason.clone(),
            })
    }

    pub fn registry(&self) -> &ModelRegistry {
        &self.registry
    }

    /// [`ModelRegistry::get`] from async code: a model's first use loads it, which
    /// blocks for as long as ONNX Runtime takes to build its sessions, so it runs on
    /// the blocking pool rather than an async worker.
    pub async fn model(
        self: &Arc<Self>,
        model_id: Option<String>,
    ) -> Result<Arc<dyn PoseModel>, PoseError> {
        let engine = Arc::clone(self);
        tokio::task::spawn_blocking(move || engine.registry.get(model_id.as_deref()))
            .await
            .map_err(|error| PoseError::Pipeline(format!("model loading task: {error}")))?
    }

    /// Streams events for the video at `path` (blocking; run it off the async runtime).
    pub fn stream(
        &self,
        path: &Path,
        options: &PoseOptions,
        emit: &mut dyn FnMut(PoseEvent) -> Flow,
    ) -> Result<PoseSummary, PoseError> {
        options.validate()?;
        let model = self.registry.get(options.model_id.as_deref())?;
        let decoder = VideoDecoder::open(path)?;
        stream_poses(model.as_ref(), decoder, options, emit)
    }

    /// The whole track of the video at `path`, plus the run's summary.
    pub fn extract(
        &self,
        path: &Path,
        options: &PoseOptions,
    ) -> Result<(PoseTrack, PoseSummary), PoseError> {
        options.validate()?;
        let model = self.registry.get(options.model_id.as_deref())?;
        let decoder = VideoDecoder::open(path)?;
        collect_pose_track(model.as_ref(), decoder, options)
    }
}

/// The pose track of a video file, with the process-wide engine ([`PoseEngine::shared`]).
pub fn extract_pose_track(path: &Path, options: &PoseOptions) -> Result<PoseTrack, PoseError> {
    PoseEngine::shared()?
        .extract(path, options)
        .map(|(track, _)| track)
}

impl RegistryConfig {
    /// `FITVISION_MODELS_DIR` (else [`default_models_dir`]), `FITVISION_POSE_MODEL`,
    /// `FITVISION_ORT_THREADS`, `FITVISION_POSE_INPUT_SIZE`, `ORT_DYLIB_PATH`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self {
            models_dir: var("FITVISION_MODELS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_models_dir),
            default_model: var("FITVISION_POSE_MODEL")
                .unwrap_or_else(|| DEFAULT_MODEL_ID.to_owned()),
            only: Vec::new(),
            session: SessionOptions::cpu(
                var("FITVISION_ORT_THREADS")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(DEFAULT_INTRA_OP_THREADS),
                var("FITVISION_POSE_INPUT_SIZE")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(DEFAULT_INPUT_LONG_SIDE),
            ),
            ort_dylib: None,
        }
    }
}
