//! Visible-side selection: in a side view the far limbs are occluded and their
//! keypoints are guessed by the model with low confidence, so angles are taken
//! on the side the model is more confident about.

use crate::schema::Side;

/// Picks the side with the higher summed keypoint confidence.
/// `left_scores` / `right_scores` are per-keypoint confidences (any number of
/// frames and joints, flattened). Ties go to the left side.
pub fn more_visible_side(left_scores: &[f64], right_scores: &[f64]) -> Side {
    let sum = |s: &[f64]| s.iter().filter(|v| v.is_finite()).sum::<f64>();
    if sum(right_scores) > sum(left_scores) {
        Side::Right
    } else {
        Side::Left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_confident_side() {
        assert_eq!(more_visible_side(&[0.9, 0.8], &[0.3, 0.2]), Side::Left);
        assert_eq!(more_visible_side(&[0.1, 0.2], &[0.3, 0.2]), Side::Right);
        assert_eq!(more_visible_side(&[0.5], &[0.5]), Side::Left);
    }
}
