//! The ground's frame of reference from a camera path.
//!
//! The pose stage estimates, per analysed frame, the similarity that takes its pixels
//! into the first frame's (see `fitvision_video::camera_motion`), chained from one frame
//! to the next. A chain of estimates is only as good as its worst link: on a tiny, dark
//! or textureless picture the background gives a few matches, some of them on moving
//! people, and a single wrong link shifts every later frame. So the path is used only
//! when it is trustworthy:
//! - each link must be a motion a hand-held or tripod camera makes between two frames
//!   (a few percent of zoom, a few degrees of roll, a fraction of the frame of shift);
//!   an implausible link is dropped (the camera held still for that step);
//! - the background must have been matched on most frames; otherwise the camera's
//!   motion is unknown and the image frame is kept (a still camera, the common case).

use crate::geometry::Similarity;

/// One frame's estimate: the map into the reference frame's pixels, and whether the
/// link to the previous frame was measured there (else carried over).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraSample {
    pub reference_from_frame: Similarity,
    pub measured: bool,
}

/// Share of the frames whose link must be measured for the path to be used.
pub const MIN_MEASURED_SHARE: f64 = 0.8;
/// Largest zoom change between two analysed frames (5%) ...
pub const MAX_STEP_ZOOM: f64 = 0.05;
/// ... roll (about 3 degrees) ...
pub const MAX_STEP_ROTATION_RAD: f64 = 0.05;
/// ... and shift, as a share of the frame's diagonal.
pub const MAX_STEP_SHIFT: f64 = 0.1;

/// The cleaned path (per frame, the map into the first frame's pixels) or `None` when the
/// camera's motion is not known well enough to use (see the module documentation).
/// `frame_diagonal_px` scales the shift limit.
pub fn ground_path(
    samples: &[Option<CameraSample>],
    frame_diagonal_px: f64,
) -> Option<Vec<Similarity>> {
    if samples.is_empty() {
        return None;
    }
    let measured = samples.iter().flatten().filter(|s| s.measured).count();
    if (measured as f64) < MIN_MEASURED_SHARE * samples.len() as f64 {
        return None;
    }
    let max_shift = MAX_STEP_SHIFT * frame_diagonal_px.max(1.0);
    let mut path = Vec::with_capacity(samples.len());
    let mut current = Similarity::IDENTITY;
    let mut previous: Option<Similarity> = None;
    for sample in samples {
        if let (Some(s), Some(prev)) = (sample, previous)
            && s.measured
        {
            // The link: this frame's pixels into the previous frame's.
            let step = prev.inverse().after(&s.reference_from_frame);
            let plausible = (step.scale - 1.0).abs() <= MAX_STEP_ZOOM
                && step.rotation_rad.abs() <= MAX_STEP_ROTATION_RAD
                && step.tx.hypot(step.ty) <= max_shift;
            if plausible {
                current = current.after(&step);
            }
        }
        previous = sample.map(|s| s.reference_from_frame).or(previous);
        path.push(current);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(tx: f64, ty: f64) -> Similarity {
        Similarity {
            tx,
            ty,
            ..Similarity::IDENTITY
        }
    }

    fn sample(t: Similarity, measured: bool) -> Option<CameraSample> {
        Some(CameraSample {
            reference_from_frame: t,
            measured,
        })
    }

    #[test]
    fn a_smooth_pan_is_kept_and_an_implausible_link_is_dropped() {
        // Panning 4 px per frame; frame 5's link jumps 300 px (a mismatch), after which the
        // raw chain carries the error on.
        let raw: Vec<_> = (0..10)
            .map(|i| {
                let jump = if i >= 5 { 300.0 } else { 0.0 };
                sample(shift(4.0 * i as f64 + jump, 0.0), i > 0)
            })
            .collect();
        let path = ground_path(&raw, 1000.0).unwrap();
        for (i, t) in path.iter().enumerate() {
            let expected = if i >= 5 {
                4.0 * (i - 1) as f64
            } else {
                4.0 * i as f64
            };
            assert!((t.tx - expected).abs() < 1e-9, "frame {i}: {}", t.tx);
        }
    }

    #[test]
    fn a_path_measured_on_too_few_frames_is_not_used() {
        let raw: Vec<_> = (0..10)
            .map(|i| sample(shift(i as f64, 0.0), i % 2 == 0))
            .collect();
        assert_eq!(ground_path(&raw, 1000.0), None);
        let none: Vec<Option<CameraSample>> = vec![None; 10];
        assert_eq!(ground_path(&none, 1000.0), None);
    }
}
