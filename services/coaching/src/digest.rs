//! The measured numbers of one `AnalysisResult`, converted into the caller's
//! units: the single source both the built-in coach and the LLM prompt use,
//! so every number either of them states comes from here.

use fitvision_exercise_engine::names::{metrics, phases, series};
use fitvision_proto::v1::{AnalysisResult, FormViolation, Phase, Series};

use crate::catalog;
use crate::language::Language;
use crate::units::{DisplayUnit, Measure, SourceUnit, UnitSystem};

/// A form check that failed at least once, with its measured frequency.
#[derive(Clone, Debug)]
pub struct Fault<'a> {
    pub check: &'a FormViolation,
    /// Share of checks that failed, as a percentage.
    pub rate: Measure,
}

impl Fault<'_> {
    /// Weight times the share of checks failed.
    pub fn impact(&self) -> f64 {
        self.check.weight * self.rate.value / 100.0
    }

    pub fn label(&self, language: Language) -> String {
        check_label(self.check, language)
    }
}

/// Label of a form check in the language, falling back to the other language
/// and then to the key.
pub fn check_label(check: &FormViolation, language: Language) -> String {
    let preferred = match language {
        Language::English => [&check.label, &check.label_zh],
        Language::Chinese => [&check.label_zh, &check.label],
    };
    preferred
        .into_iter()
        .find(|label| !label.trim().is_empty())
        .map(|label| label.trim().to_owned())
        .unwrap_or_else(|| catalog::humanise(&check.key))
}

/// A scalar metric from `AnalysisResult.metrics`, named and converted.
#[derive(Clone, Debug)]
pub struct NamedMeasure {
    pub key: String,
    pub label: String,
    pub measure: Measure,
}

/// Per-set figures of one exercise.
#[derive(Clone, Debug)]
pub struct ExerciseDigest<'a> {
    pub result: &'a AnalysisResult,
    /// Catalog id (aliases resolved).
    pub exercise_id: String,
    pub name: String,
    pub timed: bool,
    pub duration: Option<Measure>,
    pub hold_time: Option<Measure>,
    pub form_score: Option<Measure>,
    pub pose_accuracy: Option<Measure>,
    pub calories: Option<Measure>,
    /// Failed checks, heaviest weight first (ties: most frequent first).
    pub faults: Vec<Fault<'a>>,
    /// Checks that ran and never failed.
    pub clean_checks: Vec<&'a FormViolation>,
    /// Reps on which every form check passed, when reps were reported.
    pub clean_reps: Option<u32>,
    /// Smallest and largest range of motion over the reps (degrees).
    pub range_of_motion: Option<(Measure, Measure)>,
    /// Mean seconds down (eccentric) and up (concentric).
    pub tempo: Option<(Measure, Measure)>,
    pub metrics: Vec<NamedMeasure>,
}

/// Share of checks that failed, 0..1. Uses the engine's rate, or the counts
/// when the rate is missing; a rate above 1 is taken as already a percentage.
fn failure_share(check: &FormViolation) -> f64 {
    if check.violation_rate > 1.0 {
        return check.violation_rate / 100.0;
    }
    if check.violation_rate > 0.0 || check.total_checks == 0 {
        return check.violation_rate.max(0.0);
    }
    f64::from(check.violation_count) / f64::from(check.total_checks)
}

fn positive(value: f64) -> Option<f64> {
    (value.is_finite() && value > 0.0).then_some(value)
}

