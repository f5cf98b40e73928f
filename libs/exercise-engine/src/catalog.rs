//! The built-in catalog: one JSON definition per exercise under `catalog/`,
//! embedded at compile time, validated when loaded, looked up by id or alias.

use std::collections::HashMap;

use crate::definition::{DefinitionError, ExerciseDefinition, normalise_id};

/// Every built-in definition file (name, contents), in library order: the order in
/// which tenants' catalogs list them.
const BUILTIN: &[(&str, &str)] = &[
    ("squat", include_str!("../catalog/squat.json")),
    ("push_up", include_str!("../catalog/push_up.json")),
    ("sit_up", include_str!("../catalog/sit_up.json")),
    (
        "sit_and_reach",
        include_str!("../catalog/sit_and_reach.json"),
    ),
    ("skipping", include_str!("../catalog/skipping.json")),
    (
        "jumping_jacks",
        include_str!("../catalog/jumping_jacks.json"),
    ),
    (
        "vertical_jump",
        include_str!("../catalog/vertical_jump.json"),
    ),
    ("broad_jump", include_str!("../catalog/broad_jump.json")),
    ("snatch", include_str!("../catalog/snatch.json")),
    ("clean", include_str!("../catalog/clean.json")),
    (
        "clean_and_jerk",
        include_str!("../catalog/clean_and_jerk.json"),
    ),
    ("bench_press", include_str!("../catalog/bench_press.json")),
    ("deadlift", include_str!("../catalog/deadlift.json")),
    (
        "bodyweight_squat",
        include_str!("../catalog/bodyweight_squat.json"),
    ),
    ("burpee", include_str!("../catalog/burpee.json")),
    ("chin_up", include_str!("../catalog/chin_up.json")),
    ("lunge", include_str!("../catalog/lunge.json")),
    ("punch", include_str!("../catalog/punch.json")),
    ("front_kick", include_str!("../catalog/front_kick.json")),
    (
        "knee_to_chest",
        include_str!("../catalog/knee_to_chest.json"),
    ),
    ("sprint", include_str!("../catalog/sprint.json")),
    ("downward_dog", include_str!("../catalog/downward_dog.json")),
    ("plank", include_str!("../catalog/plank.json")),
];

/// A set of definitions with alias lookup.
#[derive(Debug, Clone)]
pub struct Catalog {
    definitions: Vec<ExerciseDefinition>,
    by_name: HashMap<String, usize>,
    /// The definitions with a [`TrainerEntry`](crate::definition::TrainerEntry), in its order.
    trainer: Vec<usize>,
}

impl Catalog {
    /// The embedded catalog. Fails only if a shipped file is invalid (a test guards that).
    pub fn builtin() -> Result<Self, DefinitionError> {
        let mut defs = Vec::with_capacity(BUILTIN.len());
        for (file, json) in BUILTIN {
            let def = ExerciseDefinition::from_json(json).map_err(|e| {
                DefinitionError::Invalid(
                    e.messages()
                        .into_iter()
                        .map(|m| format!("catalog/{file}.json: {m}"))
                        .collect(),
                )
            })?;
            defs.push(def);
        }
        Self::from_definitions(defs)
    }

