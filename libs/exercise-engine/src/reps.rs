//! Generic rep segmentation on one cleaned signal.
//!
//! A rep is a *full excursion*: the signal must be at the start position, leave
//! it past the `enter` threshold, and come back past the `exit` threshold
//! (hysteresis, so noise around one threshold cannot count twice). Thresholds
//! are fractions of the signal's robust range (2nd..98th percentile within a
//! sliding window, so a zoom or camera change re-normalises), oriented so that 1
//! is the start position. Every candidate must then pass:
//! - an absolute minimum range (a dead hang or a fidget is not a rep),
//! - a minimum range relative to the median of the set's other reps (a set-up bend
//!   is not a rep),
//! - minimum and maximum durations.
//!
//! A clip that begins away from the start position (e.g. mid-rep) only counts
//! from the first time the start position is reached: the start-position gate.
//! One exception: a clip that opens on the way out, before the `enter` threshold,
//! and goes straight down to the far end shows the rep's departure, only not its
//! top. That rep starts at the clip's first sample and faces the same range gates
//! as any other (half the other reps' median excursion), so a clip cut just after the
//! top counts the rep and one opening near the bottom does not.
//! A gap in the signal longer than half the maximum rep duration resets the gate.

use fitvision_kinematics::stats::{self, SortedWindow};

use crate::definition::{RepRules, StartPosition};

/// One segmented repetition, as frame indices into the signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepSpan {
    pub start: usize,
    pub mid: usize,
    pub end: usize,
    /// Excursion in the signal's unit (the smaller of the way out and the way back).
    pub range: f64,
}

/// Share of the range within which samples count as "at the top plateau".
const PLATEAU_TOLERANCE: f64 = 0.05;

/// A rep that the end of the clip closes counts
/// only if its return is finished: back to this share of the way out ...
const FINISHED_RETURN_SHARE: f64 = 0.9;
/// ... or come to rest near its highest point for this long. A clip cut while the
/// athlete is still rising out of the bottom holds neither: the rep is not complete.
const SETTLED_AT_TOP_S: f64 = 0.2;

struct Plateau {
    first: usize,
    /// Index where the plateau began (first sample above `exit`).
    from: usize,
}

