//! What to draw at each moment, worked out once from the stored results.
//!
//! Pure data: no OpenCV, no I/O, so the timing rules (the counter ticks at a
//! rep's end, phases and flight by timestamp, flags over their evidence) are
//! unit-tested exactly.

use fitvision_exercise_engine::names::{metrics, phases};
use fitvision_proto::v1::{AnalysisResult, AuthenticityReport, RiskLevel};

use super::skeleton::joint_index;

/// A key angle to print, with the joint it belongs to when the name says.
#[derive(Debug, Clone, PartialEq)]
pub struct AngleTrack {
    pub label: String,
    /// COCO-17 index of the vertex joint, when the series name names one.
    pub joint: Option<usize>,
    pub unit: String,
    values: Vec<f64>,
}

/// One authenticity flag and when it applies (`None` = the whole video).
#[derive(Debug, Clone, PartialEq)]
pub struct FlagSpan {
    pub label: String,
    pub spans_ms: Option<Vec<(f64, f64)>>,
}

/// The overall verdict line, drawn only when it says something.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub text: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Ok,
    Warn,
    Bad,
}

/// A named phase by time.
#[derive(Debug, Clone, PartialEq)]
struct PhaseSpan {
    name: String,
    start_ms: f64,
    end_ms: f64,
}

/// Exercises where a barbell moves with the athlete, and where it sits on the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarAnchor {
    /// Back squat: the bar rides on the shoulders.
    Shoulders,
    /// Bench, deadlift, Olympic lifts: the bar is in the hands.
    Wrists,
}

/// Everything the overlay needs, in time order.
#[derive(Debug, Clone, Default)]
pub struct OverlayPlan {
    rep_end_ms: Vec<f64>,
    phases: Vec<PhaseSpan>,
    flights: Vec<(f64, f64)>,
    angle_times_ms: Vec<f64>,
    angles: Vec<AngleTrack>,
    /// Largest gap between a frame and an angle sample still drawn.
    angle_tolerance_ms: f64,
    pub exercise_id: String,
    pub timer_mode: bool,
    pub rep_count: u32,
    pub hold_time_s: Option<f64>,
    pub jump_height_cm: Option<f64>,
    pub jump_distance_cm: Option<f64>,
    pub bar_anchor: Option<BarAnchor>,
    pub subject_track_id: Option<u32>,
    pub flags: Vec<FlagSpan>,
    pub verdict: Option<Verdict>,
}

/// At most this many key angles are printed: more is clutter on a phone.
const MAX_ANGLES: usize = 2;

impl OverlayPlan {
    pub fn new(result: Option<&AnalysisResult>, authenticity: Option<&AuthenticityReport>) -> Self {
        let mut plan = OverlayPlan::default();
        if let Some(result) = result {
            plan.add_result(result);
        }
        if let Some(report) = authenticity {
            plan.add_authenticity(report);
        }
        plan
    }

    fn add_result(&mut self, result: &AnalysisResult) {
        self.exercise_id = result.exercise_id.clone();
        self.timer_mode = result.mode == "timer";
        self.rep_count = result.rep_count;
        self.rep_end_ms = result.reps.iter().map(|rep| rep.end_timestamp_ms).collect();
        self.rep_end_ms.sort_by(f64::total_cmp);
        self.hold_time_s = (result.hold_time_s > 0.0).then_some(result.hold_time_s);
        for phase in &result.phases {
            let span = PhaseSpan {
                name: phase.name.clone(),
                start_ms: phase.start_timestamp_ms,
                end_ms: phase.end_timestamp_ms,
            };
            if phase.name == phases::FLIGHT {
                self.flights.push((span.start_ms, span.end_ms));
            }
            self.phases.push(span);
        }
        self.phases
            .sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
        self.jump_height_cm = result
            .metrics
            .get(metrics::JUMP_HEIGHT_CM)
            .copied()
            .filter(|v| v.is_finite());
        self.jump_distance_cm = result
            .metrics
            .get(metrics::JUMP_DISTANCE_CM)
            .copied()
            .filter(|v| v.is_finite());
        self.bar_anchor = bar_anchor(&result.exercise_id);
        self.subject_track_id = Some(result.subject_track_id);
        self.angle_times_ms = result.series_timestamps_ms.clone();
        self.angle_tolerance_ms = 1.5 * median_step(&self.angle_times_ms).unwrap_or(50.0);
        self.angles = key_angles(result);
    }

