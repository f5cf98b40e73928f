//! Robustness evaluation: every labelled clip and its honest re-recordings
//! (`scripts/make-variants.sh`: darker, 360p, mirrored, 24/60 fps, portrait crop, stored
//! sideways, hand-held shake, title cards) plus the tamper set
//! (`scripts/make-tamper-set.sh`), each run through the same pose engine, authenticity
//! analyzer and exercise engine as the product.
//!
//! Invariants judged per cell (a clip x variant):
//! - `honest` clips (ground_truth.json) are never blocked, on any variant;
//! - the count equals the truth on H / M-H clips, on every variant;
//! - a jump height stays within [`jump_tolerance_cm`] of the original's (3 cm, or one
//!   frame of flight time when that is more);
//! - pose coverage stays >= [`COVERAGE_BAR`] (to within one analysed frame) where the
//!   original reaches it;
//! - every tamper case is blocked.
//!
//! Shared by the `robustness` binary (the whole table) and the CI test on a fast subset.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use fitvision_cheat_detection::{Analyzer, Params, Policy, TextDetector};
use fitvision_exercise_engine::names::metrics;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::{AnalysisResult, AuthenticityReport, PoseTrack, Subject};
use serde::Deserialize;
use sha2::Digest as _;

/// Honest re-recordings made by `scripts/make-variants.sh`, in table order.
pub const VARIANTS: [&str; 11] = [
    "dark",
    "lowres",
    "mirror",
    "fps24",
    "fps60",
    "portrait",
    "sideways",
    "shake",
    "titlecard",
    "blurfill",
    "tilt",
];

/// Length of the title card and the outro card `make-variants.sh` adds (seconds).
pub const TITLE_CARD_S: f64 = 3.0;
pub const OUTRO_CARD_S: f64 = 2.0;

/// A jump measured on a variant may differ from the original's by this much.
pub const JUMP_TOLERANCE_CM: f64 = 3.0;

/// The coarser frame rate of the original and the variant (0 when either is unknown).
fn coarser_fps(original: Option<&Measured>, variant: &Measured) -> f64 {
    match original {
        Some(o) if o.fps > 0.0 && variant.fps > 0.0 => o.fps.min(variant.fps),
        _ => 0.0,
    }
}

/// How far a variant's jump height may stand from the original's: [`JUMP_TOLERANCE_CM`],
/// or, when larger, what one frame of flight time changes the height by at the coarser
/// of the two frame rates. Take-off and landing are each found between two frames from
/// keypoints; a re-encode that moves either by half a frame (the 360p variant of the
/// counter-movement jump takes off 18 ms earlier than the original) moves the height by
/// g t dt / 4, 3 cm per half frame of a 0.77 s flight at 30 fps. Physics, not a clip.
pub fn jump_tolerance_cm(original_cm: f64, fps: f64) -> f64 {
    if !(fps > 0.0 && original_cm > 0.0) {
        return JUMP_TOLERANCE_CM;
    }
    let g = fitvision_kinematics::GRAVITY_M_S2;
    let flight_s = (8.0 * original_cm / 100.0 / g).sqrt();
    let one_frame_cm = 100.0 * g * ((flight_s + 1.0 / fps).powi(2) - flight_s.powi(2)) / 8.0;
    JUMP_TOLERANCE_CM.max(one_frame_cm)
}
/// Share of frames with a person that every variant keeps where the original has it.
pub const COVERAGE_BAR: f64 = 0.95;

/// Whether a variant keeps [`COVERAGE_BAR`]: coverage is a count of analysed frames, so
/// a clip of n frames can only score k/n; one frame short of the bar (a 6 s clip at 15
/// analysed fps has 90 frames, 1.1% each) is within what the count can resolve.
fn keeps_coverage(m: &Measured) -> bool {
    let one_frame = 1.0 / m.coverage_frames.max(1) as f64;
    m.coverage + one_frame >= COVERAGE_BAR
}

/// One clip of `ground_truth.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ClipTruth {
    pub file: String,
    pub exercise: Option<String>,
    pub reps: Option<u32>,
    pub confidence: String,
    pub people: u32,
    /// true: a raw single-athlete recording that must never be blocked; false: edited or
    /// not a single athlete; null: observe only.
    pub honest: Option<bool>,
}

