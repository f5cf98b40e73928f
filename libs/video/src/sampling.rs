//! Which frames an analysis at a target rate looks at.

/// Half a millisecond of slack absorbs timestamp rounding in containers.
const SLACK_MS: f64 = 0.5;

/// Chooses frames by their decoder timestamps (not by index), so variable frame
/// rate video is sampled evenly in time: the first frame at or after each due time.
/// Its answer depends only on the timestamps it has been shown, in order, which is what
/// lets the decoder work out ahead of decoding which frames it will not keep
/// ([`crate::VideoDecoder::sample_at`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSampler {
    period_ms: f64,
    next_due_ms: Option<f64>,
}

impl TimeSampler {
    /// `target_fps` 0 keeps every frame. `nominal_period_ms`: the source's frame period
    /// (0 or NaN when unknown). The sampling period is rounded up to a whole number of
    /// source frames, so a 25 fps clip sampled at "at most 15" keeps every frame instead
    /// of alternating 40 and 80 ms steps: uneven steps would bend the low-pass filters
    /// downstream, which assume a steady rate.
    pub fn new(target_fps: f64, nominal_period_ms: f64) -> Self {
        let period_ms = if target_fps > 0.0 {
            let wanted = 1000.0 / target_fps;
            if nominal_period_ms.is_finite() && nominal_period_ms > 0.0 {
                // A hair of tolerance: 29.97 fps sampled at 15 must still take every other frame.
                let frames = ((wanted / nominal_period_ms) + 0.01).floor().max(1.0);
                frames * nominal_period_ms
            } else {
                wanted
            }
        } else {
            0.0
        };
        Self {
            period_ms,
            next_due_ms: None,
        }
    }

    /// Whether every frame is kept.
    pub fn keeps_every_frame(&self) -> bool {
        self.period_ms == 0.0
    }

    /// Whether the frame shown at `timestamp_ms` (after every earlier one) is kept.
    pub fn keep(&mut self, timestamp_ms: f64) -> bool {
        if self.period_ms == 0.0 {
            return true;
        }
        match self.next_due_ms {
            Some(due) if timestamp_ms + SLACK_MS < due => false,
            Some(due) => {
                let next = due + self.period_ms;
                self.next_due_ms = Some(if next <= timestamp_ms {
                    timestamp_ms + self.period_ms
                } else {
                    next
                });
                true
            }
            None => {
                self.next_due_ms = Some(timestamp_ms + self.period_ms);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_keeps_every_frame_without_a_target() {
        let mut sampler = TimeSampler::new(0.0, 33.3);
        assert!(sampler.keeps_every_frame());
        assert!((0..10).all(|i| sampler.keep(f64::from(i) * 33.3)));
    }

    #[test]
    fn sampler_follows_time_not_index() {
        // 30 fps source sampled at 10 fps keeps every third frame.
        let mut sampler = TimeSampler::new(10.0, f64::NAN);
        let kept: Vec<u32> = (0..30)
            .filter(|&i| sampler.keep(f64::from(i) * 1000.0 / 30.0))
            .collect();
        assert_eq!(kept, (0..30).step_by(3).collect::<Vec<_>>());
        // A variable-rate stretch (frames 100 ms apart) keeps every frame.
        let mut sampler = TimeSampler::new(10.0, f64::NAN);
        let timestamps = [0.0, 33.3, 66.7, 100.0, 200.0, 300.0, 400.0];
        let kept: Vec<f64> = timestamps
            .into_iter()
            .filter(|&t| sampler.keep(t))
            .collect();
        assert_eq!(kept, vec![0.0, 100.0, 200.0, 300.0, 400.0]);
    }

    #[test]
    fn sampler_steps_by_whole_source_frames() {
        let kept = |source_fps: f64, target_fps: f64, frames: u32| -> Vec<u32> {
            let period = 1000.0 / source_fps;
            let mut sampler = TimeSampler::new(target_fps, period);
            (0..frames)
                .filter(|&i| sampler.keep(f64::from(i) * period))
                .collect()
        };
        // 25 fps at "at most 15": every frame (two frames would be 12.5 fps).
        assert_eq!(kept(25.0, 15.0, 10), (0..10).collect::<Vec<_>>());
        // 29.97 and 30 fps: every other frame; 60 fps: every fourth.
        assert_eq!(kept(29.97, 15.0, 10), vec![0, 2, 4, 6, 8]);
        assert_eq!(kept(30.0, 15.0, 10), vec![0, 2, 4, 6, 8]);
        assert_eq!(kept(60.0, 15.0, 12), vec![0, 4, 8]);
    }
}
