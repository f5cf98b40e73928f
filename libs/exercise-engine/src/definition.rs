//! Exercise definitions: the data a tenant (or the built-in catalog) supplies
//! to tell the one generic engine what to follow, how a rep looks and what good
//! form is. JSON, camelCase keys, unknown keys rejected (a typo must not silently
//! disable a form check).

use fitvision_kinematics::angles::{JointAngle, SegmentAngle};
use fitvision_kinematics::schema::Limb;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a definition was rejected; every problem found is listed.
#[derive(Debug, Error, PartialEq)]
pub enum DefinitionError {
    #[error("definition is not valid JSON for an exercise: {0}")]
    Parse(String),
    #[error("definition is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl DefinitionError {
    /// The individual problems, one message each.
    pub fn messages(&self) -> Vec<String> {
        match self {
            DefinitionError::Parse(m) => vec![m.clone()],
            DefinitionError::Invalid(v) => v.clone(),
        }
    }
}

/// How results are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Rep,
    Timer,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Rep => "rep",
            Mode::Timer => "timer",
        }
    }
}

/// Specialised analyser run on top of (or instead of) generic rep counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnalyzerKind {
    /// Rep counting / hold timing from the definition alone.
    #[default]
    Generic,
    VerticalJump,
    BroadJump,
    Skipping,
    Sprint,
    /// Olympic lifts: bar path, velocity, power, force and phases.
    Weightlifting,
    /// Sit-and-reach: hold time plus reach distance.
    SitAndReach,
}

/// Which side's keypoints a signal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SideChoice {
    /// The side the model sees more confidently over the whole track.
    #[default]
    Auto,
    Left,
    Right,
    /// Mean of both sides (symmetric movements seen from the front).
    Both,
}

/// A per-frame scalar the engine can follow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignalSpec {
    /// Interior joint angle in degrees (knee, hip, elbow, shoulder, ankle).
    JointAngle {
        joint: String,
        #[serde(default)]
        side: SideChoice,
    },
    /// Segment inclination from vertical in degrees (trunk/torso, shin, thigh, upper_arm)
    /// or the hip-above-knee elevation (hip_knee).
    SegmentAngle {
        segment: String,
        #[serde(default)]
        side: SideChoice,
    },
    /// Tilt of a segment away from upright in degrees, whichever way the camera looks:
    /// its inclination from the image vertical while it moves in the image plane (filmed
    /// from the side, as `segment_angle`), or, when it swings toward the camera (filmed
    /// from above), asin(projected length / true length): lying in the image plane reads
    /// 90, pointing at the camera (upright under a camera that looks down) reads 0.
    SegmentTilt {
        segment: String,
        #[serde(default)]
        side: SideChoice,
    },
    /// Height of a landmark above the floor (the ankles' lowest level) or, with
    /// `relativeTo`, above another landmark, in body units (shoulder-hip-knee-ankle
    /// chain lengths), upward positive.
    Height {
        joint: String,
        #[serde(default = "both")]
        side: SideChoice,
        #[serde(
            default,
            rename = "relativeTo",
            skip_serializing_if = "Option::is_none"
        )]
        relative_to: Option<String>,
        /// The `relativeTo` landmark stays put while the rep happens (a push-up's
        /// hands): it is read as its rolling median, so its per-frame detection
        /// noise does not enter the signal, unless it plainly moves in the image
        /// (a camera that follows the body).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        planted: bool,
    },
    /// Distance between two landmarks (e.g. "left_wrist", "right_wrist") in body units.
    Distance { from: String, to: String },
}

fn both() -> SideChoice {
    SideChoice::Both
}

/// Where the start position of a rep lies on the followed signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartPosition {
    /// Start at the high end (e.g. elbow extended in a push-up).
    High,
    /// Start at the low end (e.g. arms down in a jumping jack).
    Low,
}

