//! camera_consistency: is the video one continuous shot? Between camera samples ~100 ms
//! apart, a continuous camera (even hand-held, panning or zooming) keeps most background
//! features related by one similarity transform; a cut or splice breaks that relation and
//! usually changes the picture's colours and structure at the same time.
//!
//! A cut is also *instantaneous*: the picture is replaced between two consecutive decoded
//! frames, so one frame-to-frame difference towers over the differences around it. Fades,
//! exposure or focus changes, whip pans and a moving camera change the picture too, but
//! gradually over several frames; a broken pair without such a spike is a gradual
//! transition, reported but not counted as a cut.

use super::{CAMERA_CONSISTENCY, CheckOutcome, evidence, secs};

/// Relation between two consecutive camera samples (computed in `frames`).
#[derive(Debug, Clone, PartialEq)]
pub struct CameraPair {
    pub from_frame: u32,
    pub from_ms: f64,
    pub to_frame: u32,
    pub to_ms: f64,
    /// Background ORB keypoints in the poorer of the two frames.
    pub keypoints: usize,
    /// Matches passing the ratio test.
    pub good_matches: usize,
    /// Matches consistent with one similarity transform (RANSAC).
    pub inliers: usize,
    /// Translation (px at sample width) and scale of that transform.
    pub shift_px: f64,
    /// The same translation as a signed fraction of the frame width and height.
    pub shift_x: f64,
    pub shift_y: f64,
    pub zoom: f64,
    /// Bhattacharyya distance of hue-saturation histograms, 0 (same) .. 1.
    pub hist_distance: f64,
    /// Mean absolute grey difference of the two samples, 0..255.
    pub gray_diff: f64,
    /// One of the frames is flat (fade, blank card): no geometry can be judged.
    pub either_uniform: bool,
    /// Normalised cross-correlation of the two grey samples (-1..1), which is invariant to
    /// a global gain and offset: a fade, an exposure change or a light switched on keeps
    /// the picture's structure (high), a cut replaces it (low).
    pub structure_corr: f64,
    /// Global brightness change between the samples as a factor >= 1 (1 = same level).
    pub gain: f64,
    /// Enough background around the people to match on; when the athlete fills the frame,
    /// their own movement breaks matching, so only a colour change can signal a cut.
    pub background_visible: bool,
    /// The pose track saw a person on both sides of the pair (true without a track): a cut
    /// from or to a picture without the athlete (a title card, an intro, an outro) edits
    /// around the performance rather than within it.
    pub athlete_on_both_sides: bool,
    /// The largest frame-to-frame thumbnail difference (grey levels) among the decoded
    /// frames between the two samples ...
    pub sharpest_step_diff: f64,
    /// ... and how many times larger it is than the median step around it (a cut: one
    /// step far above its neighbours; a fade or pan: steps of similar size).
    pub sharpest_step_spike: f64,
}

#[derive(Debug, Clone)]
pub struct CameraParams {
    /// Fewer background keypoints than this: too little texture to judge geometry.
    pub min_keypoints: usize,
    /// A continuous camera keeps at least this many inliers ...
    pub min_inliers: usize,
    /// ... or this share of the keypoints as inliers.
    pub min_inlier_share: f64,
    /// A break in geometry is a cut only if the picture also changed this much (histogram
    /// distance or grey difference): a motion-blurred frame breaks matching but not colour.
    pub cut_hist_distance: f64,
    pub cut_gray_diff: f64,
    /// Without texture, only a strong photometric change counts.
    pub flat_cut_hist_distance: f64,
    /// Histogram distance above which a cut goes to a different place (scene change).
    pub scene_change_hist_distance: f64,
    /// Zoom factor between samples beyond which a still-matching pair is a zoom jump.
    pub zoom_jump: f64,
    /// Each cut multiplies the "continuous" belief by this: score = 100 (1 - keep^cuts).
    pub keep_per_cut: f64,
    /// A brightness change of at least `fade_gain` with the structure still correlated at
    /// `fade_structure_corr` is a fade or exposure change of the same picture, never a cut
    /// (a cut to another angle with a different exposure keeps a lower correlation).
    pub fade_gain: f64,
    pub fade_structure_corr: f64,
    /// Structure correlation below which the picture was replaced, even with the same
    /// colours (a cut to another angle of the same place).
    pub new_structure_corr: f64,
    /// A cut needs one frame step of at least this thumbnail difference (grey levels) ...
    pub cut_step_min_diff: f64,
    /// ... at least this many times the median step around it. Measured on the development
    /// set: hard cuts 20-110x, fades/pans/fast motion/focus pulls at most ~16x.
    pub cut_step_spike: f64,
}

