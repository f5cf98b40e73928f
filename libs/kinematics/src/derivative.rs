//! Velocity and acceleration by finite differences on (filtered) samples with
//! their own timestamps (seconds). Central differences inside, one-sided at the
//! ends; a sample whose neighbours are missing has no derivative.

/// First derivative d(values)/dt.
pub fn velocity(times_s: &[f64], values: &[Option<f64>]) -> Vec<Option<f64>> {
    let n = values.len();
    (0..n)
        .map(|i| {
            let prev = i
                .checked_sub(1)
                .and_then(|p| values[p].map(|v| (times_s[p], v)));
            let next = (i + 1 < n)
                .then(|| values[i + 1].map(|v| (times_s[i + 1], v)))
                .flatten();
            let here = values[i].map(|v| (times_s[i], v));
            let (a, b) = match (prev, here, next) {
                (Some(p), _, Some(q)) => (p, q),
                (None, Some(h), Some(q)) => (h, q),
                (Some(p), Some(h), None) => (p, h),
                _ => return None,
            };
            let dt = b.0 - a.0;
            (dt > 0.0).then(|| (b.1 - a.1) / dt)
        })
        .collect()
}

/// Second derivative d2(values)/dt2 by the three-point formula for uneven spacing.
pub fn acceleration(times_s: &[f64], values: &[Option<f64>]) -> Vec<Option<f64>> {
    let n = values.len();
    (0..n)
        .map(|i| {
            if i == 0 || i + 1 >= n {
                return None;
            }
            let (x0, x1, x2) = (values[i - 1]?, values[i]?, values[i + 1]?);
            let h1 = times_s[i] - times_s[i - 1];
            let h2 = times_s[i + 1] - times_s[i];
            if h1 <= 0.0 || h2 <= 0.0 {
                return None;
            }
            Some(2.0 * ((x2 - x1) / h2 - (x1 - x0) / h1) / (h1 + h2))
        })
        .collect()
}

/// Velocity and acceleration from a least-squares parabola fitted to the samples within
/// `half_window_s` of each sample (a Savitzky-Golay smoother of order 2 on real
/// timestamps, so 24, 30 and 60 fps clips get the same smoothing in time, and gaps simply
/// leave fewer samples). A sample gets a derivative only when its window holds at least
/// `min_samples` present samples, at least two on each side of it, so the parabola is
/// pinned on both sides rather than extrapolated. Returns `(velocity, acceleration)`.
pub fn local_quadratic(
    times_s: &[f64],
    values: &[Option<f64>],
    half_window_s: f64,
    min_samples: usize,
) -> Vec<Option<(f64, f64)>> {
    let n = values.len().min(times_s.len());
    let mut lo = 0;
    let mut hi = 0;
    (0..n)
        .map(|i| {
            let t0 = times_s[i];
            while lo < n && times_s[lo] < t0 - half_window_s {
                lo += 1;
            }
            while hi < n && times_s[hi] <= t0 + half_window_s {
                hi += 1;
            }
            values[i]?;
            // Normal equations of y = c0 + c1 u + c2 u^2 with u = t - t0.
            let (mut s, mut before, mut after) = ([0.0f64; 5], 0usize, 0usize);
            let mut r = [0.0f64; 3];
            for k in lo..hi {
                let Some(y) = values[k].filter(|y| y.is_finite()) else {
                    continue;
                };
                let u = times_s[k] - t0;
                let u2 = u * u;
                s[0] += 1.0;
                s[1] += u;
                s[2] += u2;
                s[3] += u2 * u;
                s[4] += u2 * u2;
                r[0] += y;
                r[1] += y * u;
                r[2] += y * u2;
                before += usize::from(k < i);
                after += usize::from(k > i);
            }
            if (s[0] as usize) < min_samples.max(3) || before < 2 || after < 2 {
                return None;
            }
            let m = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]];
            let c = solve3(m, r)?;
            Some((c[1], 2.0 * c[2]))
        })
        .collect()
}

