//! Cleaning of per-frame signals: confidence gating, outlier removal and gap filling.
//!
//! Signals are `Option<f64>` per frame: `None` = not measured (person missing,
//! keypoint not confident). Every function keeps the frame count unchanged.

use crate::stats::median_in_place;

/// Drops samples whose confidence is below `min_score`.
pub fn gate_by_confidence(values: &[f64], scores: &[f64], min_score: f64) -> Vec<Option<f64>> {
    values
        .iter()
        .zip(scores)
        .map(|(&v, &s)| (s >= min_score && v.is_finite()).then_some(v))
        .collect()
}

/// Hampel filter: a sample further than `n_sigmas` robust standard deviations
/// (1.4826 * MAD) from the median of its `2 * half_window + 1` neighbourhood is
/// an outlier and becomes `None` (to be interpolated later). A flat neighbourhood
/// (MAD = 0) only rejects samples that differ from the median by more than
/// `min_deviation`, so quantisation steps are not mistaken for outliers.
/// Neighbourhoods with fewer than 3 present samples judge nothing; non-finite
/// samples count as present but take no part in the median or the MAD.
pub fn hampel(
    values: &[Option<f64>],
    half_window: usize,
    n_sigmas: f64,
    min_deviation: f64,
) -> Vec<Option<f64>> {
    let n = values.len();
    let mut out = values.to_vec();
    let mut window = Vec::with_capacity(2 * half_window + 1);
    // Plain values plus a running count of missing / non-finite samples, so a
    // neighbourhood without any is screened on a contiguous `f64` slice.
    let dense: Vec<f64> = values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let unusable_before = running_count(values.iter().map(|v| !v.is_some_and(f64::is_finite)));
    // Steps up and down between neighbours: a stretch with none of one kind is
    // monotonic, and the median of an odd monotonic window is its centre.
    let rises_before = running_count(dense.windows(2).map(|w| w[1] > w[0]));
    let falls_before = running_count(dense.windows(2).map(|w| w[1] < w[0]));
    for i in 0..n {
        let Some(v) = values[i] else { continue };
        let lo = i.saturating_sub(half_window);
        let hi = (i + half_window + 1).min(n);
        let neighbourhood = &values[lo..hi];
        let all_finite = unusable_before[hi] == unusable_before[lo];
        let centred = i - lo == half_window && hi - i == half_window + 1;
        if all_finite
            && centred
            && min_deviation >= 0.0
            && (rises_before[hi - 1] == rises_before[lo]
                || falls_before[hi - 1] == falls_before[lo])
        {
            // |v - median| = 0.
            continue;
        }
        let surely_kept = if all_finite {
            all_finite_within_min_deviation_of_median(&dense[lo..hi], v, min_deviation)
        } else {
            within_min_deviation_of_median(neighbourhood, v, min_deviation)
        };
        if surely_kept {
            continue;
        }
        window.clear();
        window.extend(neighbourhood.iter().flatten().copied());
        if window.len() < 3 {
            continue;
        }
        let Some(med) = median_in_place(&mut window) else {
            continue;
        };
        for w in window.iter_mut() {
            *w = (*w - med).abs();
        }
        let mad = median_in_place(&mut window).unwrap_or(0.0);
        let limit = (n_sigmas * 1.4826 * mad).max(min_deviation);
        if (v - med).abs() > limit {
            out[i] = None;
        }
    }
    out
}

/// `counts[k]` = how many of the first `k` flags are set (one more entry than flags).
fn running_count(flags: impl Iterator<Item = bool>) -> Vec<usize> {
    let mut counts = vec![0];
    let mut total = 0;
    for flag in flags {
        total += flag as usize;
        counts.push(total);
    }
    counts
}

/// Whether `|v - median| <= d` is certain for the median of the finite values
/// of `neighbourhood` (so the Hampel limit, never below `d`, keeps `v`), decided
/// by counting instead of selecting: most samples of a smooth signal pass, and
/// only the rest pay for the selections. `false` also when unsure (fewer than 3
/// present samples, non-finite `v`, unusable `d`; those cases are also the
/// only ones where `|x - v|` or `d` can be NaN): the caller then computes exactly.
///
/// Why counting suffices: the values within `d` of `v` (as `|x - v|` rounds)
/// form one contiguous stretch of the sorted values, because rounding is
/// monotonic. The median interpolates the two middle order statistics, so it
/// lies between them, hence within `d` of `v` when both do, which holds exactly
/// when at most `lower_middle` values lie below the stretch and at most
/// `finite - 1 - upper_middle` above it.
fn within_min_deviation_of_median(neighbourhood: &[Option<f64>], v: f64, d: f64) -> bool {
    let (mut present, mut finite, mut below, mut above) = (0usize, 0usize, 0usize, 0usize);
    for x in neighbourhood.iter().flatten() {
        present += 1;
        if !x.is_finite() {
            continue;
        }
        finite += 1;
        if (x - v).abs() > d {
            if *x < v {
                below += 1;
            } else {
                above += 1;
            }
        }
    }
    middle_is_within(present, finite, below, above, v, d)
}

/// [`within_min_deviation_of_median`] for a neighbourhood of present, finite
/// values (the usual case), branch-free on a plain slice so it vectorises.
fn all_finite_within_min_deviation_of_median(neighbourhood: &[f64], v: f64, d: f64) -> bool {
    let (mut below, mut above) = (0usize, 0usize);
    for &x in neighbourhood {
        let outside = (x - v).abs() > d;
        below += (outside & (x < v)) as usize;
        above += (outside & (x >= v)) as usize;
    }
    let count = neighbourhood.len();
    middle_is_within(count, count, below, above, v, d)
}

