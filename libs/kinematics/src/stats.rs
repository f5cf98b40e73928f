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

/// Median in a caller-owned buffer (see [`percentile_in_place`]).
pub fn median_in_place(values: &mut Vec<f64>) -> Option<f64> {
    percentile_in_place(values, 50.0)
}

/// Percentile of the present values of an optional series.
pub fn percentile_opt(values: &[Option<f64>], pct: f64) -> Option<f64> {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    percentile(&v, pct)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
