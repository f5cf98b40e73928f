//! The process-wide ONNX Runtime environment (the shared library is loaded once).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::PoseError;

/// Where the Debian image installs ONNX Runtime; `ORT_DYLIB_PATH` overrides it.
pub const DEFAULT_ORT_DYLIB: &str = "/usr/local/lib/fitvision/libonnxruntime.so.1.31.1";

static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

/// The ONNX Runtime library path: explicit, else `ORT_DYLIB_PATH`, else the default.
pub fn dylib_path(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_owned)
        .or_else(|| std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ORT_DYLIB))
}

/// Loads ONNX Runtime on first use; later calls return the same environment
/// (the library can be loaded only once per process, so a later path is ignored).
pub fn environment(dylib: &Path) -> Result<&'static Environment, PoseError> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let builder = ort::init_from(dylib)
            .map_err(|error| format!("cannot load {}: {error}", dylib.display()))?;
        builder
            .with_name("fitvision-pose")
            .build()
            .map_err(|error| error.to_string())
    });
    loaded.as_ref().map_err(|reason| PoseError::ModelLoad {
        model_id: "onnxruntime".to_owned(),
        reason: reason.clone(),
    })
}
