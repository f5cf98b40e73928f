//! The built-in coach on realistic analysis results.

mod common;

use common::{lifter, push_up, request, snatch, subject, vertical_jump};
use fitvision_coaching::{BUILTIN_PROVIDER, Coach, CoachError};
use fitvision_proto::v1::{Feedback, GenerateFeedbackRequest, MeasurementSystem};

async fn feedback(request: GenerateFeedbackRequest) -> Vec<Feedback> {
    Coach::builtin().generate(&request).await.expect("feedback")
}

async fn one_text(request: GenerateFeedbackRequest) -> String {
    let feedback = feedback(request).await;
    assert_eq!(feedback.len(), 1, "{feedback:#?}");
    feedback[0].text.clone()
}

#[tokio::test]
async fn overall_states_the_rep_count_and_the_heaviest_fault_with_its_rate() {
    let text = one_text(request(
        vec![push_up()],
        subject(MeasurementSystem::Metric),
        "en",
        &["overall"],
    ))
    .await;
    println!("{text}");
    assert!(text.contains("12 reps counted in 31.4 s"), "{text}");
    // Hips sagging weighs 0.40 > elbows 0.25: listed first, with 5 of 12 = 42%.
    assert!(
        text.contains("1. Hips sagging: failed 5 of 12 checks (42%)"),
        "{text}"
    );
    assert!(
        text.contains("2. Elbows flaring: failed 2 of 12 checks (17%)"),
        "{text}"
    );
    assert!(
        text.contains("the \"Full lockout\" check passed on every rep"),
        "{text}"
    );
    assert!(
        text.contains("6 of 12 reps passed every form check"),
        "{text}"
    );
    assert!(text.contains("glutes"), "the top fault gets a cue: {text}");
    // The heaviest fault is frequent (42% >= 30%): regress to the clean reps.
    assert!(text.contains("do sets of 6"), "{text}");
}

#[tokio::test]
async fn every_completed_exercise_gets_overall_feedback() {
    let feedback = feedback(request(
        vec![push_up(), vertical_jump()],
        subject(MeasurementSystem::Metric),
        "",
        &[],
    ))
    .await;
    let exercises: Vec<&str> = feedback.iter().map(|f| f.exercise_id.as_str()).collect();
    assert_eq!(exercises, ["push_up", "vertical_jump"]);
    assert!(
        feedback
            .iter()
            .all(|f| f.topic == "overall" && f.provider == BUILTIN_PROVIDER)
    );
    assert!(
        feedback[1].text.contains("1 rep counted"),
        "{}",
        feedback[1].text
    );
    assert!(
        feedback[1].text.contains("jump height 45.7 cm"),
        "{}",
        feedback[1].text
    );
    // A jump is a test of one effort: beat the height, don't add reps.
    assert!(
        feedback[1]
            .text
            .contains("try to beat today's jump height of 45.7 cm"),
        "{}",
        feedback[1].text
    );
}

#[tokio::test]
async fn no_completed_exercise_is_refused() {
    let error = Coach::builtin()
        .generate(&request(
            vec![],
            subject(MeasurementSystem::Metric),
            "en",
            &[],
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, CoachError::NoCompletedExercise));
    assert_eq!(
        error.to_string(),
        "AI analysis requires at least 1 completed exercise"
    );
}

