//! Low-pass filters for keypoint trajectories.
//!
//! - [`butterworth_filtfilt`]: 2nd-order Butterworth run forwards then backwards,
//!   so the result has no phase lag (rep timestamps and take-off instants do not
//!   shift) and an effective 4th-order roll-off. The standard in biomechanics.
//! - [`OneEuro`]: an adaptive causal filter for live/streaming use, where a
//!   zero-phase filter cannot run (it needs the future).

use std::f64::consts::{PI, SQRT_2};

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum FilterError {
    #[error(
        "cut-off {cutoff_hz} Hz must be positive and below the Nyquist frequency {nyquist_hz} Hz"
    )]
    BadCutoff { cutoff_hz: f64, nyquist_hz: f64 },
    #[error("sample rate must be positive, got {0}")]
    BadSampleRate(f64),
}

/// Biquad coefficients, normalised so a0 = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 3],
}

impl Biquad {
    /// 2nd-order Butterworth low-pass by the bilinear transform with pre-warping,
    /// so the -3 dB point of one pass is exactly `cutoff_hz`.
    pub fn butterworth_lowpass(cutoff_hz: f64, sample_rate_hz: f64) -> Result<Self, FilterError> {
        if !(sample_rate_hz > 0.0 && sample_rate_hz.is_finite()) {
            return Err(FilterError::BadSampleRate(sample_rate_hz));
        }
        let nyquist_hz = sample_rate_hz / 2.0;
        if !(cutoff_hz > 0.0 && cutoff_hz < nyquist_hz) {
            return Err(FilterError::BadCutoff {
                cutoff_hz,
                nyquist_hz,
            });
        }
        let k = (PI * cutoff_hz / sample_rate_hz).tan();
        let norm = 1.0 / (1.0 + SQRT_2 * k + k * k);
        let b0 = k * k * norm;
        Ok(Self {
            b: [b0, 2.0 * b0, b0],
            a: [
                1.0,
                2.0 * (k * k - 1.0) * norm,
                (1.0 - SQRT_2 * k + k * k) * norm,
            ],
        })
    }

    /// One causal pass (direct form I) whose history starts in steady state at
    /// the first sample, so a constant input produces that constant from sample 0.
    fn run(&self, x: &[f64]) -> Vec<f64> {
        let Some(&x0) = x.first() else {
            return Vec::new();
        };
        let dc_gain = (self.b.iter().sum::<f64>()) / (self.a.iter().sum::<f64>());
        let (mut x1, mut x2) = (x0, x0);
        let (mut y1, mut y2) = (x0 * dc_gain, x0 * dc_gain);
        x.iter()
            .map(|&xn| {
                let yn = self.b[0] * xn + self.b[1] * x1 + self.b[2] * x2
                    - self.a[1] * y1
                    - self.a[2] * y2;
                x2 = x1;
                x1 = xn;
                y2 = y1;
                y1 = yn;
                yn
            })
            .collect()
    }
}

/// Zero-phase low-pass of a uniformly sampled signal. The ends are extended by
/// odd reflection (about the end values) so the filter starts and stops
/// without a transient.
pub fn butterworth_filtfilt(
    x: &[f64],
    cutoff_hz: f64,
    sample_rate_hz: f64,
) -> Result<Vec<f64>, FilterError> {
    let biquad = Biquad::butterworth_lowpass(cutoff_hz, sample_rate_hz)?;
    let n = x.len();
    if n < 2 {
        return Ok(x.to_vec());
    }
    // Three periods of the cut-off frequency let the start-up transient (from a
    // trend the steady-state start does not know about) die out inside the padding.
    let pad = (3.0 * sample_rate_hz / cutoff_hz).ceil() as usize;
    let pad = pad.max(9).min(n - 1);
    let mut ext = Vec::with_capacity(n + 2 * pad);
    ext.extend((1..=pad).rev().map(|i| 2.0 * x[0] - x[i]));
    ext.extend_from_slice(x);
    ext.extend((1..=pad).map(|i| 2.0 * x[n - 1] - x[n - 1 - i]));
    let mut y = biquad.run(&ext);
    y.reverse();
    let mut y = biquad.run(&y);
    y.reverse();
    Ok(y[pad..pad + n].to_vec())
}

/// Zero-phase low-pass of a signal with gaps: each run of present samples is
/// filtered on its own (filtering across a gap would smear unrelated motion).
/// Runs shorter than 4 samples are left as they are.
pub fn butterworth_filtfilt_runs(
    x: &[Option<f64>],
    cutoff_hz: f64,
    sample_rate_hz: f64,
) -> Result<Vec<Option<f64>>, FilterError> {
    Biquad::butterworth_lowpass(cutoff_hz, sample_rate_hz)?;
    let mut out = x.to_vec();
    for run in crate::clean::present_runs(x) {
        if run.len() < 4 {
            continue;
        }
        let seg: Vec<f64> = x[run.clone()].iter().flatten().copied().collect();
        let f = butterworth_filtfilt(&seg, cutoff_hz, sample_rate_hz)?;
        for (slot, v) in out[run].iter_mut().zip(f) {
            *slot = Some(v);
        }
    }
    Ok(out)
}

/// One-Euro filter (Casiez et al., CHI 2012): a low-pass whose cut-off rises
/// with speed, trading jitter at rest for lag in fast motion.
#[derive(Debug, Clone)]
pub struct OneEuro {
    min_cutoff_hz: f64,
    beta: f64,
    derivative_cutoff_hz: f64,
    last: Option<(f64, f64, f64)>,
}

impl OneEuro {
    pub fn new(min_cutoff_hz: f64, beta: f64, derivative_cutoff_hz: f64) -> Self {
        Self {
            min_cutoff_hz,
            beta,
            derivative_cutoff_hz,
            last: None,
        }
    }