/// Both middle order statistics of `finite` values lie within `d` of `v` when
/// at most `lower_middle` values fall below that stretch and at most
/// `finite - 1 - upper_middle` above it.
fn middle_is_within(
    present: usize,
    finite: usize,
    below: usize,
    above: usize,
    v: f64,
    d: f64,
) -> bool {
    // A huge `d` could let the two middle values differ by more than f64::MAX,
    // and their interpolation overflow.
    if present < 3 || finite == 0 || !v.is_finite() || !(0.0..=f64::MAX / 2.0).contains(&d) {
        return false;
    }
    let (lower_middle, upper_middle) = ((finite - 1) / 2, finite / 2);
    below <= lower_middle && above < finite - upper_middle
}

/// Linearly interpolates interior gaps of at most `max_gap` missing samples
/// (uses the sample times, so uneven frame spacing is respected). Longer gaps
/// and leading/trailing gaps stay `None`: inventing motion over them would
/// invent reps.
pub fn interpolate_gaps(times: &[f64], values: &[Option<f64>], max_gap: usize) -> Vec<Option<f64>> {
    let mut out = values.to_vec();
    let mut last: Option<usize> = None;
    for i in 0..values.len() {
        if values[i].is_none() {
            continue;
        }
        if let Some(p) = last {
            let gap = i - p - 1;
            if gap > 0 && gap <= max_gap {
                let (t0, t1) = (times[p], times[i]);
                let (v0, v1) = (values[p].unwrap_or(0.0), values[i].unwrap_or(0.0));
                for (k, slot) in out.iter_mut().enumerate().take(i).skip(p + 1) {
                    let f = if t1 > t0 {
                        (times[k] - t0) / (t1 - t0)
                    } else {
                        0.5
                    };
                    *slot = Some(v0 + (v1 - v0) * f);
                }
            }
        }
        last = Some(i);
    }
    out
}

/// Contiguous runs of present samples, as half-open index ranges.
pub fn present_runs(values: &[Option<f64>]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (v.is_some(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..values.len());
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gating_drops_low_confidence() {
        let g = gate_by_confidence(&[1.0, 2.0, 3.0], &[0.9, 0.2, 0.5], 0.5);
        assert_eq!(g, vec![Some(1.0), None, Some(3.0)]);
    }

    #[test]
    fn hampel_removes_a_spike_and_keeps_a_ramp() {
        let mut v: Vec<Option<f64>> = (0..20).map(|i| Some(i as f64)).collect();
        v[10] = Some(100.0);
        let h = hampel(&v, 3, 3.0, 1e-9);
        assert_eq!(h[10], None);
        assert_eq!(h.iter().filter(|x| x.is_none()).count(), 1);
    }

    /// The textbook definition, one neighbourhood at a time.
    fn hampel_by_selection(
        values: &[Option<f64>],
        half_window: usize,
        n_sigmas: f64,
        min_deviation: f64,
    ) -> Vec<Option<f64>> {
        use crate::stats::median;
        (0..values.len())
            .map(|i| {
                let v = values[i]?;
                let lo = i.saturating_sub(half_window);
                let hi = (i + half_window + 1).min(values.len());
                let window: Vec<f64> = values[lo..hi].iter().flatten().copied().collect();
                if window.len() < 3 {
                    return Some(v);
                }
                let Some(med) = median(&window) else {
                    return Some(v);
                };
                let deviations: Vec<f64> = window.iter().map(|w| (w - med).abs()).collect();
                let mad = median(&deviations).unwrap_or(0.0);
                let limit = (n_sigmas * 1.4826 * mad).max(min_deviation);
                if (v - med).abs() > limit {
                    None
                } else {
                    Some(v)
                }
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn sliding_hampel_equals_the_definition(
            values in proptest::collection::vec(
                proptest::option::weighted(0.9, -60i32..60), 0..120),
            ramp in 0usize..60,
            half_window in 1usize..8,
        ) {
            // Half-integers make ties (even windows, zero MAD) common; codes
            // beyond +-50 stand for non-finite samples; a ramp makes a
            // monotonic stretch.
            let values: Vec<Option<f64>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.map(|v| match v {
                        51.. => f64::NAN,
                        ..-50 => f64::INFINITY,
                        _ if i < ramp => i as f64,
                        _ => v as f64 * 0.5,
                    })
                })
                .collect();
            let bits = |v: Vec<Option<f64>>| -> Vec<Option<u64>> {
                v.into_iter().map(|x| x.map(f64::to_bits)).collect()
            };
            proptest::prop_assert_eq!(
                bits(hampel(&values, half_window, 3.0, 0.25)),
                bits(hampel_by_selection(&values, half_window, 3.0, 0.25))
            );
        }
    }

    #[test]
    fn interpolation_fills_short_gaps_exactly_and_leaves_long_ones() {
        let t: Vec<f64> = (0..8).map(|i| i as f64).collect();
        let v = vec![
            Some(0.0),
            None,
            None,
            Some(3.0),
            None,
            None,
            None,
            Some(7.0),
        ];
        let f = interpolate_gaps(&t, &v, 2);
        assert_eq!(&f[..4], &[Some(0.0), Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(f[5], None);
        let f = interpolate_gaps(&t, &v, 3);
        assert_eq!(f[5], Some(5.0));
    }

    #[test]
    fn runs_of_present_samples() {
        let v = vec![None, Some(1.0), Some(2.0), None, Some(3.0)];
        assert_eq!(present_runs(&v), vec![1..3, 4..5]);
    }
}
