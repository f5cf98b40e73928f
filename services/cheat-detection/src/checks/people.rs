//! multiple_people: more than one comparable person present for a significant share of
//! the video. A passer-by for half a second, or a tiny figure far in the background, is
//! not a second athlete; only sustained co-presence counts.

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
    /// ... and with a box at least this fraction of the tallest person's box in the frame:
    /// a second athlete is of comparable size, background figures are not.
    pub min_relative_height: f32,
    /// Gaps in co-presence up to this long (occlusion, missed detections) are bridged.
    pub bridge_gap_ms: f64,
    /// Co-presence runs shorter than this are passers-by and ignored.
    pub min_run_ms: f64,
    /// Share of the video with a second person that scores 100.
    pub full_score_share: f64,
}

impl Default for PeopleParams {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            min_keypoints: 6,
            min_relative_height: 0.4,
            bridge_gap_ms: 400.0,
            min_run_ms: 1000.0,
            full_score_share: 0.3,
        }
    }
}

fn box_height(p: &PersonPose) -> f32 {
    p.r#box.as_ref().map_or(0.0, |b| b.height_px)
}

/// Number of comparable, well-detected people in one frame.
pub fn people_in_frame(persons: &[PersonPose], params: &PeopleParams) -> usize {
    let real: Vec<&PersonPose> = persons
        .iter()
        .filter(|p| p.confidence >= params.min_confidence && confident_keypoints(p) >= params.min_keypoints)
        .collect();
    let tallest = real.iter().map(|p| box_height(p)).fold(0.0_f32, f32::max);
    if tallest <= 0.0 {
        return real.len();
    }
    real.iter()
        .filter(|p| box_height(p) >= params.min_relative_height * tallest)
        .count()
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
    let period = track::frame_period_ms(track);
    let counts: Vec<usize> = frames.iter().map(|f| people_in_frame(&f.persons, params)).collect();

    // Group multi-person frames into runs, bridging short gaps.
    let mut runs: Vec<Run> = Vec::new();
    for (i, &n) in counts.iter().enumerate() {
        if n < 2 {
            continue;
        }
        match runs.last_mut() {
            Some(run) if frames[i].timestamp_ms - frames[run.last].timestamp_ms <= params.bridge_gap_ms + period => {
                run.last = i;
                run.max_people = run.max_people.max(n);
            }
            _ => runs.push(Run { first: i, last: i, max_people: n }),
        }
    }
    let run_ms = |r: &Run| frames[r.last].timestamp_ms - frames[r.first].timestamp_ms + period;
    let (sustained, brief): (Vec<Run>, Vec<Run>) = runs.into_iter().partition(|r| run_ms(r) >= params.min_run_ms);

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
            format!("{what}: up to {} people for {}", r.max_people, secs(run_ms(r))),
        )
    };
    let mut evidence: Vec<_> = sustained.iter().map(|r| ev(r, "co-present")).collect();
    evidence.extend(brief.iter().take(5).map(|r| ev(r, "brief, ignored (passer-by)")));

    let reason = if sustained.is_empty() {
        if brief.is_empty() {
            "one person throughout".to_string()
        } else {
            format!("one person; {} brief appearance(s) of another person ignored", brief.len())
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

    #[test]
    fn second_athlete_all_video_scores_full() {
        let t = track(90, 30.0, |_| {
            vec![stick_person(1, 100.0, 100.0, 300.0), stick_person(2, 600.0, 120.0, 280.0)]
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
            let mut v = vec![stick_person(1, 100.0, 100.0, 300.0)];
            if (100..115).contains(&i) {
                v.push(stick_person(2, 600.0, 100.0, 300.0));
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
        let t = track(90, 30.0, |_| {
            vec![stick_person(1, 100.0, 100.0, 400.0), stick_person(2, 900.0, 100.0, 60.0)]
        });
        assert_eq!(check(&t, &PeopleParams::default()).score, 0.0);
    }

    #[test]
    fn share_maps_linearly_to_score() {
        // Second person for 45 of 300 frames = 15% -> 50 with full score at 30%.
        let t = track(300, 30.0, |i| {
            let mut v = vec![stick_person(1, 100.0, 100.0, 300.0)];
            if (200..245).contains(&i) {
                v.push(stick_person(2, 600.0, 100.0, 300.0));
            }
            v
        });
        let out = check(&t, &PeopleParams::default());
        assert!((out.score - 50.0).abs() < 1e-6, "{}", out.score);
        assert!(out.flagged);
    }
}
