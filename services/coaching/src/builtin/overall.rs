//! Per-exercise coaching: what went well, the faults by weight with their
//! measured frequency, cues, and the next step.

use fitvision_proto::v1::{AnalysisResult, Subject};

use super::{cue_for, join_list, sentences};
use crate::catalog;
use crate::digest::{ExerciseDigest, Fault, check_label};
use crate::language::Language;
use crate::units::{Measure, SourceUnit, UnitSystem};

/// Faults listed in the text; the rest are minor by weight.
const LISTED_FAULTS: usize = 3;
/// Faults that get a cue: one or two things to think about, not a checklist.
const CUED_FAULTS: usize = 2;
/// Clean checks named under "what went well".
const PRAISED_CHECKS: usize = 3;
/// Scalar metrics listed under "also measured".
const LISTED_METRICS: usize = 8;
/// A fault seen on this share of checks or more calls for regressing the set.
const SEVERE_FAULT_SHARE: f64 = 0.3;
/// Below this form score (in %) the set should be regressed too.
const LOW_FORM_SCORE_PERCENT: f64 = 60.0;
/// Spread of range of motion, relative to the largest, still called consistent.
const CONSISTENT_ROM_SPREAD: f64 = 0.15;
/// Growth of the target hold time over today's hold.
const HOLD_PROGRESSION: f64 = 1.1;

/// Coaching text for one analysed exercise.
pub fn overall(
    result: &AnalysisResult,
    subject: &Subject,
    system: UnitSystem,
    language: Language,
) -> String {
    let digest = ExerciseDigest::new(result, system, language);
    let mut lines = vec![headline(&digest, language)];
    lines.extend(quality(&digest, language));
    lines.extend(went_well(&digest, language));
    lines.extend(faults(&digest, language));
    lines.extend(cues(&digest, language));
    lines.push(progression(&digest, subject, system, language));
    lines.extend(measured(&digest, language));
    lines.extend(not_measured(result, language));
    lines.join("\n")
}

fn headline(digest: &ExerciseDigest, language: Language) -> String {
    let name = &digest.name;
    let reps = digest.rep_count();
    if digest.timed
        && let Some(hold) = digest.hold_time
    {
        let hold = hold.format(language);
        let reps_note = match (reps, language) {
            (0, _) => String::new(),
            (_, Language::English) => format!(" ({})", rep_phrase(reps)),
            (_, Language::Chinese) => format!("（计数{reps}次）"),
        };
        return match language {
            Language::English => format!("{name}: held for {hold}{reps_note}."),
            Language::Chinese => format!("{name}：保持了{hold}{reps_note}。"),
        };
    }
    match (digest.duration, language) {
        (Some(duration), Language::English) => format!(
            "{name}: {} counted in {}.",
            rep_phrase(reps),
            duration.format(language)
        ),
        (None, Language::English) => format!("{name}: {} counted.", rep_phrase(reps)),
        (Some(duration), Language::Chinese) => format!(
            "{name}：共完成{reps}次，用时{}。",
            duration.format(language)
        ),
        (None, Language::Chinese) => format!("{name}：共完成{reps}次。"),
    }
}

/// A label in running text: "label" / “label”.
fn quoted(label: &str, language: Language) -> String {
    match language {
        Language::English => format!("\"{label}\""),
        Language::Chinese => format!("“{label}”"),
    }
}

fn rep_phrase(reps: u32) -> String {
    if reps == 1 {
        "1 rep".to_owned()
    } else {
        format!("{reps} reps")
    }
}

fn quality(digest: &ExerciseDigest, language: Language) -> Option<String> {
    let score = digest.form_score.map(|score| score.format(language));
    let pose = digest.pose_accuracy.map(|share| share.format(language));
    let line = match (score, pose, language) {
        (Some(score), Some(pose), Language::English) => {
            format!("Form score {score}; your full body was tracked in {pose} of the frames.")
        }
        (Some(score), None, Language::English) => format!("Form score {score}."),
        (None, Some(pose), Language::English) => {
            format!("Your full body was tracked in {pose} of the frames.")
        }
        (Some(score), Some(pose), Language::Chinese) => {
            format!("动作评分{score}，{pose}的画面完整识别到全身姿态。")
        }
        (Some(score), None, Language::Chinese) => format!("动作评分{score}。"),
        (None, Some(pose), Language::Chinese) => format!("{pose}的画面完整识别到全身姿态。"),
        (None, None, _) => return None,
    };
    Some(line)
}

