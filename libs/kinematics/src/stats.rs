//! Order statistics that skip missing samples.

/// Median of the finite values, `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// Linear-interpolated percentile (0..=100) of the finite values.
pub fn percentile(values: &[f64], pct: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = (pct.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
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
