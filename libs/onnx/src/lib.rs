//! fitvision-onnx: the process-wide ONNX Runtime environment (the shared library is
//! loaded once, and every service in the process shares it) and the default models
//! directory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

/// Where the Debian image installs ONNX Runtime; `ORT_DYLIB_PATH` overrides it.
pub const DEFAULT_ORT_DYLIB: &str = "/usr/local/lib/fitvision/libonnxruntime.so.1.31.1";

/// The name the runtime goes by in load errors (as if it were a model).
pub const RUNTIME_ID: &str = "onnxruntime";

/// ONNX Runtime could not be loaded or its environment built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model '{RUNTIME_ID}' failed to load: {reason}")]
pub struct RuntimeError {
    pub reason: String,
}

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
pub fn environment(dylib: &Path) -> Result<&'static Environment, RuntimeError> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let builder = ort::init_from(dylib)
            .map_err(|error| format!("cannot load {}: {error}", dylib.display()))?;
        builder
            .with_name("fitvision-pose")
            .build()
            .map_err(|error| error.to_string())
    });
    loaded.as_ref().map_err(|reason| RuntimeError {
        reason: reason.clone(),
    })
}

/// `./models` when run from the repository (or an image that ships it there), else the
/// repository's `models/` as seen from this crate at build time.
pub fn default_models_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_dylib_wins() {
        let explicit = Path::new("/opt/onnxruntime/libonnxruntime.so");
        assert_eq!(dylib_path(Some(explicit)), explicit);
    }

    #[test]
    fn the_repository_models_are_found() {
        assert!(default_models_dir().is_dir());
    }
}
