//! multiple_people: more than one comparable person present for a significant share of
//! the video. A passer-by for half a second, or a tiny figure far in the background, is
//! not a second athlete; only sustained co-presence counts.

use std::collections::HashMap;

use fitvision_proto::v1::{PersonPose, PoseTrack};

use super::{CheckOutcome, MULTIPLE_PEOPLE, evidence, secs};
use crate::track::{self, confident_keypoints};

/// Thresholds of the multiple-people check.
#[derive(Debug, Clone)]
pub struct PeopleParams {
    /// A detection counts as a person only from this detector confidence.
    pub min_confidence: f32,
    /// ... and with at least this many confident keypoints (a real body, not a blob).
    pub min_keypoints: usize,
    /// ... and with a box at least this fraction of the tallest person's box in the frame
    /// (a quick per-frame screen) ...
    pub min_relative_height: f32,
    /// ... belonging to a track whose median box height is at least this fraction of the
    /// main subject's where both are seen: a second athlete is of comparable size, i.e.
    /// at most ~1.3x as far from the camera (adult statures vary by ~10%). People
    /// exercising in the background of a gym, farther away, are not.
    pub comparable_height: f64,
    /// Gaps in co-presence up to this long (occlusion, missed detections) are bridged.
    pub bridge_gap_ms: f64,
    /// Co-presence runs shorter than this are passers-by and ignored.
    pub min_run_ms: f64,
    /// Share of the video with a second person that scores 100.
    pub full_score_share: f64,
    /// A person counts only if they move: the median over joints of the standard deviation
    /// of the joint's position over the video, in their own torso lengths, is at least this.
    /// A coach or spectator standing still is not a second athlete; someone exercising,
    /// walking or running is.
    pub min_activity: f64,
    /// A person seen in at least this share of the frames is a second athlete even when
    /// they move little (on a short clip nobody moves much) ...
    pub athlete_presence: f64,
    /// ... unless they move less than this share of what the main subject moves: a tester
    /// or coach standing still beside a jumping athlete is a bystander, however long they
    /// stay in the picture.
    pub bystander_activity_share: f64,
}

impl Default for PeopleParams {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            min_keypoints: 6,
            min_relative_height: 0.5,
            comparable_height: 0.75,
            bridge_gap_ms: 400.0,
            min_run_ms: 1000.0,
            full_score_share: 0.3,
            min_activity: 0.15,
            athlete_presence: 0.6,
            bystander_activity_share: 0.25,
        }
    }
}

fn box_height(p: &PersonPose) -> f32 {
    p.r#box.as_ref().map_or(0.0, |b| b.height_px)
}

/// How much each tracked person moves over the video (see [`PeopleParams::min_activity`]).
pub fn activity_by_track(track: &PoseTrack) -> HashMap<u32, f64> {
    // Per track id: per joint, running sums of x, y, x^2, y^2 and counts; torso lengths.
    #[derive(Default)]
    struct Acc {
        sums: Vec<[f64; 5]>,
        torsos: Vec<f64>,
        heights: Vec<f64>,
    }
    let mut accs: HashMap<u32, Acc> = HashMap::new();
    for frame in &track.frames {
        for p in &frame.persons {
            let acc = accs.entry(p.track_id).or_default();
            if acc.sums.len() < p.keypoints.len() {
                acc.sums.resize(p.keypoints.len(), [0.0; 5]);
            }
            for (j, s) in acc.sums.iter_mut().enumerate() {
                if let Some((x, y)) = track::point(p, j) {
                    *s = [s[0] + x, s[1] + y, s[2] + x * x, s[3] + y * y, s[4] + 1.0];
                }
            }
            if let Some(t) = track::torso_length_px(p) {
                acc.torsos.push(t);
            }
            acc.heights.push(f64::from(box_height(p)));
        }
    }
    accs.into_iter()
        .map(|(id, acc)| {
            let scale = track::median(&acc.torsos)
                .or_else(|| track::median(&acc.heights).map(|h| h * 0.3))
                .unwrap_or(1.0)
                .max(1.0);
            let stds: Vec<f64> = acc
                .sums
                .iter()
                .filter(|s| s[4] >= 3.0)
                .map(|s| {
                    let n = s[4];
                    let var = (s[2] / n - (s[0] / n).powi(2)).max(0.0)
                        + (s[3] / n - (s[1] / n).powi(2)).max(0.0);
                    var.sqrt() / scale
                })
                .collect();
            (id, track::median(&stds).unwrap_or(0.0))
        })
        .collect()
}