impl<'a> ExerciseDigest<'a> {
    pub fn new(result: &'a AnalysisResult, system: UnitSystem, language: Language) -> Self {
        let mut faults: Vec<Fault<'a>> = result
            .form_violations
            .iter()
            .filter(|check| check.violation_count > 0 || failure_share(check) > 0.0)
            .map(|check| Fault {
                check,
                rate: Measure::percent_of_share(failure_share(check)),
            })
            .collect();
        faults.sort_by(|a, b| {
            b.check
                .weight
                .total_cmp(&a.check.weight)
                .then(b.rate.value.total_cmp(&a.rate.value))
        });
        let clean_checks = result
            .form_violations
            .iter()
            .filter(|check| check.total_checks > 0 && check.violation_count == 0)
            .collect();

        // Without form checks the engine's score is a placeholder, not a measurement.
        let form_score = (!result.form_violations.is_empty())
            .then(|| Measure::percent_of_share(result.form_score));

        Self {
            result,
            exercise_id: catalog::canonical_id(&result.exercise_id),
            name: catalog::exercise_name(&result.exercise_id, language),
            timed: result.mode.eq_ignore_ascii_case("timer"),
            duration: positive(result.duration_s).map(Measure::seconds),
            hold_time: positive(result.hold_time_s).map(Measure::seconds),
            form_score,
            pose_accuracy: positive(result.pose_accuracy).map(Measure::percent_of_share),
            calories: positive(result.calories_kcal)
                .map(|kcal| Measure::new(kcal, DisplayUnit::Kilocalorie)),
            faults,
            clean_checks,
            clean_reps: (!result.reps.is_empty())
                .then(|| result.reps.iter().filter(|rep| rep.good_form).count() as u32),
            range_of_motion: range_of_motion(result),
            tempo: tempo(result),
            metrics: named_metrics(result, system, language),
        }
    }

    pub fn rep_count(&self) -> u32 {
        self.result.rep_count
    }

    /// The headline measure of a performance exercise (jump height, distance,
    /// reach, cadence), when measured.
    pub fn headline_metric(&self) -> Option<&NamedMeasure> {
        const HEADLINES: &[&str] = &[
            metrics::JUMP_HEIGHT_CM,
            metrics::JUMP_DISTANCE_CM,
            metrics::REACH_DISTANCE_CM,
            metrics::CADENCE_PER_MIN,
        ];
        HEADLINES
            .iter()
            .find_map(|key| self.metrics.iter().find(|metric| metric.key == *key))
    }

    /// The heaviest fault (the list's first).
    pub fn top_fault(&self) -> Option<&Fault<'a>> {
        self.faults.first()
    }

    /// Faults by what they cost the form score (weight x share failed), most
    /// first: what to work on, even when a lighter check fails on every rep.
    pub fn faults_by_impact(&self) -> Vec<&Fault<'a>> {
        let mut faults: Vec<&Fault<'a>> = self.faults.iter().collect();
        faults.sort_by(|a, b| b.impact().total_cmp(&a.impact()));
        faults
    }
}

/// Range of motion per rep, when it is an angle. Other followed signals are in
/// body-relative units (or metres of bar travel for lifts) that mean little
/// to an athlete, so they are left out rather than mislabelled.
fn range_of_motion(result: &AnalysisResult) -> Option<(Measure, Measure)> {
    let unit = result
        .series
        .get(series::FOLLOWED_SIGNAL)
        .map(|series| SourceUnit::parse(&series.unit));
    if unit != Some(SourceUnit::Degree) {
        return None;
    }
    let values: Vec<f64> = result
        .reps
        .iter()
        .filter_map(|rep| positive(rep.range_of_motion))
        .collect();
    let min = values.iter().copied().reduce(f64::min)?;
    let max = values.iter().copied().reduce(f64::max)?;
    Some((
        Measure::new(min, DisplayUnit::Degree),
        Measure::new(max, DisplayUnit::Degree),
    ))
}

fn tempo(result: &AnalysisResult) -> Option<(Measure, Measure)> {
    let timed: Vec<_> = result
        .reps
        .iter()
        .filter(|rep| rep.eccentric_s > 0.0 && rep.concentric_s > 0.0)
        .collect();
    if timed.is_empty() {
        return None;
    }
    let count = timed.len() as f64;
    let down = timed.iter().map(|rep| rep.eccentric_s).sum::<f64>() / count;
    let up = timed.iter().map(|rep| rep.concentric_s).sum::<f64>() / count;
    Some((Measure::seconds(down), Measure::seconds(up)))
}

