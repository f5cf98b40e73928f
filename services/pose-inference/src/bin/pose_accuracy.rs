//! pose-accuracy: how far a faster configuration's keypoints are from the reference
//! (the FP32 dynamic model analysing every frame whole), on the clean single-person
//! clips of ../shared/videos (section A of MANIFEST.md). Prints, per clip and overall,
//! the person-found rate of both and the mean keypoint distance between them.
//!
//! ```text
//! pose-accuracy [--candidate MODEL:whole|MODEL:person[:PX]]... [--target-fps 10]
//!               [--reference-model ID] [VIDEO...]
//! ```
//! Keypoints are compared where both runs found the person (boxes matched by IoU) and
//! both score the keypoint >= 0.5; the distance is in frame px and as a share of the
//! reference box's long side (comparable across resolutions and postures).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use fitvision_pose_inference::focus::FocusConfig;
use fitvision_pose_inference::{InputPolicy, PoseEngine, PoseOptions, RegistryConfig};
use fitvision_proto::v1::{PersonPose, PoseTrack};

/// Section A of MANIFEST.md: clean single-person clips.
const SECTION_A: &[&str] = &[
    "jump_cmj_overlay78cm.mp4",
    "jumpingjack_black_bg.mp4",
    "pullup_back_gym.mp4",
    "pullup_back_gym_portrait.mp4",
    "pullup_front_outdoor_longhang.mp4",
    "pushup_cgi_mannequin.mp4",
    "pushup_closeup_cropped.mp4",
    "pushup_front_headon.mp4",
    "pushup_side_gym_slow.mp4",
    "pushup_side_stock_cut.mp4",
    "pushup_side_tiny_426x226.mp4",
    "situp_side_logo.mp4",
    "squat_barbell_side_60fps.mp4",
    "squat_front_barbell_watermark.mp4",
    "squat_side_3reps.mp4",
    "squat_wall_pillarbox.mp4",
];
/// The model whose input policies (whole frame, person-sized) are compared by default:
/// the YOLO pose family reads a letterboxed frame of any size; BlazePose reads fixed
/// crops of each person and has no such policy.
const DEFAULT_MODEL_ID: &str = "yolo11n-pose-dynamic";
const MIN_KEYPOINT_SCORE: f32 = 0.5;
const MIN_MATCH_IOU: f32 = 0.5;

#[derive(Parser, Debug)]
struct Args {
    /// A configuration under test, `MODEL:whole` or `MODEL:person:PX` (person-sized
    /// inputs, the largest person's long side at PX input px); repeatable. Default:
    /// the YOLO dynamic model with its default input policy.
    #[arg(long = "candidate")]
    candidates: Vec<String>,
    #[arg(long, default_value = DEFAULT_MODEL_ID)]
    reference_model: String,
    /// Analysis rate of every run (0 = every frame); the pose tests use 10.
    #[arg(long, default_value_t = 10.0)]
    target_fps: f64,
    videos: Vec<PathBuf>,
}

fn parse_candidate(text: &str) -> Result<(String, InputPolicy)> {
    let mut parts = text.split(':');
    let model = parts.next().filter(|model| !model.is_empty());
    let model = model.with_context(|| format!("candidate '{text}': no model"))?;
    let input = match (parts.next(), parts.next()) {
        (Some("whole"), None) => InputPolicy::WholeFrame,
        (Some("person"), px) => InputPolicy::PersonSized(FocusConfig {
            person_long_side_px: match px {
                Some(px) => px.parse().with_context(|| format!("candidate '{text}'"))?,
                None => FocusConfig::default().person_long_side_px,
            },
            ..FocusConfig::default()
        }),
        _ => bail!("candidate '{text}': expected MODEL:whole or MODEL:person[:PX]"),
    };
    Ok((model.to_owned(), input))
}

#[derive(Debug, Default)]
struct Comparison {
    frames: usize,
    reference_found: usize,
    candidate_found: usize,
    keypoints: usize,
    distance_px: f64,
    /// Sum of distances over the person's size (reference box long side).
    distance_share: f64,
}

impl Comparison {
    fn add(&mut self, other: &Comparison) {
        self.frames += other.frames;
        self.reference_found += other.reference_found;
        self.candidate_found += other.candidate_found;
        self.keypoints += other.keypoints;
        self.distance_px += other.distance_px;
        self.distance_share += other.distance_share;
    }

