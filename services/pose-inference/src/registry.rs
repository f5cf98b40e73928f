//! The model registry: every manifest under the models directory, each file verified
//! at start, the default model loaded at start and the others on first use, each
//! loaded once and shared by all requests. Families plug in at [`load_family`].

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fitvision_proto::v1::{KeypointSchema, ModelDescriptor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::{BlazePose, ModelInfo, PoseModel, YoloPose};
use crate::{PoseError, SessionOptions};

/// A model manifest (`<id>.toml`, see models/README.md). Unknown keys (the `[source]`
/// provenance table) are kept out of the runtime's way.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelManifest {
    pub id: String,
    pub family: String,
    pub file: String,
    pub sha256: String,
    pub input_width: u32,
    pub input_height: u32,
    pub dynamic: bool,
    pub keypoint_schema: String,
    pub licence: String,
    /// A second network some families need (BlazePose's person detector).
    #[serde(default)]
    pub detector: Option<DetectorManifest>,
}

/// `[detector]`: the file of a family's person detector, beside the model.
#[derive(Debug, Clone, Deserialize)]
pub struct DetectorManifest {
    pub file: String,
    pub sha256: String,
}

impl ModelManifest {
    /// Reads a manifest; `Ok(None)` for manifests of other kinds of models (e.g. the
    /// OCR models next to ours), recognised by having no `keypoint_schema`.
    pub fn read(path: &Path) -> Result<Option<Self>, PoseError> {
        let manifest_error = |reason: String| PoseError::Manifest {
            path: path.display().to_string(),
            reason,
        };
        let text =
            std::fs::read_to_string(path).map_err(|error| manifest_error(error.to_string()))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|error| manifest_error(error.to_string()))?;
        if !table.contains_key("keypoint_schema") {
            return Ok(None);
        }
        let manifest: Self = table
            .try_into()
            .map_err(|error: toml::de::Error| manifest_error(error.to_string()))?;
        if manifest.id.trim().is_empty() || manifest.input_width == 0 || manifest.input_height == 0
        {
            return Err(manifest_error("id and input size are required".to_owned()));
        }
        schema_of(&manifest.keypoint_schema).map_err(manifest_error)?;
        Ok(Some(manifest))
    }
}

fn schema_of(name: &str) -> Result<(KeypointSchema, usize), String> {
    match name {
        "coco17" => Ok((KeypointSchema::Coco17, 17)),
        "blazepose33" => Ok((KeypointSchema::Blazepose33, 33)),
        other => Err(format!(
            "unknown keypoint_schema '{other}' (coco17, blazepose33)"
        )),
    }
}

/// How to build the registry.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    pub models_dir: PathBuf,
    /// Used when a request names no model.
    pub default_model: String,
    /// Load only these ids (empty = every manifest found).
    pub only: Vec<String>,
    pub session: SessionOptions,
    pub ort_dylib: Option<PathBuf>,
}

struct Entry {
    info: ModelInfo,
    files: VerifiedFiles,
    /// Loaded on first use. The embedded suite serves one model unless a request names
    /// another; loading all four at start held 53 MB of weights and ONNX Runtime
    /// buffers (heaptrack, 4 analyses in flight) that no request touched.
    model: Mutex<Option<Arc<dyn PoseModel>>>,
}

impl Entry {
    fn is_loaded(&self) -> bool {
        self.model.lock().is_ok_and(|slot| slot.is_some())
    }
}

/// Models by id, loaded when first asked for.
pub struct ModelRegistry {
    entries: BTreeMap<String, Entry>,
    default_id: String,
    environment: &'static ort::environment::Environment,
    session: SessionOptions,
}

