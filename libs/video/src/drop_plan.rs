//! Leaving out the packets of frames a sampler will not keep.
//!
//! A sampled analysis (the pose stage keeps 15 of 30 or 60 frames a second) decodes every
//! frame because the codec needs the frames others are predicted from. Frames nothing is
//! predicted from (H.264 non-reference pictures, see [`crate::disposable`]) need not be
//! decoded at all when the sampler will not keep them. The sampler decides on
//! presentation times in presentation order, while packets arrive in decoding order, so
//! the plan reads packets ahead ([`LOOKAHEAD_PACKETS`]), runs a copy of the sampler on
//! their timestamps once their order is settled, and drops a disposable packet only when
//! that copy skipped its frame. A frame left out still takes its place in the stream (its
//! index and timestamp), so the frames handed out, and the sampler's choices, are those
//! of decoding everything.
//!
//! Anything that would make the copy disagree with the sampler (a packet without a
//! timestamp, timestamps out of the order the reading assumed, a decoded frame whose
//! time is not its packet's) ends dropping for the rest of the stream; what was dropped
//! still stands in its place.

use std::collections::{BTreeMap, BTreeSet};

use crate::TimeSampler;

/// Packets read ahead of the one sent to the codec. A frame's place in presentation order
/// is settled once this many packets follow it in decoding order: codecs reorder frames
/// by a few places (x264: up to 16 B-frames, usually 2-3; phones: none).
pub const LOOKAHEAD_PACKETS: u64 = 16;

/// Strictly increasing presentation times, as frames are handed out: a time that does not
/// advance is replaced by the last one plus a nominal frame period.
#[derive(Debug, Clone)]
pub struct Stamper {
    last_ms: Option<f64>,
    nominal_period_ms: f64,
}

impl Stamper {
    pub fn new(nominal_period_ms: f64) -> Self {
        Self {
            last_ms: None,
            nominal_period_ms,
        }
    }

    /// The time of the next frame from the stream's `reported_ms` (NaN when unknown).
    pub fn stamp(&mut self, reported_ms: f64) -> f64 {
        let timestamp_ms = match self.last_ms {
            None if reported_ms.is_finite() && reported_ms >= 0.0 => reported_ms,
            None => 0.0,
            Some(last) if reported_ms.is_finite() && reported_ms > last => reported_ms,
            Some(last) => last + self.nominal_period_ms,
        };
        self.last_ms = Some(timestamp_ms);
        timestamp_ms
    }

    pub fn last_ms(&self) -> Option<f64> {
        self.last_ms
    }
}

/// Packets whose frames are not yet handed out, in presentation time (stream ticks),
/// with their reading order; kept whether or not a plan is active, so that a plan made
/// after the first frames were read still knows every frame in flight.
#[derive(Debug, Default)]
pub struct InFlight {
    unresolved: BTreeMap<i64, u64>,
    /// A packet without a timestamp, or with one already seen, was read.
    pub disordered: bool,
}

impl InFlight {
    pub fn read(&mut self, pts: Option<i64>, sequence: u64) {
        match pts {
            Some(pts) if !self.unresolved.contains_key(&pts) => {
                self.unresolved.insert(pts, sequence);
            }
            _ => self.disordered = true,
        }
    }

    /// A frame at `pts` was handed out while no plan runs: the times up to it are
    /// settled (a plan decides them itself).
    pub fn settle(&mut self, pts: i64) {
        self.unresolved = self.unresolved.split_off(&(pts + 1));
    }
}

/// The sampler's copy and what it decided (see the module documentation).
#[derive(Debug)]
pub struct DropPlan {
    shadow: TimeSampler,
    stamper: Stamper,
    /// Presentation time (ticks) of every decided frame, and whether the sampler keeps it.
    decided: BTreeMap<i64, bool>,
    latest_decided: Option<i64>,
    /// Frames left undecoded, waiting to take their place in the stream.
    dropped: BTreeSet<i64>,
    dropped_total: u64,
    /// The latest decoded frame handed out.
    latest_output: Option<i64>,
    active: bool,
}

