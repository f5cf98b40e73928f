//! Order statistics that skip missing samples.

/// Median of the finite values, `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// Linear-interpolated percentile (0..=100) of the finite values.
pub fn percentile(values: &[f64], pct: f64) -> Option<f64> {
    percentile_in_place(&mut values.to_vec(), pct)
}

/// [`percentile`] computed in a caller-owned buffer (drops its non-finite values
/// and reorders the rest), so sliding-window callers allocate nothing per sample.
/// Selection instead of a full sort: the two ranks around `pct` are all it needs.
pub fn percentile_in_place(values: &mut Vec<f64>, pct: f64) -> Option<f64> {
    values.retain(|x| x.is_finite());
    if values.is_empty() {
        return None;
    }
    let rank = (pct.clamp(0.0, 100.0) / 100.0) * (values.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (_, &mut at_lo, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let at_hi = if hi > lo {
        // Everything above the `lo`-th is not smaller, so its minimum is the `hi`-th.
        above.iter().copied().min_by(f64::total_cmp)?
    } else {
        at_lo
    };
    Some(at_lo + (at_hi - at_lo) * (rank - lo as f64))
}

/// Two percentiles `low_pct <= high_pct` of one buffer (as [`percentile_in_place`]
/// twice, in about the time of one selection: the second one only searches
/// above the first's rank).
pub fn percentile_pair_in_place(
    values: &mut Vec<f64>,
    low_pct: f64,
    high_pct: f64,
) -> (Option<f64>, Option<f64>) {
    values.retain(|x| x.is_finite());
    if values.is_empty() {
        return (None, None);
    }
    let last = (values.len() - 1) as f64;
    let rank_of = |pct: f64| (pct.clamp(0.0, 100.0) / 100.0) * last;
    let (low_rank, high_rank) = (rank_of(low_pct), rank_of(high_pct));
    if high_rank < low_rank {
        return (
            percentile_in_place(values, low_pct),
            percentile_in_place(values, high_pct),
        );
    }
    // After selecting the `k`-th, everything from `k` on is not below it, so an
    // order statistic of rank >= k is found among values[k..] alone.
    let mut order_statistic = |k: usize, from: usize| -> f64 {
        let (_, at, _) = values[from..].select_nth_unstable_by(k - from, f64::total_cmp);
        *at
    };
    let interpolate = |rank: f64, lo_value: f64, hi_value: f64| {
        lo_value + (hi_value - lo_value) * (rank - rank.floor())
    };
    let (l0, l1) = (low_rank.floor() as usize, low_rank.ceil() as usize);
    let low_lo = order_statistic(l0, 0);
    let low_hi = if l1 > l0 {
        order_statistic(l1, l0 + 1)
    } else {
        low_lo
    };
    let (h0, h1) = (high_rank.floor() as usize, high_rank.ceil() as usize);
    let high_lo = order_statistic(h0, l0);
    let high_hi = if h1 > h0 {
        order_statistic(h1, h0 + 1)
    } else {
        high_lo
    };
    (
        Some(interpolate(low_rank, low_lo, low_hi)),
        Some(interpolate(high_rank, high_lo, high_hi)),
    )
}

/// Median in a caller-owned buffer (see [`percentile_in_place`]).
pub fn median_in_place(values: &mut Vec<f64>) -> Option<f64> {
    percentile_in_place(values, 50.0)
}

/// Percentile of the present values of an optional series.
pub fn percentile_opt(values: &[Option<f64>], pct: f64) -> Option<f64> {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    percentile(&v, pct)
}

/// Theil-Sen line through `(x, y)` points: the median of the slopes between every two
/// points with distinct `x`, and the median intercept under it, as `(slope, intercept)`.
/// Up to ~29% of the points may be anything without moving the line much, where a
/// least-squares line follows every outlier. `None` with fewer than two distinct `x`.
/// Quadratic in the points: for short windows.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (k, &(x0, y0)) in points.iter().enumerate() {
        for &(x1, y1) in &points[k + 1..] {
            if x1 != x0 {
                slopes.push((y1 - y0) / (x1 - x0));
            }
        }
    }
    let slope = median_in_place(&mut slopes)?;
    let mut intercepts: Vec<f64> = points.iter().map(|&(x, y)| y - slope * x).collect();
    Some((slope, median_in_place(&mut intercepts)?))
}

