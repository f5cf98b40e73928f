//! fitvision-clip-fixtures: the shared development videos (`../shared/videos`) and a disk
//! cache of their pose tracks, for the tests, evaluation tools and benchmarks of every
//! crate (a dev-dependency, or a dependency of test and evaluation code only).
//!
//! One place decides where the videos are and how a cached track is keyed, so that every
//! tool finds the same clips and reuses the tracks another tool already computed (CI
//! points `FITVISION_TRACK_CACHE` at a fresh directory per run: tracks are computed once
//! per run, never carried over from an older pose engine).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;
use sha2::{Digest as _, Sha256};

use fitvision_pose_inference::cadence::CadenceConfig;
use fitvision_pose_inference::{PoseOptions, extract_pose_track};

/// Overrides where the shared videos are.
pub const SHARED_VIDEOS_ENV: &str = "FITVISION_SHARED_VIDEOS";
/// Overrides where pose tracks are cached.
pub const TRACK_CACHE_ENV: &str = "FITVISION_TRACK_CACHE";

/// `FITVISION_SHARED_VIDEOS`, else `../shared/videos` next to the checkout (whether or
/// not it exists).
pub fn shared_videos_dir() -> PathBuf {
    std::env::var_os(SHARED_VIDEOS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/videos");
            dir.canonicalize().unwrap_or(dir)
        })
}

/// The shared videos directory when it holds the set (its `MANIFEST.md`), else `None`
/// after saying on stderr why the caller skips.
pub fn shared_videos() -> Option<PathBuf> {
    let dir = shared_videos_dir();
    if dir.join("MANIFEST.md").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: no shared test videos at {} (set {SHARED_VIDEOS_ENV})",
            dir.display()
        );
        None
    }
}

/// One clip of the shared set, or `None` after saying on stderr why the caller skips.
pub fn shared_video(name: &str) -> Option<PathBuf> {
    let path = shared_videos_dir().join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} not found (set {SHARED_VIDEOS_ENV})",
            path.display()
        );
        None
    }
}

/// The Sports2D demo clip `scripts/fetch-fixtures.sh` fetches from PyPI (into
/// `FITVISION_FIXTURES_DIR`, else /var/tmp/fitvision-fixtures), or `None` after saying
/// on stderr why the caller skips.
pub fn packaged_demo_clip() -> Option<PathBuf> {
    let dir = std::env::var_os("FITVISION_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/fitvision-fixtures"));
    let path = dir.join("sports2d-demo.mp4");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} not found (run scripts/fetch-fixtures.sh)",
            path.display()
        );
        None
    }
}

