//! Pixel-to-metre scale.
//!
//! From the subject's stature: the chain shoulder -> hip -> knee -> ankle spans
//! 0.779 of standing height (Drillis & Contini segment proportions: shoulder
//! 0.818 H, ankle 0.039 H). Summing segment lengths rather than measuring a
//! standing height makes the estimate valid in any posture; a high percentile
//! over frames discards frames where segments are foreshortened.
//!
//! From a barbell plate: a standard competition plate is 450 mm across.

use crate::stats::percentile;

/// Share of stature spanned by the shoulder-hip-knee-ankle joint chain.
pub const SHOULDER_TO_ANKLE_CHAIN_FRACTION: f64 = 0.779;

/// Diameter of a standard (IWF/IPF) bumper or competition plate.
pub const STANDARD_PLATE_DIAMETER_M: f64 = 0.45;

/// Pixels per metre from per-frame chain lengths (shoulder->hip + hip->knee +
/// knee->ankle, pixels) and the subject's height. Uses the 90th percentile of
/// the chain lengths. `None` when the height or the lengths are unusable.
pub fn pixels_per_metre_from_height(chain_lengths_px: &[f64], height_m: f64) -> Option<f64> {
    if !(height_m > 0.5 && height_m < 2.8) {
        return None;
    }
    let chain = percentile(chain_lengths_px, 90.0)?;
    (chain > 0.0).then(|| chain / (SHOULDER_TO_ANKLE_CHAIN_FRACTION * height_m))
}

/// Pixels per metre from the apparent diameter of a standard 450 mm plate.
pub fn pixels_per_metre_from_plate(plate_diameter_px: f64) -> Option<f64> {
    (plate_diameter_px > 0.0 && plate_diameter_px.is_finite())
        .then(|| plate_diameter_px / STANDARD_PLATE_DIAMETER_M)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn height_scale_is_exact_for_textbook_proportions() {
        // A 1.80 m subject at 200 px/m: chain = 0.779 * 1.8 * 200 px.
        let chain = SHOULDER_TO_ANKLE_CHAIN_FRACTION * 1.8 * 200.0;
        let lengths = vec![chain; 30];
        assert_abs_diff_eq!(
            pixels_per_metre_from_height(&lengths, 1.8).unwrap(),
            200.0,
            epsilon = 1e-9
        );
        assert!(pixels_per_metre_from_height(&lengths, 0.0).is_none());
    }

    #[test]
    fn plate_scale() {
        assert_abs_diff_eq!(pixels_per_metre_from_plate(90.0).unwrap(), 200.0);
        assert!(pixels_per_metre_from_plate(0.0).is_none());
    }
}