    fn print(&self, name: &str) {
        let share = |count: usize| 100.0 * count as f64 / self.frames.max(1) as f64;
        let keypoints = self.keypoints.max(1) as f64;
        println!(
            "{name:<41} {:>6} {:>8.1}% {:>9.1}% {:>9} {:>8.2} {:>8.2}%",
            self.frames,
            share(self.reference_found),
            share(self.candidate_found),
            self.keypoints,
            self.distance_px / keypoints,
            100.0 * self.distance_share / keypoints,
        );
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let videos = if args.videos.is_empty() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/videos");
        SECTION_A.iter().map(|name| shared.join(name)).collect()
    } else {
        args.videos.clone()
    };
    let candidates: Vec<(String, InputPolicy)> = if args.candidates.is_empty() {
        vec![(DEFAULT_MODEL_ID.to_owned(), InputPolicy::default())]
    } else {
        args.candidates
            .iter()
            .map(|text| parse_candidate(text))
            .collect::<Result<_>>()?
    };
    let mut config = RegistryConfig::from_env();
    config.only = candidates.iter().map(|(model, _)| model.clone()).collect();
    config.only.push(args.reference_model.clone());
    config.default_model = args.reference_model.clone();
    let engine = PoseEngine::load(&config)?;
    let reference = PoseOptions {
        model_id: Some(args.reference_model.clone()),
        target_fps: args.target_fps,
        input: InputPolicy::WholeFrame,
        ..PoseOptions::default()
    };
    println!(
        "pose-accuracy: reference {} whole frame, at {} frames/s; keypoints scored >= {MIN_KEYPOINT_SCORE} in both",
        args.reference_model, args.target_fps
    );
    for (index, (model, input)) in candidates.iter().enumerate() {
        println!("  [{index}] {model} {input:?}");
    }
    println!(
        "{:<4} {:<36} {:>6} {:>9} {:>10} {:>9} {:>8} {:>9}",
        "", "video", "frames", "ref.found", "cand.found", "keypoints", "mean px", "% of size"
    );
    let mut overall: Vec<Comparison> = candidates.iter().map(|_| Comparison::default()).collect();
    for video in &videos {
        let name = video.file_name().unwrap_or_default().to_string_lossy();
        let (expected, _) = engine
            .extract(video, &reference)
            .with_context(|| format!("{name}: reference"))?;
        for (index, (model, input)) in candidates.iter().enumerate() {
            let options = PoseOptions {
                model_id: Some(model.clone()),
                input: *input,
                ..reference.clone()
            };
            let (actual, _) = engine
                .extract(video, &options)
                .with_context(|| format!("{name}: candidate {index}"))?;
            let comparison = compare(&expected, &actual);
            comparison.print(&format!("[{index}]  {name}"));
            overall[index].add(&comparison);
        }
    }
    for (index, comparison) in overall.iter().enumerate() {
        comparison.print(&format!("[{index}]  all clips"));
    }
    Ok(())
}

fn compare(reference: &PoseTrack, candidate: &PoseTrack) -> Comparison {
    let mut comparison = Comparison::default();
    for (expected, actual) in reference.frames.iter().zip(&candidate.frames) {
        comparison.frames += 1;
        comparison.reference_found += usize::from(!expected.persons.is_empty());
        comparison.candidate_found += usize::from(!actual.persons.is_empty());
        for person in &expected.persons {
            let Some(matched) = actual
                .persons
                .iter()
                .map(|other| (iou(person, other), other))
                .filter(|(overlap, _)| *overlap >= MIN_MATCH_IOU)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, other)| other)
            else {
                continue;
            };
            let bbox = person.r#box.unwrap_or_default();
            let size = f64::from(bbox.width_px.max(bbox.height_px).max(1.0));
            for (a, b) in person.keypoints.iter().zip(&matched.keypoints) {
                if a.score < MIN_KEYPOINT_SCORE || b.score < MIN_KEYPOINT_SCORE {
                    continue;
                }
                let distance = f64::from((a.x_px - b.x_px).hypot(a.y_px - b.y_px));
                comparison.keypoints += 1;
                comparison.distance_px += distance;
                comparison.distance_share += distance / size;
            }
        }
    }
    comparison
}

fn iou(a: &PersonPose, b: &PersonPose) -> f32 {
    let (a, b) = (a.r#box.unwrap_or_default(), b.r#box.unwrap_or_default());
    let x1 = a.x_px.max(b.x_px);
    let y1 = a.y_px.max(b.y_px);
    let x2 = (a.x_px + a.width_px).min(b.x_px + b.width_px);
    let y2 = (a.y_px + a.height_px).min(b.y_px + b.height_px);
    let intersection = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let union = a.width_px * a.height_px + b.width_px * b.height_px - intersection;
    if union > 0.0 {
        intersection / union
    } else {
        0.0
    }
}
