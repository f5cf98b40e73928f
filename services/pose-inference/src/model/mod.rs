//! Pose models behind one trait, so the pipeline, the service and the registry never
//! know which family (YOLO pose, a 33-landmark model, ...) produced a detection.

mod blazepose;
mod session;
mod yolo;

use std::any::Any;

use fitvision_proto::v1::KeypointSchema;
use fitvision_video::opencv::core::Mat;

pub use blazepose::BlazePose;
pub use session::SessionOptions;
pub use yolo::YoloPose;

use crate::letterbox::{Focus, Letterbox};
use crate::{Detection, PoseError};

/// The family a model id belongs to and the revision of that family's output, when it
/// keeps one (see e.g. [`blazepose::OUTPUT_REVISION`]), for caches of pose tracks. Model
/// ids name their family first (`blazepose-full`, `yolo11n-pose-...`).
pub fn output_revision(model_id: &str) -> Option<(&'static str, u32)> {
    model_id
        .starts_with("blazepose")
        .then_some(("blazepose", blazepose::OUTPUT_REVISION))
}

/// What the registry knows about a loaded model (from its manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub id: String,
    pub family: String,
    pub schema: KeypointSchema,
    pub keypoint_count: usize,
    pub input_width: u32,
    pub input_height: u32,
    pub dynamic_shape: bool,
    pub licence: String,
    pub sha256_hex: String,
}

/// A frame turned into model input, plus what is needed to map outputs back.
pub struct PreparedInput<'f> {
    pub tensor: Vec<f32>,
    /// The frame itself, for models that crop it again after a first pass (BlazePose
    /// crops each person's region for the landmark network): borrowed, since `infer`
    /// follows `prepare` while the frame is still held (a copy of a 1080p frame is 6 MB
    /// written and page-faulted in on every analysed frame).
    pub frame: Option<&'f Mat>,
    pub letterbox: Letterbox,
    pub frame_width: u32,
    pub frame_height: u32,
}

/// Detections of one frame and how long the two halves of `infer` took.
pub struct InferenceOutput {
    pub detections: Vec<Detection>,
    pub inference_ms: f64,
    pub postprocess_ms: f64,
}

/// What a model remembers between the frames of one video, owned by the caller (one
/// per video, so concurrent videos never share it). BlazePose follows each person's
/// region from the landmarks of the frame before; models that look at every frame
/// afresh leave it empty. A fresh one means "no history" (e.g. a one-off re-detection).
#[derive(Default)]
pub struct FrameMemory(Option<Box<dyn Any + Send>>);

impl FrameMemory {
    /// The model's state, created on first use; replaced if another model left its own.
    pub fn get_or_default<T: Default + Send + 'static>(&mut self) -> &mut T {
        if !self.0.as_ref().is_some_and(|state| state.is::<T>()) {
            self.0 = Some(Box::new(T::default()));
        }
        self.0
            .as_mut()
            .and_then(|state| state.downcast_mut::<T>())
            .expect("state of this type was just ensured")
    }
}

/// A pose model. Each frame is given to `prepare` and its input then to `infer`, one
/// after the other on the analysing thread (decoding runs on its own thread).
pub trait PoseModel: Send + Sync {
    fn info(&self) -> &ModelInfo;

    /// Letterboxes/normalises one BGR frame into the model's input tensor: the whole
    /// frame, or only `focus` where the model takes inputs of any size (see
    /// [`PoseModel::whole_frame_long_side`]); fixed-size models ignore `focus`.
    fn prepare<'f>(
        &self,
        frame: &'f Mat,
        focus: Option<Focus>,
    ) -> Result<PreparedInput<'f>, PoseError>;

    /// For models that take inputs of any size: the long side the whole frame is scaled
    /// to, i.e. the scale the model is trusted at. `None` for fixed-size models.
    fn whole_frame_long_side(&self) -> Option<u32>;

    /// Input sides (and focus windows) are multiples of this.
    fn input_stride(&self) -> u32;

    /// Runs the network and decodes persons (frame pixels) scoring at least
    /// `min_confidence`; `memory` carries the model's state from the video's frame before.
    fn infer(
        &self,
        input: PreparedInput<'_>,
        min_confidence: f32,
        memory: &mut FrameMemory,
    ) -> Result<InferenceOutput, PoseError>;

    /// Confidence used when a request does not set one.
    fn default_confidence(&self) -> f32;

    /// Whether two detections of one frame (from different passes over it) are the same
    /// person. By default their boxes overlap; a model whose keypoints tell bodies apart
    /// better says so from them.
    fn same_person(&self, a: &Detection, b: &Detection) -> bool {
        a.bbox.iou(&b.bbox) >= SAME_PERSON_MIN_IOU
    }

    /// Whether the model reads a frame from the person's region in the frame before
    /// (BlazePose), and so can follow someone through frames where its detector finds
    /// nobody. A model that looks at every frame afresh finds nobody there again.
    fn follows_regions(&self) -> bool {
        false
    }
}

/// Two boxes of one frame overlapping this much hold the same person.
pub const SAME_PERSON_MIN_IOU: f32 = 0.3;
