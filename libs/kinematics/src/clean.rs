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
pub fn hampel(
    values: &[Option<f64>],
    half_window: usize,
    n_sigmas: f64,
    min_deviation: f64,
) -> Vec<Option<f64>> {
    let n = values.len();
    let mut out = values.to_vec();
    let mut window = Vec::with_capacity(2 * half_window + 1);
    for i in 0..n {
        let Some(v) = values[i] else { continue };
        let lo = i.saturating_sub(half_window);
        let hi = (i + half_window + 1).min(n);
        window.clear();
        window.extend(values[lo..hi].iter().flatten().copied());
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
