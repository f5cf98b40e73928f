//! Drawing primitives on BGR frames, sized to the frame so text stays legible
//! from a 202x360 phone crop to a 1080x1920 export.

use fitvision_video::opencv::Result;
use fitvision_video::opencv::core::{Mat, Point, Rect, Scalar, Size};
use fitvision_video::opencv::imgproc::{self, FONT_HERSHEY_SIMPLEX, LINE_AA};
use fitvision_video::opencv::prelude::*;

pub const WHITE: (u8, u8, u8) = (255, 255, 255);
pub const BLACK: (u8, u8, u8) = (0, 0, 0);
pub const GREEN: (u8, u8, u8) = (80, 200, 60);
pub const AMBER: (u8, u8, u8) = (0, 170, 255);
pub const RED: (u8, u8, u8) = (40, 40, 230);
pub const CYAN: (u8, u8, u8) = (230, 210, 0);
pub const MAGENTA: (u8, u8, u8) = (200, 60, 220);

pub fn bgr((b, g, r): (u8, u8, u8)) -> Scalar {
    Scalar::new(f64::from(b), f64::from(g), f64::from(r), 0.0)
}

/// Smallest Hershey font scale (for body text) that stays legible under its dark
/// outline, about 9 px capitals: on small frames text is not scaled below it.
const MIN_FONT_SCALE: f64 = 0.4;
/// Frames whose shorter side is under 0.8 x 540 = 432 px get no angle labels at joints.
const MIN_UNIT_FOR_JOINT_LABELS: f64 = 0.8;

/// Sizes derived from the frame: one unit is 1/540 of the shorter side.
#[derive(Debug, Clone, Copy)]
pub struct Pen {
    pub unit: f64,
    pub width: i32,
    pub height: i32,
}

impl Pen {
    pub fn for_frame(width: i32, height: i32) -> Self {
        let unit = (f64::from(width.min(height)) / 540.0).clamp(0.35, 4.0);
        Self {
            unit,
            width,
            height,
        }
    }

    /// A length of `units` in pixels, at least 1.
    pub fn px(&self, units: f64) -> i32 {
        ((units * self.unit).round() as i32).max(1)
    }

    fn font_scale(&self, size: f64) -> f64 {
        (0.55 * size * self.unit).max(MIN_FONT_SCALE * size)
    }

    /// Whether the frame is large enough for angle labels beside the joints: on a
    /// small one (a 320x240 or 426x240 clip) a legible label covers the limbs it
    /// names, and the panel already prints the same angles.
    pub fn has_room_for_joint_labels(&self) -> bool {
        self.unit >= MIN_UNIT_FOR_JOINT_LABELS
    }

    fn font_thickness(&self, size: f64) -> i32 {
        ((1.4 * size * self.unit).round() as i32).max(1)
    }

    /// Pixel size of `text` at relative `size` (1.0 = body text).
    pub fn text_size(&self, text: &str, size: f64) -> Result<Size> {
        let mut baseline = 0;
        imgproc::get_text_size(
            text,
            FONT_HERSHEY_SIMPLEX,
            self.font_scale(size),
            self.font_thickness(size),
            &mut baseline,
        )
    }

    /// Text with a dark outline, readable on any background. `origin` is the
    /// bottom-left of the text.
    pub fn text(
        &self,
        frame: &mut Mat,
        text: &str,
        origin: Point,
        size: f64,
        colour: (u8, u8, u8),
    ) -> Result<()> {
        let scale = self.font_scale(size);
        let thickness = self.font_thickness(size);
        imgproc::put_text(
            frame,
            text,
            origin,
            FONT_HERSHEY_SIMPLEX,
            scale,
            bgr(BLACK),
            thickness + 2 * self.px(1.0),
            LINE_AA,
            false,
        )?;
        imgproc::put_text(
            frame,
            text,
            origin,
            FONT_HERSHEY_SIMPLEX,
            scale,
            bgr(colour),
            thickness,
            LINE_AA,
            false,
        )
    }

    /// Darkens a rectangle (clipped to the frame) so text on it stands out.
    pub fn shade(&self, frame: &mut Mat, rect: Rect, darkness: f64) -> Result<()> {
        let clipped = rect & Rect::new(0, 0, self.width, self.height);
        if clipped.width <= 0 || clipped.height <= 0 {
            return Ok(());
        }
        let mut roi = Mat::roi_mut(frame, clipped)?;
        let mut darker = Mat::default();
        roi.convert_to(&mut darker, -1, 1.0 - darkness, 0.0)?;
        darker.copy_to(&mut roi)
    }