/// Chinese names of the scalar metrics the engine is known to report.
const METRIC_NAMES_ZH: &[(&str, &str)] = &[
    ("jump_height", "跳跃高度"),
    ("takeoff_velocity", "起跳速度"),
    ("max_bar_velocity", "杠铃最大上升速度"),
    ("max_hip_velocity", "髋部最大速度"),
    ("bar_horizontal_displacement", "杠铃水平位移"),
    ("lift_duration", "动作用时"),
    ("runner_distance", "跑动距离"),
    ("average_speed", "平均速度"),
    ("distance", "距离"),
    ("jump_distance", "跳远距离"),
    ("reach_distance", "前伸距离"),
    ("cadence", "频率"),
    ("jump_count", "跳跃次数"),
    ("flight_time", "腾空时间"),
    ("ground_contact_time", "触地时间"),
    ("max_bar_speed", "最大杠铃速度"),
    ("peak_bar_speed", "杠铃峰值速度"),
    ("mean_bar_speed", "平均杠铃速度"),
    ("peak_power", "峰值功率"),
    ("max_power", "最大功率"),
    ("mean_power", "平均功率"),
    ("max_grf", "最大地面反作用力"),
    ("peak_grf", "峰值地面反作用力"),
    ("max_bar_height", "杠铃最大高度"),
    ("bar_height_max", "杠铃最大高度"),
    ("total_time", "总用时"),
    ("stride_count", "步数"),
    ("stride_length", "步长"),
    ("mean_stride_air_time", "平均腾空时间"),
    ("mean_stride_ground_time", "平均触地时间"),
    ("speed", "速度"),
    ("hip_knee_angle", "髋膝角度"),
    ("min_knee_angle", "最小膝关节角度"),
    ("min_hip_angle", "最小髋关节角度"),
    ("min_elbow_angle", "最小肘关节角度"),
    ("body_mass", "体重"),
    ("barbell_mass", "杠铃重量"),
];

/// Metric keys already covered by dedicated fields of `AnalysisResult`.
const DUPLICATED_KEYS: &[&str] = &[
    "rep_count",
    "form_score",
    "pose_accuracy",
    "duration_s",
    "hold_time_s",
    "calories_kcal",
];

/// Name of a metric in running text, e.g. `max_bar_speed` -> "max bar speed".
pub fn metric_label(base: &str, language: Language) -> String {
    if language == Language::Chinese
        && let Some((_, chinese)) = METRIC_NAMES_ZH.iter().find(|(key, _)| *key == base)
    {
        return (*chinese).to_owned();
    }
    base.replace('_', " ")
}

fn named_metrics(
    result: &AnalysisResult,
    system: UnitSystem,
    language: Language,
) -> Vec<NamedMeasure> {
    let mut metrics: Vec<NamedMeasure> = result
        .metrics
        .iter()
        .filter(|(key, value)| {
            // Timestamps locate events for charts; they are not achievements.
            value.is_finite()
                && !DUPLICATED_KEYS.contains(&key.as_str())
                && !key.contains("timestamp")
        })
        .map(|(key, value)| {
            let (base, unit) = SourceUnit::split_metric_key(key);
            NamedMeasure {
                key: key.clone(),
                label: metric_label(base, language),
                measure: Measure::convert(*value, unit, system),
            }
        })
        .collect();
    // The map has no order; sorted keys keep the text deterministic.
    metrics.sort_by(|a, b| a.key.cmp(&b.key));
    metrics
}

/// Summary of one time series, in display units.
#[derive(Clone, Debug)]
pub struct SeriesDigest {
    /// Key the series was found under.
    pub key: String,
    pub samples: usize,
    pub first: Measure,
    pub last: Measure,
    pub min: Measure,
    pub max: Measure,
    pub mean: Measure,
    /// Seconds from the start of the series to the extreme, when timestamps exist.
    pub time_of_max: Option<Measure>,
    pub time_of_min: Option<Measure>,
    /// Movement phase (snake_case) during which the extreme occurred.
    pub phase_of_max: Option<String>,
    pub phase_of_min: Option<String>,
}

impl SeriesDigest {
    /// Largest minus smallest value.
    pub fn span(&self) -> Measure {
        Measure::new(self.max.value - self.min.value, self.max.unit)
    }

    /// Last minus first value.
    pub fn net_change(&self) -> Measure {
        Measure::new(self.last.value - self.first.value, self.last.unit)
    }
}

