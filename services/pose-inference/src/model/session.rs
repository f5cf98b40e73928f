//! ONNX Runtime sessions built the same way for every model family.

use std::path::Path;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::PoseError;

/// How to run a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub intra_op_threads: usize,
    pub use_cuda: bool,
    /// Long side of the input for dynamic-shape models.
    pub dynamic_long_side: u32,
    /// ONNX Runtime graph optimisation: 0 none, 1 basic, 2 extended, 3 all.
    pub optimization_level: u8,
    /// ONNX Runtime's memory pattern (pre-planned buffers per input shape).
    pub memory_pattern: bool,
    /// Let idle intra-op threads spin for work instead of sleeping.
    pub intra_op_spinning: bool,
}

impl SessionOptions {
    /// The defaults for `intra_op_threads` threads on the CPU, chosen with
    /// `pose-bench --ablation` (see the README): all graph optimisations (basic only:
    /// -8%), memory pattern on (off: -8% whole frame, -15% person-sized, although
    /// window shapes vary), no spinning (on 2 shared cores a spinning thread steals the
    /// decoder's time: -45%).
    pub fn cpu(intra_op_threads: usize, dynamic_long_side: u32) -> Self {
        Self {
            intra_op_threads,
            use_cuda: false,
            dynamic_long_side,
            optimization_level: 3,
            memory_pattern: true,
            intra_op_spinning: false,
        }
    }
}

/// Loads `model_path` into a session configured by `options`.
pub fn build(
    environment: &ort::environment::Environment,
    model_id: &str,
    model_path: &Path,
    options: &SessionOptions,
) -> Result<Session, PoseError> {
    let load_error = |reason: String| PoseError::ModelLoad {
        model_id: model_id.to_owned(),
        reason,
    };
    let optimization_level = match options.optimization_level {
        0 => GraphOptimizationLevel::Disable,
        1 => GraphOptimizationLevel::Level1,
        2 => GraphOptimizationLevel::Level2,
        _ => GraphOptimizationLevel::Level3,
    };
    let mut builder = Session::builder(environment)
        .map_err(|error| load_error(error.to_string()))?
        .with_optimization_level(optimization_level)
        .map_err(|error| load_error(error.to_string()))?
        .with_memory_pattern(options.memory_pattern)
        .map_err(|error| load_error(error.to_string()))?
        .with_intra_op_spinning(options.intra_op_spinning)
        .map_err(|error| load_error(error.to_string()))?
        .with_intra_threads(options.intra_op_threads.max(1))
        .map_err(|error| load_error(error.to_string()))?
        .with_inter_threads(1)
        .map_err(|error| load_error(error.to_string()))?;
    if options.use_cuda {
        builder = crate::execution::with_cuda(builder, model_id)?;
    }
    builder
        .commit_from_file(model_path)
        .map_err(|error| load_error(format!("{}: {error}", model_path.display())))
}
