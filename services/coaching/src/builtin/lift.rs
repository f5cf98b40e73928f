//! Session-wide topics of the Weightlifting API: the summary blocks (velocity, power,
//! stability, final summary) and one recommendation per lift metric.

use fitvision_exercise_engine::names::{metrics, phases};
use fitvision_proto::v1::{AnalysisResult, Subject};

use super::overall::not_measured;
use super::{capitalise, cue_for, progression, sentences};
use crate::digest::{ExerciseDigest, SeriesDigest, digest_series, find_series, phase_label};
use crate::language::Language;
use crate::topic::{LiftMetric, Topic};
use crate::units::{DisplayUnit, Measure, SourceUnit, UnitSystem};

const STANDARD_GRAVITY: f64 = 9.806_65;
/// Horizontal bar travel, relative to the vertical travel, still called tight.
const TIGHT_BAR_PATH_RATIO: f64 = 0.15;

/// Everything one topic's text needs.
#[derive(Clone, Copy)]
struct Scope<'a> {
    subject: &'a Subject,
    system: UnitSystem,
    language: Language,
}

/// Text of a session-wide topic (everything but `overall`), covering every
/// result that measured something for it (every result when none did).
pub fn session_topic(
    topic: Topic,
    results: &[AnalysisResult],
    subject: &Subject,
    system: UnitSystem,
    language: Language,
) -> String {
    let scope = Scope {
        subject,
        system,
        language,
    };
    let relevant: Vec<&AnalysisResult> = results
        .iter()
        .filter(|result| has_data(topic, result))
        .collect();
    let covered: Vec<&AnalysisResult> = if relevant.is_empty() {
        results.iter().collect()
    } else {
        relevant
    };
    let paragraphs: Vec<String> = covered
        .iter()
        .map(|result| {
            let text = match topic {
                Topic::Overall => super::overall(result, subject, system, language),
                Topic::Velocity => velocity(result, scope),
                Topic::Power => power(result, scope),
                Topic::Stability => stability(result, scope),
                Topic::FinalSummary => final_summary(result, scope),
                Topic::Lift(metric) => lift_metric(metric, result, scope),
            };
            if covered.len() > 1 && topic != Topic::Overall {
                let name = crate::catalog::exercise_name(&result.exercise_id, language);
                format!("{name}{}{text}", language.pick(": ", "："))
            } else {
                text
            }
        })
        .collect();
    paragraphs.join("\n\n")
}

fn has_data(topic: Topic, result: &AnalysisResult) -> bool {
    let any_series = |metrics: &[LiftMetric]| {
        metrics
            .iter()
            .any(|metric| find_series(result, metric.series_keys()).is_some())
    };
    match topic {
        Topic::Overall | Topic::FinalSummary => true,
        Topic::Velocity => {
            any_series(&[LiftMetric::BarbellVelocity]) || peak_bar_speed(result).is_some()
        }
        Topic::Power => any_series(&[LiftMetric::PowerOutput, LiftMetric::GroundReactionForce]),
        Topic::Stability => any_series(&[LiftMetric::BarHeight, LiftMetric::BarbellTrajectory]),
        Topic::Lift(metric) => any_series(&[metric]),
    }
}

/// " at 1.20 s, during the second pull" / "在1.2秒时（第二次提拉阶段）".
fn when(time: Option<Measure>, phase: Option<&str>, language: Language) -> String {
    let time = time.map(|time| time.format(language));
    let phase = phase.map(|phase| phase_label(phase, language));
    match (time, phase, language) {
        (Some(time), Some(phase), Language::English) => format!(" at {time}, during the {phase}"),
        (Some(time), None, Language::English) => format!(" at {time}"),
        (None, Some(phase), Language::English) => format!(" during the {phase}"),
        (Some(time), Some(phase), Language::Chinese) => format!("在{time}时（{phase}阶段）"),
        (Some(time), None, Language::Chinese) => format!("在{time}时"),
        (None, Some(phase), Language::Chinese) => format!("在{phase}阶段"),
        (None, None, _) => String::new(),
    }
}