    fn add_authenticity(&mut self, report: &AuthenticityReport) {
        for check in report.checks.iter().filter(|check| check.flagged) {
            let spans: Vec<(f64, f64)> = check
                .evidence
                .iter()
                .filter(|e| e.end_timestamp_ms >= e.start_timestamp_ms && e.end_timestamp_ms > 0.0)
                .map(|e| (e.start_timestamp_ms, e.end_timestamp_ms))
                .collect();
            self.flags.push(FlagSpan {
                label: check_label(&check.check),
                spans_ms: (!spans.is_empty()).then_some(spans),
            });
        }
        let risk = RiskLevel::try_from(report.risk_level).unwrap_or(RiskLevel::Unspecified);
        let severity = match risk {
            RiskLevel::High => Severity::Bad,
            RiskLevel::Medium => Severity::Warn,
            // An honest video says nothing about authenticity on screen: the athlete
            // and coach watch the movement, and a line on every clean video is noise
            // (the verdict stays in the result and the report).
            RiskLevel::Low if !report.blocked => return,
            RiskLevel::Low => Severity::Ok,
            RiskLevel::Unspecified => return,
        };
        let word = match risk {
            RiskLevel::High => "HIGH",
            RiskLevel::Medium => "MEDIUM",
            _ => "LOW",
        };
        let blocked = if report.blocked { ", blocked" } else { "" };
        self.verdict = Some(Verdict {
            text: format!(
                "Authenticity: {word} risk ({:.0}/100{blocked})",
                report.score
            ),
            severity,
        });
    }

    /// Reps finished by `t_ms`: the counter ticks on the frame where a rep ends.
    pub fn reps_done_at(&self, t_ms: f64) -> usize {
        // Half a millisecond absorbs rounding between stored and decoded timestamps.
        self.rep_end_ms.partition_point(|&end| end <= t_ms + 0.5)
    }

    /// The phase under way at `t_ms` (the last one started, while it lasts),
    /// with its start time.
    pub fn phase_at(&self, t_ms: f64) -> Option<(&str, f64)> {
        self.phases
            .iter()
            .rev()
            .find(|p| p.start_ms <= t_ms && t_ms < p.end_ms)
            .map(|p| (p.name.as_str(), p.start_ms))
    }

    /// The flight (take-off, landing) containing `t_ms`.
    pub fn flight_at(&self, t_ms: f64) -> Option<(f64, f64)> {
        self.flights
            .iter()
            .copied()
            .find(|&(start, end)| start <= t_ms && t_ms < end)
    }

    /// Whether a flight has finished by `t_ms` (the height is then known on screen).
    pub fn landed_by(&self, t_ms: f64) -> bool {
        self.flights.iter().any(|&(_, end)| end <= t_ms)
    }

    pub fn has_flights(&self) -> bool {
        !self.flights.is_empty()
    }

    /// Key angle values at `t_ms` from the nearest sample within tolerance.
    pub fn angles_at(&self, t_ms: f64) -> Vec<(&AngleTrack, f64)> {
        let Some(i) = nearest_index(&self.angle_times_ms, t_ms) else {
            return Vec::new();
        };
        if (self.angle_times_ms[i] - t_ms).abs() > self.angle_tolerance_ms {
            return Vec::new();
        }
        self.angles
            .iter()
            .filter_map(|track| {
                let value = *track.values.get(i)?;
                value.is_finite().then_some((track, value))
            })
            .collect()
    }

    /// Flags that apply at `t_ms`.
    pub fn flags_at(&self, t_ms: f64) -> impl Iterator<Item = &str> {
        self.flags
            .iter()
            .filter(move |flag| match &flag.spans_ms {
                None => true,
                Some(spans) => spans.iter().any(|&(a, b)| a <= t_ms && t_ms <= b),
            })
            .map(|flag| flag.label.as_str())
    }

