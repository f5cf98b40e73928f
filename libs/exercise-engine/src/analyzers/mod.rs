//! Specialised analysers layered on the generic engine.

pub mod jump;
pub mod lift;
pub mod reach;
pub mod skipping;
pub mod sprint;

use crate::analyze::Context;

/// Stature assumed for the pixel scale when the subject's height is unknown (adult mean).
pub const DEFAULT_HEIGHT_M: f64 = 1.70;

/// Pixels per metre, assuming [`DEFAULT_HEIGHT_M`] (with a warning) when the
/// subject's height is unknown and no plate was seen.
pub fn scale_or_assumed(ctx: &mut Context) -> Option<f64> {
    if let Some(ppm) = ctx.pixels_per_metre() {
        return Some(ppm);
    }
    let mut assumed = ctx.params;
    assumed.height_m = DEFAULT_HEIGHT_M;
    let chains: Vec<f64> = (0..ctx.subject.len())
        .filter_map(|i| ctx.subject.chain_length_px(i))
        .collect();
    let ppm = fitvision_kinematics::scale::pixels_per_metre_from_height(&chains, assumed.height_m)?;
    ctx.warn(format!(
        "subject height unknown: distances assume a {DEFAULT_HEIGHT_M:.2} m tall subject"
    ));
    Some(ppm)
}