/// Per track other than the main subject's: the median ratio of its box height to the
/// main subject's, over the frames where both are seen (tracks never seen beside the main
/// subject are left out).
pub fn relative_heights(track: &PoseTrack, main_id: Option<u32>) -> HashMap<u32, f64> {
    let Some(main_id) = main_id else {
        return HashMap::new();
    };
    let mut ratios: HashMap<u32, Vec<f64>> = HashMap::new();
    for f in &track.frames {
        let Some(main_h) = f
            .persons
            .iter()
            .find(|p| p.track_id == main_id)
            .map(box_height)
            .filter(|h| *h > 0.0)
        else {
            continue;
        };
        for p in f.persons.iter().filter(|p| p.track_id != main_id) {
            ratios
                .entry(p.track_id)
                .or_default()
                .push(f64::from(box_height(p) / main_h));
        }
    }
    ratios
        .into_iter()
        .filter_map(|(id, r)| Some((id, track::median(&r)?)))
        .collect()
}

/// Number of comparable, well-detected, moving people in one frame.
pub fn people_in_frame(
    persons: &[PersonPose],
    activity: &HashMap<u32, f64>,
    params: &PeopleParams,
) -> usize {
    let real: Vec<&PersonPose> = persons
        .iter()
        .filter(|p| {
            p.confidence >= params.min_confidence && confident_keypoints(p) >= params.min_keypoints
        })
        .filter(|p| {
            activity
                .get(&p.track_id)
                .is_none_or(|a| *a >= params.min_activity)
        })
        .collect();
    let tallest = real.iter().map(|p| box_height(p)).fold(0.0_f32, f32::max);
    if tallest <= 0.0 {
        return real.len();
    }
    // Largest first; a detection lying mostly inside an already counted person is the same
    // body detected twice (lying or folded poses), not a second person, unless the two
    // torsos are plainly apart: a child doing push-ups beside an adult lies inside the
    // adult's box.
    let mut sized: Vec<&PersonPose> = real
        .into_iter()
        .filter(|p| box_height(p) >= params.min_relative_height * tallest)
        .collect();
    sized.sort_by(|a, b| box_area(b).total_cmp(&box_area(a)));
    let mut kept: Vec<&PersonPose> = Vec::new();
    for p in sized {
        if !kept
            .iter()
            .any(|k| overlap_of(p, k) >= 0.6 && !torsos_apart(p, k))
        {
            kept.push(p);
        }
    }
    kept.len()
}

/// Whether two detections' torsos lie on average more than [`TORSOS_APART_LENGTHS`] torso
/// lengths apart: two bodies. The same body detected twice puts its shoulders and hips
/// on the same joints. Compared on the shoulders and hips confidently seen in both (at
/// least two: in a side view the far side is hidden), scaled by the longer torso side
/// (shoulder to hip) either detection shows.
fn torsos_apart(a: &PersonPose, b: &PersonPose) -> bool {
    use track::coco::{LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER};
    let distance = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).hypot(p.1 - q.1);
    let side_length = |p: &PersonPose| {
        [(LEFT_SHOULDER, LEFT_HIP), (RIGHT_SHOULDER, RIGHT_HIP)]
            .into_iter()
            .filter_map(|(s, h)| Some(distance(track::point(p, s)?, track::point(p, h)?)))
            .fold(0.0_f64, f64::max)
    };
    let length = side_length(a).max(side_length(b));
    let distances: Vec<f64> = [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]
        .into_iter()
        .filter_map(|j| Some(distance(track::point(a, j)?, track::point(b, j)?)))
        .collect();
    if length <= 1.0 || distances.len() < 2 {
        return false;
    }
    distances.iter().sum::<f64>() / distances.len() as f64 > TORSOS_APART_LENGTHS * length
}

/// See [`torsos_apart`]: a whole torso length, far beyond keypoint noise (a few percent
/// of it) and beyond a duplicate's misplaced joints.
const TORSOS_APART_LENGTHS: f64 = 1.0;

fn box_area(p: &PersonPose) -> f32 {
    p.r#box
        .as_ref()
        .map_or(0.0, |b| b.width_px.max(0.0) * b.height_px.max(0.0))
}

/// Share of `a`'s box area covered by `b`'s box.
fn overlap_of(a: &PersonPose, b: &PersonPose) -> f32 {
    let (Some(x), Some(y)) = (a.r#box.as_ref(), b.r#box.as_ref()) else {
        return 0.0;
    };
    crate::track::PixelRect::from(x).share_inside(&crate::track::PixelRect::from(y))
}

/// A stretch of frames where two or more people were present.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    first: usize,
    last: usize,
    max_people: usize,
}