impl ModelRegistry {
    /// Reads every manifest, verifies each file's sha256 and loads the default model.
    /// Fails if the default model is missing or fails to load, or any selected model's
    /// files do not match their manifest: a service that cannot serve what it
    /// advertises must not report SERVING.
    pub fn load(config: &RegistryConfig) -> Result<Self, PoseError> {
        let dylib = fitvision_onnx::dylib_path(config.ort_dylib.as_deref());
        let environment = fitvision_onnx::environment(&dylib)?;
        let mut entries = BTreeMap::new();
        for manifest_path in manifest_paths(&config.models_dir)? {
            let Some(manifest) = ModelManifest::read(&manifest_path)? else {
                tracing::debug!(path = %manifest_path.display(), "not a pose model manifest; skipped");
                continue;
            };
            if !config.only.is_empty() && !config.only.contains(&manifest.id) {
                continue;
            }
            let model_path = manifest_path
                .parent()
                .unwrap_or(Path::new("."))
                .join(&manifest.file);
            verify_sha256(&manifest.id, &manifest.sha256, &model_path)?;
            let detector_path = match &manifest.detector {
                Some(detector) => {
                    let path = model_path.with_file_name(&detector.file);
                    verify_sha256(&manifest.id, &detector.sha256, &path)?;
                    Some(path)
                }
                None => None,
            };
            let (schema, keypoint_count) =
                schema_of(&manifest.keypoint_schema).map_err(|reason| PoseError::Manifest {
                    path: manifest_path.display().to_string(),
                    reason,
                })?;
            let info = ModelInfo {
                id: manifest.id.clone(),
                family: manifest.family.clone(),
                schema,
                keypoint_count,
                input_width: manifest.input_width,
                input_height: manifest.input_height,
                dynamic_shape: manifest.dynamic,
                licence: manifest.licence.clone(),
                sha256_hex: manifest.sha256.to_ascii_lowercase(),
            };
            let files = VerifiedFiles {
                model: model_path,
                detector: detector_path,
            };
            entries.insert(
                info.id.clone(),
                Entry {
                    info,
                    files,
                    model: Mutex::new(None),
                },
            );
        }
        if !entries.contains_key(&config.default_model) {
            return Err(PoseError::ModelLoad {
                model_id: config.default_model.clone(),
                reason: format!(
                    "default model not found among the manifests in {} (found: {})",
                    config.models_dir.display(),
                    entries.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        let registry = Self {
            entries,
            default_id: config.default_model.clone(),
            environment,
            session: config.session.clone(),
        };
        registry.get(None)?;
        Ok(registry)
    }

    /// The model for a request (`None` or empty = the default), loaded if this is its
    /// first use.
    pub fn get(&self, model_id: Option<&str>) -> Result<Arc<dyn PoseModel>, PoseError> {
        let id = model_id
            .filter(|id| !id.is_empty())
            .unwrap_or(&self.default_id);
        let entry = self
            .entries
            .get(id)
            .ok_or_else(|| PoseError::UnknownModel {
                requested: id.to_owned(),
                known: self.entries.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        // Held while loading, so requests racing for the same model load it once.
        let mut slot = entry.model.lock().map_err(|_| PoseError::ModelLoad {
            model_id: id.to_owned(),
            reason: "an earlier load of this model panicked".to_owned(),
        })?;
        if let Some(model) = slot.as_ref() {
            return Ok(Arc::clone(model));
        }
        let model = load_family(
            self.environment,
            entry.info.clone(),
            &entry.files,
            &self.session,
        )?;
        tracing::info!(model_id = %entry.info.id, family = %entry.info.family, "pose model loaded");
        Ok(Arc::clone(slot.insert(model)))
    }

    pub fn default_id(&self) -> &str {
        &self.default_id
    }

    pub fn descriptors(&self) -> Vec<ModelDescriptor> {
        self.entries
            .values()
            .map(|entry| ModelDescriptor {
                id: entry.info.id.clone(),
                family: entry.info.family.clone(),
                schema: entry.info.schema.into(),
                input_width_px: entry.info.input_width,
                input_height_px: entry.info.input_height,
                dynamic_shape: entry.info.dynamic_shape,
                licence: entry.info.licence.clone(),
                sha256_hex: entry.info.sha256_hex.clone(),
                loaded: entry.is_loaded(),
            })
            .collect()
    }
}

/// The files of one manifest, their sha256 checked at start.
struct VerifiedFiles {
    model: PathBuf,
    detector: Option<PathBuf>,
}

/// The one place that knows model families. A new family is a new `PoseModel`
/// implementation and one arm here.
fn load_family(
    environment: &ort::environment::Environment,
    info: ModelInfo,
    files: &VerifiedFiles,
    options: &SessionOptions,
) -> Result<Arc<dyn PoseModel>, PoseError> {
    match info.family.as_str() {
        "yolo-pose" => Ok(Arc::new(YoloPose::load(
            environment,
            info,
            &files.model,
            options,
        )?)),
        "blazepose" => {
            let detector = files
                .detector
                .as_deref()
                .ok_or_else(|| PoseError::ModelLoad {
                    model_id: info.id.clone(),
                    reason: "family 'blazepose' needs a [detector] file in its manifest".to_owned(),
                })?;
            Ok(Arc::new(BlazePose::load(
                environment,
                info,
                &files.model,
                detector,
                options,
            )?))
        }
        other => Err(PoseError::ModelLoad {
            model_id: info.id.clone(),
            reason: format!("unsupported model family '{other}'"),
        }),
    }
}

/// `*.toml` files directly under `dir` or one level down (models/<family>/<id>.toml).
fn manifest_paths(dir: &Path) -> Result<Vec<PathBuf>, PoseError> {
    let list = |dir: &Path| -> Result<Vec<PathBuf>, PoseError> {
        let entries = std::fs::read_dir(dir).map_err(|error| PoseError::Manifest {
            path: dir.display().to_string(),
            reason: error.to_string(),
        })?;
        Ok(entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect())
    };
    let mut manifests = Vec::new();
    for path in list(dir)? {
        if path.is_dir() {
            manifests.extend(list(&path)?.into_iter().filter(|path| is_manifest(path)));
        } else if is_manifest(&path) {
            manifests.push(path);
        }
    }
    manifests.sort();
    Ok(manifests)
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "toml")
}

fn verify_sha256(model_id: &str, expected: &str, model_path: &Path) -> Result<(), PoseError> {
    let load_error = |reason: String| PoseError::ModelLoad {
        model_id: model_id.to_owned(),
        reason,
    };
    let mut file = std::fs::File::open(model_path)
        .map_err(|error| load_error(format!("{}: {error}", model_path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| load_error(error.to_string()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    let actual = hex::encode(hasher.finalize());
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(load_error(format!(
            "{} has sha256 {actual}, the manifest says {expected}",
            model_path.display(),
        )));
    }
    Ok(())
}
