//! Handlers of the five documented API families.

pub mod admin;
pub mod ai_move;
pub mod analysis_limits;
pub mod guru;
mod joint_names;
pub mod lifting;
pub mod live;
pub mod oauth;
mod pose_track;
mod sessions;
pub mod shares;
pub mod trainer;

use std::sync::OnceLock;

use fitvision_exercise_engine::Catalog;

/// The exercise catalog, the only list of exercises: Guru's activities and domains and
/// the AI Exercise Trainer API's exercise types are read from it.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::builtin().expect("the built-in catalog is validated by its tests"))
}