impl DropPlan {
    /// A plan whose sampler copy `shadow` and `stamper` have seen every frame handed out
    /// so far.
    pub fn new(shadow: TimeSampler, stamper: Stamper) -> Self {
        Self {
            shadow,
            stamper,
            decided: BTreeMap::new(),
            latest_decided: None,
            dropped: BTreeSet::new(),
            dropped_total: 0,
            latest_output: None,
            active: true,
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Ends dropping for the rest of the stream.
    pub fn stop(&mut self, why: &str) {
        if self.active {
            tracing::debug!(why, "undecoded frames: dropping stopped");
        }
        self.active = false;
    }

    /// Frames left undecoded so far.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// Decides, in presentation order, every frame whose order is settled: `packets_read`
    /// packets have been read, or all of them (`input_done`). `to_ms` turns ticks into
    /// the stream's milliseconds.
    pub fn resolve(
        &mut self,
        in_flight: &mut InFlight,
        packets_read: u64,
        input_done: bool,
        to_ms: impl Fn(i64) -> f64,
    ) {
        if in_flight.disordered {
            self.stop("a packet without a timestamp of its own");
        }
        if !self.active {
            return;
        }
        while let Some((&pts, &sequence)) = in_flight.unresolved.first_key_value() {
            if !input_done && packets_read < sequence + LOOKAHEAD_PACKETS {
                break;
            }
            in_flight.unresolved.pop_first();
            if self.latest_decided.is_some_and(|latest| pts <= latest) {
                // A frame arrived after later ones were decided: the order is not the
                // one assumed.
                self.stop("a frame came later than its place in the stream");
                return;
            }
            self.latest_decided = Some(pts);
            let timestamp_ms = self.stamper.stamp(to_ms(pts));
            self.decided.insert(pts, self.shadow.keep(timestamp_ms));
        }
    }

    /// Whether a packet at `pts` that nothing is predicted from may be left undecoded;
    /// when so, it is recorded to take its place later.
    pub fn drop_if_unsampled(&mut self, pts: Option<i64>, disposable: bool) -> bool {
        let Some(pts) = pts else { return false };
        let skipped = self.active && disposable && self.decided.get(&pts) == Some(&false);
        if skipped {
            self.dropped.insert(pts);
            self.dropped_total += 1;
        }
        skipped
    }

    /// The codec handed out the frame at `pts` (its best-effort time `reported`): the
    /// frames left out before it, to hand out first, oldest first.
    pub fn before_output(&mut self, pts: Option<i64>, reported: Option<i64>) -> Vec<i64> {
        let Some(pts) = pts else {
            self.stop("a decoded frame without a timestamp");
            return std::mem::take(&mut self.dropped).into_iter().collect();
        };
        if reported != Some(pts) {
            self.stop("a decoded frame timed other than by its packet");
        }
        if self.latest_output.is_some_and(|latest| pts <= latest) {
            self.stop("the codec handed out frames out of presentation order");
        }
        self.latest_output = Some(pts);
        self.forget_up_to(pts);
        let later = self.dropped.split_off(&pts);
        let earlier = std::mem::replace(&mut self.dropped, later);
        earlier.into_iter().collect()
    }

    /// The stream ended: every frame still left out, oldest first.
    pub fn at_end(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.dropped).into_iter().collect()
    }

    fn forget_up_to(&mut self, pts: i64) {
        self.decided = self.decided.split_off(&(pts + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 60 fps stream coded I P B b B b ... in decoding order: each group of four shown
    /// frames `4k+1..4k+4` is coded as P(4k+4), B(4k+2) (a reference), b(4k+1), b(4k+3).
    /// Returns (pts, disposable) in decoding order; pts in ms.
    fn ibbp(frames: i64) -> Vec<(i64, bool)> {
        let mut order = vec![(0, false)];
        let mut k = 0;
        while 4 * k + 4 < frames {
            let base = 4 * k;
            order.push((base + 4, false));
            order.push((base + 2, false));
            order.push((base + 1, true));
            order.push((base + 3, true));
            k += 1;
        }
        order
    }

    /// Runs the plan as the scanner does, with a codec that hands out decoded frames in
    /// presentation order after `delay` packets. Returns what was handed out: (pts,
    /// decoded) in order, and the frames the sampler kept.
    fn run(frames: i64, delay: usize, target_fps: f64) -> (Vec<(i64, bool)>, Vec<i64>) {
        let period = 1000.0 / 60.0;
        let packets: Vec<(i64, bool)> = ibbp(frames)
            .into_iter()
            .map(|(frame, disposable)| ((frame as f64 * period).round() as i64, disposable))
            .collect();
        let to_ms = |pts: i64| pts as f64;
        let mut in_flight = InFlight::default();
        let mut plan = DropPlan::new(TimeSampler::new(target_fps, period), Stamper::new(period));
        let mut read = 0u64;
        let mut queue = std::collections::VecDeque::new();
        let mut codec: BTreeSet<i64> = BTreeSet::new();
        let mut sent = 0usize;
        let mut handed_out = Vec::new();
        let mut sampler = TimeSampler::new(target_fps, period);
        let mut stamper = Stamper::new(period);
        let mut kept = Vec::new();
        let mut hand_out = |pts: i64, decoded: bool, handed_out: &mut Vec<(i64, bool)>| {
            let ms = stamper.stamp(pts as f64);
            if sampler.keep(ms) {
                assert!(decoded, "the sampler wants a frame left undecoded at {pts}");
                kept.push(pts);
            }
            handed_out.push((pts, decoded));
        };
        let mut next = packets.iter();
        loop {
            while queue.len() < LOOKAHEAD_PACKETS as usize {
                let Some(&(pts, disposable)) = next.next() else {
                    break;
                };
                in_flight.read(Some(pts), read);
                read += 1;
                queue.push_back((pts, disposable));
            }
            let done = queue.len() < LOOKAHEAD_PACKETS as usize;
            plan.resolve(&mut in_flight, read, done, to_ms);
            let Some((pts, disposable)) = queue.pop_front() else {
                break;
            };
            if plan.drop_if_unsampled(Some(pts), disposable) {
                continue;
            }
            codec.insert(pts);
            sent += 1;
            // The codec hands out its earliest frame once `delay` more are in.
            if sent > delay {
                let out = codec.pop_first().unwrap();
                for left_out in plan.before_output(Some(out), Some(out)) {
                    hand_out(left_out, false, &mut handed_out);
                }
                hand_out(out, true, &mut handed_out);
            }
        }
        while let Some(out) = codec.pop_first() {
            for left_out in plan.before_output(Some(out), Some(out)) {
                hand_out(left_out, false, &mut handed_out);
            }
            hand_out(out, true, &mut handed_out);
        }
        for left_out in plan.at_end() {
            hand_out(left_out, false, &mut handed_out);
        }
        (handed_out, kept)
    }

    #[test]
    fn frames_left_out_keep_their_place_and_the_sampler_keeps_the_same_frames() {
        for delay in [2, 3, 5] {
            let (handed_out, kept) = run(121, delay, 15.0);
            let shown: Vec<i64> = handed_out.iter().map(|&(pts, _)| pts).collect();
            let every: Vec<i64> = (0..121)
                .map(|frame| (frame as f64 * 1000.0 / 60.0).round() as i64)
                .collect();
            assert_eq!(shown, every, "delay {delay}");
            // 60 fps at 15: every fourth frame, as decoding everything keeps.
            let expected: Vec<i64> = every.iter().copied().step_by(4).collect();
            assert_eq!(kept, expected, "delay {delay}");
            // Half the frames are disposable b pictures; of them, those not kept are left out.
            let undecoded = handed_out.iter().filter(|&&(_, decoded)| !decoded).count();
            assert_eq!(undecoded, 60, "delay {delay}");
        }
    }

    #[test]
    fn every_frame_wanted_leaves_nothing_out() {
        let (handed_out, kept) = run(41, 3, 0.0);
        assert!(handed_out.iter().all(|&(_, decoded)| decoded));
        assert_eq!(kept.len(), 41);
    }

    #[test]
    fn a_packet_out_of_the_assumed_order_stops_dropping() {
        let mut in_flight = InFlight::default();
        let mut plan = DropPlan::new(TimeSampler::new(15.0, 33.3), Stamper::new(33.3));
        for (sequence, pts) in [0i64, 100, 33, 66].into_iter().enumerate() {
            in_flight.read(Some(pts), sequence as u64);
        }
        plan.resolve(&mut in_flight, 4, true, |pts| pts as f64);
        assert!(plan.is_active());
        // A frame shown before one already decided.
        in_flight.read(Some(50), 4);
        plan.resolve(&mut in_flight, 5, true, |pts| pts as f64);
        assert!(!plan.is_active());
        assert!(!plan.drop_if_unsampled(Some(66), true));
        // A packet without a time stops it as well.
        let mut in_flight = InFlight::default();
        let mut plan = DropPlan::new(TimeSampler::new(15.0, 33.3), Stamper::new(33.3));
        in_flight.read(None, 0);
        plan.resolve(&mut in_flight, 1, true, |pts| pts as f64);
        assert!(!plan.is_active());
    }

    #[test]
    fn a_frame_timed_other_than_by_its_packet_stops_dropping() {
        let mut plan = DropPlan::new(TimeSampler::new(15.0, 33.3), Stamper::new(33.3));
        assert!(plan.before_output(Some(0), Some(0)).is_empty());
        assert!(plan.is_active());
        plan.before_output(Some(33), Some(40));
        assert!(!plan.is_active());
        // Frames out of presentation order.
        let mut plan = DropPlan::new(TimeSampler::new(15.0, 33.3), Stamper::new(33.3));
        plan.before_output(Some(66), Some(66));
        plan.before_output(Some(33), Some(33));
        assert!(!plan.is_active());
    }

    #[test]
    fn the_stamper_makes_times_strictly_increasing() {
        let mut stamper = Stamper::new(40.0);
        assert_eq!(stamper.stamp(f64::NAN), 0.0);
        assert_eq!(stamper.stamp(40.0), 40.0);
        assert_eq!(stamper.stamp(40.0), 80.0);
        assert_eq!(stamper.stamp(f64::NAN), 120.0);
        assert_eq!(stamper.stamp(200.0), 200.0);
        let mut stamper = Stamper::new(40.0);
        assert_eq!(stamper.stamp(-5.0), 0.0);
    }
}