pub fn check(track: &PoseTrack, params: &PeopleParams) -> CheckOutcome {
    let frames = &track.frames;
    if frames.is_empty() {
        return CheckOutcome::not_assessed(MULTIPLE_PEOPLE, "no pose frames to count people in");
    }
    let period = track::analysed_period_ms(track);
    let mut activity = activity_by_track(track);
    // Tracks present in most frames count as active (see `athlete_presence`).
    let mut seen: HashMap<u32, usize> = HashMap::new();
    for f in frames {
        for p in &f.persons {
            if p.confidence >= params.min_confidence
                && confident_keypoints(p) >= params.min_keypoints
            {
                *seen.entry(p.track_id).or_default() += 1;
            }
        }
    }
    let main_id = track::main_track_id(track);
    let main_activity = main_id
        .and_then(|id| activity.get(&id).copied())
        .unwrap_or(0.0);
    // People much smaller than the main subject are farther away: background, not a
    // second athlete, whatever they do (their activity is set to zero so no frame counts
    // them).
    for (id, relative) in relative_heights(track, main_id) {
        if relative < params.comparable_height {
            activity.insert(id, 0.0);
            seen.remove(&id);
        }
    }
    for (id, n) in seen {
        let moves_like_an_athlete = activity
            .get(&id)
            .is_some_and(|a| *a >= params.bystander_activity_share * main_activity);
        if n as f64 >= params.athlete_presence * frames.len() as f64 && moves_like_an_athlete {
            activity.insert(id, f64::INFINITY);
        }
    }
    let counts: Vec<usize> = frames
        .iter()
        .map(|f| people_in_frame(&f.persons, &activity, params))
        .collect();

    // Group multi-person frames into runs, bridging short gaps.
    let mut runs: Vec<Run> = Vec::new();
    for (i, &n) in counts.iter().enumerate() {
        if n < 2 {
            continue;
        }
        match runs.last_mut() {
            Some(run)
                if frames[i].timestamp_ms - frames[run.last].timestamp_ms
                    <= params.bridge_gap_ms + period =>
            {
                run.last = i;
                run.max_people = run.max_people.max(n);
            }
            _ => runs.push(Run {
                first: i,
                last: i,
                max_people: n,
            }),
        }
    }
    let run_ms = |r: &Run| frames[r.last].timestamp_ms - frames[r.first].timestamp_ms + period;
    let (sustained, brief): (Vec<Run>, Vec<Run>) = runs
        .into_iter()
        .partition(|r| run_ms(r) >= params.min_run_ms);

    let total_ms = track::duration_ms(track).max(period);
    let together_ms: f64 = sustained.iter().map(run_ms).sum();
    let share = together_ms / total_ms;
    let score = 100.0 * (share / params.full_score_share).min(1.0);
    let most = sustained.iter().map(|r| r.max_people).max().unwrap_or(1);

    let ev = |r: &Run, what: &str| {
        let (a, b) = (&frames[r.first], &frames[r.last]);
        evidence(
            (a.frame_index, a.timestamp_ms),
            (b.frame_index, b.timestamp_ms),
            format!(
                "{what}: up to {} people for {}",
                r.max_people,
                secs(run_ms(r))
            ),
        )
    };
    let mut evidence: Vec<_> = sustained.iter().map(|r| ev(r, "co-present")).collect();
    evidence.extend(
        brief
            .iter()
            .take(5)
            .map(|r| ev(r, "brief, ignored (passer-by)")),
    );

    let reason = if sustained.is_empty() {
        if brief.is_empty() {
            "one person throughout".to_string()
        } else {
            format!(
                "one person; {} brief appearance(s) of another person ignored",
                brief.len()
            )
        }
    } else {
        format!(
            "{most} people in frame for {} ({:.0}% of the video)",
            secs(together_ms),
            share * 100.0
        )
    };
    CheckOutcome::new(MULTIPLE_PEOPLE, score, reason, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::testing::{stick_person, track};

    /// A person exercising: bobbing 60 px with a 30-frame period.
    fn active(id: u32, x: f32, height: f32, i: u32) -> PersonPose {
        let bob = (60.0 * (2.0 * std::f64::consts::PI * f64::from(i) / 30.0).sin()) as f32;
        stick_person(id, x, 100.0 + bob, height)
    }

    #[test]
    fn second_athlete_all_video_scores_full() {
        let t = track(90, 30.0, |i| {
            vec![active(1, 100.0, 300.0, i), active(2, 600.0, 280.0, i)]
        });
        let out = check(&t, &PeopleParams::default());
        assert_eq!(out.score, 100.0);
        assert!(out.flagged);
        assert!(out.reason.starts_with("2 people"), "{}", out.reason);
        assert_eq!(out.evidence.len(), 1);
        assert_eq!(out.evidence[0].start_frame_index, 0);
        assert_eq!(out.evidence[0].end_frame_index, 89);
    }

    #[test]
    fn half_second_passer_by_is_ignored() {
        // 300 frames at 30 fps; another person for frames 100..115 (0.5 s).
        let t = track(300, 30.0, |i| {
            let mut v = vec![active(1, 100.0, 300.0, i)];
            if (100..115).contains(&i) {
                v.push(active(2, 600.0, 300.0, i));
            }
            v
        });
        let out = check(&t, &PeopleParams::default());
        assert_eq!(out.score, 0.0);
        assert!(!out.flagged);
        assert!(out.reason.contains("brief"), "{}", out.reason);
    }

    #[test]
    fn tiny_background_figure_is_not_a_second_athlete() {
        let t = track(90, 30.0, |i| {
            vec![active(1, 100.0, 400.0, i), active(2, 900.0, 60.0, i)]
        });
        assert_eq!(check(&t, &PeopleParams::default()).score, 0.0);
    }

    #[test]
    fn the_same_body_detected_twice_is_one_person() {
        let t = track(90, 30.0, |i| {
            vec![active(1, 100.0, 300.0, i), active(2, 105.0, 280.0, i)]
        });
        assert_eq!(check(&t, &PeopleParams::default()).score, 0.0);
    }

    #[test]
    fn a_second_body_inside_a_large_box_is_a_second_person_when_the_torsos_are_apart() {
        // An adult lying in a push-up has a wide box; a child beside them lies inside it.
        let t = track(90, 30.0, |i| {
            let mut adult = active(1, 100.0, 300.0, i);
            if let Some(b) = adult.r#box.as_mut() {
                b.width_px = 800.0;
            }
            vec![adult, active(2, 500.0, 280.0, i)]
        });
        assert_eq!(check(&t, &PeopleParams::default()).score, 100.0);
    }

    #[test]
    fn a_bystander_standing_still_is_not_a_second_athlete() {
        // Standing still for 1.5 s of a 3 s clip: long enough to count if they moved,
        // not there most of the time.
        let t = track(90, 30.0, |i| {
            let mut v = vec![active(1, 100.0, 300.0, i)];
            if i < 45 {
                v.push(stick_person(2, 600.0, 100.0, 300.0));
            }
            v
        });
        assert_eq!(check(&t, &PeopleParams::default()).score, 0.0);
        let moving = activity_by_track(&t);
        assert!(moving[&1] > 0.3, "{moving:?}");
        assert!(moving[&2] < 1e-6, "{moving:?}");
    }

    #[test]
    fn share_maps_linearly_to_score() {
        // Second person for 45 of 300 frames = 15% -> 50 with full score at 30%.
        let t = track(300, 30.0, |i| {
            let mut v = vec![active(1, 100.0, 300.0, i)];
            if (200..245).contains(&i) {
                v.push(active(2, 600.0, 300.0, i));
            }
            v
        });
        let out = check(&t, &PeopleParams::default());
        assert!((out.score - 50.0).abs() < 1e-6, "{}", out.score);
        assert!(out.flagged);
    }

    #[test]
    fn a_comparable_person_present_in_most_frames_is_a_second_athlete_even_if_still() {
        // A 1.7 s clip: nobody moves much in that time, but the second person is there
        // throughout at full size.
        let t = track(100, 60.0, |_| {
            vec![
                stick_person(1, 100.0, 100.0, 300.0),
                stick_person(2, 600.0, 100.0, 300.0),
            ]
        });
        let out = check(&t, &PeopleParams::default());
        assert_eq!(out.score, 100.0, "{}", out.reason);
    }

    #[test]
    fn a_still_tester_beside_a_jumping_athlete_is_a_bystander_however_long_they_stay() {
        // A jump test: the athlete jumps (large movement) while the tester stands still
        // at the frame edge for the whole clip.
        let t = track(90, 30.0, |i| {
            vec![
                active(1, 300.0, 300.0, i),
                stick_person(2, 1180.0, 100.0, 290.0),
            ]
        });
        let out = check(&t, &PeopleParams::default());
        assert_eq!(out.score, 0.0, "{}", out.reason);
    }

    #[test]
    fn gym_members_exercising_farther_back_are_background_a_partner_beside_is_not() {
        // Someone skipping in the background at 60% of the athlete's size for the whole
        // clip: farther away, not part of the recording's subject.
        let background = track(90, 30.0, |i| {
            vec![active(1, 100.0, 400.0, i), active(2, 700.0, 240.0, i)]
        });
        assert_eq!(check(&background, &PeopleParams::default()).score, 0.0);
        // A partner beside the athlete at 85% of their size is a second athlete.
        let partner = track(90, 30.0, |i| {
            vec![active(1, 100.0, 400.0, i), active(2, 700.0, 340.0, i)]
        });
        assert_eq!(check(&partner, &PeopleParams::default()).score, 100.0);
    }
}
