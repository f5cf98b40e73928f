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
    /// Every word group must match (any of its words, as a substring).
    all_of: &'static [&'static [&'static str]],
    english: &'static str,
    chinese: &'static str,
}

/// Most specific first: the first matching cue wins.
const CUES: &[Cue] = &[
    Cue {
        all_of: &[&["hip", "butt"], &["sag", "drop", "too_low"]],
        english: "Squeeze your glutes and brace your abs so shoulders, hips and ankles stay in one straight line.",
        chinese: "收紧臀部、绷紧腹部，让肩、髋、踝始终保持一条直线。",
    },
    Cue {
        all_of: &[&["hip", "butt"], &["pike", "too_high"]],
        english: "Lower your hips until your body forms a straight plank from head to heels.",
        chinese: "把臀部放低，让身体从头到脚跟成一条直线。",
    },
    Cue {
        all_of: &[&["elbow"], &["flare", "wide", "tuck"]],
        english: "Tuck your elbows in towards your ribs as you lower, instead of letting them flare out to the sides.",
        chinese: "下放时手肘向肋骨方向收，不要向两侧外张。",
    },
    Cue {
        all_of: &[&["knee"], &["valgus", "cave", "collapse", "inward"]],
        english: "Push your knees out so they track over your toes all the way down and up.",
        chinese: "膝盖向外推，下蹲和起身时都让膝盖对准脚尖方向。",
    },
    Cue {
        all_of: &[&["knee"], &["toe", "forward", "travel"]],
        english: "Start each rep by sitting your hips back, keeping your weight over the middle of your feet.",
        chinese: "每次下蹲先向后坐髋，重心保持在脚掌中部。",
    },
    Cue {
        all_of: &[&["depth", "shallow", "parallel", "deep"]],
        english: "Sit down until your hip crease drops below the top of your knee, and pause briefly at the bottom.",
        chinese: "蹲到髋部低于膝盖上沿，并在最低点稍作停顿。",
    },
    Cue {
        all_of: &[&["heel"]],
        english: "Keep your whole foot, heels included, pressed into the floor throughout the rep.",
        chinese: "整个脚掌（包括脚跟）始终踩实地面。",
    },
    Cue {
        all_of: &[&["range", "rom", "partial", "half", "bottom"]],
        english: "Use the full range of motion on every rep: all the way down and all the way up.",
        chinese: "每一次都做满全程：下到底，再完全起来。",
    },
    Cue {
        all_of: &[&["back", "spine", "round", "torso", "trunk", "lean"]],
        english: "Brace before each rep and keep your chest up and your spine neutral from start to finish.",
        chinese: "每次开始前先收紧核心，挺胸，全程保持脊柱中立。",
    },
    Cue {
        all_of: &[&["lockout", "lock_out", "extension", "extend"]],
        english: "Finish every rep fully straightened at the top before starting the next one.",
        chinese: "每次都要在顶端完全伸直，再开始下一次。",
    },
    Cue {
        all_of: &[&["tempo", "speed", "fast", "rush", "bounce", "control"]],
        english: "Lower under control instead of dropping into the bottom, then drive up with intent.",
        chinese: "下放要有控制，不要直接砸到底，然后再发力起身。",
    },
    Cue {
        all_of: &[&["head", "neck", "gaze"]],
        english: "Keep your head in line with your spine, gaze slightly ahead of you.",
        chinese: "头部与脊柱保持一条线，目光看向前方稍下的位置。",
    },
    Cue {
        all_of: &[&["arm", "hand", "overhead", "clap"]],
        english: "Bring your arms all the way overhead on every rep, then fully back down.",
        chinese: "每次都把双臂完全举过头顶，再完全放下。",
    },
    Cue {
        all_of: &[&["leg", "feet", "foot", "stance", "width"]],
        english: "Move your feet to the full stance width on every rep, landing in the same spot each time.",
        chinese: "每次都把双脚打开到完整的站距，并落在同样的位置。",
    },
    Cue {
        all_of: &[&["land"]],
        english: "Land softly on the balls of your feet with your knees bent to absorb the impact.",
        chinese: "落地时前脚掌先着地，屈膝缓冲。",
    },
    Cue {
        all_of: &[&["bar", "barbell"], &["path", "drift", "forward", "away", "loop"]],
        english: "Keep the bar close: sweep it back towards your body off the floor and brush it against your hips.",
        chinese: "让杠铃贴近身体：离地后向身体方向回收，二次提拉时贴着髋部。",
    },
    Cue {
        all_of: &[&["symmetr", "uneven", "asymmetr", "balance", "level"]],
        english: "Move both sides evenly; film yourself from the front to check that neither side leads.",
        chinese: "两侧均匀发力；可以从正面录像，检查是否有一侧领先。",
    },
];

fn matches(haystack: &str, cue: &Cue) -> bool {
    cue.all_of
        .iter()
        .all(|group| group.iter().any(|word| haystack.contains(word)))
}

/// A concrete cue for a failed form check.
pub fn cue_for(check: &FormViolation, language: Language) -> String {
    let haystack = format!("{} {}", check.key, check.label).to_ascii_lowercase();
    CUES.iter()
        .find(|cue| matches(&haystack, cue))
        .map(|cue| language.pick(cue.english, cue.chinese).to_owned())
        .unwrap_or_else(|| {
            let label = check_label(check, language);
            match language {
                Language::English => format!(
                    "Slow down and make \"{}\" your single focus on every rep.",
                    label.to_lowercase()
                ),
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
        let sag = cue_for(&check("hip_sag", "Hips sagging"), Language::English);
        assert!(sag.contains("glutes"), "{sag}");
        let flare = cue_for(&check("elbow_flare", "Elbows flaring"), Language::Chinese);
        assert!(flare.contains("手肘"), "{flare}");
        let depth = cue_for(&check("squat_depth", "Not deep enough"), Language::English);
        assert!(depth.contains("hip crease"), "{depth}");
    }

    #[test]
    fn unknown_checks_get_a_cue_from_their_label() {
        let english = cue_for(&check("wobble", "Wobbly wrists"), Language::English);
        assert!(english.contains("wobbly wrists"), "{english}");
        let chinese = cue_for(&check("wobble", "Wobbly wrists"), Language::Chinese);
        assert!(chinese.contains("测试"), "{chinese}");
    }
}