/// Least-squares parabola through the present samples within `half_window_s` of `t0`:
/// `(value, first derivative, second derivative)` at `t0`, i.e. the fit is
/// `value + d1 (t - t0) + d2 / 2 (t - t0)^2`. `None` with fewer than three samples or a
/// degenerate spread of times.
pub fn quadratic_fit(
    times_s: &[f64],
    values: &[Option<f64>],
    t0: f64,
    half_window_s: f64,
) -> Option<(f64, f64, f64)> {
    let (mut s, mut r, mut count) = ([0.0f64; 5], [0.0f64; 3], 0usize);
    for (t, v) in times_s.iter().zip(values) {
        let Some(y) = v.filter(|y| y.is_finite()) else {
            continue;
        };
        let u = t - t0;
        if u.abs() > half_window_s {
            continue;
        }
        let u2 = u * u;
        s[0] += 1.0;
        s[1] += u;
        s[2] += u2;
        s[3] += u2 * u;
        s[4] += u2 * u2;
        r[0] += y;
        r[1] += y * u;
        r[2] += y * u2;
        count += 1;
    }
    if count < 3 {
        return None;
    }
    let m = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]];
    let c = solve3(m, r)?;
    Some((c[0], c[1], 2.0 * c[2]))
}

/// Several series moving with one parabola (points of one rigid body in free fall):
/// `series[j](t) = offset_j + slope u + curvature / 2 u^2` with `u = t - t0`, fitted by
/// least squares to the present samples of the frames in `frames`. Series with fewer
/// than three samples there take no part. Returns `(offsets, slope, curvature)` with
/// `None` offsets for the series left out; `None` when no series takes part or the
/// system is singular.
pub fn shared_parabola_fit(
    times_s: &[f64],
    series: &[&[Option<f64>]],
    frames: std::ops::Range<usize>,
    t0: f64,
) -> Option<(Vec<Option<f64>>, f64, f64)> {
    let used: Vec<usize> = (0..series.len())
        .filter(|&j| {
            frames
                .clone()
                .filter(|&k| series[j].get(k).copied().flatten().is_some())
                .count()
                >= 3
        })
        .collect();
    if used.is_empty() {
        return None;
    }
    // Unknowns: one offset per used series, then slope and half-curvature.
    let n = used.len() + 2;
    let mut a = vec![vec![0.0f64; n]; n];
    let mut b = vec![0.0f64; n];
    for (col, &j) in used.iter().enumerate() {
        for k in frames.clone() {
            let Some(y) = series[j]
                .get(k)
                .copied()
                .flatten()
                .filter(|y| y.is_finite())
            else {
                continue;
            };
            let u = times_s[k] - t0;
            let row = [(col, 1.0), (n - 2, u), (n - 1, u * u)];
            for &(r, vr) in &row {
                for &(c, vc) in &row {
                    a[r][c] += vr * vc;
                }
                b[r] += vr * y;
            }
        }
    }
    let x = solve_linear(a, b)?;
    let mut offsets = vec![None; series.len()];
    for (col, &j) in used.iter().enumerate() {
        offsets[j] = Some(x[col]);
    }
    Some((offsets, x[n - 2], 2.0 * x[n - 1]))
}

/// Gaussian elimination with partial pivoting; `None` when (nearly) singular.
fn solve_linear(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-300);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (value, pivot_value) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= f * pivot_value;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