    /// Builds a catalog; ids and aliases must be unique after normalisation, and so
    /// must the AI Exercise Trainer API's exercise types and their places in its list.
    pub fn from_definitions(definitions: Vec<ExerciseDefinition>) -> Result<Self, DefinitionError> {
        let mut by_name = HashMap::new();
        let mut errors = Vec::new();
        let mut trainer: Vec<usize> = (0..definitions.len())
            .filter(|&k| definitions[k].trainer.is_some())
            .collect();
        trainer.sort_by_key(|&k| definitions[k].trainer.as_ref().map(|t| t.order));
        for pair in trainer.windows(2) {
            let (a, b) = (&definitions[pair[0]], &definitions[pair[1]]);
            let (ta, tb) = (a.trainer.as_ref(), b.trainer.as_ref());
            if ta.map(|t| t.order) == tb.map(|t| t.order) {
                errors.push(format!("{} and {} share a trainer.order", a.id, b.id));
            }
        }
        let mut types = HashMap::new();
        for &k in &trainer {
            let Some(t) = &definitions[k].trainer else {
                continue;
            };
            if let Some(prev) = types.insert(t.exercise_type.as_str(), k) {
                errors.push(format!(
                    "trainer.exerciseType {:?} names both {} and {}",
                    t.exercise_type, definitions[prev].id, definitions[k].id
                ));
            }
        }
        for (k, d) in definitions.iter().enumerate() {
            for name in std::iter::once(&d.id).chain(&d.aliases) {
                if let Some(prev) = by_name.insert(normalise_id(name), k)
                    && prev != k
                {
                    errors.push(format!(
                        "{name:?} names both {} and {}",
                        definitions[prev].id, d.id
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(DefinitionError::Invalid(errors));
        }
        Ok(Self {
            definitions,
            by_name,
            trainer,
        })
    }

    /// Finds a definition by id or alias ("pushup", "Push-Up", "squat-basic").
    pub fn get(&self, id_or_alias: &str) -> Option<&ExerciseDefinition> {
        self.by_name
            .get(&normalise_id(id_or_alias))
            .map(|&k| &self.definitions[k])
    }

    pub fn definitions(&self) -> &[ExerciseDefinition] {
        &self.definitions
    }

    /// The exercises the AI Exercise Trainer API offers (those with a
    /// [`trainer`](ExerciseDefinition::trainer) entry), in its documented order.
    pub fn trainer_exercises(&self) -> impl Iterator<Item = &ExerciseDefinition> {
        self.trainer.iter().map(|&k| &self.definitions[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controlled_exercises_are_analysed_at_15_fps_and_ballistic_ones_at_every_frame() {
        let c = Catalog::builtin().unwrap();
        for id in ["push_up", "squat", "pull_up", "lunge", "sit_up", "plank"] {
            assert_eq!(c.get(id).unwrap().analysis_fps(), 15.0, "{id}");
        }
        for id in [
            "vertical_jump",
            "broad_jump",
            "sprint",
            "snatch",
            "clean",
            "skipping",
        ] {
            assert_eq!(c.get(id).unwrap().analysis_fps(), 0.0, "{id}");
        }
    }

    #[test]
    fn builtin_catalog_is_valid_and_covers_every_documented_exercise_id() {
        let c = Catalog::builtin().unwrap();
        let documented = [
            // AI Exercise Trainer API
            "pushup",
            "squat",
            "situp",
            "sit_and_reach",
            "skipping",
            "jumping_jacks",
            "vertical_jump",
            "broad_jump",
            // Guru API
            "bench_press",
            "clean_and_jerk",
            "deadlift",
            "snatch",
            "squat",
            "bodyweight_squat",
            "burpee",
            "chin_up",
            "lunge",
            "push_up",
            "sit_up",
            "punch",
            "front_kick",
            "knee_to_chest",
            "sprint",
            "downward_dog",
            // Weightlifting API
            "clean",
            // AI Move API and the test set
            "squat-basic",
            "plank",
            "pull_up",
        ];
        for id in documented {
            assert!(c.get(id).is_some(), "{id} missing");
        }
        assert_eq!(c.get("Push-Up").unwrap().id, "push_up");
        assert_eq!(c.get("squat-basic").unwrap().id, "bodyweight_squat");
        assert!(c.get("yoga_flow").is_none());
    }

    #[test]
    fn trainer_exercises_are_eight_in_order_each_named_by_its_own_type() {
        let c = Catalog::builtin().unwrap();
        let trainer: Vec<&ExerciseDefinition> = c.trainer_exercises().collect();
        let orders: Vec<u32> = trainer
            .iter()
            .filter_map(|d| d.trainer.as_ref().map(|t| t.order))
            .collect();
        assert_eq!(orders, (1..=8).collect::<Vec<_>>());
        for d in trainer {
            let exercise_type = &d.trainer.as_ref().unwrap().exercise_type;
            assert_eq!(c.get(exercise_type).map(|e| &e.id), Some(&d.id));
        }
    }

    #[test]
    fn trainer_exercise_types_and_orders_must_be_unique() {
        let c = Catalog::builtin().unwrap();
        let mut defs = c.definitions().to_vec();
        let pushup = defs[1].trainer.clone();
        defs[0].trainer = pushup;
        let err = Catalog::from_definitions(defs).unwrap_err().messages();
        assert!(
            err.iter().any(|m| m.contains("share a trainer.order")),
            "{err:?}"
        );
        assert!(
            err.iter().any(|m| m.contains("\"pushup\" names both")),
            "{err:?}"
        );
    }
}
