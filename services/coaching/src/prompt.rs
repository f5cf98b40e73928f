//! The structured prompt: the measured facts (in the caller's units) and the
//! built-in draft, with rules that keep the model to those numbers.

use fitvision_proto::v1::{AnalysisResult, Subject};

use crate::digest::{ExerciseDigest, SeriesDigest, digest_series, phase_label};
use crate::language::Language;
use crate::llm::ChatMessage;
use crate::topic::{LiftMetric, Topic};
use crate::units::{Measure, SourceUnit, UnitSystem};

/// Lift metrics whose series belong in the facts of a topic.
fn metrics_of(topic: Topic) -> Vec<LiftMetric> {
    match topic {
        Topic::Overall => Vec::new(),
        Topic::Velocity => vec![LiftMetric::BarbellVelocity],
        Topic::Power => vec![LiftMetric::PowerOutput, LiftMetric::GroundReactionForce],
        Topic::Stability => vec![LiftMetric::BarHeight, LiftMetric::BarbellTrajectory],
        Topic::FinalSummary => LiftMetric::ALL.to_vec(),
        Topic::Lift(metric) => vec![metric],
    }
}

/// The measured facts behind a topic, one per line, in English (the model
/// writes in the requested language) and in the caller's units.
pub fn facts(
    topic: Topic,
    results: &[&AnalysisResult],
    subject: &Subject,
    system: UnitSystem,
) -> Vec<String> {
    let language = Language::English;
    let mut lines = Vec::new();
    if subject.body_mass_kg > 0.0 {
        let mass = Measure::convert(subject.body_mass_kg, SourceUnit::Kilogram, system);
        lines.push(format!("athlete body mass: {}", mass.format(language)));
    }
    if subject.barbell_mass_kg > 0.0 {
        let mass = Measure::convert(subject.barbell_mass_kg, SourceUnit::Kilogram, system);
        lines.push(format!("barbell mass: {}", mass.format(language)));
    }
    for result in results {
        lines.extend(exercise_facts(result, system));
        for metric in metrics_of(topic) {
            match digest_series(result, metric.series_keys(), system) {
                Some(digest) => lines.push(series_fact(metric, &digest)),
                None => lines.push(format!("{}: not measured", metric.label(language))),
            }
        }
    }
    lines
}

fn exercise_facts(result: &AnalysisResult, system: UnitSystem) -> Vec<String> {
    let language = Language::English;
    let digest = ExerciseDigest::new(result, system, language);
    let format = |measure: Option<Measure>| measure.map(|m| m.format(language));
    let mut lines = vec![
        format!("exercise: {} (id {})", digest.name, result.exercise_id),
        format!(
            "counting mode: {}",
            if digest.timed { "timed hold" } else { "reps" }
        ),
        format!("rep count: {}", result.rep_count),
    ];
    let optional = [
        ("duration", format(digest.duration)),
        ("hold time", format(digest.hold_time)),
        ("form score", format(digest.form_score)),
        ("frames with a full-body pose", format(digest.pose_accuracy)),
        ("calories", format(digest.calories)),
    ];
    lines.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| format!("{name}: {value}"))),
    );
    if let Some(clean) = digest.clean_reps {
        lines.push(format!("reps passing every form check: {clean}"));
    }
    if let Some((min, max)) = digest.range_of_motion {
        lines.push(format!(
            "range of motion per rep: {} to {}",
            min.format(language),
            max.format(language)
        ));
    }
    if let Some((down, up)) = digest.tempo {
        lines.push(format!(
            "mean tempo: {} down, {} up",
            down.format(language),
            up.format(language)
        ));
    }
    for fault in &digest.faults {
        lines.push(format!(
            "form fault (importance weight {}): \"{}\" / \"{}\" failed {} of {} checks ({})",
            fault.check.weight,
            fault.check.label,
            fault.check.label_zh,
            fault.check.violation_count,
            fault.check.total_checks,
            fault.rate.format(language)
        ));
    }
    for check in &digest.clean_checks {
        lines.push(format!(
            "form check passed every time: \"{}\" / \"{}\" ({} checks)",
            check.label, check.label_zh, check.total_checks
        ));
    }
    for metric in &digest.metrics {
        lines.push(format!(
            "{}: {}",
            metric.label,
            metric.measure.format(language)
        ));
    }
    for warning in &result.warnings {
        lines.push(format!("not measured: {warning}"));
    }
    lines
}

fn series_fact(metric: LiftMetric, digest: &SeriesDigest) -> String {
    let language = Language::English;
    let [first, last, min, max, mean] = [
        digest.first,
        digest.last,
        digest.min,
        digest.max,
        digest.mean,
    ]
    .map(|measure| measure.format(language));
    let mut line = format!(
        "{} over the lift: start {first}, end {last}, min {min}, max {max}, mean {mean}",
        metric.label(language)
    );
    if let Some(time) = digest.time_of_max {
        line.push_str(&format!(", max at {}", time.format(language)));
    }
    if let Some(phase) = &digest.phase_of_max {
        line.push_str(&format!(" during the {}", phase_label(phase, language)));
    }
    line
}

fn brief(topic: Topic) -> String {
    match topic {
        Topic::Overall => "coaching for this exercise: what went well, the main form faults with their measured rates (most important first), one or two concrete cues, and a progression for the next session".to_owned(),
        Topic::Velocity => "insights on bar velocity".to_owned(),
        Topic::Power => "observations on force and power output".to_owned(),
        Topic::Stability => "notes on bar path and control".to_owned(),
        Topic::FinalSummary => "an overall coaching summary of the session".to_owned(),
        Topic::Lift(metric) => format!(
            "a concise coaching comment on the lifter's {}",
            metric.label(Language::English)
        ),
    }
}

/// The chat messages for one topic.
pub fn messages(
    topic: Topic,
    facts: &[String],
    draft: &str,
    system: UnitSystem,
    language: Language,
) -> Vec<ChatMessage> {
    let units = match system {
        UnitSystem::Metric => "metric",
        UnitSystem::Imperial => "imperial",
    };
    let language_name = language.pick("English", "Simplified Chinese (简体中文)");
    let rules = format!(
        "You are an experienced strength and conditioning coach. You write feedback from \
measurements of the athlete's exercise video.\n\
Rules:\n\
- State only numbers that appear in MEASUREMENTS or DRAFT, in their units ({units}); you may round them. \
Never estimate, calculate, convert or invent any other number, including set, rep or weight targets \
that the draft does not give.\n\
- Write numbers as Arabic digits.\n\
- Always state the rep count.\n\
- If something was not measured, say so instead of guessing.\n\
- Plain text without headings or markdown; be concise, warm and specific.\n\
- Write in {language_name}."
    );
    let request = format!(
        "Topic: {topic} ({brief}).\n\nMEASUREMENTS:\n{facts}\n\nDRAFT (from the rule-based coach; \
keep its facts, improve the wording):\n{draft}",
        brief = brief(topic),
        facts = facts
            .iter()
            .map(|fact| format!("- {fact}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    vec![ChatMessage::system(rules), ChatMessage::user(request)]
}