#[tokio::test]
async fn imperial_changes_units_and_values() {
    let metric = one_text(request(
        vec![vertical_jump()],
        subject(MeasurementSystem::Metric),
        "en",
        &[],
    ))
    .await;
    let imperial = one_text(request(
        vec![vertical_jump()],
        subject(MeasurementSystem::Imperial),
        "en",
        &[],
    ))
    .await;
    assert!(metric.contains("45.7 cm"), "{metric}");
    // 45.7 cm / 2.54 = 17.99 in.
    assert!(imperial.contains("18.0 in"), "{imperial}");
    assert!(!imperial.contains(" cm"), "{imperial}");

    let topics = ["velocity", "power", "stability", "bar_height"];
    let metric = feedback(request(
        vec![snatch()],
        lifter(MeasurementSystem::Metric),
        "en",
        &topics,
    ))
    .await;
    let imperial = feedback(request(
        vec![snatch()],
        lifter(MeasurementSystem::Imperial),
        "en",
        &topics,
    ))
    .await;
    assert!(metric[0].text.contains("2.02 m/s"), "{}", metric[0].text);
    assert!(
        imperial[0].text.contains("6.63 ft/s"),
        "{}",
        imperial[0].text
    );
    // 1600 N peak; 1600 * 0.2248 = 360 lbf. Power stays in watts.
    assert!(metric[1].text.contains("1600 N"), "{}", metric[1].text);
    assert!(imperial[1].text.contains("360 lbf"), "{}", imperial[1].text);
    assert!(metric[1].text.contains("2705 W") && imperial[1].text.contains("2705 W"));
    // Bar height 1.38 m = 4.53 ft.
    assert!(metric[3].text.contains("1.38 m"), "{}", metric[3].text);
    assert!(imperial[3].text.contains("4.53 ft"), "{}", imperial[3].text);
}

#[tokio::test]
async fn chinese_is_written_for_zh() {
    let text = one_text(request(
        vec![push_up()],
        subject(MeasurementSystem::Metric),
        "zh-CN",
        &["overall"],
    ))
    .await;
    println!("{text}");
    assert!(
        text.starts_with("俯卧撑：共完成12次，用时31.4秒。"),
        "{text}"
    );
    assert!(
        text.contains("1. 塌腰：12次检查中有5次未达标（42%）。"),
        "{text}"
    );
    assert!(text.contains("收紧臀部"), "{text}");
    assert!(!text.contains("reps"), "{text}");
}

#[tokio::test]
async fn traditional_chinese_for_hant_regions_without_mixing_scripts() {
    let mut result = push_up();
    // Catalog labels may come in Traditional characters (AI Move API style).
    result.form_violations[1].label_zh = "保持身體成一直線".into();
    let simplified = one_text(request(
        vec![result.clone()],
        subject(MeasurementSystem::Metric),
        "zh",
        &[],
    ))
    .await;
    let traditional = one_text(request(
        vec![result],
        subject(MeasurementSystem::Metric),
        "zh-TW",
        &[],
    ))
    .await;
    println!("{traditional}");
    assert!(
        simplified.contains("1. 保持身体成一直线：12次检查中有5次未达标（42%）。"),
        "{simplified}"
    );
    assert!(
        traditional.starts_with("俯臥撐：共完成12次，用時31.4秒。"),
        "{traditional}"
    );
    assert!(
        traditional.contains("1. 保持身體成一直線：12次檢查中有5次未達標（42%）。"),
        "{traditional}"
    );
    assert!(
        traditional.contains("「手臂完全伸直」這項檢查每次都通過"),
        "{traditional}"
    );
}

#[tokio::test]
async fn weightlifting_summary_blocks_use_the_lift_series() {
    let feedback = feedback(request(
        vec![snatch()],
        lifter(MeasurementSystem::Metric),
        "en",
        &["velocity", "power", "stability", "final_summary"],
    ))
    .await;
    for piece in &feedback {
        println!("[{}] {}\n", piece.topic, piece.text);
        assert_eq!(piece.exercise_id, "snatch");
    }
    let [velocity, power, stability, summary] = &feedback[..] else {
        panic!("four blocks expected");
    };
    assert!(
        velocity
            .text
            .contains("Bar velocity peaked at 2.02 m/s at 0.5 s, during the second pull."),
        "{}",
        velocity.text
    );
    // 1600 N / ((75 + 60) kg * 9.80665) = 1.2 times the weight.
    assert!(
        power.text.contains("1.2 times the weight"),
        "{}",
        power.text
    );
    assert!(
        stability
            .text
            .contains("within 14.0 cm and finished 5.0 cm from where it started. That is a tight"),
        "{}",
        stability.text
    );
    assert!(
        summary.text.contains("1 rep counted, form score 50%"),
        "{}",
        summary.text
    );
    assert!(
        stability.text.starts_with("The lift took 1.9 s."),
        "{}",
        stability.text
    );
    assert!(
        summary
            .text
            .contains("Main fault: Bar drifting forward, in 1 of 1 checks (100%)"),
        "{}",
        summary.text
    );
}

