//! How the camera moved between frames, from the background.
//!
//! A phone that pans, tilts, zooms or shakes moves every background point of the picture
//! by one similarity transform (shift, rotation, zoom) to a good approximation between two
//! close frames. [`FeatureMatcher`] finds ORB features on a small grey copy of each frame
//! and matches them with the previous frame's; [`estimate_background_motion`] drops the
//! matches on people (their own movement is not the camera's) and fits the transform with
//! RANSAC. Chained over the video, the transforms express every frame in the first frame's
//! pixels: the ground's frame of reference while the camera follows the athlete.
//!
//! Matching is the costly half and needs only the frame, so it can run on the decoding
//! thread; the fit needs the people's boxes and is cheap.

use opencv::calib3d;
use opencv::core::{self as cv, KeyPoint, Mat, Point2f, Size, Vector};
use opencv::features2d::{ORB, ORB_ScoreType};
use opencv::imgproc;
use opencv::prelude::*;

pub use fitvision_kinematics::geometry::Similarity;

use crate::VideoError;
use crate::descriptor_match::unambiguous_matches;

/// A matched background candidate: the same scene point in the previous and the current
/// frame, in source pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointPair {
    pub previous: (f32, f32),
    pub current: (f32, f32),
}

/// An axis-aligned rectangle in source pixels (x1, y1, x2, y2) whose matches are ignored.
pub type ExcludedRect = (f32, f32, f32, f32);

/// Features of one frame kept until the next one.
struct Features {
    keypoints: Vector<KeyPoint>,
    descriptors: Mat,
    /// Source pixels per feature-image pixel.
    to_source: f32,
}

/// Matches each frame's ORB features with the previous frame's.
pub struct FeatureMatcher {
    orb: cv::Ptr<ORB>,
    previous: Option<Features>,
}

/// Long side of the grey image features are found on: enough for a phone's background
/// at a few ms per frame. The long side, not the width: a portrait frame held to a
/// 320 px width was 320x569, 1.8 times the pixels of a landscape one for the same scene
/// detail across the frame, and cost 6.1 ms to shrink and 7.6 ms of ORB per 1080x1920
/// frame (as much as a landmark pass) against 1.6 and 1.9 ms for a 1280x720 one.
pub const FEATURE_LONG_SIDE: i32 = 320;
const MAX_FEATURES: i32 = 400;
/// Corner contrast (grey levels) FAST needs: low enough for dim, low-contrast rooms.
const FAST_THRESHOLD: i32 = 8;

/// The working size features are found on for a `width` x `height` frame, with the
/// source pixels per working pixel (see [`feature_image`]).
pub fn feature_size(width: i32, height: i32) -> (Size, f32) {
    let to_source = width.max(height) as f32 / FEATURE_LONG_SIDE as f32;
    let target = Size::new(
        ((width as f32 / to_source).round() as i32).max(8),
        ((height as f32 / to_source).round() as i32).max(8),
    );
    (target, to_source)
}

/// A frame's grey picture at the working size features are found on
/// ([`feature_size`]), with the source pixels per working pixel.
#[derive(Debug)]
pub struct FeaturePicture {
    pub gray: Mat,
    pub to_source: f32,
}