fn when_max(digest: &SeriesDigest, language: Language) -> String {
    when(digest.time_of_max, digest.phase_of_max.as_deref(), language)
}

fn when_min(digest: &SeriesDigest, language: Language) -> String {
    when(digest.time_of_min, digest.phase_of_min.as_deref(), language)
}

/// What to say when a metric has no series: the engine's reasons, never a guess.
fn not_measured_text(metric: LiftMetric, result: &AnalysisResult, language: Language) -> String {
    let label = metric.label(language);
    let sentence = match language {
        Language::English => format!("{} was not measured for this lift.", capitalise(label)),
        Language::Chinese => format!("本次动作没有测量到{label}。"),
    };
    sentences(
        &[sentence, not_measured(result, language).unwrap_or_default()],
        language,
    )
}

/// A scalar peak bar speed from the metrics map, for results without a series.
fn peak_bar_speed(result: &AnalysisResult) -> Option<(String, f64)> {
    result
        .metrics
        .iter()
        .filter(|(key, value)| {
            value.is_finite()
                && SourceUnit::split_metric_key(key).1 == SourceUnit::MetrePerSecond
                && (key.contains("bar_speed") || key.contains("bar_velocity"))
                && (key.contains("max") || key.contains("peak"))
        })
        .map(|(key, value)| (key.clone(), *value))
        .min_by(|a, b| a.0.cmp(&b.0))
}

fn velocity(result: &AnalysisResult, scope: Scope) -> String {
    let language = scope.language;
    let Some(digest) = digest_series(
        result,
        LiftMetric::BarbellVelocity.series_keys(),
        scope.system,
    ) else {
        if let Some((_, speed)) = peak_bar_speed(result) {
            let speed = Measure::convert(speed, SourceUnit::MetrePerSecond, scope.system);
            return sentences(
                &[
                    match language {
                        Language::English => {
                            format!("Peak bar speed was {}.", speed.format(language))
                        }
                        Language::Chinese => {
                            format!("杠铃峰值速度为{}。", speed.format(language))
                        }
                    },
                    velocity_cue(None, language),
                ],
                language,
            );
        }
        return not_measured_text(LiftMetric::BarbellVelocity, result, language);
    };
    sentences(
        &[
            describe_velocity(&digest, language),
            velocity_cue(digest.phase_of_max.as_deref(), language),
        ],
        language,
    )
}

/// Peak only: a mean over the clip would mix in the set-up and the catch.
fn describe_velocity(digest: &SeriesDigest, language: Language) -> String {
    let max = digest.max.format(language);
    match language {
        Language::English => {
            format!(
                "Bar velocity peaked at {max}{}.",
                when_max(digest, language)
            )
        }
        Language::Chinese => format!("杠铃速度{}达到峰值{max}。", when_max(digest, language)),
    }
}

fn velocity_cue(phase_of_peak: Option<&str>, language: Language) -> String {
    match phase_of_peak {
        Some(phases::SECOND_PULL) => language.pick(
            "Top speed came in the second pull, where it belongs: keep finishing the extension before you pull under.",
            "最高速度出现在第二次提拉，时机正确：继续保持先完成伸展、再下蹲接杠。",
        ).to_owned(),
        Some(phase) => match language {
            Language::English => format!(
                "Top speed came during the {}; aim to reach it at the end of the second pull by staying over the bar longer and finishing the hip extension.",
                phase_label(phase, language)
            ),
            Language::Chinese => format!(
                "最高速度出现在{}阶段；应当在第二次提拉末端达到最高速度：肩部在杠铃上方停留更久，并充分伸髋。",
                phase_label(phase, language)
            ),
        },
        None => language.pick(
            "Drive through the floor, stay over the bar, and finish the hip extension before you pull under.",
            "用脚蹬地发力，肩部保持在杠铃上方，充分伸髋后再下蹲接杠。",
        ).to_owned(),
    }
}

