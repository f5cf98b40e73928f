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
}