/// `image` at the working size features are found on, a [`FEATURE_LONG_SIDE`] long
/// side, landscape or portrait, with the source pixels per working pixel. Small videos
/// are enlarged so that ORB's pyramid and border still leave room for features on a
/// 200 px picture.
pub fn feature_image(image: &Mat) -> Result<(Mat, f32), VideoError> {
    let size = image.size()?;
    let (target, to_source) = feature_size(size.width, size.height);
    // Every analysed frame passes here on the decoding thread: area resampling alone
    // took 7.9 ms to shrink a 1080x1920 frame to 320 px wide, `shrink` 3.0 ms (see
    // there).
    if target.width < size.width && target.height < size.height {
        return Ok((crate::shrink(image, target)?, to_source));
    }
    let mut enlarged = Mat::default();
    imgproc::resize(
        image,
        &mut enlarged,
        target,
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    Ok((enlarged, to_source))
}

impl FeatureMatcher {
    pub fn new() -> Result<Self, VideoError> {
        Ok(Self {
            orb: ORB::create(
                MAX_FEATURES,
                1.2,
                6,
                15,
                0,
                2,
                ORB_ScoreType::HARRIS_SCORE,
                31,
                FAST_THRESHOLD,
            )?,
            previous: None,
        })
    }

    /// Features of `image` (BGR) matched with the previous frame's (empty for the first
    /// frame, or when either frame has no texture).
    pub fn next(&mut self, image: &Mat) -> Result<Vec<PointPair>, VideoError> {
        let (small, to_source) = feature_image(image)?;
        let mut gray = Mat::default();
        if small.channels() == 1 {
            gray = small;
        } else {
            imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        }
        self.next_picture(FeaturePicture { gray, to_source })
    }

    /// [`FeatureMatcher::next`] on a frame's feature picture made already (by the
    /// decoder from the luma plane: [`crate::VideoDecoder::keep_feature_pictures`]).
    pub fn next_picture(
        &mut self,
        FeaturePicture { gray, to_source }: FeaturePicture,
    ) -> Result<Vec<PointPair>, VideoError> {
        let mut keypoints = Vector::<KeyPoint>::new();
        let mut descriptors = Mat::default();
        self.orb.detect_and_compute(
            &gray,
            &cv::no_array(),
            &mut keypoints,
            &mut descriptors,
            false,
        )?;
        let current = Features {
            keypoints,
            descriptors,
            to_source,
        };
        let pairs = match &self.previous {
            Some(previous) => self.match_features(previous, &current)?,
            None => Vec::new(),
        };
        self.previous = Some(current);
        Ok(pairs)
    }

    fn match_features(&self, a: &Features, b: &Features) -> Result<Vec<PointPair>, VideoError> {
        if a.descriptors.rows() < 8 || b.descriptors.rows() < 8 {
            return Ok(Vec::new());
        }
        unambiguous_matches(&a.descriptors, &b.descriptors)?
            .into_iter()
            .map(|pair| {
                let p = a.keypoints.get(pair.query)?.pt();
                let q = b.keypoints.get(pair.train)?.pt();
                Ok(PointPair {
                    previous: (p.x * a.to_source, p.y * a.to_source),
                    current: (q.x * b.to_source, q.y * b.to_source),
                })
            })
            .collect()
    }
}

/// The fitted camera motion between two frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackgroundMotion {
    /// Maps the previous frame's pixels onto the current frame's.
    pub current_from_previous: Similarity,
    pub inliers: usize,
    pub candidates: usize,
}

/// Fewer consistent background matches than this: the camera motion is not known.
pub const MIN_INLIERS: usize = 12;
/// ... nor with fewer than this share of the candidates agreeing.
const MIN_INLIER_SHARE: f64 = 0.25;

/// Fits the camera motion to the matches that lie outside `excluded_previous` (people in
/// the previous frame) and `excluded_current` (people in the current frame). `None` when
/// too few background matches agree on one transform.
pub fn estimate_background_motion(
    pairs: &[PointPair],
    excluded_previous: &[ExcludedRect],
    excluded_current: &[ExcludedRect],
) -> Result<Option<BackgroundMotion>, VideoError> {
    let inside = |rects: &[ExcludedRect], (x, y): (f32, f32)| {
        rects
            .iter()
            .any(|&(x1, y1, x2, y2)| x >= x1 && x <= x2 && y >= y1 && y <= y2)
    };
    let mut src = Vector::<Point2f>::new();
    let mut dst = Vector::<Point2f>::new();
    for p in pairs {
        if inside(excluded_previous, p.previous) || inside(excluded_current, p.current) {
            continue;
        }
        src.push(Point2f::new(p.previous.0, p.previous.1));
        dst.push(Point2f::new(p.current.0, p.current.1));
    }
    let candidates = src.len();
    if candidates < MIN_INLIERS {
        return Ok(None);
    }
    let mut inlier_mask = Mat::default();
    let model = calib3d::estimate_affine_partial_2d(
        &src,
        &dst,
        &mut inlier_mask,
        calib3d::RANSAC,
        3.0,
        2000,
        0.99,
        10,
    )?;
    if model.empty() {
        return Ok(None);
    }
    let inliers = cv::count_non_zero(&inlier_mask)? as usize;
    if inliers < MIN_INLIERS || (inliers as f64) < MIN_INLIER_SHARE * candidates as f64 {
        return Ok(None);
    }
    let (a, b) = (*model.at_2d::<f64>(0, 0)?, *model.at_2d::<f64>(1, 0)?);
    let (tx, ty) = (*model.at_2d::<f64>(0, 2)?, *model.at_2d::<f64>(1, 2)?);
    Ok(Some(BackgroundMotion {
        current_from_previous: Similarity {
            scale: a.hypot(b),
            rotation_rad: b.atan2(a),
            tx,
            ty,
        },
        inliers,
        candidates,
    }))
}