/// Peak ground reaction force as a multiple of the lifter's and bar's weight.
fn force_to_weight_ratio(result: &AnalysisResult, subject: &Subject) -> Option<Measure> {
    let moving_mass = subject.body_mass_kg.max(0.0) + subject.barbell_mass_kg.max(0.0);
    if subject.body_mass_kg <= 0.0 {
        return None;
    }
    let (_, series) = find_series(result, LiftMetric::GroundReactionForce.series_keys())?;
    if SourceUnit::parse(&series.unit) != SourceUnit::Newton {
        return None;
    }
    let peak = series
        .values
        .iter()
        .copied()
        .filter(|value| value.is_finite())
        .reduce(f64::max)?;
    Some(Measure::new(
        peak / (moving_mass * STANDARD_GRAVITY),
        DisplayUnit::Unitless,
    ))
}

fn power(result: &AnalysisResult, scope: Scope) -> String {
    let language = scope.language;
    let power = digest_series(result, LiftMetric::PowerOutput.series_keys(), scope.system);
    let force = digest_series(
        result,
        LiftMetric::GroundReactionForce.series_keys(),
        scope.system,
    );
    if power.is_none() && force.is_none() {
        return not_measured_text(LiftMetric::PowerOutput, result, language);
    }
    let mut parts = Vec::new();
    match &power {
        Some(power) => parts.push(describe_power(power, language)),
        None => parts.push(not_measured_text(LiftMetric::PowerOutput, result, language)),
    }
    match &force {
        Some(force) => parts.push(describe_force(
            force,
            force_to_weight_ratio(result, scope.subject),
            language,
        )),
        None => parts.push(not_measured_text(
            LiftMetric::GroundReactionForce,
            result,
            language,
        )),
    }
    parts.push(power_cue(language));
    sentences(&parts, language)
}

fn describe_power(digest: &SeriesDigest, language: Language) -> String {
    let max = digest.max.format(language);
    match language {
        Language::English => {
            format!(
                "Power output peaked at {max}{}.",
                when_max(digest, language)
            )
        }
        Language::Chinese => format!("功率输出{}达到峰值{max}。", when_max(digest, language)),
    }
}

fn describe_force(digest: &SeriesDigest, ratio: Option<Measure>, language: Language) -> String {
    let max = digest.max.format(language);
    let ratio = ratio.map(|ratio| ratio.number());
    match (ratio, language) {
        (Some(ratio), Language::English) => format!(
            "Ground reaction force peaked at {max}{}, {ratio} times the weight of you and the bar.",
            when_max(digest, language)
        ),
        (None, Language::English) => format!(
            "Ground reaction force peaked at {max}{}.",
            when_max(digest, language)
        ),
        (Some(ratio), Language::Chinese) => format!(
            "地面反作用力{}达到峰值{max}，约为人和杠铃总重量的{ratio}倍。",
            when_max(digest, language)
        ),
        (None, Language::Chinese) => {
            format!("地面反作用力{}达到峰值{max}。", when_max(digest, language))
        }
    }
}

fn power_cue(language: Language) -> String {
    language.pick(
        "Power comes from a fast, complete extension of hips, knees and ankles in the second pull: push the floor away instead of pulling with your arms.",
        "力量来自第二次提拉时髋、膝、踝快速而完整的伸展：用腿把地面蹬开，而不是用手臂去拉。",
    ).to_owned()
}

/// The engine's lift duration (lift-off to recovery), else the clip's.
fn lift_duration(result: &AnalysisResult) -> Option<Measure> {
    if let Some(seconds) = result
        .metrics
        .get(metrics::LIFT_DURATION_S)
        .filter(|s| s.is_finite() && **s > 0.0)
    {
        return Some(Measure::seconds(*seconds));
    }
    if result.duration_s > 0.0 {
        return Some(Measure::seconds(result.duration_s));
    }
    let first = result.series_timestamps_ms.first()?;
    let last = result.series_timestamps_ms.last()?;
    (last > first).then(|| Measure::seconds((last - first) / 1000.0))
}