#[tokio::test]
async fn every_lift_metric_gets_a_thread_and_missing_ones_say_so() {
    let topics = [
        "power_output",
        "ground_reaction_force",
        "barbell_velocity",
        "hip_velocity",
        "shin_angle",
        "hip_height",
        "torso_angle",
        "hip_angle",
        "knee_angle",
        "bar_height",
        "barbell_trajectory",
        "vertical_shoulder_height",
    ];
    let feedback = feedback(request(
        vec![snatch()],
        lifter(MeasurementSystem::Metric),
        "en",
        &topics,
    ))
    .await;
    let returned: Vec<&str> = feedback.iter().map(|f| f.topic.as_str()).collect();
    assert_eq!(returned, topics);
    let text_of = |topic: &str| &feedback.iter().find(|f| f.topic == topic).unwrap().text;
    assert!(
        text_of("shin_angle").starts_with("Shin angle was not measured for this lift."),
        "{}",
        text_of("shin_angle")
    );
    assert!(text_of("shin_angle").contains("need a side view"));
    assert!(text_of("hip_height").contains("not measured"));
    assert!(
        text_of("knee_angle").contains("closed to 60.0° at 0.7 s"),
        "{}",
        text_of("knee_angle")
    );
    assert!(
        text_of("torso_angle")
            .contains("40.0° at the start and 15.0° at the end, a change of 25.0°"),
        "{}",
        text_of("torso_angle")
    );
}

#[tokio::test]
async fn bad_topics_and_languages_are_refused_clearly() {
    let coach = Coach::builtin();
    let unknown_topic = coach
        .generate(&request(
            vec![push_up()],
            subject(MeasurementSystem::Metric),
            "en",
            &["vibes"],
        ))
        .await
        .unwrap_err();
    assert!(
        unknown_topic
            .to_string()
            .contains("unknown feedback topic \"vibes\"")
    );
    let unknown_language = coach
        .generate(&request(
            vec![push_up()],
            subject(MeasurementSystem::Metric),
            "fr",
            &[],
        ))
        .await
        .unwrap_err();
    assert!(
        unknown_language
            .to_string()
            .contains("unsupported language \"fr\"")
    );
}

#[tokio::test]
async fn the_text_is_deterministic() {
    let make = || {
        request(
            vec![snatch(), push_up()],
            lifter(MeasurementSystem::Imperial),
            "zh",
            &["overall", "final_summary", "power"],
        )
    };
    let first = feedback(make()).await;
    let second = feedback(make()).await;
    assert_eq!(first, second);
}

#[tokio::test]
async fn weightlifting_threads_in_chinese() {
    let topics = [
        "velocity",
        "power",
        "stability",
        "final_summary",
        "knee_angle",
        "torso_angle",
        "hip_height",
    ];
    let feedback = feedback(request(
        vec![snatch()],
        lifter(MeasurementSystem::Metric),
        "zh",
        &topics,
    ))
    .await;
    for piece in &feedback {
        println!("[{}] {}\n", piece.topic, piece.text);
    }
    assert!(
        feedback[0]
            .text
            .starts_with("杠铃速度在0.5秒时（第二次提拉阶段）达到峰值2.02 m/s"),
        "{}",
        feedback[0].text
    );
    assert!(
        feedback[1].text.contains("约为人和杠铃总重量的1.2倍"),
        "{}",
        feedback[1].text
    );
    assert!(
        feedback[3]
            .text
            .starts_with("抓举：共完成1次，动作评分50%。"),
        "{}",
        feedback[3].text
    );
    assert!(
        feedback[6].text.starts_with("本次动作没有测量到髋部高度。"),
        "{}",
        feedback[6].text
    );
}