/// Rep segmentation parameters (see the engine's `reps` module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepRules {
    pub start: StartPosition,
    /// Leaving the start position: normalised signal (0 = far end, 1 = start end) drops below this.
    #[serde(default = "default_enter")]
    pub enter: f64,
    /// Back at the start position: normalised signal rises above this.
    #[serde(default = "default_exit")]
    pub exit: f64,
    /// Minimum excursion in the signal's unit (degrees or body units).
    pub min_range: f64,
    /// Minimum excursion relative to the median excursion of the set's other reps
    /// (rejects set-up bends and the lesser half of a rep split by a pause).
    #[serde(default = "default_relative_range")]
    pub min_relative_range: f64,
    #[serde(default = "default_min_duration")]
    pub min_duration_s: f64,
    #[serde(default = "default_max_duration")]
    pub max_duration_s: f64,
    /// Removes slow drift (handheld camera) with a rolling median of this length; 0 = off.
    #[serde(default)]
    pub detrend_s: f64,
    /// Half-width of the window over which the signal's range is measured, so a
    /// zoom or camera change mid-set re-normalises instead of hiding reps. The default
    /// (3 s) spans a few reps at any tempo while following how deep the reps *look* as
    /// the view or the light drifts: on the robustness table (every shared clip and its
    /// honest re-recordings) it counted 114 of 125 cells exactly against 110 with 6 s,
    /// with no cell worse.
    #[serde(default = "default_window")]
    pub range_window_s: f64,
    /// The move away from the start position is the concentric half (pull-ups,
    /// sit-ups, jacks); otherwise it is the eccentric half (push-ups, squats).
    #[serde(default)]
    pub first_half_concentric: bool,
}

fn default_enter() -> f64 {
    0.35
}
fn default_exit() -> f64 {
    0.65
}
fn default_relative_range() -> f64 {
    0.5
}
fn default_min_duration() -> f64 {
    0.3
}
fn default_max_duration() -> f64 {
    15.0
}
fn default_window() -> f64 {
    3.0
}

/// A bound on a signal; either side may be open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bounds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Bounds {
    pub fn contains(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// Where in a rep a value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepPoint {
    /// At the rep's mid (the far end of the excursion).
    Bottom,
    /// At the start/end position (the better of the two).
    Top,
    /// Every frame of the rep must satisfy the bound (worst frame is reported).
    Throughout,
    /// The signal's excursion within the rep.
    Range,
    /// Rep duration in seconds (no signal needed).
    Duration,
}

/// One per-rep analysis (Guru `analysisType` / `analysisScalar` / `analysisOpinion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisSpec {
    /// UPPER_SNAKE_CASE, e.g. HIP_KNEE_ANGLE_DEGREES.
    #[serde(rename = "type")]
    pub analysis_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalSpec>,
    pub at: RepPoint,
    /// Values inside these bounds get the opinion "good", others "bad"; absent = no opinion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good: Option<Bounds>,
}

/// A form check evaluated on every rep (or every hold frame in timer mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormCheck {
    pub key: String,
    pub label: String,
    pub label_zh: String,
    pub weight: f64,
    pub rule: FormRule,
}

/// The rule of a form check: the value read at `at` must lie within `min`..`max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalSpec>,
    pub at: RepPoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// Timer-mode hold: frames where every condition holds count as holding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldRules {
    pub conditions: Vec<HoldCondition>,
    /// Holds shorter than this are ignored (passing through the posture is not holding it).
    #[serde(default = "default_min_hold")]
    pub min_segment_s: f64,
    /// Breaks shorter than this (pose glitches) do not end a hold.
    #[serde(default = "default_max_gap")]
    pub max_gap_s: f64,
}

fn default_min_hold() -> f64 {
    1.0
}
fn default_max_gap() -> f64 {
    0.5
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldCondition {
    pub signal: SignalSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A complete exercise definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExerciseDefinition {
    /// Canonical id, snake_case, e.g. "push_up".
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub name: String,
    #[serde(default)]
    pub name_zh: String,
    /// One line telling the athlete what to do (shown in the catalog).
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    /// Guru domain, e.g. "calisthenics", "weightlifting".
    #[serde(default)]
    pub domain: String,
    /// How the AI Exercise Trainer API offers this exercise; `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainer: Option<TrainerEntry>,
    pub mode: Mode,
    #[serde(default)]
    pub analyzer: AnalyzerKind,
    /// Metabolic equivalent for calorie estimates.
    pub met: f64,
    /// The signal reps are counted on (rep mode, generic / skipping analysers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalSpec>,
    /// Zero-phase low-pass cut-off applied to every followed signal.
    #[serde(default = "default_cutoff")]
    pub filter_cutoff_hz: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reps: Option<RepRules>,
    /// What to count on when the body parts of `signal` are hidden in most frames (legs
    /// behind a rack or cut by the frame): another signal with its own rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackCounting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<HoldRules>,
    #[serde(default)]
    pub analyses: Vec<AnalysisSpec>,
    #[serde(default)]
    pub form_checks: Vec<FormCheck>,
    /// How the body may move: the physical limits the authenticity checks hold a
    /// video of this exercise to.
    #[serde(default)]
    pub motion: MotionSpec,
}

/// The AI Exercise Trainer API's name for an exercise (see [`ExerciseDefinition::trainer`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainerEntry {
    /// The `exercise_type` the API accepts and reports, e.g. "pushup".
    pub exercise_type: String,
    /// Place in the API's documented list of supported exercises (1 = first).
    pub order: u32,
}

/// A second way to count reps (see [`ExerciseDefinition::fallback`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FallbackCounting {
    pub signal: SignalSpec,
    pub reps: RepRules,
}