impl Default for CameraParams {
    fn default() -> Self {
        Self {
            min_keypoints: 40,
            min_inliers: 15,
            min_inlier_share: 0.12,
            cut_hist_distance: 0.2,
            cut_gray_diff: 14.0,
            flat_cut_hist_distance: 0.45,
            scene_change_hist_distance: 0.4,
            zoom_jump: 1.35,
            keep_per_cut: 0.65,
            fade_gain: 1.2,
            fade_structure_corr: 0.85,
            new_structure_corr: 0.3,
            cut_step_min_diff: 10.0,
            cut_step_spike: 8.0,
        }
    }
}

/// Score of cuts that only join a picture without the athlete to the set (see
/// `CameraPair::athlete_on_both_sides`): reported, far below the blocking line.
pub const EDGE_CUT_SCORE: f64 = 10.0;

/// How a pair breaks continuity, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Different place or subject framing: geometry and colours both jump.
    SceneChange,
    /// Same place, different camera position/angle: geometry jumps, colours similar.
    AngleChange,
    /// Same view, instantaneous zoom jump.
    ZoomJump,
    /// Geometry/colours changed, but gradually over several frames (fade, exposure or
    /// focus change, whip pan, dissolve): not counted as a cut.
    Gradual,
}

impl Break {
    fn describe(self) -> &'static str {
        match self {
            Break::SceneChange => "cut to a different scene",
            Break::AngleChange => "cut to a different camera angle",
            Break::ZoomJump => "instant zoom jump (cut)",
            Break::Gradual => "gradual transition (fade, exposure/focus change or fast pan)",
        }
    }
}

/// Classifies one pair.
pub fn classify(pair: &CameraPair, p: &CameraParams) -> Option<Break> {
    let kind = classify_change(pair, p)?;
    let instantaneous = pair.sharpest_step_diff >= p.cut_step_min_diff
        && pair.sharpest_step_spike >= p.cut_step_spike;
    Some(if instantaneous { kind } else { Break::Gradual })
}

/// What changed between the two samples, before asking whether it happened at once.
fn classify_change(pair: &CameraPair, p: &CameraParams) -> Option<Break> {
    let fade = pair.gain >= p.fade_gain && pair.structure_corr >= p.fade_structure_corr;
    if pair.either_uniform || fade {
        return None;
    }
    // The picture's structure replaced (low correlation) is a change even when the new
    // angle shows the same colours (the same field, the same gym from another side).
    let restructured = pair.structure_corr < p.new_structure_corr;
    let photometric = pair.hist_distance >= p.cut_hist_distance
        || pair.gray_diff >= p.cut_gray_diff
        || restructured;
    if pair.keypoints < p.min_keypoints {
        return (pair.hist_distance >= p.flat_cut_hist_distance
            && pair.gray_diff >= p.cut_gray_diff)
            .then_some(Break::SceneChange);
    }
    // Weak texture (few background features) or no background to see: colour must confirm,
    // grey change alone is not enough.
    if (pair.keypoints < 2 * p.min_keypoints || !pair.background_visible)
        && pair.hist_distance < p.cut_hist_distance
        && !restructured
    {
        return None;
    }
    let geometry_holds = pair.inliers >= p.min_inliers
        && pair.inliers as f64 >= p.min_inlier_share * pair.keypoints as f64;
    if geometry_holds {
        let zoomed = pair.zoom >= p.zoom_jump || pair.zoom <= 1.0 / p.zoom_jump;
        return (zoomed && photometric).then_some(Break::ZoomJump);
    }
    if !photometric {
        return None;
    }
    Some(if pair.hist_distance >= p.scene_change_hist_distance {
        Break::SceneChange
    } else {
        Break::AngleChange
    })
}