fn stability(result: &AnalysisResult, scope: Scope) -> String {
    let language = scope.language;
    let height = digest_series(result, LiftMetric::BarHeight.series_keys(), scope.system);
    let path = digest_series(
        result,
        LiftMetric::BarbellTrajectory.series_keys(),
        scope.system,
    );
    let mut parts = Vec::new();
    if let Some(duration) = lift_duration(result) {
        parts.push(match language {
            Language::English => format!("The lift took {}.", duration.format(language)),
            Language::Chinese => format!("整个动作用时{}。", duration.format(language)),
        });
    }
    match &height {
        Some(height) => parts.push(match language {
            Language::English => format!(
                "The bar reached its highest point, {}{}.",
                height.max.format(language),
                when_max(height, language)
            ),
            Language::Chinese => format!(
                "杠铃{}到达最高点{}。",
                when_max(height, language),
                height.max.format(language)
            ),
        }),
        None => parts.push(not_measured_text(LiftMetric::BarHeight, result, language)),
    }
    let Some(path) = path else {
        parts.push(not_measured_text(
            LiftMetric::BarbellTrajectory,
            result,
            language,
        ));
        return sentences(&parts, language);
    };
    parts.push(describe_bar_path(&path, language));
    if let Some(tight) = is_bar_path_tight(result) {
        parts.push(if tight {
            language
                .pick(
                    "That is a tight, well-controlled bar path for the height you pulled it.",
                    "相对于杠铃上升的高度，这条轨迹紧凑、控制良好。",
                )
                .to_owned()
        } else {
            format!(
                "{}{}",
                language.pick(
                    "The bar drifted horizontally more than it should. ",
                    "杠铃水平漂移偏大。"
                ),
                bar_path_cue(language)
            )
        });
    }
    sentences(&parts, language)
}

/// Whether the bar's horizontal travel is small next to its vertical travel;
/// `None` when either is missing or they are in different units.
fn is_bar_path_tight(result: &AnalysisResult) -> Option<bool> {
    let (_, height) = find_series(result, LiftMetric::BarHeight.series_keys())?;
    let (_, path) = find_series(result, LiftMetric::BarbellTrajectory.series_keys())?;
    if SourceUnit::parse(&height.unit) != SourceUnit::parse(&path.unit) {
        return None;
    }
    let span = |values: &[f64]| {
        let finite = values.iter().copied().filter(|value| value.is_finite());
        let max = finite.clone().fold(f64::NEG_INFINITY, f64::max);
        let min = finite.fold(f64::INFINITY, f64::min);
        max - min
    };
    Some(span(&path.values) <= TIGHT_BAR_PATH_RATIO * span(&height.values))
}

fn describe_bar_path(path: &SeriesDigest, language: Language) -> String {
    let span = path.span().format(language);
    let net = Measure::new(path.net_change().value.abs(), path.last.unit).format(language);
    match language {
        Language::English => format!(
            "Horizontally the bar moved within {span} and finished {net} from where it started."
        ),
        Language::Chinese => {
            format!("杠铃水平方向的移动范围为{span}，结束时距起始位置{net}。")
        }
    }
}

fn bar_path_cue(language: Language) -> String {
    language.pick(
        "Keep the bar close: sweep it back towards you off the floor and brush it against your hips in the second pull.",
        "让杠铃贴近身体：离地后向身体方向回收，第二次提拉时贴着髋部向上。",
    ).to_owned()
}

