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

/// Stature assumed for an athlete whose height nobody gave: adult means lie between
/// about 1.60 m (women) and 1.78 m (men) across most countries (NCD-RisC), so 1.70 m
/// is off by at most ~5% for the typical adult of either sex ...
pub const TYPICAL_ADULT_STATURE_M: f64 = 1.70;
/// ... and one standard deviation of adult stature, both sexes together (~0.09 m),
/// is the uncertainty a distance scaled from it carries: about 5%.
pub const TYPICAL_ADULT_STATURE_SD_M: f64 = 0.09;

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
    pixels_per_metre_from_object(plate_diameter_px, STANDARD_PLATE_DIAMETER_M)
}

/// Pixels per metre from an object of known real size seen in the image plane.
/// `None` unless both sizes are positive and finite.
pub fn pixels_per_metre_from_object(size_px: f64, size_m: f64) -> Option<f64> {
    let usable = |v: f64| v > 0.0 && v.is_finite();
    (usable(size_px) && usable(size_m)).then(|| size_px / size_m)
}

/// Pixels per metre from several sightings of one object (per-frame detections
/// of a plate): the median apparent size, so occasional misdetections (a plate
/// half hidden, a neighbouring plate) do not move the scale. Unusable sizes
/// (non-positive, non-finite) are skipped.
pub fn pixels_per_metre_from_sightings(sizes_px: &[f64], size_m: f64) -> Option<f64> {
    let usable: Vec<f64> = sizes_px
        .iter()
        .copied()
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    pixels_per_metre_from_object(percentile(&usable, 50.0)?, size_m)
}

/// Segment lengths as shares of stature (Drillis & Contini): upper arm
/// (shoulder-elbow), forearm (elbow-wrist), thigh (hip-knee), shank (knee-ankle)
/// and trunk (mid-shoulder to mid-hip: shoulder joint 0.818 H, hip joint 0.530 H).
pub const UPPER_ARM_FRACTION: f64 = 0.186;
pub const FOREARM_FRACTION: f64 = 0.146;
pub const THIGH_FRACTION: f64 = 0.245;
pub const SHANK_FRACTION: f64 = 0.246;
pub const TRUNK_FRACTION: f64 = 0.288;

/// The subject's stature in pixels from per-frame segment lengths, robust to the
/// view: each segment `(share of stature, lengths over the clip)` gives an estimate
/// from its 90th-percentile length (foreshortening only ever shortens a segment,
/// and most segments lie across the line of sight at some moment of a movement);
/// the estimate is the second largest of those (the largest alone could be one
/// mis-detected segment). Segments seen in fewer than `min_samples` frames take no
/// part; `None` when fewer than two segments do.
pub fn stature_px_from_segments(segments: &[(f64, &[f64])], min_samples: usize) -> Option<f64> {
    let mut estimates: Vec<f64> = segments
        .iter()
        .filter(|(share, lengths)| *share > 0.0 && lengths.len() >= min_samples.max(1))
        .filter_map(|(share, lengths)| percentile(lengths, 90.0).map(|l| l / share))
        .filter(|h| *h > 0.0 && h.is_finite())
        .collect();
    if estimates.len() < 2 {
        return None;
    }
    estimates.sort_by(|a, b| b.total_cmp(a));
    Some(estimates[1])
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
        assert_abs_diff_eq!(pixels_per_metre_from_object(80.0, 0.4).unwrap(), 200.0);
        assert!(pixels_per_metre_from_object(80.0, -0.4).is_none());
    }

    #[test]
    fn sightings_scale_is_the_median_diameter() {
        // Five good sightings of 90 px, one half-hidden plate (40 px), one bad value.
        let sightings = [90.0, 90.0, 40.0, 90.0, f64::NAN, 90.0, 90.0];
        assert_abs_diff_eq!(
            pixels_per_metre_from_sightings(&sightings, STANDARD_PLATE_DIAMETER_M).unwrap(),
            200.0
        );
        assert!(pixels_per_metre_from_sightings(&[], STANDARD_PLATE_DIAMETER_M).is_none());
    }

    #[test]
    fn stature_from_segments_ignores_foreshortened_and_rare_segments() {
        // A 400 px person filmed head-on in a push-up: thighs and shanks foreshortened to
        // a third, the trunk to a half, arms seen at full length.
        let upper_arm = vec![0.186 * 400.0; 30];
        let forearm = vec![0.146 * 400.0; 30];
        let thigh = vec![0.245 * 400.0 / 3.0; 30];
        let shank = vec![0.246 * 400.0 / 3.0; 30];
        let trunk = vec![0.288 * 200.0; 30];
        let glitch = vec![300.0; 2];
        let h = stature_px_from_segments(
            &[
                (UPPER_ARM_FRACTION, &upper_arm),
                (FOREARM_FRACTION, &forearm),
                (THIGH_FRACTION, &thigh),
                (SHANK_FRACTION, &shank),
                (TRUNK_FRACTION, &trunk),
                (SHANK_FRACTION, &glitch),
            ],
            5,
        )
        .unwrap();
        assert_abs_diff_eq!(h, 400.0, epsilon = 1e-9);
        assert_eq!(
            stature_px_from_segments(&[(TRUNK_FRACTION, &trunk)], 5),
            None
        );
    }
}