/// Cumulative camera translation over the video, to tell text fixed on the screen (an
/// overlay) from text fixed in the scene (it moves with the camera).
#[derive(Debug, Clone, Default)]
pub struct CameraPath {
    /// (frame index, cumulative x, cumulative y) in fractions of the frame size.
    points: Vec<(u32, f64, f64)>,
}

impl CameraPath {
    pub fn from_pairs(pairs: &[CameraPair], p: &CameraParams) -> Self {
        let mut points = Vec::with_capacity(pairs.len() + 1);
        let (mut x, mut y) = (0.0, 0.0);
        if let Some(first) = pairs.first() {
            points.push((first.from_frame, x, y));
        }
        for pair in pairs {
            // Only transforms that explain the background move the path; across a cut the
            // scene is new and the path simply continues.
            if classify(pair, p).is_none() && pair.inliers >= p.min_inliers {
                x += pair.shift_x;
                y += pair.shift_y;
            }
            points.push((pair.to_frame, x, y));
        }
        Self { points }
    }

    fn at(&self, frame: u32) -> Option<(f64, f64)> {
        let i = self.points.partition_point(|q| q.0 <= frame);
        (i > 0).then(|| (self.points[i - 1].1, self.points[i - 1].2))
    }

    /// How far the scene moved in the picture between two frames (fractions of the frame).
    pub fn displacement(&self, from: u32, to: u32) -> Option<(f64, f64)> {
        let (a, b) = (self.at(from)?, self.at(to)?);
        Some((b.0 - a.0, b.1 - a.1))
    }
}

