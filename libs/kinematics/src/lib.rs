//! Pure kinematics on pose keypoint arrays: no I/O, no model, no allocation
//! beyond the returned vectors.
//!
//! - [`schema`]: keypoint layouts (COCO-17 now, BlazePose-33 ready) and joint names.
//! - [`geometry`] / [`angles`]: joint and segment angles with one documented convention.
//! - [`side`]: which body side the camera sees best.
//! - [`clean`]: confidence gating, outlier removal (Hampel) and gap interpolation.
//! - [`filter`]: zero-phase Butterworth low-pass (filtfilt) and the One-Euro filter.
//! - [`camera`]: the ground's frame of reference from a camera path, when trustworthy.
//! - [`scale`]: pixel-to-metre scale from the subject's height or a 450 mm plate.
//! - [`derivative`]: velocity and acceleration by finite differences.
//! - [`stats`]: medians and percentiles that ignore missing samples.

pub mod angles;
pub mod camera;
pub mod clean;
pub mod derivative;
pub mod filter;
pub mod geometry;
pub mod scale;
pub mod schema;
pub mod side;
pub mod stats;
pub mod units;

pub use geometry::{Point2, Similarity};
pub use schema::{Joint, KeypointSchema, Side};

/// Standard gravity in m/s^2, used by ballistic and force computations.
pub const GRAVITY_M_S2: f64 = 9.806_65;