fn went_well(digest: &ExerciseDigest, language: Language) -> Option<String> {
    let reps = digest.rep_count();
    let mut points = Vec::new();
    let clean: Vec<String> = digest
        .clean_checks
        .iter()
        .take(PRAISED_CHECKS)
        .map(|check| quoted(&check_label(check, language), language))
        .collect();
    if !clean.is_empty() {
        let checks = join_list(&clean, language);
        points.push(match (clean.len(), language) {
            (1, Language::English) => format!("the {checks} check passed on every rep"),
            (_, Language::English) => format!("the {checks} checks passed on every rep"),
            (1, Language::Chinese) => format!("{checks}这项检查每次都通过"),
            (_, Language::Chinese) => format!("{checks}这几项检查每次都通过"),
        });
    }
    if let Some(clean_reps) = digest.clean_reps.filter(|clean| *clean > 0 && reps > 0) {
        points.push(match language {
            Language::English if clean_reps >= reps => {
                format!("all {reps} reps passed every form check")
            }
            Language::English => format!("{clean_reps} of {reps} reps passed every form check"),
            Language::Chinese if clean_reps >= reps => format!("{reps}次全部符合动作标准"),
            Language::Chinese => format!("{reps}次中有{clean_reps}次完全符合动作标准"),
        });
    }
    if let Some((min, max)) = digest.range_of_motion
        && digest.result.reps.len() >= 2
        && max.value - min.value <= CONSISTENT_ROM_SPREAD * max.value
    {
        let (min, max) = (min.format(language), max.format(language));
        points.push(match language {
            Language::English => format!("a consistent range of motion ({min} to {max})"),
            Language::Chinese => format!("动作幅度稳定（{min}至{max}）"),
        });
    }
    if points.is_empty()
        && let Some(metric) = digest.headline_metric()
    {
        let value = metric.measure.format(language);
        points.push(match language {
            Language::English => format!("a {} of {value}", metric.label),
            Language::Chinese => format!("{}达到{value}", metric.label),
        });
    }
    if points.is_empty() {
        if reps == 0 {
            return None;
        }
        points.push(
            language
                .pick(
                    "you finished the set, which is the base to build on",
                    "完成了整组动作，这是进步的基础",
                )
                .to_owned(),
        );
    }
    Some(match language {
        Language::English => format!("What went well: {}.", points.join("; ")),
        Language::Chinese => format!("做得好的地方：{}。", points.join("；")),
    })
}

/// "failed 5 of 12 checks (42%)" with the measured counts.
fn fault_line(index: usize, fault: &Fault, language: Language) -> String {
    let label = fault.label(language);
    let rate = fault.rate.format(language);
    let (count, total) = (fault.check.violation_count, fault.check.total_checks);
    match (total, language) {
        (0, Language::English) => format!("{index}. {label}: {rate} of checks failed."),
        (_, Language::English) => {
            format!("{index}. {label}: failed {count} of {total} checks ({rate}).")
        }
        (0, Language::Chinese) => format!("{index}. {label}：未达标比例{rate}。"),
        (_, Language::Chinese) => {
            format!("{index}. {label}：{total}次检查中有{count}次未达标（{rate}）。")
        }
    }
}

fn faults(digest: &ExerciseDigest, language: Language) -> Vec<String> {
    if digest.result.form_violations.is_empty() {
        return vec![
            language
                .pick(
                    "Form was not scored: this exercise has no form checks.",
                    "该动作没有设置动作检查，未进行动作评分。",
                )
                .to_owned(),
        ];
    }
    if digest.faults.is_empty() {
        return vec![
            language
                .pick(
                    "No form faults were detected in this set.",
                    "本组没有发现动作问题。",
                )
                .to_owned(),
        ];
    }
    let mut lines = vec![
        language
            .pick(
                "To fix, most important first:",
                "需要改进的地方（按重要性排序）：",
            )
            .to_owned(),
    ];
    lines.extend(
        digest
            .faults
            .iter()
            .take(LISTED_FAULTS)
            .enumerate()
            .map(|(index, fault)| fault_line(index + 1, fault, language)),
    );
    lines
}