    fn alpha(cutoff_hz: f64, dt: f64) -> f64 {
        let tau = 1.0 / (2.0 * PI * cutoff_hz);
        1.0 / (1.0 + tau / dt)
    }

    /// Filters the sample `x` taken at time `t_s` (seconds, increasing).
    pub fn filter(&mut self, t_s: f64, x: f64) -> f64 {
        let Some((t_prev, x_prev, dx_prev)) = self.last else {
            self.last = Some((t_s, x, 0.0));
            return x;
        };
        let dt = (t_s - t_prev).max(1e-6);
        let a_d = Self::alpha(self.derivative_cutoff_hz, dt);
        let dx = a_d * (x - x_prev) / dt + (1.0 - a_d) * dx_prev;
        let cutoff = self.min_cutoff_hz + self.beta * dx.abs();
        let a = Self::alpha(cutoff, dt);
        let xf = a * x + (1.0 - a) * x_prev;
        self.last = Some((t_s, xf, dx));
        xf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    fn sine(freq: f64, fs: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f64 / fs).sin())
            .collect()
    }

    fn rms(x: &[f64]) -> f64 {
        (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn single_pass_is_minus_three_db_at_cutoff() {
        let bq = Biquad::butterworth_lowpass(5.0, 100.0).unwrap();
        // |H(e^jw)| at the cut-off.
        let w = 2.0 * PI * 5.0 / 100.0;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let num = (
            bq.b[0] + bq.b[1] * c1 + bq.b[2] * c2,
            -(bq.b[1] * s1 + bq.b[2] * s2),
        );
        let den = (
            1.0 + bq.a[1] * c1 + bq.a[2] * c2,
            -(bq.a[1] * s1 + bq.a[2] * s2),
        );
        let gain = num.0.hypot(num.1) / den.0.hypot(den.1);
        assert_abs_diff_eq!(gain, 1.0 / SQRT_2, epsilon = 1e-12);
    }

    #[test]
    fn dc_passes_unchanged() {
        let x = vec![3.25; 50];
        let y = butterworth_filtfilt(&x, 2.0, 30.0).unwrap();
        for v in y {
            assert_abs_diff_eq!(v, 3.25, epsilon = 1e-9);
        }
    }

    #[test]
    fn a_ramp_passes_unchanged() {
        // Odd reflection keeps a linear trend linear, so zero-phase filtering leaves it intact.
        let x: Vec<f64> = (0..200).map(|i| 0.5 * i as f64 - 7.0).collect();
        let y = butterworth_filtfilt(&x, 3.0, 30.0).unwrap();
        for (a, b) in x.iter().zip(&y) {
            assert_abs_diff_eq!(a, b, epsilon = 1e-6);
        }
    }

    #[test]
    fn high_frequency_is_attenuated_and_low_frequency_kept() {
        let fs = 30.0;
        let hi = sine(12.0, fs, 600);
        let y = butterworth_filtfilt(&hi, 3.0, fs).unwrap();
        assert!(rms(&y[100..500]) < 0.01 * rms(&hi[100..500]));
        let lo = sine(0.5, fs, 600);
        let y = butterworth_filtfilt(&lo, 3.0, fs).unwrap();
        for (a, b) in lo[100..500].iter().zip(&y[100..500]) {
            assert_abs_diff_eq!(a, b, epsilon = 0.01);
        }
    }

    #[test]
    fn zero_phase_keeps_a_peak_where_it_was() {
        let fs = 30.0;
        let x: Vec<f64> = (0..121)
            .map(|i| (-((i as f64 - 60.0) / 8.0).powi(2)).exp())
            .collect();
        let y = butterworth_filtfilt(&x, 2.0, fs).unwrap();
        let argmax = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(argmax, 60);
    }

    #[test]
    fn bad_cutoff_is_an_error() {
        assert!(matches!(
            Biquad::butterworth_lowpass(20.0, 30.0),
            Err(FilterError::BadCutoff { .. })
        ));
        assert!(Biquad::butterworth_lowpass(1.0, 0.0).is_err());
    }

    #[test]
    fn gaps_are_not_bridged() {
        let x = vec![Some(1.0), Some(1.0), Some(1.0), Some(1.0), None, Some(5.0)];
        let y = butterworth_filtfilt_runs(&x, 2.0, 30.0).unwrap();
        assert_eq!(y[4], None);
        assert_eq!(y[5], Some(5.0));
        assert_abs_diff_eq!(y[0].unwrap(), 1.0, epsilon = 1e-9);
    }

    #[test]
    fn one_euro_converges_on_a_constant_and_smooths_jitter() {
        let mut f = OneEuro::new(1.0, 0.0, 1.0);
        let mut last = 0.0;
        for i in 0..300 {
            let jitter = if i % 2 == 0 { 0.5 } else { -0.5 };
            last = f.filter(i as f64 / 30.0, 10.0 + jitter);
        }
        assert!((last - 10.0).abs() < 0.2);
    }

    proptest! {
        #[test]
        fn filtfilt_output_stays_within_input_range_plus_overshoot(
            values in proptest::collection::vec(-100.0..100.0f64, 10..200)
        ) {
            let y = butterworth_filtfilt(&values, 3.0, 30.0).unwrap();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = hi - lo;
            prop_assert_eq!(y.len(), values.len());
            for v in y {
                // A 4th-order Butterworth overshoots a step by ~11%; allow for reflection on top.
                prop_assert!(v >= lo - 0.6 * span - 1e-9 && v <= hi + 0.6 * span + 1e-9);
            }
        }
    }
}