impl ClipTruth {
    pub fn stem(&self) -> &str {
        self.file.trim_end_matches(".mp4")
    }

    /// Labelled H or M-H: counts must be exact.
    pub fn count_graded(&self) -> bool {
        self.reps.is_some() && matches!(self.confidence.as_str(), "H" | "M-H")
    }

    /// Whether any invariant judges this clip's variants: it is honest (never blocked)
    /// or its count is graded.
    pub fn judged(&self) -> bool {
        self.honest == Some(true) || self.count_graded()
    }
}

pub fn load_truth(videos: &Path) -> anyhow::Result<Vec<ClipTruth>> {
    let path = videos.join("ground_truth.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// What one cell is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseKind {
    /// The clip as shared.
    Original,
    /// An honest re-recording of the clip (one of [`VARIANTS`]).
    Variant(&'static str),
    /// An edit that games the counter (`<clip>__<edit>.mp4` of the tamper set).
    Tamper(String),
    /// Another honest recording of the clip found in an extra directory
    /// (`<clip>__<name>.mp4`), judged like the variants.
    Extra(String),
}

impl CaseKind {
    pub fn label(&self) -> &str {
        match self {
            Self::Original => "original",
            Self::Variant(v) => v,
            Self::Tamper(t) | Self::Extra(t) => t,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Case {
    pub truth: ClipTruth,
    pub kind: CaseKind,
    pub path: PathBuf,
}

/// Every clip whose stem contains one of `only` (all when empty), with its variants found
/// in `variants` and its tamper edits found in `tamper`.
/// `all_variants`: also the variants of clips no invariant judges (see
/// [`ClipTruth::judged`]); their originals are always included. `extras`: directories of
/// further honest recordings named `<clip>__<name>.mp4`.
pub fn cases(
    videos: &Path,
    variants: Option<&Path>,
    tamper: Option<&Path>,
    only: &[String],
    all_variants: bool,
    extras: &[PathBuf],
) -> anyhow::Result<Vec<Case>> {
    let mut out = Vec::new();
    for truth in load_truth(videos)? {
        if !only.is_empty() && !only.iter().any(|o| truth.stem().contains(o.as_str())) {
            continue;
        }
        out.push(Case {
            path: videos.join(&truth.file),
            kind: CaseKind::Original,
            truth: truth.clone(),
        });
        if let Some(dir) = variants.filter(|_| all_variants || truth.judged()) {
            for v in VARIANTS {
                let path = dir.join(format!("{}__{v}.mp4", truth.stem()));
                if path.is_file() {
                    out.push(Case {
                        path,
                        kind: CaseKind::Variant(v),
                        truth: truth.clone(),
                    });
                }
            }
        }
        let dirs = tamper
            .iter()
            .map(|d| (*d, false))
            .chain(extras.iter().map(|d| (d.as_path(), true)));
        for (dir, extra) in dirs {
            let prefix = format!("{}__", truth.stem());
            let mut edits: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_owned();
                    let edit = name.strip_prefix(&prefix)?.strip_suffix(".mp4")?;
                    (!edit.ends_with(".tmp")).then(|| (edit.to_owned(), p.clone()))
                })
                .collect();
            edits.sort();
            for (edit, path) in edits {
                out.push(Case {
                    path,
                    kind: if extra {
                        CaseKind::Extra(edit)
                    } else {
                        CaseKind::Tamper(edit)
                    },
                    truth: truth.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// What the product gave on one case.
#[derive(Debug, Clone)]
pub struct Measured {
    pub report: AuthenticityReport,
    /// None when the clip has no exercise or the engine refused it.
    pub result: Option<AnalysisResult>,
    pub analysis_error: Option<String>,
    /// Share of the analysed frames (title/outro cards excluded) with a person.
    pub coverage: f64,
    /// Frame rate of the decoded video (0 when unknown).
    pub fps: f64,
    /// Analysed frames [`Measured::coverage`] is counted over.
    pub coverage_frames: usize,
    /// For an original: share of the athlete's confident joints that its `portrait`
    /// variant's centre crop keeps (None for a variant, or a frame not landscape).
    pub joints_in_portrait_crop: Option<f64>,
}

impl Measured {
    pub fn count(&self) -> Option<u32> {
        self.result.as_ref().map(|r| r.rep_count)
    }

    pub fn jump_cm(&self) -> Option<f64> {
        self.result
            .as_ref()
            .and_then(|r| r.metrics.get(metrics::JUMP_HEIGHT_CM).copied())
    }

    /// The strongest check's name and reason, for the table.
    pub fn main_reason(&self) -> String {
        self.report
            .checks
            .iter()
            .max_by(|a, b| (a.weight * a.score).total_cmp(&(b.weight * b.score)))
            .filter(|c| c.score > 0.0)
            .map(|c| format!("{} {:.0}: {}", c.check, c.score, c.reason))
            .unwrap_or_default()
    }
}

/// Runs the product's analysis steps on a case: the pose track (cached by content), the
/// authenticity analyzer with the default policy, and the exercise engine.
pub struct Evaluator {
    analyzer: Analyzer,
    catalog: Catalog,
}

impl Evaluator {
    pub fn new() -> anyhow::Result<Self> {
        let models = fitvision_pose_inference::default_models_dir();
        Ok(Self {
            analyzer: Analyzer::new(TextDetector::load(&models, 2)?, Params::default()),
            catalog: Catalog::builtin()?,
        })
    }

    pub fn measure(&self, case: &Case) -> anyhow::Result<Measured> {
        Ok(self
            .measure_with(case, MeasureOptions::default())?
            .expect("tracks are computed when missing"))
    }

    /// [`Self::measure`] with options; `None` when `cached_only` and the track is not in
    /// the cache.
    pub fn measure_with(
        &self,
        case: &Case,
        options: MeasureOptions,
    ) -> anyhow::Result<Option<Measured>> {
        let exercise = case.truth.exercise.clone().unwrap_or_default();
        // The frame rate the suite analyses this exercise at, as the session asks.
        let pose_options = fitvision_clip_fixtures::pose_options_for(&exercise);
        let track = if options.cached_only {
            match fitvision_clip_fixtures::stored_pose_track(&case.path, &pose_options)? {
                Some(track) => track,
                None => return Ok(None),
            }
        } else {
            fitvision_clip_fixtures::cached_pose_track(&case.path, &pose_options)
                .with_context(|| format!("pose track of {}", case.path.display()))?
                .track
        };
        let report = if options.counts_only {
            AuthenticityReport::default()
        } else {
            self.analyzer
                .analyze(&case.path, Some(&track), &exercise, Policy::default())
                .with_context(|| format!("authenticity of {}", case.path.display()))?
                .report
        };
        let (result, analysis_error) = match self.catalog.get(&exercise) {
            Some(def) => {
                match analyze(def, &track, &Subject::default(), &AnalyzeOptions::default()) {
                    Ok(r) => (Some(r), None),
                    Err(e) => (None, Some(e.to_string())),
                }
            }
            None => (None, None),
        };
        Ok(Some(Measured {
            report,
            result,
            analysis_error,
            coverage: coverage(&track, &case.kind),
            coverage_frames: coverage_frames(&track, &case.kind),
            fps: track.video.as_ref().map_or(0.0, |v| v.fps),
            joints_in_portrait_crop: (case.kind == CaseKind::Original)
                .then(|| joints_in_portrait_crop(&track))
                .flatten(),
        }))
    }
}

/// How [`Evaluator::measure_with`] works on a case.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeasureOptions {
    /// Only cases whose pose track is already cached (quick re-runs while changing the
    /// engine or the checks).
    pub cached_only: bool,
    /// Skip the authenticity analysis (counts, jumps and coverage only).
    pub counts_only: bool,
}

/// Share of analysed frames with at least one person, leaving out the cards of the
/// title-card variant (nobody is in them by construction).
pub fn coverage(track: &PoseTrack, kind: &CaseKind) -> f64 {
    let frames = judged_frames(track, kind);
    if frames.is_empty() {
        return 0.0;
    }
    frames.iter().filter(|f| !f.persons.is_empty()).count() as f64 / frames.len() as f64
}

/// How many frames [`coverage`] counts over.
pub fn coverage_frames(track: &PoseTrack, kind: &CaseKind) -> usize {
    judged_frames(track, kind).len()
}

/// A portrait crop that keeps less than this share of the athlete's joints does not film
/// the set: a phone held upright at the same spot frames the athlete (or stands farther
/// back), it does not cut off the head and hands of a close-up side view. Count and pose
/// coverage are not judged on such a crop (its verdict still is).
pub const PORTRAIT_CROP_KEEPS_ATHLETE: f64 = 0.9;

/// Share of the main subject's confident joints (score >= 0.5) inside the centre 9:16
/// crop that `make-variants.sh` makes of a landscape frame; None when not landscape.
pub fn joints_in_portrait_crop(track: &PoseTrack) -> Option<f64> {
    let video = track.video.as_ref()?;
    let (width, height) = (f64::from(video.width_px), f64::from(video.height_px));
    if video.rotation_deg % 180 != 0 || width <= height {
        return None;
    }
    let half = height * 9.0 / 16.0 / 2.0;
    let (left, right) = (width / 2.0 - half, width / 2.0 + half);
    let main = fitvision_exercise_engine::subject::dominant_track_id(track)?;
    let (mut inside, mut all) = (0_usize, 0_usize);
    for person in track
        .frames
        .iter()
        .flat_map(|f| &f.persons)
        .filter(|p| p.track_id == main)
    {
        for k in person.keypoints.iter().filter(|k| k.score >= 0.5) {
            all += 1;
            inside += usize::from((left..=right).contains(&f64::from(k.x_px)));
        }
    }
    (all > 0).then(|| inside as f64 / all as f64)
}

/// Whether `case` is a portrait crop that cuts the athlete out of the picture (see
/// [`PORTRAIT_CROP_KEEPS_ATHLETE`]): the invariants that need the athlete in the picture
/// (count, pose coverage) do not apply to it; its verdict still does.
fn crop_cuts_athlete(case: &Case, original: Option<&Measured>) -> bool {
    case.kind == CaseKind::Variant("portrait")
        && original
            .and_then(|o| o.joints_in_portrait_crop)
            .is_some_and(|share| share < PORTRAIT_CROP_KEEPS_ATHLETE)
}

/// Whether the count invariant applies to `case`.
fn count_judged(case: &Case, original: Option<&Measured>) -> bool {
    case.truth.count_graded() && !crop_cuts_athlete(case, original)
}

/// Whether the pose-coverage invariant applies to `case`: a single athlete whose original
/// keeps the bar, in a picture that still holds them.
fn coverage_judged(case: &Case, original: Option<&Measured>) -> bool {
    case.truth.people == 1
        && original.is_some_and(|o| o.coverage >= COVERAGE_BAR)
        && !crop_cuts_athlete(case, original)
}

/// The analysed frames of the set itself (a title variant's cards left out).
fn judged_frames<'a>(
    track: &'a PoseTrack,
    kind: &CaseKind,
) -> Vec<&'a fitvision_proto::v1::PoseFrame> {
    let end_ms = track.frames.last().map_or(0.0, |f| f.timestamp_ms + 1.0);
    let (from, to) = if *kind == CaseKind::Variant("titlecard") {
        (TITLE_CARD_S * 1000.0, end_ms - OUTRO_CARD_S * 1000.0)
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    };
    track
        .frames
        .iter()
        .filter(|f| f.timestamp_ms >= from && f.timestamp_ms < to)
        .collect()
}

/// One evaluated cell and the invariants it breaks.
#[derive(Debug, Clone)]
pub struct Cell {
    pub case: Case,
    pub measured: Measured,
    pub failures: Vec<String>,
}

/// Judges every case against the invariants; originals are the reference of their clip.
pub fn judge(measured: Vec<(Case, Measured)>) -> Vec<Cell> {
    let originals: BTreeMap<String, Measured> = measured
        .iter()
        .filter(|(c, _)| c.kind == CaseKind::Original)
        .map(|(c, m)| (c.truth.file.clone(), m.clone()))
        .collect();
    measured
        .into_iter()
        .map(|(case, m)| {
            let mut failures = Vec::new();
            let original = originals.get(&case.truth.file);
            match &case.kind {
                CaseKind::Tamper(_) => {
                    if !m.report.blocked {
                        failures.push("tamper not blocked".to_owned());
                    }
                }
                CaseKind::Original | CaseKind::Variant(_) | CaseKind::Extra(_) => {
                    if case.truth.honest == Some(true) && m.report.blocked {
                        failures.push(format!("honest blocked ({})", m.main_reason()));
                    }
                    if count_judged(&case, original) && m.count() != case.truth.reps {
                        failures.push(format!(
                            "count {} != {}",
                            m.count().map_or("-".into(), |c| c.to_string()),
                            case.truth.reps.unwrap_or_default()
                        ));
                    }
                    if let (Some(o), Some(v)) = (original.and_then(Measured::jump_cm), m.jump_cm())
                        && (o - v).abs() > jump_tolerance_cm(o, coarser_fps(original, &m))
                    {
                        failures.push(format!("jump {v:.1} cm vs {o:.1}"));
                    }
                    if coverage_judged(&case, original) && !keeps_coverage(&m) {
                        failures.push(format!("coverage {:.0}%", m.coverage * 100.0));
                    }
                }
            }
            Cell {
                case,
                measured: m,
                failures,
            }
        })
        .collect()
}

/// Each clip's original cell, by file name.
fn originals_by_file(cells: &[Cell]) -> BTreeMap<&str, &Measured> {
    cells
        .iter()
        .filter(|c| c.case.kind == CaseKind::Original)
        .map(|c| (c.case.truth.file.as_str(), &c.measured))
        .collect()
}

/// Totals of a judged table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub honest_cases: usize,
    pub honest_blocked: usize,
    pub tamper_cases: usize,
    pub tamper_blocked: usize,
    pub count_cases: usize,
    pub count_exact: usize,
    /// Graded cells whose count is not judged: portrait crops that cut the athlete off
    /// (their pose coverage is not judged either).
    pub count_not_judged: usize,
    pub jump_cases: usize,
    pub jump_within: usize,
    pub coverage_cases: usize,
    pub coverage_kept: usize,
}

impl Totals {
    pub fn of(cells: &[Cell]) -> Self {
        let mut t = Self::default();
        let originals = originals_by_file(cells);
        for c in cells {
            let m = &c.measured;
            if let CaseKind::Tamper(_) = c.case.kind {
                t.tamper_cases += 1;
                t.tamper_blocked += usize::from(m.report.blocked);
                continue;
            }
            if c.case.truth.honest == Some(true) {
                t.honest_cases += 1;
                t.honest_blocked += usize::from(m.report.blocked);
            }
            let original = originals.get(c.case.truth.file.as_str());
            if count_judged(&c.case, original.copied()) {
                t.count_cases += 1;
                t.count_exact += usize::from(m.count() == c.case.truth.reps);
            } else if c.case.truth.count_graded() {
                t.count_not_judged += 1;
            }
            if c.case.kind != CaseKind::Original
                && let (Some(o), Some(v)) = (original.and_then(|o| o.jump_cm()), m.jump_cm())
            {
                t.jump_cases += 1;
                t.jump_within += usize::from(
                    (o - v).abs() <= jump_tolerance_cm(o, coarser_fps(original.copied(), m)),
                );
            }
            if coverage_judged(&c.case, original.copied()) {
                t.coverage_cases += 1;
                t.coverage_kept += usize::from(keeps_coverage(m));
            }
        }
        t
    }

    pub fn false_block_rate(&self) -> f64 {
        self.honest_blocked as f64 / self.honest_cases.max(1) as f64
    }

    pub fn detection_rate(&self) -> f64 {
        self.tamper_blocked as f64 / self.tamper_cases.max(1) as f64
    }
}

/// The table: one row per clip, one column per variant (tamper edits after them); each
/// cell `score[!] count` (`!` = blocked, the count replaced by the jump in cm for jumps,
/// `*` after a cell that breaks an invariant), then the totals and every failure.
pub fn render(cells: &[Cell]) -> String {
    let mut columns: Vec<String> = vec!["original".into()];
    columns.extend(VARIANTS.iter().map(|v| v.to_string()));
    let mut tamper_columns: Vec<String> = cells
        .iter()
        .filter_map(|c| match &c.case.kind {
            CaseKind::Tamper(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    tamper_columns.sort();
    tamper_columns.dedup();
    let mut extra_columns: Vec<String> = cells
        .iter()
        .filter_map(|c| match &c.case.kind {
            CaseKind::Extra(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    extra_columns.sort();
    extra_columns.dedup();
    columns.extend(extra_columns);
    columns.extend(tamper_columns.iter().map(|t| format!("T:{t}")));
    let mut rows: BTreeMap<&str, BTreeMap<String, &Cell>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for c in cells {
        let file = c.case.truth.file.as_str();
        if !rows.contains_key(file) {
            order.push(file);
        }
        let column = match &c.case.kind {
            CaseKind::Tamper(t) => format!("T:{t}"),
            k => k.label().to_owned(),
        };
        rows.entry(file).or_default().insert(column, c);
    }
    let columns: Vec<String> = columns
        .into_iter()
        .filter(|col| rows.values().any(|r| r.contains_key(col)))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "cell = authenticity score (! = blocked) and count (cm for jumps); * = breaks an invariant"
    );
    let _ = write!(
        s,
        "{:<44} {:>3} {:>5} {:>5}",
        "clip", "hon", "truth", "cov%"
    );
    for col in &columns {
        let _ = write!(s, " {:>10}", truncate(col, 10));
    }
    let _ = writeln!(s);
    for file in order {
        let row = &rows[file];
        let any = row.values().next().expect("a row has cells");
        let truth = &any.case.truth;
        let honest = match truth.honest {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let reps = truth.reps.map_or("-".to_owned(), |r| {
            format!("{r}{}", if truth.count_graded() { "" } else { "~" })
        });
        let cov = row.get("original").map_or("-".to_owned(), |c| {
            format!("{:.0}", c.measured.coverage * 100.0)
        });
        let _ = write!(
            s,
            "{:<44} {:>3} {:>5} {:>5}",
            truncate(file.trim_end_matches(".mp4"), 44),
            honest,
            reps,
            cov
        );
        for col in &columns {
            let cell = row.get(col).map_or(String::new(), |c| cell_text(c));
            let _ = write!(s, " {cell:>10}");
        }
        let _ = writeln!(s);
    }
    let t = Totals::of(cells);
    let _ = writeln!(
        s,
        "\nhonest false-block rate: {}/{} = {:.1}% (must be 0)",
        t.honest_blocked,
        t.honest_cases,
        100.0 * t.false_block_rate()
    );
    let _ = writeln!(
        s,
        "tamper detection rate:   {}/{} = {:.1}% blocked",
        t.tamper_blocked,
        t.tamper_cases,
        100.0 * t.detection_rate()
    );
    let _ = writeln!(
        s,
        "exact counts (H/M-H):    {}/{}{}",
        t.count_exact,
        t.count_cases,
        if t.count_not_judged > 0 {
            format!(
                " ({} portrait crop(s) keeping under {:.0}% of the athlete's joints not judged)",
                t.count_not_judged,
                PORTRAIT_CROP_KEEPS_ATHLETE * 100.0
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        s,
        "jump within {JUMP_TOLERANCE_CM} cm or one frame of flight: {}/{}",
        t.jump_within, t.jump_cases
    );
    let _ = writeln!(
        s,
        "coverage >= {:.0}% kept:   {}/{}",
        COVERAGE_BAR * 100.0,
        t.coverage_kept,
        t.coverage_cases
    );
    let originals = originals_by_file(cells);
    for c in cells {
        let original = originals.get(c.case.truth.file.as_str()).copied();
        if let Some(share) = original
            .and_then(|o| o.joints_in_portrait_crop)
            .filter(|_| crop_cuts_athlete(&c.case, original))
        {
            let _ = writeln!(
                s,
                "count and coverage not judged: {} [portrait]: the crop keeps {:.0}% of the athlete's joints",
                c.case.truth.stem(),
                share * 100.0
            );
        }
    }
    let failing: Vec<&Cell> = cells.iter().filter(|c| !c.failures.is_empty()).collect();
    if !failing.is_empty() {
        let _ = writeln!(s, "\ninvariants broken:");
        for c in failing {
            let _ = writeln!(
                s,
                "  {} [{}]: {}",
                c.case.truth.stem(),
                c.case.kind.label(),
                c.failures.join("; ")
            );
        }
    }
    s
}

fn cell_text(c: &Cell) -> String {
    let m = &c.measured;
    let value = match (m.jump_cm(), m.count()) {
        (Some(j), _) => format!("{j:.0}cm"),
        (None, Some(n)) => n.to_string(),
        (None, None) => "-".to_owned(),
    };
    format!(
        "{:.0}{} {value}{}",
        m.report.score,
        if m.report.blocked { "!" } else { "" },
        if c.failures.is_empty() { "" } else { "*" }
    )
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Runs `scripts/make-variants.sh` (idempotent) for `clips` (all when empty) into `out`.
pub fn make_variants(videos: &Path, out: &Path, clips: &[String]) -> anyhow::Result<()> {
    make_variants_of_kinds(videos, out, clips, &[])
}

/// [`make_variants`] making only the variants `kinds` (all of [`VARIANTS`] when empty).
pub fn make_variants_of_kinds(
    videos: &Path,
    out: &Path,
    clips: &[String],
    kinds: &[&str],
) -> anyhow::Result<()> {
    let script = crate::workspace_root().join("scripts/make-variants.sh");
    let mut command = std::process::Command::new("bash");
    command
        .arg(&script)
        .arg(videos)
        .arg(out)
        .stdout(std::process::Stdio::null());
    if !clips.is_empty() {
        command.env("FITVISION_VARIANT_CLIPS", clips.join(" "));
    }
    if !kinds.is_empty() {
        command.env("FITVISION_VARIANT_KINDS", kinds.join(" "));
    }
    let status = command.status()?;
    anyhow::ensure!(status.success(), "{} failed: {status}", script.display());
    Ok(())
}

/// Where the variants are built: `FITVISION_VARIANTS_DIR`, else a directory under
/// /var/tmp named after the variant script's content, so that a changed script never
/// reuses variants an older one made.
pub fn variants_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FITVISION_VARIANTS_DIR") {
        return PathBuf::from(dir);
    }
    let script =
        std::fs::read(crate::workspace_root().join("scripts/make-variants.sh")).unwrap_or_default();
    let digest = sha2::Sha256::digest(&script);
    PathBuf::from(format!(
        "/var/tmp/fitvision-variants-{:02x}{:02x}{:02x}{:02x}",
        digest[0], digest[1], digest[2], digest[3]
    ))
}

#[cfg(test)]
mod jump_tolerance_tests {
    use super::*;

    #[test]
    fn one_frame_of_flight_bounds_the_tolerance() {
        // A 0.765 s flight (71.8 cm): one frame at 30 fps changes the height by ~6.3 cm,
        // at 60 fps by ~3.1 cm; a small hop stays at the 3 cm floor.
        let at_30 = jump_tolerance_cm(71.8, 30.0);
        assert!((6.2..6.5).contains(&at_30), "{at_30}");
        let at_60 = jump_tolerance_cm(71.8, 60.0);
        assert!((3.0..3.3).contains(&at_60), "{at_60}");
        assert_eq!(jump_tolerance_cm(5.0, 30.0), JUMP_TOLERANCE_CM);
        assert_eq!(jump_tolerance_cm(71.8, 0.0), JUMP_TOLERANCE_CM);
    }
}

#[cfg(test)]
mod portrait_crop_tests {
    use super::*;
    use fitvision_proto::v1::{Keypoint, PersonPose, PoseFrame, VideoInfo};

    fn track(width: u32, height: u32, xs: &[f32]) -> PoseTrack {
        let keypoints = xs
            .iter()
            .map(|&x| Keypoint {
                x_px: x,
                y_px: 100.0,
                score: 0.9,
                ..Keypoint::default()
            })
            .chain(std::iter::once(Keypoint {
                x_px: 0.0,
                y_px: 0.0,
                score: 0.1,
                ..Keypoint::default()
            }))
            .collect();
        PoseTrack {
            video: Some(VideoInfo {
                width_px: width,
                height_px: height,
                ..VideoInfo::default()
            }),
            frames: vec![PoseFrame {
                persons: vec![PersonPose {
                    track_id: 1,
                    keypoints,
                    ..PersonPose::default()
                }],
                ..PoseFrame::default()
            }],
            ..PoseTrack::default()
        }
    }

    #[test]
    fn the_share_of_confident_joints_inside_the_centre_crop() {
        // 1280x720: the 9:16 centre crop spans x 437.5..842.5; the unsure joint is ignored.
        let share = joints_in_portrait_crop(&track(1280, 720, &[100.0, 500.0, 640.0, 1200.0]));
        assert_eq!(share, Some(0.5));
        assert_eq!(joints_in_portrait_crop(&track(720, 1280, &[100.0])), None);
    }
}