/// Solves a 3x3 linear system by Cramer's rule; `None` when it is (nearly) singular.
fn solve3(m: [[f64; 3]; 3], r: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    let scale = m.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    if !d.is_finite() || d.abs() <= 1e-12 * scale.powi(3) {
        return None;
    }
    let mut out = [0.0; 3];
    for (col, o) in out.iter_mut().enumerate() {
        let mut mc = m;
        for row in 0..3 {
            mc[row][col] = r[row];
        }
        *o = det(&mc) / d;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn derivatives_of_a_parabola_are_exact() {
        // x = 3 t^2 - 2 t + 1 on uneven times: v = 6t - 2 (central), a = 6.
        let t = [0.0, 0.1, 0.25, 0.3, 0.5, 0.55];
        let x: Vec<Option<f64>> = t
            .iter()
            .map(|&t| Some(3.0 * t * t - 2.0 * t + 1.0))
            .collect();
        let a = acceleration(&t, &x);
        for v in a.iter().skip(1).take(t.len() - 2) {
            assert_abs_diff_eq!(v.unwrap(), 6.0, epsilon = 1e-9);
        }
        let tu: Vec<f64> = (0..10).map(|i| i as f64 / 30.0).collect();
        let xu: Vec<Option<f64>> = tu
            .iter()
            .map(|&t| Some(3.0 * t * t - 2.0 * t + 1.0))
            .collect();
        let v = velocity(&tu, &xu);
        for i in 1..9 {
            assert_abs_diff_eq!(v[i].unwrap(), 6.0 * tu[i] - 2.0, epsilon = 1e-9);
        }
    }

    #[test]
    fn missing_neighbours_give_no_derivative() {
        let t = [0.0, 1.0, 2.0];
        let v = velocity(&t, &[None, Some(1.0), None]);
        assert_eq!(v, vec![None, None, None]);
        let v = velocity(&t, &[Some(0.0), Some(1.0), None]);
        assert_eq!(v, vec![Some(1.0), Some(1.0), None]);
    }

    #[test]
    fn local_quadratic_recovers_a_parabola_and_needs_both_sides() {
        // y = 4.9 t^2 + 2 t (a free fall in metres): a = 9.8 everywhere, v = 9.8 t + 2,
        // with a gap and uneven spacing.
        let t: Vec<f64> = (0..40)
            .map(|i| i as f64 / 30.0 + 0.002 * (i % 3) as f64)
            .collect();
        let y: Vec<Option<f64>> = t
            .iter()
            .enumerate()
            .map(|(i, &t)| (i != 20).then_some(4.9 * t * t + 2.0 * t))
            .collect();
        let d = local_quadratic(&t, &y, 0.15, 5);
        for (i, v) in d.iter().enumerate() {
            match v {
                Some((vel, acc)) => {
                    assert_abs_diff_eq!(*acc, 9.8, epsilon = 1e-6);
                    assert_abs_diff_eq!(*vel, 9.8 * t[i] + 2.0, epsilon = 1e-6);
                }
                // Only the ends (one side missing) and the gap itself have none.
                None => assert!(
                    !(2..=37).contains(&i) || i == 20,
                    "sample {i} has no derivative"
                ),
            }
        }
        // A window of one second at 30 fps smooths noise that differentiation magnifies.
        let noisy: Vec<Option<f64>> = t
            .iter()
            .enumerate()
            .map(|(i, &t)| Some(4.9 * t * t + if i % 2 == 0 { 0.002 } else { -0.002 }))
            .collect();
        let smooth = local_quadratic(&t, &noisy, 0.5, 5);
        assert!(smooth.iter().flatten().all(|(_, a)| (a - 9.8).abs() < 0.5));
    }

    #[test]
    fn a_shared_parabola_fits_points_of_one_falling_body() {
        // Ankle, knee and hip 0, -100 and -200 px from each other, all in the same free
        // fall y = off + 300 u + 2000 u^2 (px), sampled at 30 fps with a gap.
        let t: Vec<f64> = (0..12).map(|i| i as f64 / 30.0).collect();
        let y = |off: f64| -> Vec<Option<f64>> {
            t.iter()
                .enumerate()
                .map(|(i, &t)| (i != 4).then_some(off - 300.0 * t + 2000.0 * t * t))
                .collect()
        };
        let (ankle, knee, hip) = (y(900.0), y(800.0), y(700.0));
        let sparse = vec![Some(1.0), None, None, None];
        let (offsets, slope, curvature) =
            shared_parabola_fit(&t, &[&ankle, &knee, &hip, &sparse], 0..12, 0.0).unwrap();
        assert_abs_diff_eq!(offsets[0].unwrap(), 900.0, epsilon = 1e-6);
        assert_abs_diff_eq!(offsets[2].unwrap(), 700.0, epsilon = 1e-6);
        assert_eq!(offsets[3], None);
        assert_abs_diff_eq!(slope, -300.0, epsilon = 1e-6);
        assert_abs_diff_eq!(curvature, 4000.0, epsilon = 1e-6);
    }
}
