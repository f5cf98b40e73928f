//! Execution providers: CPU always; CUDA only when configured, compiled in (feature
//! `cuda`) and reported available by ONNX Runtime. Never required.

use ort::session::builder::SessionBuilder;

use crate::PoseError;

#[cfg(feature = "cuda")]
pub fn with_cuda(builder: SessionBuilder, model_id: &str) -> Result<SessionBuilder, PoseError> {
    use ort::ep::ExecutionProvider;
    let cuda = ort::ep::CUDA::default();
    match cuda.is_available() {
        Ok(true) => builder
            .with_execution_providers([cuda.build()])
            .map_err(|error| PoseError::ModelLoad {
                model_id: model_id.to_owned(),
                reason: format!("CUDA execution provider: {error}"),
            }),
        _ => {
            tracing::warn!(model_id, "CUDA requested but not available; using the CPU");
            Ok(builder)
        }
    }
}

#[cfg(not(feature = "cuda"))]
pub fn with_cuda(builder: SessionBuilder, model_id: &str) -> Result<SessionBuilder, PoseError> {
    tracing::warn!(
        model_id,
        "CUDA requested but this build lacks the `cuda` feature; using the CPU"
    );
    Ok(builder)
}