/// The first of `keys` present in the result's series with at least one finite value.
pub fn find_series<'r>(result: &'r AnalysisResult, keys: &[&str]) -> Option<(&'r str, &'r Series)> {
    keys.iter().find_map(|wanted| {
        result
            .series
            .get_key_value(*wanted)
            .filter(|(_, series)| series.values.iter().any(|value| value.is_finite()))
            .map(|(key, series)| (key.as_str(), series))
    })
}

/// Digest of the first series among `keys`, or `None` when none was measured.
pub fn digest_series(
    result: &AnalysisResult,
    keys: &[&str],
    system: UnitSystem,
) -> Option<SeriesDigest> {
    let (key, series) = find_series(result, keys)?;
    let mut unit = SourceUnit::parse(&series.unit);
    let mut finite: Vec<(usize, f64)> = series
        .values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, value)| value.is_finite())
        .collect();
    // Sub-metre travel (bar path, hip height) reads better in cm (in).
    if unit == SourceUnit::Metre && finite.iter().all(|(_, value)| value.abs() < 1.0) {
        unit = SourceUnit::Centimetre;
        finite.iter_mut().for_each(|(_, value)| *value *= 100.0);
    }
    let (first_index, first) = *finite.first()?;
    let (_, last) = *finite.last()?;
    let (max_index, max) = finite
        .iter()
        .copied()
        .reduce(|best, item| if item.1 > best.1 { item } else { best })?;
    let (min_index, min) = finite
        .iter()
        .copied()
        .reduce(|best, item| if item.1 < best.1 { item } else { best })?;
    let mean = finite.iter().map(|(_, value)| value).sum::<f64>() / finite.len() as f64;
    let convert = |value: f64| Measure::convert(value, unit, system);

    let timestamps = &result.series_timestamps_ms;
    let start_ms = timestamps.get(first_index).copied();
    let time_of = |index: usize| {
        let at = timestamps.get(index)?;
        Some(Measure::seconds((at - start_ms?) / 1000.0))
    };
    let phase_of = |index: usize| {
        timestamps
            .get(index)
            .and_then(|at| phase_at(&result.phases, *at))
            .map(|phase| phase.name.clone())
    };
    Some(SeriesDigest {
        key: key.to_owned(),
        samples: finite.len(),
        first: convert(first),
        last: convert(last),
        min: convert(min),
        max: convert(max),
        mean: convert(mean),
        time_of_max: time_of(max_index),
        time_of_min: time_of(min_index),
        phase_of_max: phase_of(max_index),
        phase_of_min: phase_of(min_index),
    })
}

fn phase_at(phases: &[Phase], timestamp_ms: f64) -> Option<&Phase> {
    phases.iter().find(|phase| {
        phase.start_timestamp_ms <= timestamp_ms && timestamp_ms <= phase.end_timestamp_ms
    })
}

/// Name of a movement phase in running text.
pub fn phase_label(phase: &str, language: Language) -> String {
    let names: &[(&str, &str, &str)] = &[
        (phases::SETUP, "set-up", "预备"),
        (phases::FIRST_PULL, "first pull", "第一次提拉"),
        (phases::TRANSITION, "transition", "过渡"),
        (phases::SECOND_PULL, "second pull", "第二次提拉"),
        (phases::TURNOVER, "turnover", "翻杠"),
        (phases::CATCH, "catch", "接杠"),
        (phases::RECOVERY, "recovery", "起立"),
        (phases::JERK, "jerk", "上挺"),
        (phases::JERK_RECOVERY, "jerk recovery", "上挺后起立"),
        ("dip", "dip", "预蹲"),
        ("drive", "drive", "上挺发力"),
        ("jerk_dip", "jerk dip", "上挺预蹲"),
        ("jerk_drive", "jerk drive", "上挺发力"),
        ("split", "split", "分腿"),
        ("jerk_catch", "jerk catch", "上挺接杠"),
        (phases::FLIGHT, "flight", "腾空"),
        (phases::HOLD, "hold", "保持"),
        ("eccentric", "lowering", "下放"),
        ("concentric", "lifting", "上升"),
    ];
    names
        .iter()
        .find(|(key, _, _)| *key == phase)
        .map(|(_, english, chinese)| language.pick(english, chinese).to_owned())
        .unwrap_or_else(|| phase.replace('_', " "))
}
