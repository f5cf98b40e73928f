//! Person-sized inputs: while people are tracked, analyse only a window of the
//! letterboxed frame around them, at a scale picked from their size.
//!
//! Inference cost grows with input pixels. A person filling a third of a 16:9 frame
//! needs a 640x384 input when the whole frame is analysed, but the window around them
//! is a fraction of that. The window is aligned to the network's stride, so its pixels
//! are exactly those of the whole input: keypoints match the whole-frame ones to
//! ~0.1% of the person's size (pose-accuracy, README). Only a person larger than
//! `person_long_side_px` in the input is scaled down to it (measured: 400 px costs up
//! to 2.6% of the size on close-ups, so the default keeps 480). What a window cannot
//! see (someone entering, a person moving out of it) is covered by analysing the
//! whole frame at the model's scale periodically and whenever a track is lost or
//! touches the window's border.

use crate::geometry::PixelBox;
use crate::letterbox::{Focus, Letterbox};

/// When and how to focus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocusConfig {
    /// Analyse the whole frame at least this often in video time (new people)...
    pub refresh_ms: f64,
    /// ...and at least every this many analysed frames.
    pub refresh_frames: u32,
    /// Margin around the tracked people, as a share of the largest box's long side on
    /// each side: room for the motion until the next frame.
    pub margin_share: f32,
    /// The largest tracked person is scaled to at most this long side in input px.
    pub person_long_side_px: f32,
    /// A focused input costing more than this share of the whole frame's is not worth
    /// what the crop risks; the whole frame is analysed instead.
    pub max_cost_share: f32,
}

impl Default for FocusConfig {
    fn default() -> Self {
        Self {
            refresh_ms: 500.0,
            refresh_frames: 15,
            margin_share: 0.35,
            person_long_side_px: 480.0,
            max_cost_share: 0.7,
        }
    }
}

/// A person this close to a window side that is not a frame edge (share of the
/// window's size) may be cut off: look at the whole frame next.
const BORDER_SHARE: f32 = 0.02;

/// Decides, frame by frame, which window of the letterboxed frame the model analyses.
#[derive(Debug)]
pub struct FocusPlanner {
    config: FocusConfig,
    /// Long side the model scales the whole frame to.
    whole_long_side: u32,
    stride: u32,
    frames_since_whole: u32,
    last_whole_ms: Option<f64>,
    /// Persons seen at the last whole-frame pass: fewer now means someone was lost.
    persons_at_whole: usize,
    /// Boxes of the persons tracked in the last analysed frame.
    tracked: Vec<PixelBox>,
    whole_next: bool,
}

impl FocusPlanner {
    pub fn new(config: FocusConfig, whole_long_side: u32, stride: u32) -> Self {
        Self {
            config,
            whole_long_side,
            stride: stride.max(1),
            frames_since_whole: 0,
            last_whole_ms: None,
            persons_at_whole: 0,
            tracked: Vec::new(),
            whole_next: true,
        }
    }