/// Segments reps; `times_s` and `signal` have one entry per frame.
pub fn segment_reps(times_s: &[f64], signal: &[Option<f64>], rules: &RepRules) -> Vec<RepSpan> {
    let present: Vec<f64> = signal.iter().flatten().copied().collect();
    let (Some(lo), Some(hi)) = (
        stats::percentile(&present, 2.0),
        stats::percentile(&present, 98.0),
    ) else {
        return Vec::new();
    };
    let range = hi - lo;
    if range.is_nan() || range < rules.min_range || range <= 0.0 {
        return Vec::new();
    }
    let local = local_ranges(times_s, signal, rules.range_window_s);
    // Oriented value: larger = closer to the start position.
    let orient = |v: f64| match rules.start {
        StartPosition::High => v,
        StartPosition::Low => -v,
    };
    // Position within the local range, 1 = start end. A window whose range is
    // below the minimum holds no rep: it reads as "at the start" (no excursion).
    let norm = |i: usize, v: f64| {
        let Some((lo, hi)) = local[i] else { return 1.0 };
        let range = hi - lo;
        if range < rules.min_range {
            return 1.0;
        }
        match rules.start {
            StartPosition::High => (v - lo) / range,
            StartPosition::Low => (hi - v) / range,
        }
    };
    let o = |i: usize| orient(signal[i].unwrap_or(f64::NAN));

    // First and last index of the plateau near the maximum within from..=to, and that maximum.
    let plateau_bounds = |from: usize, to: usize| -> (usize, usize, f64) {
        let max = (from..=to)
            .filter(|&i| signal[i].is_some())
            .map(o)
            .fold(f64::NEG_INFINITY, f64::max);
        let near = |i: &usize| signal[*i].is_some() && o(*i) >= max - PLATEAU_TOLERANCE * range;
        let first = (from..=to).find(near).unwrap_or(from);
        let last = (from..=to).rev().find(near).unwrap_or(to);
        (first, last, max)
    };
    // Whether the return of a rep (start top `top`, bottom at `bottom`) that the clip's
    // end at `end` cuts off had finished, its top plateau beginning at `from`. The
    // finished level must be reached by two samples: at the clip's edge a lone sample
    // has no later neighbour to despike or filter it against (one glitched last frame
    // would otherwise finish a rep), while a real arrival at the top decelerates, so
    // its last tenth of the way spans more than one sample.
    let return_finished = |top: f64, bottom: usize, from: usize, end: usize| {
        let (first, _, _) = plateau_bounds(from, end);
        let (mut highest, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for v in (from..=end).filter(|&i| signal[i].is_some()).map(o) {
            if v > highest {
                second = highest;
                highest = v;
            } else if v > second {
                second = v;
            }
        }
        let (out, back) = (top - o(bottom), second - o(bottom));
        back >= FINISHED_RETURN_SHARE * out || times_s[end] - times_s[first] >= SETTLED_AT_TOP_S
    };

    enum State {
        /// Not yet at the start position; `opening` is the first sample while the
        /// signal has only moved away from the start since it (see the module docs).
        Unknown {
            opening: Option<usize>,
        },
        AtStart(Plateau),
        Away {
            start: usize,
            top: f64,
            bottom: usize,
        },
    }
    let mut state = State::Unknown { opening: None };
    let mut pending: Option<(usize, f64, usize)> = None;
    let mut candidates: Vec<(usize, f64, usize, usize, f64)> = Vec::new();
    let mut last_present: Option<usize> = None;
    let max_gap_s = rules.max_duration_s / 2.0;

    for i in 0..signal.len() {
        let Some(v) = signal[i] else { continue };
        if let Some(p) = last_present
            && times_s[i] - times_s[p] > max_gap_s
        {
            // The subject vanished for too long: what happened meanwhile is unknown.
            // The return passed the exit threshold before the gap: the athlete was
            // still exercising, so the rep stands (unlike one cut by the clip's end).
            if let (State::AtStart(pl), Some((s, top, b))) = (&state, pending.take()) {
                let (first, _, max) = plateau_bounds(pl.from, p);
                candidates.push((s, top, b, first.max(pl.first), max));
            }
            state = State::Unknown { opening: None };
            pending = None;
        }
        let n = norm(i, v);
        let previous = last_present;
        last_present = Some(i);
        state = match state {
            State::Unknown { .. } if n >= rules.exit => {
                State::AtStart(Plateau { first: i, from: i })
            }
            State::Unknown { opening: None } if previous.is_none() && n >= rules.enter => {
                State::Unknown { opening: Some(i) }
            }
            State::Unknown {
                opening: Some(first),
            } => match previous {
                // Still going away from the start (within the plateau tolerance).
                Some(p) if orient(v) <= o(p) + PLATEAU_TOLERANCE * range => {
                    if n < rules.enter {
                        State::Away {
                            start: first,
                            top: o(first),
                            bottom: i,
                        }
                    } else {
                        State::Unknown {
                            opening: Some(first),
                        }
                    }
                }
                _ => State::Unknown { opening: None },
            },
            State::Unknown { opening: None } => State::Unknown { opening: None },
            State::AtStart(pl) if n < rules.enter => {
                let (first, last, max) = plateau_bounds(pl.from, i);
                if let Some((s, top, b)) = pending.take() {
                    candidates.push((s, top, b, first, max));
                }
                State::Away {
                    start: last,
                    top: max,
                    bottom: i,
                }
            }
            State::AtStart(pl) => State::AtStart(pl),
            State::Away { start, top, bottom } if n >= rules.exit => {
                pending = Some((start, top, bottom));
                State::AtStart(Plateau { first: i, from: i })
            }
            State::Away { start, top, bottom } => State::Away {
                start,
                top,
                bottom: if orient(v) < o(bottom) { i } else { bottom },
            },
        };
    }
    if let (State::AtStart(pl), Some((s, top, b))) = (&state, pending)
        && let Some(end) = last_present
        // Present to the end: the clip's end cuts the rep. Gone long before it (an
        // end card after the set): the same as a gap, the rep stands.
        && (times_s[signal.len() - 1] - times_s[end] > max_gap_s
            || return_finished(top, b, pl.from, end))
    {
        let (first, _, max) = plateau_bounds(pl.from, end);
        candidates.push((s, top, b, first, max));
    }

    let reps: Vec<RepSpan> = candidates
        .into_iter()
        .filter_map(|(start, top_before, mid, end, top_after)| {
            let out = top_before - o(mid);
            let back = top_after - o(mid);
            let span = RepSpan {
                start,
                mid,
                end,
                range: out.min(back),
            };
            let duration = times_s[end] - times_s[start];
            (span.range >= rules.min_range
                && duration >= rules.min_duration_s
                && duration <= rules.max_duration_s)
                .then_some(span)
        })
        .collect();
    let ranges: Vec<f64> = reps.iter().map(|r| r.range).collect();
    reps.into_iter()
        .enumerate()
        .filter(|(i, rep)| {
            median_of_others(&ranges, *i)
                .is_none_or(|median| rep.range >= rules.min_relative_range * median)
        })
        .map(|(_, rep)| rep)
        .collect()
}

/// The median of `ranges` without the one at `index`: each candidate is judged against
/// the other reps of the set, not against a median it drags down itself. In a short set
/// one rep split in two by a pause (a re-pull after a partial lowering) gives two
/// partial excursions, and the median of all four candidates of a 3-rep set is the
/// mean of a partial and a full rep; against the others, the lesser partial meets
/// the full reps' median. `None` for a lone candidate.
fn median_of_others(ranges: &[f64], index: usize) -> Option<f64> {
    let others: Vec<f64> = ranges
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != index)
        .map(|(_, &range)| range)
        .collect();
    stats::median(&others)
}