/// A multiset of values kept sorted (by `f64::total_cmp`) for sliding windows:
/// adding or removing one sample costs a binary search and a short move,
/// instead of re-selecting the whole window at every step.
#[derive(Debug, Clone, Default)]
pub struct SortedWindow {
    sorted: Vec<f64>,
}

impl SortedWindow {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            sorted: Vec::with_capacity(capacity),
        }
    }

    pub fn insert(&mut self, value: f64) {
        let at = self.sorted.partition_point(|x| x.total_cmp(&value).is_lt());
        self.sorted.insert(at, value);
    }

    /// Removes one copy of `value` (bit-identical); `false` when it is not held.
    pub fn remove(&mut self, value: f64) -> bool {
        match self.sorted.binary_search_by(|x| x.total_cmp(&value)) {
            Ok(at) => {
                self.sorted.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn clear(&mut self) {
        self.sorted.clear();
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The values in ascending (`total_cmp`) order.
    pub fn as_slice(&self) -> &[f64] {
        &self.sorted
    }

    /// Linear-interpolated percentile of the held values, non-finite ones
    /// included in the ranking (callers that must skip them keep them out).
    pub fn percentile(&self, pct: f64) -> Option<f64> {
        percentile_of_sorted(&self.sorted, pct)
    }
}

/// The [`percentile`] formula on an already sorted slice (same rank arithmetic,
/// so both give bit-identical answers on the same finite values).
pub fn percentile_of_sorted(sorted: &[f64], pct: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theil_sen_keeps_the_line_through_outliers() {
        // y = 2x + 1 on ten points, three of them thrown far off.
        let mut points: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i), 2.0 * f64::from(i) + 1.0))
            .collect();
        points[2].1 = 100.0;
        points[7].1 = -50.0;
        points[9].1 = 40.0;
        let (slope, intercept) = theil_sen(&points).unwrap();
        assert!((slope - 2.0).abs() < 1e-9, "{slope}");
        assert!((intercept - 1.0).abs() < 1e-9, "{intercept}");
        assert_eq!(theil_sen(&[(1.0, 2.0), (1.0, 3.0)]), None);
        assert_eq!(theil_sen(&[]), None);
    }

    #[test]
    fn median_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(percentile(&[0.0, 10.0], 25.0), Some(2.5));
        assert_eq!(percentile(&[f64::NAN, 5.0], 90.0), Some(5.0));
        assert_eq!(median(&[]), None);
        assert_eq!(
            percentile_opt(&[None, Some(1.0), Some(3.0)], 50.0),
            Some(2.0)
        );
    }

    #[test]
    fn sorted_window_matches_selection_while_sliding() {
        let values: Vec<f64> = (0..200)
            .map(|i| ((i * 37) % 101) as f64 * 0.5 - (i % 7) as f64)
            .collect();
        let mut window = SortedWindow::with_capacity(16);
        for (i, &v) in values.iter().enumerate() {
            window.insert(v);
            if i >= 15 {
                assert!(window.remove(values[i - 15]));
            }
            let lo = i.saturating_sub(14);
            for pct in [2.0, 50.0, 98.0] {
                assert_eq!(
                    window.percentile(pct),
                    percentile(&values[lo..=i], pct),
                    "at {i}, {pct}%"
                );
            }
        }
        assert!(!window.remove(1e9));
        let mut buffer = values.clone();
        buffer.push(f64::NAN);
        for (lo, hi) in [
            (5.0, 95.0),
            (2.0, 98.0),
            (50.0, 50.0),
            (0.0, 100.0),
            (37.5, 37.6),
        ] {
            assert_eq!(
                percentile_pair_in_place(&mut buffer, lo, hi),
                (percentile(&values, lo), percentile(&values, hi))
            );
        }
        assert!(window.as_slice().windows(2).all(|w| w[0] <= w[1]));
    }
}