    /// The window for the frame at `timestamp_ms`; `None` = the whole frame at the
    /// model's scale.
    pub fn plan(&self, frame_width: u32, frame_height: u32, timestamp_ms: f64) -> Option<Focus> {
        let refresh_due = self.frames_since_whole >= self.config.refresh_frames
            || self
                .last_whole_ms
                .is_none_or(|last| timestamp_ms - last >= self.config.refresh_ms);
        if self.whole_next || refresh_due {
            return None;
        }
        let union = self.tracked.iter().copied().reduce(|a, b| PixelBox {
            x1: a.x1.min(b.x1),
            y1: a.y1.min(b.y1),
            x2: a.x2.max(b.x2),
            y2: a.y2.max(b.y2),
        })?;
        let largest = self
            .tracked
            .iter()
            .map(|bbox| bbox.width().max(bbox.height()))
            .fold(0.0_f32, f32::max)
            .max(1.0);
        // The letterbox long side that puts the largest person at about
        // `person_long_side_px`, in whole strides (few distinct scales, so the model
        // sees a person at a steady scale), never above the model's own.
        let frame_long = frame_width.max(frame_height) as f32;
        let wanted = frame_long * self.config.person_long_side_px / largest;
        let long_side = ((wanted / self.stride as f32).floor() as u32 * self.stride)
            .clamp(self.stride, self.whole_long_side);
        let letterbox = Letterbox::fitted(frame_width, frame_height, long_side, self.stride);
        let margin = largest * self.config.margin_share;
        let to_input = |x: f32, y: f32| {
            (
                x * letterbox.scale + letterbox.pad_left as f32,
                y * letterbox.scale + letterbox.pad_top as f32,
            )
        };
        let (x1, y1) = to_input(union.x1 - margin, union.y1 - margin);
        let (x2, y2) = to_input(union.x2 + margin, union.y2 + margin);
        let stride = self.stride as f32;
        let snap_down = |value: f32, limit: u32| {
            ((value / stride).floor().max(0.0) as u32 * self.stride).min(limit)
        };
        let snap_up = |value: f32, limit: u32| {
            ((value / stride).ceil().max(0.0) as u32 * self.stride).min(limit)
        };
        let (full_w, full_h) = (letterbox.full_width, letterbox.full_height);
        let (wx1, wy1) = (snap_down(x1, full_w), snap_down(y1, full_h));
        let (wx2, wy2) = (snap_up(x2, full_w), snap_up(y2, full_h));
        if wx2 <= wx1 || wy2 <= wy1 {
            return None;
        }
        let cost = f64::from((wx2 - wx1) * (wy2 - wy1));
        let whole = Letterbox::fitted(frame_width, frame_height, self.whole_long_side, self.stride);
        let whole_cost = f64::from(whole.full_width * whole.full_height);
        if cost > f64::from(self.config.max_cost_share) * whole_cost {
            return None;
        }
        Some(Focus {
            long_side,
            x: wx1,
            y: wy1,
            width: wx2 - wx1,
            height: wy2 - wy1,
        })
    }

    /// Records what the analysed frame showed: the input it analysed and the boxes of
    /// the persons tracked in it.
    pub fn observe(
        &mut self,
        analysed: &Letterbox,
        frame_width: u32,
        frame_height: u32,
        timestamp_ms: f64,
        tracked: Vec<PixelBox>,
    ) {
        // A pass over the whole frame at less than the model's scale (a person filling
        // the frame) could miss small newcomers: it does not count as a refresh.
        let whole_scale = self.whole_long_side as f32 / frame_width.max(frame_height) as f32;
        let whole = analysed.is_whole() && analysed.scale >= whole_scale * 0.999;
        if whole {
            self.frames_since_whole = 0;
            self.last_whole_ms = Some(timestamp_ms);
            self.persons_at_whole = tracked.len();
        } else {
            self.frames_since_whole += 1;
        }
        let lost_someone = tracked.len() < self.persons_at_whole;
        let cut_off = !analysed.is_whole()
            && tracked.iter().any(|bbox| {
                touches_inner_border(bbox, analysed, frame_width as f32, frame_height as f32)
            });
        self.whole_next = tracked.is_empty() || lost_someone || cut_off;
        self.tracked = tracked;
    }
}

