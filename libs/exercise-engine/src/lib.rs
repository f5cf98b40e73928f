//! Exercise definitions as data, and the one engine that interprets them.
//!
//! - [`definition`]: the JSON format (validated, with every error listed).
//! - [`catalog`]: the built-in definitions (`catalog/*.json`, embedded) and alias lookup.
//! - [`names`]: the names of the series, metrics and phases an analysis returns.
//! - [`subject`]: picks and cleans the person to follow out of a pose track.
//! - [`signals`]: turns a signal spec into a clean per-frame series.
//! - [`reps`]: generic rep segmentation with hysteresis and gates.
//! - [`plate`]: a plate of known size seen in the video (scale, bar position).
//! - [`recognize`]: names the exercise of an unlabelled track.
//! - [`analyze()`]: runs a definition on a track and fills an `AnalysisResult`;
//!   specialised analysers in [`analyzers`] add jumps, sprints and lifts.

pub mod analyzers;
pub mod catalog;
pub mod definition;
pub mod names;
pub mod plate;
pub mod recognize;
pub mod reps;
pub mod signals;
pub mod subject;

pub mod synthetic;

mod analyze;
mod form;
mod hold;
mod series;

pub use analyze::{AnalysisError, AnalyzeOptions, analyze};
pub use catalog::Catalog;
pub use definition::{DefinitionError, ExerciseDefinition};
pub use plate::{PlateError, PlateObservation, PlateSighting};