    /// Phase boundaries worth a snapshot (the Weightlifting API's `phase_data`): the start of the
    /// lift and the end of every phase, as (name, timestamp ms).
    pub fn snapshot_moments(&self) -> Vec<(String, f64)> {
        let mut moments = Vec::new();
        if let Some(first) = self.phases.first() {
            moments.push(("start_of_lifting".to_owned(), first.start_ms));
        }
        for phase in &self.phases {
            moments.push((format!("{}_end", phase.name), phase.end_ms));
        }
        moments
    }
}

fn bar_anchor(exercise_id: &str) -> Option<BarAnchor> {
    match exercise_id {
        "squat" | "back_squat" | "front_squat" => Some(BarAnchor::Shoulders),
        "bench_press" | "deadlift" | "clean" | "clean_and_jerk" | "snatch" | "overhead_press" => {
            Some(BarAnchor::Wrists)
        }
        _ => None,
    }
}

/// "text_overlay" -> "Text overlay"
fn check_label(check: &str) -> String {
    let text = check.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Flagged".to_owned(),
    }
}

/// The angle series that move most are the ones that tell the rep: choose them
/// by their robust range instead of a per-exercise list, so new exercises work.
fn key_angles(result: &AnalysisResult) -> Vec<AngleTrack> {
    let n = result.series_timestamps_ms.len();
    // The joints the exercise measures per rep ("ELBOW_ANGLE_DEGREES" -> "elbow") come
    // first: on a poorly seen body a joint the exercise does not use (the legs of a
    // close-up push-up) can swing more in pose noise than the elbow in the reps.
    let measured: Vec<String> = result
        .reps
        .iter()
        .flat_map(|rep| &rep.analyses)
        .filter_map(|a| {
            let kind = a.analysis_type.to_ascii_lowercase();
            kind.strip_suffix("_angle_degrees").map(str::to_owned)
        })
        .collect();
    let is_measured = |name: &str| measured.iter().any(|joint| name.contains(joint.as_str()));
    let mut candidates: Vec<(bool, f64, AngleTrack)> = result
        .series
        .iter()
        .filter(|(name, series)| {
            series.values.len() == n && (series.unit == "deg" || name.contains("angle"))
        })
        .filter_map(|(name, series)| {
            let spread = robust_range(&series.values)?;
            Some((
                is_measured(name),
                spread,
                AngleTrack {
                    label: angle_label(name),
                    joint: joint_of_series(name),
                    unit: if series.unit.is_empty() {
                        "deg".to_owned()
                    } else {
                        series.unit.clone()
                    },
                    values: series.values.clone(),
                },
            ))
        })
        .collect();
    // Measured joints first, then the largest movement; the name breaks ties so the
    // output is deterministic.
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| a.2.label.cmp(&b.2.label))
    });
    candidates
        .into_iter()
        .take(MAX_ANGLES)
        .map(|(_, _, track)| track)
        .collect()
}

/// "left_knee_angle" -> "L knee"; "trunk_angle" -> "Trunk".
fn angle_label(name: &str) -> String {
    let mut words: Vec<&str> = name
        .split('_')
        .filter(|w| !w.is_empty() && *w != "angle" && *w != "deg")
        .collect();
    let side = match words.first() {
        Some(&"left") => Some("L"),
        Some(&"right") => Some("R"),
        _ => None,
    };
    if side.is_some() {
        words.remove(0);
    }
    let body = words.join(" ");
    let mut body_chars = body.chars();
    let body = match (side, body_chars.next()) {
        (Some(_), _) => body.clone(),
        (None, Some(first)) => first.to_uppercase().chain(body_chars).collect(),
        (None, None) => name.to_owned(),
    };
    match side {
        Some(side) => format!("{side} {body}"),
        None => body,
    }
}

/// The vertex joint a series such as "left_knee_angle" is measured at.
fn joint_of_series(name: &str) -> Option<usize> {
    let words: Vec<&str> = name.split('_').collect();
    words
        .windows(2)
        .find_map(|pair| joint_index(pair[0], pair[1]))
}