/// Whether `bbox` reaches a side of the analysed window that is not a frame edge.
fn touches_inner_border(
    bbox: &PixelBox,
    analysed: &Letterbox,
    frame_width: f32,
    frame_height: f32,
) -> bool {
    // One frame px of tolerance: the window's frame coordinates are rounded.
    const EDGE: f32 = 1.0;
    let (left, top, right, bottom) = analysed.window_in_frame();
    let slack_x = (right - left) * BORDER_SHARE;
    let slack_y = (bottom - top) * BORDER_SHARE;
    (left > EDGE && bbox.x1 <= left + slack_x)
        || (top > EDGE && bbox.y1 <= top + slack_y)
        || (right < frame_width - EDGE && bbox.x2 >= right - slack_x)
        || (bottom < frame_height - EDGE && bbox.y2 >= bottom - slack_y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: (u32, u32) = (1920, 1080);

    fn person(x1: f32, y1: f32, x2: f32, y2: f32) -> PixelBox {
        PixelBox { x1, y1, x2, y2 }
    }

    fn whole() -> Letterbox {
        Letterbox::fitted(FRAME.0, FRAME.1, 640, 32)
    }

    fn new_planner() -> FocusPlanner {
        FocusPlanner::new(FocusConfig::default(), 640, 32)
    }

    fn window(focus: Focus) -> Letterbox {
        Letterbox::focused(FRAME.0, FRAME.1, focus, 32)
    }

    #[test]
    fn starts_with_the_whole_frame_and_then_focuses_on_the_person() {
        let mut planner = new_planner();
        assert_eq!(planner.plan(FRAME.0, FRAME.1, 0.0), None);
        // A 200x400 person at the model's scale (1/3, pad_top 12): 140 px margin, so
        // frame (660, 160)-(1140, 840) = input (220, 65.3)-(380, 292), snapped to 32.
        let boxes = vec![person(800.0, 300.0, 1000.0, 700.0)];
        planner.observe(&whole(), FRAME.0, FRAME.1, 0.0, boxes);
        let focus = planner.plan(FRAME.0, FRAME.1, 33.0).expect("focused");
        assert_eq!(
            focus,
            Focus {
                long_side: 640,
                x: 192,
                y: 64,
                width: 192,
                height: 256
            }
        );
    }

    #[test]
    fn a_large_person_is_scaled_down_to_the_person_size() {
        let mut planner = FocusPlanner::new(FocusConfig::default(), 1920, 32);
        let boxes = vec![person(900.0, 100.0, 1200.0, 900.0)];
        let whole = Letterbox::fitted(FRAME.0, FRAME.1, 1920, 32);
        planner.observe(&whole, FRAME.0, FRAME.1, 0.0, boxes);
        let focus = planner.plan(FRAME.0, FRAME.1, 33.0).expect("focused");
        // 800 px tall -> 480 px: long side 1920 * 480 / 800 = 1152 (a stride multiple).
        assert_eq!(focus.long_side, 1152);
    }

    #[test]
    fn refreshes_the_whole_frame_periodically() {
        let mut planner = new_planner();
        let boxes = vec![person(800.0, 300.0, 1000.0, 700.0)];
        planner.observe(&whole(), FRAME.0, FRAME.1, 0.0, boxes.clone());
        let focus = planner.plan(FRAME.0, FRAME.1, 100.0).expect("focused");
        planner.observe(&window(focus), FRAME.0, FRAME.1, 100.0, boxes);
        assert!(planner.plan(FRAME.0, FRAME.1, 200.0).is_some());
        assert_eq!(
            planner.plan(FRAME.0, FRAME.1, 500.0),
            None,
            "500 ms since the whole frame"
        );
    }

    #[test]
    fn a_lost_or_cut_off_person_brings_back_the_whole_frame() {
        let mut planner = new_planner();
        let two = vec![
            person(200.0, 300.0, 400.0, 700.0),
            person(800.0, 300.0, 1000.0, 700.0),
        ];
        planner.observe(&whole(), FRAME.0, FRAME.1, 0.0, two.clone());
        let focus = planner.plan(FRAME.0, FRAME.1, 33.0).expect("focused");
        planner.observe(&window(focus), FRAME.0, FRAME.1, 33.0, vec![two[0]]);
        assert_eq!(
            planner.plan(FRAME.0, FRAME.1, 66.0),
            None,
            "one of two lost"
        );

        let mut planner = new_planner();
        planner.observe(&whole(), FRAME.0, FRAME.1, 0.0, vec![two[1]]);
        let focused = window(planner.plan(FRAME.0, FRAME.1, 33.0).expect("focused"));
        // The person moved to the window's left side (not a frame edge).
        let (left, ..) = focused.window_in_frame();
        let moved = person(left + 2.0, 300.0, left + 202.0, 700.0);
        planner.observe(&focused, FRAME.0, FRAME.1, 33.0, vec![moved]);
        assert_eq!(
            planner.plan(FRAME.0, FRAME.1, 66.0),
            None,
            "cut off by the window"
        );
    }

    #[test]
    fn people_filling_the_frame_get_a_person_sized_scale() {
        let mut planner = new_planner();
        let huge = vec![person(100.0, 50.0, 1800.0, 1050.0)];
        planner.observe(&whole(), FRAME.0, FRAME.1, 0.0, huge.clone());
        // 1700 px -> 480 px: long side 1920 * 480 / 1700 = 542 -> 512, a window that
        // is the whole (smaller) letterbox.
        let focus = planner
            .plan(FRAME.0, FRAME.1, 33.0)
            .expect("person-sized input");
        assert_eq!(focus.long_side, 512);
        let reduced = window(focus);
        assert!(reduced.is_whole());
        // Such a pass is no refresh: small newcomers need the model's scale.
        planner.observe(&reduced, FRAME.0, FRAME.1, 33.0, huge);
        assert_eq!(planner.plan(FRAME.0, FRAME.1, 500.0), None);
        assert!(planner.plan(FRAME.0, FRAME.1, 400.0).is_some());
    }
}
