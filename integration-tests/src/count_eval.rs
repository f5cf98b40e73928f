//! Rep-count evaluation over the labelled test videos: pose track (pose-inference,
//! cached on disk) -> exercise engine -> comparison with `ground_truth.json`.
//! Shared by the `evaluate_counts` binary and the `metrics_counts` test.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use fitvision_exercise_engine::names::metrics;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, ExerciseDefinition, analyze};
use fitvision_proto::v1::{AnalysisResult, PoseTrack, Subject};

/// One labelled clip of `ground_truth.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Truth {
    pub file: String,
    pub exercise: Option<String>,
    pub reps: Option<i64>,
    pub confidence: String,
}

/// Outcome on one clip.
#[derive(Debug, Clone)]
pub struct Row {
    pub truth: Truth,
    pub counted: u32,
    pub result: AnalysisResult,
    /// Share of the analysed frames in which the pose model found someone.
    pub person_share: f64,
}

impl Truth {
    /// Labelled H or M-H: the clips the accuracy bar is judged on.
    pub fn is_graded(&self) -> bool {
        self.reps.is_some() && matches!(self.confidence.as_str(), "H" | "M-H")
    }
}

impl Row {
    pub fn error(&self) -> Option<i64> {
        self.truth.reps.map(|t| self.counted as i64 - t)
    }

    /// Labelled H or M-H: the clips the accuracy bar is judged on.
    pub fn is_graded(&self) -> bool {
        self.truth.is_graded()
    }
}

/// The shared videos (`FITVISION_SHARED_VIDEOS`, else `../shared/videos`).
pub fn videos_dir() -> PathBuf {
    fitvision_clip_fixtures::shared_videos_dir()
}

pub fn load_truth(videos: &Path) -> anyhow::Result<Vec<Truth>> {
    let path = videos.join("ground_truth.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// A labelled clip: its truth, its exercise's definition and the video's path.
pub struct LabelledClip<'c> {
    pub truth: Truth,
    pub definition: &'c ExerciseDefinition,
    pub path: PathBuf,
}

/// Every clip with a known exercise that `wanted` selects, in the truth file's order.
pub fn labelled_clips<'c>(
    catalog: &'c Catalog,
    wanted: impl Fn(&Truth) -> bool,
) -> anyhow::Result<Vec<LabelledClip<'c>>> {
    let videos = videos_dir();
    let mut clips = Vec::new();
    for truth in load_truth(&videos)? {
        let Some(exercise) = truth.exercise.as_deref() else {
            continue;
        };
        if !wanted(&truth) {
            continue;
        }
        let definition = catalog
            .get(exercise)
            .with_context(|| format!("{}: exercise {exercise:?} not in the catalog", truth.file))?;
        clips.push(LabelledClip {
            path: videos.join(&truth.file),
            truth,
            definition,
        });
    }
    Ok(clips)
}

/// The clip analysed as the suite analyses a labelled upload: the pose track at the
/// rate its exercise needs, then its definition. Returns the track too.
pub fn analyse_labelled(clip: &LabelledClip) -> anyhow::Result<(PoseTrack, AnalysisResult)> {
    let track = fitvision_clip_fixtures::cached_pose_track(
        &clip.path,
        &fitvision_clip_fixtures::pose_options_for(&clip.definition.id),
    )?
    .track;
    let result = analyze(
        clip.definition,
        &track,
        &Subject::default(),
        &AnalyzeOptions::default(),
    )
    .with_context(|| format!("analysing {}", clip.truth.file))?;
    Ok((track, result))
}

/// Runs every clip with a known exercise that `wanted` selects.
pub fn evaluate_where(
    wanted: impl Fn(&Truth) -> bool,
    mut on_row: impl FnMut(&Row),
) -> anyhow::Result<Vec<Row>> {
    let catalog = Catalog::builtin()?;
    let mut rows = Vec::new();
    for clip in labelled_clips(&catalog, wanted)? {
        let (track, result) = analyse_labelled(&clip)?;
        let truth = clip.truth;
        let with_person = track
            .frames
            .iter()
            .filter(|f| !f.persons.is_empty())
            .count();
        let row = Row {
            person_share: with_person as f64 / track.frames.len().max(1) as f64,
            counted: result.rep_count,
            truth,
            result,
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The printed table with totals.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<36} {:<14} {:>4} {:>5} {:>7} {:>5} {:>7}  {}\n",
        "file", "exercise", "conf", "truth", "counted", "error", "person%", "notes"
    );
    for r in rows {
        let truth = r
            .truth
            .reps
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into());
        let error = r
            .error()
            .map(|e| format!("{e:+}"))
            .unwrap_or_else(|| "-".into());
        let mut notes = Vec::new();
        for key in [
            metrics::JUMP_HEIGHT_CM,
            metrics::JUMP_DISTANCE_CM,
            metrics::CADENCE_PER_MIN,
        ] {
            if let Some(v) = r.result.metrics.get(key) {
                notes.push(format!("{key}={v:.1}"));
            }
        }
        if r.result.mode == "timer" {
            notes.push(format!("hold_time_s={:.1}", r.result.hold_time_s));
        }
        out += &format!(
            "{:<36} {:<14} {:>4} {:>5} {:>7} {:>5} {:>7.1}  {}\n",
            r.truth.file,
            r.truth.exercise.as_deref().unwrap_or("-"),
            r.truth.confidence,
            truth,
            r.counted,
            error,
            100.0 * r.person_share,
            notes.join(" ")
        );
    }
    let graded: Vec<&Row> = rows.iter().filter(|r| r.is_graded()).collect();
    let exact = graded.iter().filter(|r| r.error() == Some(0)).count();
    let within_one = graded
        .iter()
        .filter(|r| r.error().is_some_and(|e| e.abs() <= 1))
        .count();
    let labelled: Vec<&Row> = rows.iter().filter(|r| r.truth.reps.is_some()).collect();
    let abs_err: i64 = labelled
        .iter()
        .filter_map(|r| r.error())
        .map(i64::abs)
        .sum();
    let mean_person = rows.iter().map(|r| r.person_share).sum::<f64>() / rows.len().max(1) as f64;
    out += &format!(
        "H/M-H clips: {} | exact {} ({:.0}%) | within 1: {} | all labelled: {} clips, total |error| {} | person in {:.1}% of analysed frames (mean over clips)\n",
        graded.len(),
        exact,
        100.0 * exact as f64 / graded.len().max(1) as f64,
        within_one,
        labelled.len(),
        abs_err,
        100.0 * mean_person
    );
    out
}