/// Robust (2nd..98th percentile) range of the signal within +-`half_window_s` of
/// each frame. The range changes slowly, so it is computed every quarter second
/// and each frame takes the nearest computed window (keeps long tracks cheap).
/// The window only moves forwards, so it is kept sorted incrementally.
fn local_ranges(
    times_s: &[f64],
    signal: &[Option<f64>],
    half_window_s: f64,
) -> Vec<Option<(f64, f64)>> {
    let n = signal.len();
    if n == 0 {
        return Vec::new();
    }
    let span = times_s[n - 1] - times_s[0];
    let stride = ((n as f64 / (span * 4.0).max(1.0)).round() as usize).max(1);
    let (mut from, mut to) = (0usize, 0usize);
    let mut computed: Vec<(usize, Option<(f64, f64)>)> = Vec::new();
    let mut window = SortedWindow::default();
    for i in (0..n).step_by(stride) {
        while times_s[i] - times_s[from] > half_window_s {
            if let Some(v) = signal[from] {
                window.remove(v);
            }
            from += 1;
        }
        while to < n && times_s[to] - times_s[i] <= half_window_s {
            if let Some(v) = signal[to] {
                window.insert(v);
            }
            to += 1;
        }
        let range = window.percentile(2.0).zip(window.percentile(98.0));
        computed.push((i, range));
    }
    (0..n)
        .map(|i| {
            let k = ((i + stride / 2) / stride).min(computed.len() - 1);
            computed[k].1
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(start: StartPosition) -> RepRules {
        RepRules {
            start,
            enter: 0.35,
            exit: 0.65,
            min_range: 30.0,
            min_relative_range: 0.5,
            min_duration_s: 0.3,
            max_duration_s: 10.0,
            detrend_s: 0.0,
            range_window_s: 6.0,
            first_half_concentric: false,
        }
    }

    fn times(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64 / 30.0).collect()
    }

    #[test]
    fn three_clean_reps() {
        // 160 deg at the top, 80 at the bottom, 2 s per rep.
        let n = 180;
        let s: Vec<Option<f64>> = (0..n)
            .map(|i| {
                let ph = i as f64 / 60.0 * std::f64::consts::TAU;
                Some(120.0 + 40.0 * ph.cos())
            })
            .collect();
        let reps = segment_reps(&times(n), &s, &rules(StartPosition::High));
        // The clip ends at the top after 3 full cycles: 3 reps.
        assert_eq!(reps.len(), 3);
        assert_eq!(reps[0].mid, 30);
        assert!((reps[0].range - 80.0).abs() < 1.0);
    }

    #[test]
    fn small_motion_is_not_a_rep() {
        let s: Vec<Option<f64>> = (0..200)
            .map(|i| Some(170.0 + 5.0 * (i as f64 / 10.0).sin()))
            .collect();
        assert!(segment_reps(&times(200), &s, &rules(StartPosition::High)).is_empty());
    }

    #[test]
    fn a_half_bend_among_full_reps_is_rejected() {
        // Full reps of 80 deg plus one 35 deg bend: above minRange, below half the median.
        let mut s = Vec::new();
        for depth in [80.0, 80.0, 35.0, 80.0] {
            for i in 0..60 {
                let ph = i as f64 / 60.0 * std::f64::consts::TAU;
                s.push(Some(170.0 - depth * (1.0 - ph.cos()) / 2.0));
            }
        }
        let mut r = rules(StartPosition::High);
        // Thresholds low enough that the bend crosses them: only the relative gate can reject it.
        r.enter = 0.6;
        r.exit = 0.9;
        let reps = segment_reps(&times(s.len()), &s, &r);
        assert_eq!(reps.len(), 3);
    }

    #[test]
    fn a_rep_split_by_a_partial_lowering_counts_once() {
        // Two full reps between 170 and 20 deg, then a third whose athlete lowers only to
        // 123 deg, pulls again to 58 and then lowers fully: four candidates, of ranges
        // 150, 150, 103 (the pull, judged by its partial return) and 65 (the re-pull).
        // Against the median of all four (126.5) the re-pull passes the half-median gate;
        // against the others' (150), it does not.
        let moves = [
            170.0, 20.0, 170.0, 20.0, 170.0, 20.0, 123.0, 58.0, 170.0, 170.0,
        ];
        let mut s = Vec::new();
        for pair in moves.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            for i in 0..30 {
                let t = (1.0 - (i as f64 / 30.0 * std::f64::consts::PI).cos()) / 2.0;
                s.push(Some(from + (to - from) * t));
            }
        }
        s.push(Some(170.0));
        let reps = segment_reps(&times(s.len()), &s, &rules(StartPosition::High));
        let ranges: Vec<i64> = reps.iter().map(|r| r.range.round() as i64).collect();
        assert_eq!(ranges, vec![150, 150, 103]);
    }

    #[test]
    fn starting_mid_rep_is_not_counted() {
        // Starts at the far end (low for a start-high exercise), then 2 full reps.
        let s: Vec<Option<f64>> = (0..150)
            .map(|i| {
                let ph = (i as f64 / 60.0 + 0.5) * std::f64::consts::TAU;
                Some(120.0 + 40.0 * ph.cos())
            })
            .collect();
        let reps = segment_reps(&times(150), &s, &rules(StartPosition::High));
        assert_eq!(reps.len(), 2);
    }

    #[test]
    fn a_clip_opening_on_the_way_down_counts_that_rep_when_enough_of_it_shows() {
        // 2 s reps between 80 and 160 deg; the clip opens on the way down, at `opening`
        // of the range, then runs two more full reps and ends at the top.
        let reps_opening_at = |opening: f64| {
            let phase0 = (2.0 * opening - 1.0).acos();
            let n = (2.0 * 60.0 + (std::f64::consts::TAU - phase0) / std::f64::consts::TAU * 60.0)
                as usize;
            let s: Vec<Option<f64>> = (0..=n)
                .map(|i| {
                    Some(120.0 + 40.0 * (phase0 + i as f64 / 60.0 * std::f64::consts::TAU).cos())
                })
                .collect();
            segment_reps(&times(s.len()), &s, &rules(StartPosition::High))
        };
        // Over half the way down still to go: the rep shows, it counts.
        let reps = reps_opening_at(0.6);
        assert_eq!(reps.len(), 3);
        assert_eq!(reps[0].start, 0);
        // Opening below the enter threshold, near the bottom: only the way back shows.
        assert_eq!(reps_opening_at(0.3).len(), 2);
        // Between the thresholds but under half the median excursion: the gate rejects it.
        assert_eq!(reps_opening_at(0.4).len(), 2);
    }

    #[test]
    fn a_clip_cut_during_the_last_return_does_not_count_it() {
        // 3 full cycles (2 s each) from the top, then a 4th whose return is cut off
        // 80% of the way up while still rising: 3 reps.
        let cycle = |i: usize| {
            let ph = i as f64 / 60.0 * std::f64::consts::TAU;
            Some(120.0 + 40.0 * ph.cos())
        };
        // 160 -> 80 -> 144 (80% of the way back) at frame 180 + 30 + 21.
        let cut: Vec<Option<f64>> = (0..231).map(cycle).collect();
        let reps = segment_reps(&times(cut.len()), &cut, &rules(StartPosition::High));
        assert_eq!(reps.len(), 3);
        // The same set whose last return comes to rest there instead (0.3 s held) counts 4:
        // an athlete may finish a rep a little lower than they started it.
        let mut settled = cut.clone();
        settled.extend(std::iter::repeat_n(cut[230], 9));
        let reps = segment_reps(&times(settled.len()), &settled, &rules(StartPosition::High));
        assert_eq!(reps.len(), 4);
        // And one cut right at the top counts 4 as well.
        let full: Vec<Option<f64>> = (0..240).map(cycle).collect();
        assert_eq!(
            segment_reps(&times(full.len()), &full, &rules(StartPosition::High)).len(),
            4
        ); // A cut return whose lone last frame glitches to the top does not finish the rep
        // (a pose outlier at the clip's edge has no later frame to be despiked against).
        let mut glitched = cut.clone();
        glitched.push(Some(161.0));
        let reps = segment_reps(
            &times(glitched.len()),
            &glitched,
            &rules(StartPosition::High),
        );
        assert_eq!(reps.len(), 3);
    }
}