fn cues(digest: &ExerciseDigest, language: Language) -> Option<String> {
    let cues: Vec<String> = digest
        .faults_by_impact()
        .into_iter()
        .take(CUED_FAULTS)
        .map(|fault| cue_for(fault.check, &digest.exercise_id, language))
        .collect();
    if cues.is_empty() {
        return None;
    }
    Some(format!(
        "{}{}",
        language.pick("Cues: ", "动作提示："),
        sentences(&cues, language)
    ))
}

fn barbell(subject: &Subject, system: UnitSystem, language: Language) -> Option<String> {
    (subject.barbell_mass_kg > 0.0)
        .then(|| Measure::convert(subject.barbell_mass_kg, SourceUnit::Kilogram, system))
        .map(|mass| mass.format(language))
}

/// The next step: regress, consolidate or progress, from the measured form.
pub fn progression(
    digest: &ExerciseDigest,
    subject: &Subject,
    system: UnitSystem,
    language: Language,
) -> String {
    let reps = digest.rep_count();
    let worst_share = digest
        .faults
        .iter()
        .map(|fault| fault.rate.value / 100.0)
        .fold(0.0, f64::max);
    let severe = worst_share >= SEVERE_FAULT_SHARE
        || digest
            .form_score
            .is_some_and(|score| score.value < LOW_FORM_SCORE_PERCENT);
    let top_label = digest
        .faults_by_impact()
        .first()
        .map(|fault| fault.label(language));
    let loaded =
        catalog::is_weightlifting(&digest.result.exercise_id) || subject.barbell_mass_kg > 0.0;
    let bar = barbell(subject, system, language);

    if digest.timed
        && let Some(hold) = digest.hold_time
    {
        let today = hold.format(language);
        return if severe {
            match language {
                Language::English => format!(
                    "Next session: keep the hold at {today} and make it cleaner before going longer."
                ),
                Language::Chinese => {
                    format!("下次训练：保持时间维持在{today}，先把动作做标准，再延长时间。")
                }
            }
        } else {
            let target = Measure::seconds(hold.value * HOLD_PROGRESSION).format(language);
            match language {
                Language::English => format!(
                    "Next session: aim to hold for {target}, a tenth longer than today's {today}."
                ),
                Language::Chinese => {
                    format!("下次训练：目标保持{target}，比今天的{today}多一成。")
                }
            }
        };
    }
    if catalog::is_performance_test(&digest.exercise_id)
        && let Some(metric) = digest.headline_metric()
    {
        let value = metric.measure.format(language);
        return match language {
            Language::English => format!(
                "Next session: warm up well and try to beat today's {} of {value}.",
                metric.label
            ),
            Language::Chinese => {
                format!(
                    "下次训练：充分热身后，争取超过今天的{}（{value}）。",
                    metric.label
                )
            }
        };
    }
    if reps == 0 {
        return language
            .pick(
                "No complete rep was counted, so there is nothing to progress yet: film from the side with your whole body in frame and move through the full range.",
                "本次没有计入完整的动作，暂时无法给出进阶建议：请从侧面拍摄，保证全身入镜，并做满动作幅度。",
            )
            .to_owned();
    }
    match (severe, &top_label) {
        (true, _) => regress(
            digest,
            loaded,
            bar.as_deref(),
            top_label.as_deref(),
            language,
        ),
        (false, Some(label)) => match (loaded, &bar, language) {
            (true, Some(bar), Language::English) => format!(
                "Next session: keep the bar at {bar} and work on \"{label}\"; add load once that is fixed."
            ),
            (true, Some(bar), Language::Chinese) => {
                format!("下次训练：杠铃重量保持{bar}，重点改善“{label}”，做到之后再加重量。")
            }
            (_, _, Language::English) => format!(
                "Next session: repeat {} and work on \"{label}\"; add reps once that is fixed.",
                rep_phrase(reps)
            ),
            (_, _, Language::Chinese) => {
                format!("下次训练：仍做{reps}次，重点改善“{label}”，做到之后再增加次数。")
            }
        },
        (false, None) => match (loaded, &bar, language) {
            (true, Some(bar), Language::English) => format!(
                "Next session: your form held up at {bar}, so add the smallest plate increment you have."
            ),
            (true, Some(bar), Language::Chinese) => {
                format!("下次训练：{bar}下动作稳定，可以加上最小的一档重量。")
            }
            (true, None, Language::English) => {
                "Next session: your form held up, so add a small amount of load.".to_owned()
            }
            (true, None, Language::Chinese) => {
                "下次训练：动作很稳定，可以适当加一点重量。".to_owned()
            }
            (false, _, Language::English) => format!(
                "Next session: aim for {} to {} reps, or lower more slowly to make the same reps harder.",
                reps + 1,
                reps + 2
            ),
            (false, _, Language::Chinese) => format!(
                "下次训练：目标{}到{}次，或者放慢下放速度，让同样的次数更有挑战。",
                reps + 1,
                reps + 2
            ),
        },
    }
}

