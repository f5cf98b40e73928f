//! What the examples that read stored pose tracks share: the exercise named on the
//! command line and the tracks, each with its file name.

use fitvision_exercise_engine::{Catalog, ExerciseDefinition};
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

pub type Error = Box<dyn std::error::Error>;

/// The built-in definition of exercise `id`.
pub fn exercise(id: &str) -> Result<ExerciseDefinition, Error> {
    Ok(Catalog::builtin()?
        .get(id)
        .ok_or_else(|| format!("unknown exercise {id:?}"))?
        .clone())
}

/// A stored track (`*.posetrack.pb`) and its file name, for labelling output.
pub fn track(path: &str) -> Result<(&str, PoseTrack), Error> {
    let track = PoseTrack::decode(std::fs::read(path)?.as_slice())?;
    Ok((path.rsplit('/').next().unwrap_or(path), track))
}
