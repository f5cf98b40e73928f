//! Concrete coaching cues for form faults.
//!
//! Form checks are data (tenants add their own), so cues are matched on the
//! words of the check's key and label rather than on a closed list of keys;
//! an unmatched check still gets a cue built from its own label. Cues state
//! no numbers: every number the coach writes is a measured one.

use fitvision_proto::v1::FormViolation;

use crate::digest::check_label;
use crate::language::Language;

struct Cue {
    /// Exercises (catalog ids) the cue is written for; empty: any exercise.
    exercises: &'static [&'static str],
    /// Every word group must match (any of its words, as a substring).
    all_of: &'static [&'static [&'static str]],
    english: &'static str,
    chinese: &'static str,
}

/// Most specific first: the first matching cue wins. The catalog's own checks
/// (whose labels already say what to do) get cues that say how.
const CUES: &[Cue] = &[
    Cue {
        exercises: &["push_up"],
        all_of: &[&["depth"]],
        english: "Lower until your chest is just above the floor, letting your elbows bend well past a right angle.",
        chinese: "每次都下放到胸口接近地面，手肘充分弯曲。",
    },
    Cue {
        exercises: &["bench_press"],
        all_of: &[&["depth"]],
        english: "Lower the bar under control until it touches your chest, then press.",
        chinese: "有控制地把杠铃下放到轻触胸口，再向上推起。",
    },
    Cue {
        exercises: &["lunge"],
        all_of: &[&["depth"]],
        english: "Drop your back knee straight down towards the floor so that your front knee bends to a right angle.",
        chinese: "后侧膝盖垂直向地面下沉，让前侧膝盖弯曲到直角。",
    },
    Cue {
        exercises: &["push_up", "bench_press"],
        all_of: &[&["lockout"]],
        english: "Press until your elbows are straight at the top of every rep before you lower again.",
        chinese: "每次推起都要把手肘完全伸直，再开始下放。",
    },
    Cue {
        exercises: &["deadlift"],
        all_of: &[&["lockout"]],
        english: "Finish every rep standing tall: squeeze your glutes to bring your hips fully forward, without leaning back.",
        chinese: "每次都要完全站直：夹紧臀部，把髋部向前送到位，但不要后仰。",
    },
    Cue {
        exercises: &["punch"],
        all_of: &[&["extension"]],
        english: "Extend your arm fully on every punch, turning your hip and shoulder into it, then pull it back fast.",
        chinese: "每一拳都要把手臂完全打直，转动髋部和肩膀发力，再迅速收回。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["too_fast"]],
        english: "Lower under control instead of dropping, pause for a moment at the bottom, then drive up.",
        chinese: "下放要有控制，不要直接落下；在底部稍作停顿，再发力起身。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["body_line", "plank_line", "hips_sag"]],
        english: "Squeeze your glutes and brace your abs so shoulders, hips and ankles stay in one straight line.",
        chinese: "收紧臀部、绷紧腹部，让肩、髋、踝始终保持一条直线。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["full_extension", "stand_tall"]],
        english: "Stand all the way up at the top, hips and knees straight, before you start the next rep.",
        chinese: "每次起身都要完全站直，髋和膝伸直后再开始下一次。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["upright_torso"]],
        english: "Keep your torso upright, with your shoulders stacked over your hips all the way down.",
        chinese: "上身保持直立，下蹲全程肩膀都在髋部正上方。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["chin_over_bar"]],
        english: "Drive your elbows down towards your ribs until your chin clears the bar.",
        chinese: "手肘向下拉向肋骨，直到下巴高过横杆。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["full_hang"]],
        english: "Lower all the way to straight arms at the bottom of every rep.",
        chinese: "每次都下放到手臂完全伸直。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["straight_legs", "straight_knees"]],
        english: "Straighten your knees and fold from the hips instead of rounding your back.",
        chinese: "膝盖伸直，从髋部向前折叠，而不是弓背。",
    },
    Cue {
        exercises: &["downward_dog"],
        all_of: &[&["hip"]],
        english: "Push your hips up and back, pressing your chest towards your thighs.",
        chinese: "臀部向上向后推，胸口压向大腿方向。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["kick_height"]],
        english: "Lift your knee high first, then snap the lower leg out.",
        chinese: "先把膝盖高高抬起，再快速踢出小腿。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["arms_down"]],
        english: "Bring your arms all the way back to your sides between jacks.",
        chinese: "每次都要把手臂完全放回身体两侧。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["knee_high"]],
        english: "Pull your knee in towards your chest with your hands and keep your back tall.",
        chinese: "用双手把膝盖拉向胸口，背部保持挺直。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["full_sit_up"]],
        english: "Come all the way up until your chest is over your thighs, leading with the chest rather than pulling on your neck.",
        chinese: "每次都完全坐起，让胸口靠近大腿，用胸部带动，不要拉脖子。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["back_down"]],
        english: "Lower until your shoulders touch the floor before the next rep.",
        chinese: "每次都要让肩膀回到地面，再开始下一次。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["hip", "butt"], &["sag", "drop", "too_low"]],
        english: "Squeeze your glutes and brace your abs so shoulders, hips and ankles stay in one straight line.",
        chinese: "收紧臀部、绷紧腹部，让肩、髋、踝始终保持一条直线。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["hip", "butt"], &["pike", "too_high"]],
        english: "Lower your hips until your body forms a straight plank from head to heels.",
        chinese: "把臀部放低，让身体从头到脚跟成一条直线。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["elbow"], &["flare", "wide", "tuck"]],
        english: "Tuck your elbows in towards your ribs as you lower, instead of letting them flare out to the sides.",
        chinese: "下放时手肘向肋骨方向收，不要向两侧外张。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["knee"], &["valgus", "cave", "collapse", "inward"]],
        english: "Push your knees out so they track over your toes all the way down and up.",
        chinese: "膝盖向外推，下蹲和起身时都让膝盖对准脚尖方向。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["knee"], &["toe", "forward", "travel"]],
        english: "Start each rep by sitting your hips back, keeping your weight over the middle of your feet.",
        chinese: "每次下蹲先向后坐髋，重心保持在脚掌中部。",
    },
    Cue {
        exercises: &["squat", "bodyweight_squat"],
        all_of: &[&["depth", "shallow", "parallel", "deep"]],
        english: "Sit down until your hip crease drops below the top of your knee, and pause briefly at the bottom.",
        chinese: "蹲到髋部低于膝盖上沿，并在最低点稍作停顿。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["heel"]],
        english: "Keep your whole foot, heels included, pressed into the floor throughout the rep.",
        chinese: "整个脚掌（包括脚跟）始终踩实地面。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["range", "rom", "partial", "half", "bottom", "depth"]],
        english: "Use the full range of motion on every rep: all the way down and all the way up.",
        chinese: "每一次都做满全程：下到底，再完全起来。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["back", "spine", "round", "torso", "trunk", "lean"]],
        english: "Brace before each rep and keep your chest up and your spine neutral from start to finish.",
        chinese: "每次开始前先收紧核心，挺胸，全程保持脊柱中立。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["lockout", "lock_out", "extension", "extend"]],
        english: "Finish every rep fully straightened at the top before starting the next one.",
        chinese: "每次都要在顶端完全伸直，再开始下一次。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["tempo", "speed", "fast", "rush", "bounce", "control"]],
        english: "Lower under control instead of dropping into the bottom, then drive up with intent.",
        chinese: "下放要有控制，不要直接砸到底，然后再发力起身。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["head", "neck", "gaze"]],
        english: "Keep your head in line with your spine, gaze slightly ahead of you.",
        chinese: "头部与脊柱保持一条线，目光看向前方稍下的位置。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["arm", "hand", "overhead", "clap"]],
        english: "Bring your arms all the way overhead on every rep, then fully back down.",
        chinese: "每次都把双臂完全举过头顶，再完全放下。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["leg", "feet", "foot", "stance", "width"]],
        english: "Move your feet to the full stance width on every rep, landing in the same spot each time.",
        chinese: "每次都把双脚打开到完整的站距，并落在同样的位置。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["land"]],
        english: "Land softly on the balls of your feet with your knees bent to absorb the impact.",
        chinese: "落地时前脚掌先着地，屈膝缓冲。",
    },
    Cue {
        exercises: &[],
        all_of: &[
            &["bar", "barbell"],
            &["path", "drift", "forward", "away", "loop"],
        ],
        english: "Keep the bar close: sweep it back towards your body off the floor and brush it against your hips.",
        chinese: "让杠铃贴近身体：离地后向身体方向回收，二次提拉时贴着髋部。",
    },
    Cue {
        exercises: &[],
        all_of: &[&["symmetr", "uneven", "asymmetr", "balance", "level"]],
        english: "Move both sides evenly; film yourself from the front to check that neither side leads.",
        chinese: "两侧均匀发力；可以从正面录像，检查是否有一侧领先。",
    },
];

