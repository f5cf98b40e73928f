//! Exercise-recognition evaluation over the labelled test videos: each clip's pose
//! track as an unlabelled upload gets it (every frame: the pose stage does not know the
//! exercise's rate yet) -> [`recognize`] -> the recognised exercise's count, beside the
//! truth and the count of the same clip uploaded with its exercise. Shared by the
//! `evaluate_recognition` binary and the `recognition` test.

use anyhow::Context as _;
use fitvision_exercise_engine::recognize::{Recognition, recognize};
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::Subject;

use crate::count_eval::{Truth, analyse_labelled, labelled_clips};

/// Outcome on one clip.
pub struct Row {
    pub truth: Truth,
    pub recognition: Recognition,
    /// Count as an unlabelled upload: the recognised exercise on the every-frame track
    /// (`None` when nothing was recognised with confidence).
    pub unlabelled_count: Option<u32>,
    /// Count as a labelled upload.
    pub labelled_count: u32,
}

impl Row {
    /// The recognised exercise is the labelled one (aliases resolved by the catalog).
    pub fn is_right(&self, catalog: &Catalog) -> bool {
        let canonical = |id: &str| catalog.get(id).map(|d| d.id.clone());
        match (&self.recognition.exercise_id, &self.truth.exercise) {
            (Some(got), Some(want)) => {
                self.recognition.is_confident() && canonical(got) == canonical(want)
            }
            _ => false,
        }
    }
}

/// Runs every clip with a labelled exercise that `wanted` selects. `at_labelled_rate`:
/// recognise on the track a labelled upload gets (15 fps for controlled exercises)
/// instead of every frame, to check that the recogniser does not depend on the rate.
pub fn evaluate_where(
    wanted: impl Fn(&Truth) -> bool,
    at_labelled_rate: bool,
    mut on_row: impl FnMut(&Row),
) -> anyhow::Result<Vec<Row>> {
    let catalog = Catalog::builtin()?;
    let mut rows = Vec::new();
    for clip in labelled_clips(&catalog, wanted)? {
        let (labelled_track, labelled) = analyse_labelled(&clip)?;
        let labelled_count = labelled.rep_count;
        let (truth, video) = (clip.truth, clip.path);
        // An unknown exercise is analysed at every frame (the session's pose rate).
        let track = if at_labelled_rate {
            labelled_track
        } else {
            fitvision_clip_fixtures::cached_pose_track(
                &video,
                &fitvision_clip_fixtures::pose_options_for(""),
            )?
            .track
        };
        let recognition = recognize(&track, &catalog);
        let unlabelled_count = recognition
            .is_confident()
            .then(|| {
                recognition
                    .exercise_id
                    .as_deref()
                    .and_then(|id| catalog.get(id))
            })
            .flatten()
            .map(|def| analyze(def, &track, &Subject::default(), &AnalyzeOptions::default()))
            .transpose()
            .with_context(|| format!("analysing {} as recognised", truth.file))?
            .map(|r| r.rep_count);
        let row = Row {
            truth,
            recognition,
            unlabelled_count,
            labelled_count,
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The printed table with totals.
pub fn table(rows: &[Row], catalog: &Catalog) -> String {
    let mut out = format!(
        "{:<44} {:<14} {:<14} {:>5} {:>5} {:>9} {:>11}\n",
        "file", "truth", "recognised", "conf", "truth", "labelled", "unlabelled"
    );
    for r in rows {
        out += &format!(
            "{:<44} {:<14} {:<14} {:>5.2} {:>5} {:>9} {:>11}{}\n",
            r.truth.file,
            r.truth.exercise.as_deref().unwrap_or("-"),
            r.recognition.exercise_id.as_deref().unwrap_or("-"),
            r.recognition.confidence,
            r.truth
                .reps
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            r.labelled_count,
            r.unlabelled_count
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            if r.is_right(catalog) { "" } else { "  MISS" },
        );
    }
    let right = rows.iter().filter(|r| r.is_right(catalog)).count();
    let same_count = rows
        .iter()
        .filter(|r| r.unlabelled_count == Some(r.labelled_count))
        .count();
    out += &format!(
        "recognised {right}/{} ({:.0}%); unlabelled count equal to the labelled count on {same_count}/{}\n",
        rows.len(),
        100.0 * right as f64 / rows.len().max(1) as f64,
        rows.len(),
    );
    out
}