fn final_summary(result: &AnalysisResult, scope: Scope) -> String {
    let language = scope.language;
    let digest = ExerciseDigest::new(result, scope.system, language);
    let name = &digest.name;
    let reps = digest.rep_count();
    let mut parts = vec![match (digest.form_score, language) {
        (Some(score), Language::English) => format!(
            "{name}: {reps} {} counted, form score {}.",
            if reps == 1 { "rep" } else { "reps" },
            score.format(language)
        ),
        (None, Language::English) => format!(
            "{name}: {reps} {} counted.",
            if reps == 1 { "rep" } else { "reps" }
        ),
        (Some(score), Language::Chinese) => {
            format!(
                "{name}：共完成{reps}次，动作评分{}。",
                score.format(language)
            )
        }
        (None, Language::Chinese) => format!("{name}：共完成{reps}次。"),
    }];
    let speed = digest_series(
        result,
        LiftMetric::BarbellVelocity.series_keys(),
        scope.system,
    )
    .map(|digest| digest.max)
    .or_else(|| {
        peak_bar_speed(result)
            .map(|(_, speed)| Measure::convert(speed, SourceUnit::MetrePerSecond, scope.system))
    });
    let power = digest_series(result, LiftMetric::PowerOutput.series_keys(), scope.system)
        .map(|digest| digest.max);
    parts.push(match (speed, power, language) {
        (Some(speed), Some(power), Language::English) => format!(
            "Peak bar speed {} and peak power {}.",
            speed.format(language),
            power.format(language)
        ),
        (Some(speed), None, Language::English) => {
            format!("Peak bar speed {}.", speed.format(language))
        }
        (None, Some(power), Language::English) => {
            format!("Peak power {}.", power.format(language))
        }
        (Some(speed), Some(power), Language::Chinese) => format!(
            "杠铃峰值速度{}，峰值功率{}。",
            speed.format(language),
            power.format(language)
        ),
        (Some(speed), None, Language::Chinese) => {
            format!("杠铃峰值速度{}。", speed.format(language))
        }
        (None, Some(power), Language::Chinese) => format!("峰值功率{}。", power.format(language)),
        (None, None, _) => String::new(),
    });
    // The fault costing the most form score, even if a heavier check failed less.
    match digest.faults_by_impact().first() {
        Some(fault) => {
            let (label, rate) = (fault.label(language), fault.rate.format(language));
            let (count, total) = (fault.check.violation_count, fault.check.total_checks);
            parts.push(match (total, language) {
                (0, Language::English) => format!("Main fault: {label} ({rate} of checks)."),
                (_, Language::English) => {
                    format!("Main fault: {label}, in {count} of {total} checks ({rate}).")
                }
                (0, Language::Chinese) => format!("主要问题：{label}（未达标比例{rate}）。"),
                (_, Language::Chinese) => {
                    format!("主要问题：{label}，{total}次检查中有{count}次未达标（{rate}）。")
                }
            });
            parts.push(format!(
                "{}{}",
                language.pick("Key cue: ", "关键提示："),
                cue_for(fault.check, &digest.exercise_id, language)
            ));
        }
        None if !result.form_violations.is_empty() => parts.push(
            language
                .pick("No form faults were detected.", "没有发现动作问题。")
                .to_owned(),
        ),
        None => {}
    }
    parts.push(progression(&digest, scope.subject, scope.system, language));
    sentences(&parts, language)
}

fn describe_range(metric: LiftMetric, digest: &SeriesDigest, language: Language) -> String {
    let label = metric.label(language);
    let [min, max, first, last] =
        [digest.min, digest.max, digest.first, digest.last].map(|m| m.format(language));
    match language {
        Language::English => format!(
            "{} ranged from {min} to {max} (start {first}, end {last}).",
            capitalise(label)
        ),
        Language::Chinese => {
            format!("{label}的范围为{min}至{max}（起始{first}，结束{last}）。")
        }
    }
}