/// `FITVISION_TRACK_CACHE`, else /var/tmp/fitvision-tracks.
pub fn track_cache_dir() -> PathBuf {
    std::env::var_os(TRACK_CACHE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/fitvision-tracks"))
}

/// Bumped whenever the pose pipeline's output changes for the same options (a new field,
/// another tracker), so that no tool reads a track an older pipeline made.
/// 2: camera motion per frame. 3: people who vanish are looked for again with a margin.
/// 4: under-exposed frames are brightened before inference. 5: the first person found
/// is followed back into the opening frames where the detector missed them. 6: frames
/// held for following back are kept at 640 px. 7: camera features are found on frames
/// shrunk by whole-block averaging then linear resampling. 8: camera features are found
/// on the decoded luma plane shrunk so (`VideoDecoder::keep_feature_pictures`), not on
/// the BGR frame shrunk and turned grey.
pub const TRACK_FORMAT_VERSION: u32 = 8;

/// Revision of one model family's own output (its pose-inference module keeps it), for
/// changes that alter only that family's tracks: the others' cached tracks stay valid.
fn family_revision(options: &PoseOptions) -> String {
    options
        .model_id
        .as_deref()
        .and_then(fitvision_pose_inference::model::output_revision)
        .map_or_else(String::new, |(family, revision)| {
            format!(":{family}-{revision}")
        })
}

/// A pose track and, when it was computed rather than read from the cache, how long the
/// pose inference took.
pub struct CachedTrack {
    pub track: PoseTrack,
    pub inference_time: Option<Duration>,
}

/// The pose options the suite uses for a video of `exercise` (a catalog id or alias),
/// as the session asks by default: the frame rate its definition needs
/// (`ExerciseDefinition::analysis_fps`; every frame for an unknown exercise), or every
/// frame with `FITVISION_POSE_RATE_FROM_EXERCISE=false` (the session setting of that
/// name), with the model `FITVISION_POSE_MODEL` names (the service setting of that name;
/// unset = the registry's default), so every evaluation can compare models.
pub fn pose_options_for(exercise: &str) -> PoseOptions {
    let from_exercise = !matches!(
        std::env::var("FITVISION_POSE_RATE_FROM_EXERCISE").as_deref(),
        Ok("false" | "0")
    );
    // The catalog is parsed only when the rate is asked for.
    let target_fps = from_exercise
        .then(fitvision_exercise_engine::Catalog::builtin)
        .and_then(Result::ok)
        .and_then(|catalog| catalog.get(exercise).map(|d| d.analysis_fps()))
        .unwrap_or(0.0);
    // The built-in default named explicitly is the default: same options, same cache.
    let model_id = std::env::var(POSE_MODEL_ENV).ok().filter(|id| {
        !id.trim().is_empty() && id != fitvision_pose_inference::engine::DEFAULT_MODEL_ID
    });
    // Coarse to fine where the session would ask for it (its setting of the same name,
    // off by default).
    let coarse_to_fine = target_fps > 0.0
        && matches!(
            std::env::var("FITVISION_POSE_COARSE_TO_FINE").as_deref(),
            Ok("true" | "1")
        );
    PoseOptions {
        model_id,
        target_fps,
        cadence: coarse_to_fine.then(CadenceConfig::default),
        ..PoseOptions::default()
    }
}

/// Picks the pose model of [`pose_options_for`].
pub const POSE_MODEL_ENV: &str = "FITVISION_POSE_MODEL";

/// The pose track of `video` with `options`: from [`track_cache_dir`] when a track of
/// the same content and options is there, else computed in-process and cached.
pub fn cached_pose_track(video: &Path, options: &PoseOptions) -> anyhow::Result<CachedTrack> {
    let path = track_cache_dir().join(cache_file_name(video, options)?);
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(track) = PoseTrack::decode(bytes.as_slice())
        && !track.frames.is_empty()
    {
        return Ok(CachedTrack {
            track,
            inference_time: None,
        });
    }
    let started = Instant::now();
    let track = extract_pose_track(video, options)
        .with_context(|| format!("pose extraction of {}", video.display()))?;
    let inference_time = Some(started.elapsed());
    store(&path, &track)?;
    Ok(CachedTrack {
        track,
        inference_time,
    })
}

/// The cached pose track of `video` with `options`, if some tool already computed it.
pub fn stored_pose_track(video: &Path, options: &PoseOptions) -> anyhow::Result<Option<PoseTrack>> {
    let path = track_cache_dir().join(cache_file_name(video, options)?);
    Ok(std::fs::read(&path)
        .ok()
        .and_then(|bytes| PoseTrack::decode(bytes.as_slice()).ok())
        .filter(|track| !track.frames.is_empty()))
}

/// `<stem>.<content digest>.<options digest>.posetrack.pb`: a re-encoded clip under the
/// same name, or other options, never reads a stale track.
fn cache_file_name(video: &Path, options: &PoseOptions) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(video)
        .with_context(|| format!("opening {} for its digest", video.display()))?;
    let mut content = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        content.update(&buffer[..read]);
    }
    // The default model is keyed by its name, so that changing the default never serves
    // the tracks of the model that was the default before.
    let options = &PoseOptions {
        model_id: Some(
            options
                .model_id
                .clone()
                .filter(|id| !id.trim().is_empty())
                .unwrap_or_else(|| fitvision_pose_inference::engine::DEFAULT_MODEL_ID.to_owned()),
        ),
        ..options.clone()
    };
    let options_digest = Sha256::digest(
        format!(
            "{TRACK_FORMAT_VERSION}:{}{}",
            // Tracks cached before coarse to fine existed keep their key.
            format!("{options:?}").replace(", cadence: None", ""),
            family_revision(options)
        )
        .as_bytes(),
    );
    let stem = video.file_stem().unwrap_or_default().to_string_lossy();
    Ok(format!(
        "{stem}.{}.{}.posetrack.pb",
        &hex::encode(content.finalize())[..16],
        &hex::encode(options_digest)[..8]
    ))
}

/// Writes through a temporary file and a rename, so a concurrent reader never sees half
/// a track.
fn store(path: &Path, track: &PoseTrack) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path has a directory")?;
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, track.encode_to_vec())?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_follow_content_and_options() {
        let dir = tempfile::tempdir().expect("temp dir");
        let clip = dir.path().join("clip.mp4");
        std::fs::write(&clip, b"first content").expect("write");
        let default = cache_file_name(&clip, &PoseOptions::default()).expect("name");
        let sampled = PoseOptions {
            target_fps: 10.0,
            ..PoseOptions::default()
        };
        assert!(default.starts_with("clip.") && default.ends_with(".posetrack.pb"));
        assert_eq!(
            default,
            cache_file_name(&clip, &PoseOptions::default()).expect("name")
        );
        assert_ne!(default, cache_file_name(&clip, &sampled).expect("name"));
        // The default model is keyed by its name: the same track whether named or not,
        // another track once another model is the default.
        let named = |id: &str| PoseOptions {
            model_id: Some(id.to_owned()),
            ..PoseOptions::default()
        };
        let default_model = fitvision_pose_inference::engine::DEFAULT_MODEL_ID;
        assert_eq!(
            default,
            cache_file_name(&clip, &named(default_model)).expect("name")
        );
        assert_eq!(default, cache_file_name(&clip, &named(" ")).expect("name"));
        let other = if default_model.starts_with("blazepose") {
            "yolo11n-pose-dynamic"
        } else {
            "blazepose-full"
        };
        assert_ne!(
            default,
            cache_file_name(&clip, &named(other)).expect("name")
        );
        std::fs::write(&clip, b"other content").expect("write");
        assert_ne!(
            default,
            cache_file_name(&clip, &PoseOptions::default()).expect("name")
        );
    }
}
