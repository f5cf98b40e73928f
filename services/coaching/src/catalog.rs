//! Exercise names and kinds, from the exercise engine's catalog.

use std::sync::OnceLock;

use fitvision_exercise_engine::Catalog;
use fitvision_exercise_engine::definition::AnalyzerKind;

use crate::language::Language;

fn catalog() -> Option<&'static Catalog> {
    static CATALOG: OnceLock<Option<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            Catalog::builtin()
                .inspect_err(
                    |error| tracing::error!(%error, "built-in exercise catalog is invalid"),
                )
                .ok()
        })
        .as_ref()
}

/// Name of an exercise (id or alias) in the given language. Tenant exercises
/// outside the built-in catalog are shown with their id humanised.
pub fn exercise_name(exercise_id: &str, language: Language) -> String {
    let definition = catalog().and_then(|catalog| catalog.get(exercise_id));
    let name = definition.map(|definition| match language {
        Language::English => definition.name.as_str(),
        Language::Chinese if definition.name_zh.is_empty() => definition.name.as_str(),
        Language::Chinese => definition.name_zh.as_str(),
    });
    name.map(str::to_owned)
        .unwrap_or_else(|| humanise(exercise_id))
}

/// The catalog id of an id or alias (`pushup` -> `push_up`); unknown ids as given.
pub fn canonical_id(exercise_id: &str) -> String {
    catalog()
        .and_then(|catalog| catalog.get(exercise_id))
        .map_or_else(
            || exercise_id.trim().to_owned(),
            |definition| definition.id.clone(),
        )
}

/// Whether the exercise is an Olympic lift with a barbell (the Weightlifting API's family).
pub fn is_weightlifting(exercise_id: &str) -> bool {
    catalog()
        .and_then(|catalog| catalog.get(exercise_id))
        .is_some_and(|definition| definition.analyzer == AnalyzerKind::Weightlifting)
}

/// Whether the exercise is a one-effort test scored by a distance (jumps,
/// sit-and-reach): its progression is to beat the measure, not to add reps.
pub fn is_performance_test(exercise_id: &str) -> bool {
    catalog()
        .and_then(|catalog| catalog.get(exercise_id))
        .is_some_and(|definition| {
            matches!(
                definition.analyzer,
                AnalyzerKind::VerticalJump | AnalyzerKind::BroadJump | AnalyzerKind::SitAndReach
            )
        })
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
    fn names_catalog_ids_and_aliases_in_both_languages() {
        assert_eq!(exercise_name("pushup", Language::English), "Push-up");
        assert!(!exercise_name("push-up", Language::Chinese).is_ascii());
        assert!(is_weightlifting("power_snatch"));
        assert!(!is_weightlifting("squat"));
    }

    #[test]
    fn humanises_unknown_ids() {
        assert_eq!(
            exercise_name("tenant_burpee_row", Language::English),
            "Tenant burpee row"
        );
        assert_eq!(exercise_name("", Language::English), "");
    }
}
