//! Display names of exercises.
//!
//! The exercise catalog (ids, aliases, names, form checks) belongs to
//! `fitvision-exercise-engine`; until it exposes a lookup, this table holds the
//! names of the built-in exercises the seeds document. Unknown ids (tenant
//! exercises) are shown humanised rather than refused.

use crate::language::Language;

/// (id or alias, English name, Chinese name)
const NAMES: &[(&str, &str, &str)] = &[
    ("push_up", "Push-up", "俯卧撑"),
    ("pushup", "Push-up", "俯卧撑"),
    ("squat", "Squat", "深蹲"),
    ("bodyweight_squat", "Bodyweight squat", "徒手深蹲"),
    ("sit_up", "Sit-up", "仰卧起坐"),
    ("situp", "Sit-up", "仰卧起坐"),
    ("sit_and_reach", "Sit and reach", "坐位体前屈"),
    ("skipping", "Skipping", "跳绳"),
    ("jump_rope", "Skipping", "跳绳"),
    ("jumping_jacks", "Jumping jacks", "开合跳"),
    ("jumping_jack", "Jumping jacks", "开合跳"),
    ("vertical_jump", "Vertical jump", "纵跳"),
    ("broad_jump", "Broad jump", "立定跳远"),
    ("bench_press", "Bench press", "卧推"),
    ("deadlift", "Deadlift", "硬拉"),
    ("snatch", "Snatch", "抓举"),
    ("clean", "Clean", "高翻"),
    ("clean_and_jerk", "Clean and jerk", "挺举"),
    ("burpee", "Burpee", "波比跳"),
    ("chin_up", "Chin-up", "反手引体向上"),
    ("pull_up", "Pull-up", "引体向上"),
    ("lunge", "Lunge", "弓步蹲"),
    ("punch", "Punch", "出拳"),
    ("front_kick", "Front kick", "前踢"),
    ("knee_to_chest", "Knee to chest", "抱膝触胸"),
    ("sprint", "Sprint", "冲刺跑"),
    ("running", "Running", "跑步"),
    ("downward_dog", "Downward dog", "下犬式"),
    ("plank", "Plank", "平板支撑"),
];

/// Name of an exercise in the given language.
pub fn exercise_name(exercise_id: &str, language: Language) -> String {
    let normalised = exercise_id.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    NAMES
        .iter()
        .find(|(id, _, _)| *id == normalised)
        .map(|(_, english, chinese)| language.pick(english, chinese).to_owned())
        .unwrap_or_else(|| humanise(exercise_id))
}

/// Whether the exercise is an Olympic-style barbell lift (seed 001's family).
pub fn is_weightlifting(exercise_id: &str) -> bool {
    matches!(
        exercise_id.trim().to_ascii_lowercase().as_str(),
        "snatch" | "clean" | "clean_and_jerk" | "power_clean" | "power_snatch"
    )
}

/// `squat-basic` -> `Squat basic`.
pub fn humanise(identifier: &str) -> String {
    let spaced = identifier.trim().replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_ids_and_aliases_in_both_languages() {
        assert_eq!(exercise_name("pushup", Language::English), "Push-up");
        assert_eq!(exercise_name("push-up", Language::Chinese), "俯卧撑");
        assert_eq!(exercise_name("clean_and_jerk", Language::Chinese), "挺举");
    }

    #[test]
    fn humanises_unknown_ids() {
        assert_eq!(exercise_name("squat-basic", Language::English), "Squat basic");
        assert_eq!(exercise_name("", Language::English), "");
    }
}