/// Tempo of an exercise performed as intended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tempo {
    /// Strength and bodyweight moves done under control (push-up, squat, pull-up).
    Controlled,
    /// Jumps, sprints, kicks, lifts: fast by nature (the default for anything unknown).
    #[default]
    Ballistic,
}

/// How the body may move (see [`ExerciseDefinition::motion`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MotionSpec {
    #[serde(default)]
    pub tempo: Tempo,
    /// The athlete pulls themselves down against a load faster than a free fall
    /// (an Olympic lifter pulling under the bar), so the gravity clock does not apply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pulls_under: bool,
}

fn default_cutoff() -> f64 {
    3.0
}

/// Lower-cases and maps '-' and ' ' to '_' so "Push-Up" finds "push_up".
pub fn normalise_id(id: &str) -> String {
    let separated: String = id
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect();
    // Display names join words with '&' ("Sit & Reach"): the id says "and".
    separated.replace("_&_", "_and_").replace('&', "_and_")
}

/// Frames analysed per second for each hertz of a controlled exercise's filter
/// cut-off: 2.5 times the Nyquist minimum, so the zero-phase filter's pass band sits
/// well below the sampling limit and the outlier filter still sees several frames
/// per movement. A 3 Hz cut-off gives 15 fps.
const ANALYSED_FPS_PER_CUTOFF_HZ: f64 = 5.0;

impl ExerciseDefinition {
    /// How many frames per second the pose stage must analyse for this exercise (0 =
    /// every frame). A controlled exercise holds nothing above its filter cut-off,
    /// so frames beyond [`ANALYSED_FPS_PER_CUTOFF_HZ`] per hertz add inference time
    /// and no information; ballistic ones (jumps, sprints, lifts) time take-off,
    /// landing, foot contacts and the bar's catch to the frame, and get every frame.
    pub fn analysis_fps(&self) -> f64 {
        match self.motion.tempo {
            Tempo::Controlled => ANALYSED_FPS_PER_CUTOFF_HZ * self.filter_cutoff_hz,
            Tempo::Ballistic => 0.0,
        }
    }