pub fn check(pairs: &[CameraPair], p: &CameraParams) -> CheckOutcome {
    if pairs.is_empty() {
        return CheckOutcome::not_assessed(CAMERA_CONSISTENCY, "too few frames to compare");
    }
    // Consecutive breaking pairs (a dissolve, a flash) are one event; the event is a cut
    // when any of its pairs is an instantaneous break, else a gradual transition.
    let mut events: Vec<(usize, usize, Break)> = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        let Some(kind) = classify(pair, p) else {
            continue;
        };
        match events.last_mut() {
            Some(last) if last.1 + 1 == i => {
                last.1 = i;
                if last.2 == Break::Gradual {
                    last.2 = kind;
                }
            }
            _ => events.push((i, i, kind)),
        }
    }
    let (cuts, gradual): (Vec<_>, Vec<_>) = events.iter().partition(|e| e.2 != Break::Gradual);
    // A cut with nobody on one side joins a card or an intro to the set: an edit around
    // the performance, reported with a low score.
    let (cuts, edge_cuts): (Vec<_>, Vec<_>) =
        cuts.into_iter().partition(|e: &&(usize, usize, Break)| {
            pairs[e.0..=e.1].iter().all(|q| q.athlete_on_both_sides)
        });
    let judged = pairs.iter().filter(|q| !q.either_uniform).count();
    let score =
        (100.0 * (1.0 - p.keep_per_cut.powi(cuts.len() as i32))).max(if edge_cuts.is_empty() {
            0.0
        } else {
            EDGE_CUT_SCORE
        });
    let evidence = cuts
        .iter()
        .chain(&edge_cuts)
        .chain(&gradual)
        .map(|&&(a, b, kind)| {
            let (from, to) = (&pairs[a], &pairs[b]);
            let sharpest = pairs[a..=b]
                .iter()
                .map(|q| q.sharpest_step_spike)
                .fold(0.0, f64::max);
            evidence(
                (from.from_frame, from.from_ms),
                (to.to_frame, to.to_ms),
                format!(
                    "{}{} at {} (background matches {}/{}, colour change {:.2}, sharpest frame step {sharpest:.0}x its surroundings)",
                    kind.describe(),
                    if pairs[a..=b].iter().all(|q| q.athlete_on_both_sides) {
                        ""
                    } else {
                        " to or from a picture without the athlete"
                    },
                    secs(to.to_ms),
                    from.inliers,
                    from.keypoints,
                    from.hist_distance
                ),
            )
        })
        .collect();
    let transitions = if gradual.is_empty() {
        String::new()
    } else {
        format!(
            "; {} gradual transition(s) (fade, exposure/focus change, fast pan) not counted",
            gradual.len()
        )
    };
    let around = if edge_cuts.is_empty() {
        String::new()
    } else {
        format!(
            "; {} cut(s) to or from a picture without the athlete (title card, intro, outro): edits around the set",
            edge_cuts.len()
        )
    };
    let transitions = format!("{around}{transitions}");
    let reason = match cuts.len() {
        0 if judged == 0 => "no frame pair could be judged (blank frames)".to_string(),
        0 => format!("one continuous shot{transitions}"),
        n => {
            let scenes = cuts.iter().filter(|c| c.2 == Break::SceneChange).count();
            format!(
                "{n} cut(s) / camera change(s), {scenes} to a different scene: not one continuous recording{transitions}"
            )
        }
    };
    CheckOutcome::new(CAMERA_CONSISTENCY, score, reason, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(i: u32, inliers: usize, hist: f64, gray: f64) -> CameraPair {
        CameraPair {
            from_frame: i * 3,
            from_ms: f64::from(i) * 100.0,
            to_frame: i * 3 + 3,
            to_ms: f64::from(i + 1) * 100.0,
            keypoints: 400,
            good_matches: inliers.max(30),
            inliers,
            shift_px: 4.0,
            shift_x: 0.01,
            shift_y: 0.0,
            zoom: 1.0,
            hist_distance: hist,
            gray_diff: gray,
            either_uniform: false,
            structure_corr: 0.6,
            gain: 1.0,
            background_visible: true,
            athlete_on_both_sides: true,
            // A hard cut's frame step, so that breaking pairs below are instantaneous.
            sharpest_step_diff: 30.0,
            sharpest_step_spike: 40.0,
        }
    }

    #[test]
    fn camera_path_accumulates_background_shifts_but_not_cuts() {
        let mut pairs: Vec<_> = (0..10).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        pairs[4] = CameraPair {
            shift_x: 0.5,
            ..pair(4, 2, 0.6, 40.0)
        };
        let path = CameraPath::from_pairs(&pairs, &CameraParams::default());
        // Frames 0 -> 30: ten pairs of +0.01 except the cut.
        let (dx, dy) = path.displacement(0, 30).unwrap();
        assert!((dx - 0.09).abs() < 1e-9, "{dx}");
        assert_eq!(dy, 0.0);
        assert!((path.displacement(3, 9).unwrap().0 - 0.02).abs() < 1e-9);
    }

    #[test]
    fn continuous_pan_is_not_a_cut() {
        // Hand-held pan: geometry holds with large shifts, colours drift a little.
        let pairs: Vec<_> = (0..50)
            .map(|i| CameraPair {
                shift_px: 25.0,
                ..pair(i, 120, 0.12, 10.0)
            })
            .collect();
        let out = check(&pairs, &CameraParams::default());
        assert_eq!(out.score, 0.0);
        assert_eq!(out.reason, "one continuous shot");
    }

    #[test]
    fn two_cuts_score_by_formula_and_point_at_the_frames() {
        let mut pairs: Vec<_> = (0..50).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        pairs[10] = pair(10, 3, 0.6, 40.0); // another place
        pairs[30] = pair(30, 4, 0.25, 20.0); // same place, other angle
        let out = check(&pairs, &CameraParams::default());
        let expected = 100.0 * (1.0 - 0.65f64.powi(2));
        assert!((out.score - expected).abs() < 1e-9);
        assert!(out.flagged);
        assert_eq!(out.evidence.len(), 2);
        assert_eq!(out.evidence[0].start_frame_index, 30);
        assert_eq!(out.evidence[0].end_frame_index, 33);
        assert!(out.evidence[0].detail.contains("different scene"));
        assert!(out.evidence[1].detail.contains("camera angle"));
    }

    #[test]
    fn motion_blur_without_colour_change_is_not_a_cut() {
        let mut pairs: Vec<_> = (0..20).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        pairs[5] = pair(5, 2, 0.08, 6.0);
        assert_eq!(check(&pairs, &CameraParams::default()).score, 0.0);
    }

    #[test]
    fn fades_are_not_judged_and_a_dissolve_is_one_cut() {
        let mut pairs: Vec<_> = (0..20).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        pairs[3].either_uniform = true;
        pairs[3].inliers = 0;
        pairs[10] = pair(10, 5, 0.5, 30.0);
        pairs[11] = pair(11, 5, 0.5, 30.0);
        let out = check(&pairs, &CameraParams::default());
        assert_eq!(out.evidence.len(), 1);
        assert!((out.score - 35.0).abs() < 1e-9);
    }

    #[test]
    fn a_fade_in_keeps_the_structure_and_is_not_a_cut() {
        let mut pairs: Vec<_> = (0..20).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        // Brightness ramps: colours and grey levels change a lot, geometry matching fails
        // on the dark frame, but the picture is the same up to a gain.
        pairs[2] = pair(2, 3, 0.5, 40.0);
        pairs[2].structure_corr = 0.9;
        pairs[2].gain = 1.6;
        assert_eq!(check(&pairs, &CameraParams::default()).score, 0.0);
        // The same brightness change with the picture replaced is a cut.
        pairs[2].structure_corr = 0.2;
        assert!((check(&pairs, &CameraParams::default()).score - 35.0).abs() < 1e-9);
    }

    #[test]
    fn a_break_spread_over_many_frames_is_a_transition_not_a_cut() {
        // A fade with a colour ramp: geometry fails and colours change between samples,
        // but every frame step is about as large as its neighbours (no single replacement).
        let mut pairs: Vec<_> = (0..20).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        for q in &mut pairs[3..6] {
            *q = CameraPair {
                sharpest_step_diff: 29.0,
                sharpest_step_spike: 2.7,
                ..pair(3, 5, 0.5, 30.0)
            };
        }
        let out = check(&pairs, &CameraParams::default());
        assert_eq!(out.score, 0.0, "{}", out.reason);
        assert!(
            out.reason.contains("1 gradual transition"),
            "{}",
            out.reason
        );
        assert_eq!(out.evidence.len(), 1);
        assert!(out.evidence[0].detail.contains("gradual"));
        // The same change concentrated in one frame step is a cut.
        pairs[4].sharpest_step_spike = 30.0;
        let out = check(&pairs, &CameraParams::default());
        assert!((out.score - 35.0).abs() < 1e-9, "{}", out.reason);
        assert!(!out.reason.contains("gradual"), "{}", out.reason);
        // A spike of a tiny step (noise on a still picture) is not a cut either.
        pairs[4].sharpest_step_diff = 3.0;
        assert_eq!(check(&pairs, &CameraParams::default()).score, 0.0);
    }

    #[test]
    fn a_cut_from_a_title_card_without_the_athlete_is_an_edit_around_the_set() {
        // A continuous set, then a cut; the same cut with nobody in the picture before it
        // (a title card) joins a card to the set and stays far below the blocking line.
        let mut pairs: Vec<_> = (0..10).map(|i| pair(i, 150, 0.05, 4.0)).collect();
        pairs[3] = pair(3, 2, 0.6, 40.0);
        let within = check(&pairs, &CameraParams::default());
        assert!(within.score >= 30.0, "{}", within.reason);
        pairs[3].athlete_on_both_sides = false;
        let around = check(&pairs, &CameraParams::default());
        assert_eq!(around.score, EDGE_CUT_SCORE, "{}", around.reason);
        assert!(around.reason.contains("title card"), "{}", around.reason);
        assert_eq!(around.evidence.len(), 1);
    }
}
