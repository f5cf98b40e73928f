//! The built-in exercise library seeded into the library tenant's catalog.
//! Ids are the metrics engine's canonical ids; aliases are the names the
//! five APIs use (seed 000 "pushup", Guru "push_up", AI Move "squat-basic").

/// One library exercise.
#[derive(Debug, Clone, Copy)]
pub struct LibraryExercise {
    pub id: &'static str,
    pub name: &'static str,
    pub name_zh: &'static str,
    /// "rep" or "timer".
    pub mode: &'static str,
    pub category: &'static str,
    pub domain: &'static str,
    pub difficulty: &'static str,
    pub target_value: i32,
    pub estimated_calories: f64,
    pub aliases: &'static [&'static str],
    pub description: &'static str,
}

const fn exercise(
    id: &'static str,
    (name, name_zh): (&'static str, &'static str),
    mode: &'static str,
    category: &'static str,
    domain: &'static str,
    aliases: &'static [&'static str],
    description: &'static str,
) -> LibraryExercise {
    LibraryExercise {
        id,
        name,
        name_zh,
        mode,
        category,
        domain,
        difficulty: "beginner",
        target_value: if matches!(mode.as_bytes(), b"timer") {
            30
        } else {
            10
        },
        estimated_calories: 8.0,
        aliases,
        description,
    }
}

/// Library order is the slice order (sortOrder = 10, 20, ...).
pub const LIBRARY: &[LibraryExercise] = &[
    exercise(
        "squat",
        ("Squat", "深蹲"),
        "rep",
        "strength",
        "weightlifting",
        &["squat-basic", "squats", "back_squat"],
        "Lower into a squat and return to standing.",
    ),
    exercise(
        "push_up",
        ("Push-up", "俯卧撑"),
        "rep",
        "strength",
        "calisthenics",
        &["pushup", "pushups"],
        "Lower the chest to the floor and press back up.",
    ),
    exercise(
        "sit_up",
        ("Sit-up", "仰卧起坐"),
        "rep",
        "core",
        "calisthenics",
        &["situp", "situps"],
        "Curl up from lying to sitting and back.",
    ),
    exercise(
        "sit_and_reach",
        ("Sit and Reach", "坐位体前屈"),
        "timer",
        "flexibility",
        "mobility",
        &[],
        "Reach forward towards the toes and hold.",
    ),
    exercise(
        "skipping",
        ("Skipping", "跳绳"),
        "rep",
        "cardio",
        "calisthenics",
        &["jump_rope", "rope_skipping"],
        "Jump rope with small, quick hops.",
    ),
    exercise(
        "jumping_jacks",
        ("Jumping Jacks", "开合跳"),
        "rep",
        "cardio",
        "calisthenics",
        &["jumping_jack"],
        "Jump feet apart with arms overhead and back.",
    ),
    exercise(
        "vertical_jump",
        ("Vertical Jump", "纵跳"),
        "rep",
        "power",
        "jumping",
        &["cmj"],
        "Jump straight up as high as possible.",
    ),
    exercise(
        "broad_jump",
        ("Broad Jump", "立定跳远"),
        "rep",
        "power",
        "jumping",
        &["standing_long_jump"],
        "Jump forward as far as possible from standing.",
    ),
    exercise(
        "snatch",
        ("Snatch", "抓举"),
        "rep",
        "olympic",
        "weightlifting",
        &[],
        "Lift the bar from floor to overhead in one motion.",
    ),
    exercise(
        "clean",
        ("Clean", "翻站"),
        "rep",
        "olympic",
        "weightlifting",
        &["power_clean"],
        "Lift the bar from floor to the front rack.",
    ),
    exercise(
        "clean_and_jerk",
        ("Clean and Jerk", "挺举"),
        "rep",
        "olympic",
        "weightlifting",
        &[],
        "Clean the bar, then jerk it overhead.",
    ),
    exercise(
        "bench_press",
        ("Bench Press", "卧推"),
        "rep",
        "strength",
        "weightlifting",
        &["bench"],
        "Press the bar from the chest while lying on a bench.",
    ),
    exercise(
        "deadlift",
        ("Deadlift", "硬拉"),
        "rep",
        "strength",
        "weightlifting",
        &[],
        "Lift the bar from the floor to standing.",
    ),
    exercise(
        "bodyweight_squat",
        ("Bodyweight Squat", "徒手深蹲"),
        "rep",
        "strength",
        "calisthenics",
        &["air_squat"],
        "Squat without load.",
    ),
    exercise(
        "burpee",
        ("Burpee", "波比跳"),
        "rep",
        "cardio",
        "calisthenics",
        &["burpees"],
        "Squat, kick back to plank, return and jump.",
    ),
    exercise(
        "chin_up",
        ("Chin-up", "引体向上"),
        "rep",
        "strength",
        "calisthenics",
        &["chinup", "pull_up", "pullup"],
        "Pull the chin over the bar.",
    ),
    exercise(
        "lunge",
        ("Lunge", "弓步蹲"),
        "rep",
        "strength",
        "calisthenics",
        &["lunges"],
        "Step forward and lower the back knee.",
    ),
    exercise(
        "punch",
        ("Punch", "出拳"),
        "rep",
        "martial_arts",
        "martial_arts",
        &[],
        "Throw straight punches.",
    ),
    exercise(
        "front_kick",
        ("Front Kick", "前踢"),
        "rep",
        "martial_arts",
        "martial_arts",
        &[],
        "Kick straight forward.",
    ),
    exercise(
        "knee_to_chest",
        ("Knee to Chest", "抱膝"),
        "rep",
        "mobility",
        "mobility",
        &[],
        "Pull one knee to the chest.",
    ),
    exercise(
        "sprint",
        ("Sprint", "冲刺跑"),
        "rep",
        "running",
        "running",
        &["running", "run"],
        "Sprint; each stride is a rep.",
    ),
    exercise(
        "downward_dog",
        ("Downward Dog", "下犬式"),
        "timer",
        "yoga",
        "yoga",
        &[],
        "Hold an inverted V with straight arms and legs.",
    ),
    exercise(
        "plank",
        ("Plank", "平板支撑"),
        "timer",
        "core",
        "calisthenics",
        &["plank-hold"],
        "Hold a straight body on forearms and toes.",
    ),
];

/// Lower-case, '-' and ' ' folded to '_', so "Push-Up" finds "push_up".
pub fn normalise(id: &str) -> String {
    id.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for entry in LIBRARY {
            assert!(seen.insert(normalise(entry.id)), "{}", entry.id);
            for alias in entry.aliases {
                assert!(seen.insert(normalise(alias)), "{alias}");
            }
        }
    }
}