    /// Parses and validates a definition.
    pub fn from_json(json: &str) -> Result<Self, DefinitionError> {
        let def: ExerciseDefinition =
            serde_json::from_str(json).map_err(|e| DefinitionError::Parse(e.to_string()))?;
        def.validate()?;
        Ok(def)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks everything serde cannot: names of joints, sensible numbers,
    /// and that the mode has what it needs.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        let mut errors = Vec::new();
        if self.id.is_empty() || normalise_id(&self.id) != self.id {
            errors.push(format!(
                "id {:?} must be non-empty snake_case (lower-case, '_' separated)",
                self.id
            ));
        }
        if self.name.trim().is_empty() {
            errors.push("name must not be empty".into());
        }
        if let Some(trainer) = &self.trainer {
            let name = &trainer.exercise_type;
            if name.is_empty() || normalise_id(name) != *name {
                errors.push(format!(
                    "trainer.exerciseType {name:?} must be non-empty snake_case"
                ));
            }
            if trainer.order == 0 {
                errors.push("trainer.order must be 1 or more".into());
            }
        }
        if !(self.met > 0.0 && self.met < 30.0) {
            errors.push(format!("met {} must be in 0..30", self.met));
        }
        if !(self.filter_cutoff_hz > 0.0 && self.filter_cutoff_hz <= 12.0) {
            errors.push(format!(
                "filterCutoffHz {} must be in (0, 12]",
                self.filter_cutoff_hz
            ));
        }
        if let Some(s) = &self.signal {
            check_signal("signal", s, &mut errors);
        }
        if let Some(f) = &self.fallback {
            check_signal("fallback.signal", &f.signal, &mut errors);
            if f.reps.min_range.is_nan() || f.reps.min_range <= 0.0 {
                errors.push("fallback.reps.minRange must be > 0".into());
            }
        }
        let needs_reps = self.mode == Mode::Rep
            && matches!(
                self.analyzer,
                AnalyzerKind::Generic | AnalyzerKind::Skipping
            );
        if needs_reps {
            if self.signal.is_none() {
                errors.push("rep mode needs a `signal` to count on".into());
            }
            match &self.reps {
                None => errors.push("rep mode needs `reps` rules".into()),
                Some(r) => check_rep_rules(r, &mut errors),
            }
        }
        let needs_hold = self.mode == Mode::Timer && self.analyzer != AnalyzerKind::SitAndReach;
        if needs_hold && self.hold.is_none() {
            errors.push("timer mode needs `hold` conditions".into());
        }
        if let Some(h) = &self.hold {
            if h.conditions.is_empty() {
                errors.push("hold.conditions must not be empty".into());
            }
            for (i, c) in h.conditions.iter().enumerate() {
                check_signal(
                    &format!("hold.conditions[{i}].signal"),
                    &c.signal,
                    &mut errors,
                );
                check_bounds(&format!("hold.conditions[{i}]"), c.min, c.max, &mut errors);
            }
            if h.min_segment_s < 0.0 || h.max_gap_s < 0.0 {
                errors.push("hold.minSegmentS and hold.maxGapS must be >= 0".into());
            }
        }
        for (i, a) in self.analyses.iter().enumerate() {
            let at = format!("analyses[{i}]");
            if a.analysis_type.is_empty()
                || a.analysis_type
                    .chars()
                    .any(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            {
                errors.push(format!("{at}.type must be UPPER_SNAKE_CASE"));
            }
            check_point_signal(&at, a.at, a.signal.as_ref(), &mut errors);
            if let Some(g) = &a.good {
                check_bounds(&format!("{at}.good"), g.min, g.max, &mut errors);
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (i, f) in self.form_checks.iter().enumerate() {
            let at = format!("formChecks[{i}]");
            if f.key.is_empty() || !keys.insert(f.key.clone()) {
                errors.push(format!("{at}.key must be non-empty and unique"));
            }
            if f.label.is_empty() {
                errors.push(format!("{at}.label must not be empty"));
            }
            if !(f.weight > 0.0 && f.weight.is_finite()) {
                errors.push(format!("{at}.weight must be positive"));
            }
            check_point_signal(
                &format!("{at}.rule"),
                f.rule.at,
                f.rule.signal.as_ref(),
                &mut errors,
            );
            check_bounds(&format!("{at}.rule"), f.rule.min, f.rule.max, &mut errors);
            if f.rule.min.is_none() && f.rule.max.is_none() {
                errors.push(format!("{at}.rule needs min and/or max"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DefinitionError::Invalid(errors))
        }
    }
}

fn check_rep_rules(r: &RepRules, errors: &mut Vec<String>) {
    if !(0.0 < r.enter && r.enter < r.exit && r.exit < 1.0) {
        errors.push(format!(
            "reps.enter ({}) and reps.exit ({}) must satisfy 0 < enter < exit < 1 (hysteresis)",
            r.enter, r.exit
        ));
    }
    if r.min_range.is_nan() || r.min_range <= 0.0 {
        errors.push("reps.minRange must be positive".into());
    }
    if !(0.0..=1.0).contains(&r.min_relative_range) {
        errors.push("reps.minRelativeRange must be in 0..1".into());
    }
    if !(r.min_duration_s >= 0.0 && r.max_duration_s > r.min_duration_s) {
        errors.push("reps.minDurationS must be >= 0 and below reps.maxDurationS".into());
    }
    if r.range_window_s.is_nan() || r.range_window_s <= 0.0 {
        errors.push("reps.rangeWindowS must be positive".into());
    }
    if r.detrend_s < 0.0 {
        errors.push("reps.detrendS must be >= 0".into());
    }
}

fn check_bounds(at: &str, min: Option<f64>, max: Option<f64>, errors: &mut Vec<String>) {
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        errors.push(format!("{at}: min {a} is above max {b}"));
    }
}

fn check_point_signal(
    at: &str,
    point: RepPoint,
    signal: Option<&SignalSpec>,
    errors: &mut Vec<String>,
) {
    match (point, signal) {
        (RepPoint::Duration, _) => {}
        (_, None) => errors.push(format!("{at} needs a signal")),
        (_, Some(s)) => check_signal(&format!("{at}.signal"), s, errors),
    }
}

fn check_signal(at: &str, s: &SignalSpec, errors: &mut Vec<String>) {
    match s {
        SignalSpec::JointAngle { joint, .. } => {
            if JointAngle::parse(joint).is_none() {
                errors.push(format!(
                    "{at}: unknown joint angle {joint:?} (knee, hip, elbow, shoulder, ankle)"
                ));
            }
        }
        SignalSpec::SegmentAngle { segment, .. } | SignalSpec::SegmentTilt { segment, .. } => {
            if SegmentAngle::parse(segment).is_none() {
                errors.push(format!(
                    "{at}: unknown segment {segment:?} (trunk, torso, shin, thigh, upper_arm, hip_knee)"
                ));
            }
        }
        SignalSpec::Height {
            joint,
            relative_to,
            planted,
            ..
        } => {
            if *planted && relative_to.is_none() {
                errors.push(format!(
                    "{at}: planted applies to the relativeTo landmark, and none is given"
                ));
            }
            for j in std::iter::once(joint).chain(relative_to) {
                if j != "nose" && Limb::parse(j).is_none() {
                    errors.push(format!(
                        "{at}: unknown landmark {j:?} for a height (e.g. hip, shoulder, wrist)"
                    ));
                }
            }
        }
        SignalSpec::Distance { from, to } => {
            for j in [from, to] {
                if fitvision_kinematics::Joint::parse(j).is_none() {
                    errors.push(format!("{at}: unknown landmark {j:?} (e.g. left_wrist)"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "id": "my_curl", "name": "Curl", "mode": "rep", "met": 3.5,
        "signal": {"kind": "joint_angle", "joint": "elbow"},
        "reps": {"start": "high", "minRange": 40}
    }"#;

    #[test]
    fn minimal_definition_parses_with_defaults() {
        let d = ExerciseDefinition::from_json(MINIMAL).unwrap();
        assert_eq!(d.analyzer, AnalyzerKind::Generic);
        let r = d.reps.unwrap();
        assert_eq!((r.enter, r.exit), (0.35, 0.65));
    }

    #[test]
    fn every_problem_is_reported() {
        let bad = r#"{
            "id": "Bad Id", "name": "", "mode": "rep", "met": -1,
            "signal": {"kind": "joint_angle", "joint": "wrist"},
            "reps": {"start": "high", "minRange": 40, "enter": 0.8, "exit": 0.2},
            "formChecks": [{"key": "k", "label": "L", "labelZh": "", "weight": 0,
                            "rule": {"at": "bottom"}}]
        }"#;
        let err = ExerciseDefinition::from_json(bad).unwrap_err();
        let msgs = err.messages();
        for needle in [
            "snake_case",
            "name",
            "met",
            "wrist",
            "hysteresis",
            "weight",
            "needs a signal",
            "min and/or max",
        ] {
            assert!(
                msgs.iter().any(|m| m.contains(needle)),
                "missing {needle}: {msgs:?}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let typo = MINIMAL.replace("\"met\"", "\"mett\": 1, \"met\"");
        assert!(matches!(
            ExerciseDefinition::from_json(&typo),
            Err(DefinitionError::Parse(m)) if m.contains("mett")
        ));
    }

    #[test]
    fn ids_normalise() {
        assert_eq!(normalise_id(" Push-Up "), "push_up");
        assert_eq!(normalise_id("squat-basic"), "squat_basic");
        assert_eq!(normalise_id("Sit & Reach"), "sit_and_reach");
        assert_eq!(normalise_id("sit&reach"), "sit_and_reach");
    }
}