fn regress(
    digest: &ExerciseDigest,
    loaded: bool,
    bar: Option<&str>,
    top_label: Option<&str>,
    language: Language,
) -> String {
    let focus = top_label.unwrap_or_default();
    if loaded && let Some(bar) = bar {
        return match language {
            Language::English => format!(
                "Next session: stay at {bar} or go lighter, and fix \"{focus}\" before adding load."
            ),
            Language::Chinese => {
                format!("下次训练：重量不超过{bar}（也可以减轻），先改善“{focus}”，再考虑加重。")
            }
        };
    }
    match (digest.clean_reps, language) {
        (Some(clean), Language::English) if clean > 0 => format!(
            "Next session: do sets of {clean} (your clean reps today) and add a rep only when every rep is clean."
        ),
        (Some(clean), Language::Chinese) if clean > 0 => {
            format!("下次训练：每组先做{clean}次（今天动作标准的次数），等每一次都做标准了再加次数。")
        }
        (_, Language::English) => "Next session: switch to an easier variation or a lighter load and rebuild with clean reps.".to_owned(),
        (_, Language::Chinese) => "下次训练：换成更简单的变式或减轻负重，先用标准动作重新打好基础。".to_owned(),
    }
}

fn measured(digest: &ExerciseDigest, language: Language) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some((down, up)) = digest.tempo {
        let (down, up) = (down.format(language), up.format(language));
        lines.push(match language {
            Language::English => format!("Average tempo: {down} down, {up} up."),
            Language::Chinese => format!("平均节奏：下放{down}，起身{up}。"),
        });
    }
    let mut items: Vec<String> = digest
        .metrics
        .iter()
        .take(LISTED_METRICS)
        .map(|metric| match language {
            Language::English => format!("{} {}", metric.label, metric.measure.format(language)),
            Language::Chinese => format!("{}{}", metric.label, metric.measure.format(language)),
        })
        .collect();
    if let Some(calories) = digest.calories {
        items.push(match language {
            Language::English => format!("about {} burned", calories.format(language)),
            Language::Chinese => format!("约消耗{}", calories.format(language)),
        });
    }
    if !items.is_empty() {
        lines.push(match language {
            Language::English => format!("Also measured: {}.", items.join("; ")),
            Language::Chinese => format!("其他测量结果：{}。", items.join("；")),
        });
    }
    lines
}

/// The engine's own notes on what it could not measure, passed on verbatim.
pub(super) fn not_measured(result: &AnalysisResult, language: Language) -> Option<String> {
    let warnings: Vec<&str> = result
        .warnings
        .iter()
        .map(|warning| warning.trim().trim_end_matches('.'))
        .filter(|warning| !warning.is_empty())
        .collect();
    if warnings.is_empty() {
        return None;
    }
    Some(match language {
        Language::English => format!("Not measured: {}.", warnings.join("; ")),
        Language::Chinese => format!("未能测量：{}。", warnings.join("；")),
    })
}