/// 95th minus 5th percentile of the finite values; None when too few.
fn robust_range(values: &[f64]) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() < 3 {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    let at = |q: f64| finite[((finite.len() - 1) as f64 * q).round() as usize];
    Some(at(0.95) - at(0.05))
}

fn median_step(times: &[f64]) -> Option<f64> {
    let mut steps: Vec<f64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_by(f64::total_cmp);
    Some(steps[steps.len() / 2])
}

/// Index of the sample nearest to `t` in sorted `times`.
fn nearest_index(times: &[f64], t: f64) -> Option<usize> {
    if times.is_empty() {
        return None;
    }
    let after = times.partition_point(|&x| x < t);
    if after == 0 {
        return Some(0);
    }
    if after == times.len() {
        return Some(times.len() - 1);
    }
    Some(if times[after] - t < t - times[after - 1] {
        after
    } else {
        after - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_proto::v1::{AuthenticityCheck, Evidence, Phase, Rep, RepAnalysis, Series};

    fn rep(end_ms: f64) -> Rep {
        Rep {
            end_timestamp_ms: end_ms,
            ..Default::default()
        }
    }

    #[test]
    fn counter_ticks_exactly_at_each_rep_end() {
        let result = AnalysisResult {
            reps: vec![rep(1000.0), rep(2000.0), rep(3000.0)],
            ..Default::default()
        };
        let plan = OverlayPlan::new(Some(&result), None);
        assert_eq!(plan.reps_done_at(0.0), 0);
        assert_eq!(plan.reps_done_at(999.0), 0);
        assert_eq!(plan.reps_done_at(1000.0), 1);
        assert_eq!(plan.reps_done_at(1999.4), 1);
        assert_eq!(plan.reps_done_at(2000.0), 2);
        assert_eq!(plan.reps_done_at(10_000.0), 3);
    }

    #[test]
    fn phases_flight_and_snapshot_moments_follow_time() {
        let phase = |name: &str, a: f64, b: f64| Phase {
            name: name.to_owned(),
            start_timestamp_ms: a,
            end_timestamp_ms: b,
            ..Default::default()
        };
        let result = AnalysisResult {
            phases: vec![
                phase("flight", 900.0, 1700.0),
                phase("setup", 0.0, 500.0),
                phase("first_pull", 500.0, 900.0),
            ],
            metrics: [("jump_height_cm".to_owned(), 74.0)].into(),
            ..Default::default()
        };
        let plan = OverlayPlan::new(Some(&result), None);
        assert_eq!(plan.phase_at(-1.0), None);
        assert_eq!(plan.phase_at(0.0), Some(("setup", 0.0)));
        assert_eq!(plan.phase_at(500.0), Some(("first_pull", 500.0)));
        assert_eq!(plan.phase_at(1000.0), Some(("flight", 900.0)));
        assert_eq!(plan.phase_at(1700.0), None);
        assert_eq!(plan.flight_at(1200.0), Some((900.0, 1700.0)));
        assert_eq!(plan.flight_at(1700.0), None);
        assert!(!plan.landed_by(1699.0));
        assert!(plan.landed_by(1700.0));
        assert_eq!(plan.jump_height_cm, Some(74.0));
        let names: Vec<String> = plan
            .snapshot_moments()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "start_of_lifting",
                "setup_end",
                "first_pull_end",
                "flight_end"
            ]
        );
    }

    #[test]
    fn key_angles_are_the_series_that_move_most() {
        let times: Vec<f64> = (0..10).map(|i| f64::from(i) * 100.0).collect();
        let series = |values: Vec<f64>| Series {
            unit: "deg".to_owned(),
            values,
        };
        let result = AnalysisResult {
            series_timestamps_ms: times,
            series: [
                (
                    "left_knee_angle".to_owned(),
                    series((0..10).map(|i| 90.0 + 10.0 * f64::from(i)).collect()),
                ),
                ("trunk_angle".to_owned(), series(vec![10.0; 10])),
                (
                    "right_elbow_angle".to_owned(),
                    series((0..10).map(|i| 100.0 + 2.0 * f64::from(i)).collect()),
                ),
                (
                    "bar_velocity".to_owned(),
                    Series {
                        unit: "m/s".to_owned(),
                        values: vec![1.0; 10],
                    },
                ),
            ]
            .into(),
            ..Default::default()
        };
        let plan = OverlayPlan::new(Some(&result), None);
        let at = plan.angles_at(300.0);
        let labels: Vec<&str> = at.iter().map(|(t, _)| t.label.as_str()).collect();
        assert_eq!(labels, ["L knee", "R elbow"]);
        assert_eq!(at[0].1, 120.0);
        assert_eq!(at[0].0.joint, Some(13));
        assert_eq!(at[1].0.joint, Some(8));
        // Nearest sample within 1.5 periods; none beyond.
        assert_eq!(plan.angles_at(340.0)[0].1, 120.0);
        assert!(plan.angles_at(1200.0).is_empty());

        // When the reps measure the elbow, the elbow comes first although the knee
        // moves more.
        let measured = AnalysisResult {
            reps: vec![Rep {
                analyses: vec![RepAnalysis {
                    analysis_type: "ELBOW_ANGLE_DEGREES".to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..result
        };
        let plan = OverlayPlan::new(Some(&measured), None);
        let labels: Vec<String> = plan
            .angles_at(300.0)
            .iter()
            .map(|(t, _)| t.label.clone())
            .collect();
        assert_eq!(labels, ["R elbow", "L knee"]);
    }

    #[test]
    fn flags_apply_over_their_evidence_and_verdict_reads_the_risk() {
        let report = AuthenticityReport {
            score: 62.4,
            risk_level: RiskLevel::High as i32,
            blocked: true,
            checks: vec![
                AuthenticityCheck {
                    check: "text_overlay".to_owned(),
                    flagged: true,
                    ..Default::default()
                },
                AuthenticityCheck {
                    check: "camera_consistency".to_owned(),
                    flagged: true,
                    evidence: vec![Evidence {
                        start_timestamp_ms: 1000.0,
                        end_timestamp_ms: 1200.0,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                AuthenticityCheck {
                    check: "multiple_people".to_owned(),
                    flagged: false,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let plan = OverlayPlan::new(None, Some(&report));
        assert_eq!(plan.flags_at(0.0).collect::<Vec<_>>(), ["Text overlay"]);
        assert_eq!(
            plan.flags_at(1100.0).collect::<Vec<_>>(),
            ["Text overlay", "Camera consistency"]
        );
        let verdict = plan.verdict.expect("verdict");
        assert_eq!(verdict.text, "Authenticity: HIGH risk (62/100, blocked)");
        assert_eq!(verdict.severity, Severity::Bad);
    }

    #[test]
    fn a_low_risk_verdict_is_not_burned_in() {
        let report = AuthenticityReport {
            score: 8.0,
            risk_level: RiskLevel::Low as i32,
            ..Default::default()
        };
        assert!(OverlayPlan::new(None, Some(&report)).verdict.is_none());
        let blocked_by_policy = AuthenticityReport {
            blocked: true,
            ..report
        };
        let verdict = OverlayPlan::new(None, Some(&blocked_by_policy))
            .verdict
            .expect("a blocked video says so");
        assert_eq!(verdict.text, "Authenticity: LOW risk (8/100, blocked)");
    }

    #[test]
    fn nearest_index_picks_the_closer_neighbour() {
        let t = [0.0, 10.0, 20.0];
        assert_eq!(nearest_index(&t, -5.0), Some(0));
        assert_eq!(nearest_index(&t, 4.0), Some(0));
        assert_eq!(nearest_index(&t, 6.0), Some(1));
        assert_eq!(nearest_index(&t, 25.0), Some(2));
        assert_eq!(nearest_index(&[], 1.0), None);
    }

    #[test]
    fn angle_labels_are_short() {
        assert_eq!(angle_label("left_knee_angle"), "L knee");
        assert_eq!(angle_label("right_hip_angle_deg"), "R hip");
        assert_eq!(angle_label("trunk_angle"), "Trunk");
    }
}