    pub fn line(
        &self,
        frame: &mut Mat,
        a: Point,
        b: Point,
        colour: (u8, u8, u8),
        units: f64,
    ) -> Result<()> {
        imgproc::line(frame, a, b, bgr(colour), self.px(units), LINE_AA, 0)
    }

    pub fn dashed_line(
        &self,
        frame: &mut Mat,
        a: Point,
        b: Point,
        colour: (u8, u8, u8),
        units: f64,
    ) -> Result<()> {
        let (dx, dy) = (f64::from(b.x - a.x), f64::from(b.y - a.y));
        let length = dx.hypot(dy);
        let dash = f64::from(self.px(10.0));
        let steps = (length / dash).ceil().max(1.0) as i32;
        for i in (0..steps).step_by(2) {
            let f0 = f64::from(i) / f64::from(steps);
            let f1 = (f64::from(i + 1) / f64::from(steps)).min(1.0);
            let p0 = Point::new(a.x + (dx * f0) as i32, a.y + (dy * f0) as i32);
            let p1 = Point::new(a.x + (dx * f1) as i32, a.y + (dy * f1) as i32);
            self.line(frame, p0, p1, colour, units)?;
        }
        Ok(())
    }

    pub fn arrow(
        &self,
        frame: &mut Mat,
        from: Point,
        to: Point,
        colour: (u8, u8, u8),
        units: f64,
    ) -> Result<()> {
        imgproc::arrowed_line(
            frame,
            from,
            to,
            bgr(colour),
            self.px(units),
            LINE_AA,
            0,
            0.15,
        )
    }

    pub fn dot(
        &self,
        frame: &mut Mat,
        centre: Point,
        units: f64,
        colour: (u8, u8, u8),
    ) -> Result<()> {
        imgproc::circle(frame, centre, self.px(units), bgr(colour), -1, LINE_AA, 0)
    }

    pub fn ring(
        &self,
        frame: &mut Mat,
        centre: Point,
        units: f64,
        colour: (u8, u8, u8),
        thickness: f64,
    ) -> Result<()> {
        imgproc::circle(
            frame,
            centre,
            self.px(units),
            bgr(colour),
            self.px(thickness),
            LINE_AA,
            0,
        )
    }

    /// A value with a degree sign: Hershey fonts are ASCII only, so the sign is a ring.
    pub fn degrees(
        &self,
        frame: &mut Mat,
        label: &str,
        value: f64,
        origin: Point,
        size: f64,
        colour: (u8, u8, u8),
    ) -> Result<i32> {
        let text = format!("{label} {value:.0}");
        self.text(frame, &text, origin, size, colour)?;
        let extent = self.text_size(&text, size)?;
        let radius = (f64::from(extent.height) * 0.18).max(1.5);
        let centre = Point::new(
            origin.x + extent.width + radius as i32 + self.px(2.0),
            origin.y - extent.height + radius as i32,
        );
        let thickness = (self.font_thickness(size) as f64 * 0.7).max(1.0) as i32;
        imgproc::circle(
            frame,
            centre,
            radius as i32 + thickness + 1,
            bgr(BLACK),
            thickness + 2,
            LINE_AA,
            0,
        )?;
        imgproc::circle(
            frame,
            centre,
            radius as i32,
            bgr(colour),
            thickness,
            LINE_AA,
            0,
        )?;
        Ok(extent.width + 2 * radius as i32 + self.px(4.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_small_frame_stays_legible() -> Result<()> {
        // A 320x240 clip: scaled with the frame, a joint label would be ~5 px tall.
        let small = Pen::for_frame(320, 240);
        assert!(small.text_size("76", 0.95)?.height >= 8);
        // A 1080p frame keeps its frame-relative size (larger than the floor).
        let large = Pen::for_frame(1920, 1080);
        assert!(large.text_size("76", 0.95)?.height > 2 * small.text_size("76", 0.95)?.height);
        Ok(())
    }

    #[test]
    fn angle_labels_beside_joints_need_room() {
        assert!(!Pen::for_frame(320, 240).has_room_for_joint_labels());
        assert!(!Pen::for_frame(426, 240).has_room_for_joint_labels());
        assert!(Pen::for_frame(960, 544).has_room_for_joint_labels());
        assert!(Pen::for_frame(720, 1280).has_room_for_joint_labels());
    }
}