/// What the numbers of one metric say, then one cue.
fn lift_metric(metric: LiftMetric, result: &AnalysisResult, scope: Scope) -> String {
    let language = scope.language;
    let Some(digest) = digest_series(result, metric.series_keys(), scope.system) else {
        return not_measured_text(metric, result, language);
    };
    let english = language == Language::English;
    let observation = match metric {
        LiftMetric::BarbellVelocity => describe_velocity(&digest, language),
        LiftMetric::PowerOutput => describe_power(&digest, language),
        LiftMetric::GroundReactionForce => describe_force(
            &digest,
            force_to_weight_ratio(result, scope.subject),
            language,
        ),
        LiftMetric::HipVelocity => {
            let max = digest.max.format(language);
            if english {
                format!(
                    "Your hips moved fastest, {max}{}.",
                    when_max(&digest, language)
                )
            } else {
                format!("髋部{}速度最快，达到{max}。", when_max(&digest, language))
            }
        }
        LiftMetric::ShinAngle | LiftMetric::TorsoAngle => {
            let change = Measure::new(digest.net_change().value.abs(), digest.last.unit);
            let [first, last, change] =
                [digest.first, digest.last, change].map(|m| m.format(language));
            let label = metric.label(language);
            if english {
                format!(
                    "Your {label} was {first} at the start and {last} at the end, a change of {change}; it ranged from {} to {}.",
                    digest.min.format(language),
                    digest.max.format(language)
                )
            } else {
                format!(
                    "{label}起始为{first}，结束为{last}，变化了{change}；全程在{}至{}之间。",
                    digest.min.format(language),
                    digest.max.format(language)
                )
            }
        }
        LiftMetric::HipAngle | LiftMetric::KneeAngle => {
            let label = metric.label(language);
            let [min, max] = [digest.min, digest.max].map(|m| m.format(language));
            if english {
                format!(
                    "Your {label} closed to {min}{} and opened to {max}{}.",
                    when_min(&digest, language),
                    when_max(&digest, language)
                )
            } else {
                format!(
                    "{label}{}最小，为{min}；{}最大，为{max}。",
                    when_min(&digest, language),
                    when_max(&digest, language)
                )
            }
        }
        LiftMetric::HipHeight | LiftMetric::BarHeight | LiftMetric::VerticalShoulderHeight => {
            let peak = when_max(&digest, language);
            let peak = match (peak.is_empty(), language) {
                (true, _) => String::new(),
                (false, Language::English) => format!("The highest point came{peak}."),
                (false, Language::Chinese) => format!("最高点出现{peak}。"),
            };
            sentences(&[describe_range(metric, &digest, language), peak], language)
        }
        LiftMetric::BarbellTrajectory => describe_bar_path(&digest, language),
    };
    sentences(&[observation, metric_cue(metric, language)], language)
}

fn metric_cue(metric: LiftMetric, language: Language) -> String {
    let (english, chinese) = match metric {
        LiftMetric::PowerOutput | LiftMetric::GroundReactionForce => {
            return power_cue(language);
        }
        LiftMetric::BarbellVelocity => return velocity_cue(None, language),
        LiftMetric::BarbellTrajectory => return bar_path_cue(language),
        LiftMetric::HipVelocity => (
            "Hips and bar should speed up together: if your hips shoot up first, your chest drops and the bar swings forward.",
            "髋部和杠铃应同步加速：如果髋部先抬起，胸部会下沉，杠铃也会向前摆出。",
        ),
        LiftMetric::ShinAngle => (
            "At set-up, start with the bar over your mid-foot and your shins touching it, so your knees can move back out of the bar's way in the first pull.",
            "预备时让杠铃位于脚掌中部上方、小腿贴近杠铃，这样第一次提拉时膝盖才能向后让开杠铃。",
        ),
        LiftMetric::HipHeight => (
            "Lift your hips and shoulders at the same rate off the floor; hips that rise first turn the pull into a stiff-legged deadlift.",
            "离地时髋部和肩部要同步上升；髋部先起会让提拉变成直腿硬拉。",
        ),
        LiftMetric::TorsoAngle => (
            "Hold your back angle until the bar passes your knees, then extend hard.",
            "在杠铃越过膝盖之前保持背部角度不变，之后再全力伸展。",
        ),
        LiftMetric::HipAngle => (
            "Reach full hip extension at the top of the second pull before you pull yourself under.",
            "在第二次提拉顶端充分伸髋，然后再下蹲接杠。",
        ),
        LiftMetric::KneeAngle => (
            "Let your knees slide back under the bar as it passes them, then drive up hard in the second pull.",
            "杠铃越过膝盖后让膝盖重新回到杠铃下方，再在第二次提拉中全力蹬伸。",
        ),
        LiftMetric::BarHeight => (
            "Pull the bar only as high as you need and get under it fast; a higher pull does not help if the catch is late.",
            "杠铃只需拉到足够的高度，然后迅速下蹲接杠；接杠太晚时拉得再高也没用。",
        ),
        LiftMetric::VerticalShoulderHeight => (
            "Keep your shoulders over the bar until the second pull, then shrug and pull yourself under.",
            "第二次提拉前肩部保持在杠铃上方，之后耸肩并把身体拉到杠铃下方。",
        ),
    };
    language.pick(english, chinese).to_owned()
}