fn matches(exercise_id: &str, haystack: &str, cue: &Cue) -> bool {
    (cue.exercises.is_empty() || cue.exercises.contains(&exercise_id))
        && cue
            .all_of
            .iter()
            .all(|group| group.iter().any(|word| haystack.contains(word)))
}

/// A concrete cue for a failed form check of an exercise (catalog id).
pub fn cue_for(check: &FormViolation, exercise_id: &str, language: Language) -> String {
    let haystack = format!("{} {}", check.key, check.label).to_ascii_lowercase();
    CUES.iter()
        .find(|cue| matches(exercise_id, &haystack, cue))
        .map(|cue| language.pick(cue.english, cue.chinese).to_owned())
        .unwrap_or_else(|| {
            let label = check_label(check, language);
            match language {
                Language::English => {
                    format!("Slow down and make \"{label}\" your single focus on every rep.")
                }
                Language::Chinese => format!("放慢速度，每一次都专注纠正“{label}”。"),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &str, label: &str) -> FormViolation {
        FormViolation {
            key: key.into(),
            label: label.into(),
            label_zh: "测试".into(),
            ..Default::default()
        }
    }

    #[test]
    fn matches_cues_on_key_and_label_words() {
        let sag = cue_for(
            &check("hip_sag", "Hips sagging"),
            "plank",
            Language::English,
        );
        assert!(sag.contains("glutes"), "{sag}");
        let flare = cue_for(
            &check("elbow_flare", "Elbows flaring"),
            "push_up",
            Language::Chinese,
        );
        assert!(flare.contains("手肘"), "{flare}");
        let depth = cue_for(
            &check("squat_depth", "Not deep enough"),
            "squat",
            Language::English,
        );
        assert!(depth.contains("hip crease"), "{depth}");
    }

    #[test]
    fn the_same_key_gets_the_cue_of_its_exercise() {
        let depth = check("depth", "Lower your chest further");
        let push_up = cue_for(&depth, "push_up", Language::English);
        assert!(
            push_up.contains("chest is just above the floor"),
            "{push_up}"
        );
        let squat = cue_for(&check("depth", "Squat deeper"), "squat", Language::English);
        assert!(squat.contains("hip crease"), "{squat}");
    }

    #[test]
    fn every_catalog_check_has_a_written_cue() {
        let catalog = fitvision_exercise_engine::Catalog::builtin().unwrap();
        for definition in catalog.definitions() {
            for form_check in &definition.form_checks {
                let violation = check(&form_check.key, &form_check.label);
                let cue = cue_for(&violation, &definition.id, Language::English);
                assert!(
                    !cue.starts_with("Slow down and make"),
                    "{} / {}: no written cue",
                    definition.id,
                    form_check.key
                );
            }
        }
    }

    #[test]
    fn unknown_checks_get_a_cue_from_their_label() {
        let english = cue_for(
            &check("wobble", "Wobbly wrists"),
            "push_up",
            Language::English,
        );
        assert!(english.contains("\"Wobbly wrists\""), "{english}");
        let chinese = cue_for(
            &check("wobble", "Wobbly wrists"),
            "push_up",
            Language::Chinese,
        );
        assert!(chinese.contains("测试"), "{chinese}");
    }
}
