//! Composes one annotated frame: skeletons, then (flavour `all`) the bar path,
//! the jump flight marker, angle labels, the rep/phase panel and the flags.

use fitvision_exercise_engine::names::phases;
use fitvision_proto::v1::{PersonPose, PoseFrame};
use fitvision_video::opencv::Result;
use fitvision_video::opencv::core::{Mat, Point, Rect};

use super::draw::{AMBER, CYAN, GREEN, MAGENTA, Pen, RED, WHITE};
use super::plan::{BarAnchor, OverlayPlan, Severity};
use super::skeleton::{
    BONES, BodySide, LEFT_ANKLE, LEFT_SHOULDER, LEFT_WRIST, MIN_KEYPOINT_SCORE, RIGHT_ANKLE,
    RIGHT_SHOULDER, RIGHT_WRIST, track_colour,
};

/// What to draw: the two Guru overlay flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Skeleton,
    All,
}

/// A run of bar positions; a new run starts after the subject is lost.
type BarRun = Vec<Point>;

/// Per-video drawing state: the bar trail and the take-off level grow as frames pass.
pub struct Overlay<'a> {
    plan: &'a OverlayPlan,
    flavour: Flavour,
    pen: Pen,
    bar_runs: Vec<BarRun>,
    last_bar_frame: Option<u32>,
    takeoff_y: Option<(f64, i32)>,
}

impl<'a> Overlay<'a> {
    pub fn new(plan: &'a OverlayPlan, flavour: Flavour, width: i32, height: i32) -> Self {
        Self {
            plan,
            flavour,
            pen: Pen::for_frame(width, height),
            bar_runs: Vec::new(),
            last_bar_frame: None,
            takeoff_y: None,
        }
    }

    /// Draws on `frame` (decoded frame `index` at `t_ms`), with the pose frame
    /// chosen for it, if any.
    pub fn draw(
        &mut self,
        frame: &mut Mat,
        index: u32,
        t_ms: f64,
        poses: Option<&PoseFrame>,
    ) -> Result<()> {
        let subject = poses.and_then(|p| self.subject(p));
        if self.flavour == Flavour::All {
            self.update_bar_trail(index, subject);
            self.draw_bar_trail(frame)?;
            self.draw_flight(frame, t_ms, subject)?;
        }
        if let Some(poses) = poses {
            for person in &poses.persons {
                let is_subject = subject.is_some_and(|s| std::ptr::eq(s, person));
                self.draw_skeleton(frame, person, is_subject)?;
            }
        }
        if self.flavour == Flavour::All {
            if let Some(subject) = subject
                && self.pen.has_room_for_joint_labels()
            {
                self.draw_joint_angles(frame, t_ms, subject)?;
            }
            self.draw_panel(frame, t_ms)?;
            self.draw_flags(frame, t_ms)?;
        }
        Ok(())
    }

    /// The person the analysis followed; with one person in view, that person.
    fn subject<'p>(&self, poses: &'p PoseFrame) -> Option<&'p PersonPose> {
        let wanted = self.plan.subject_track_id;
        poses
            .persons
            .iter()
            .find(|p| Some(p.track_id) == wanted)
            .or_else(|| (poses.persons.len() == 1).then(|| &poses.persons[0]))
    }

    fn draw_skeleton(&self, frame: &mut Mat, person: &PersonPose, is_subject: bool) -> Result<()> {
        let colour = track_colour(person.track_id);
        let weight = if is_subject { 1.0 } else { 0.7 };
        for &(a, b, side) in &BONES {
            let (Some(pa), Some(pb)) = (point(person, a), point(person, b)) else {
                continue;
            };
            // Left limbs a touch lighter than right ones so sides read at a glance.
            let bone_colour = match side {
                BodySide::Left => lighten(colour),
                BodySide::Right | BodySide::Centre => colour,
            };
            self.pen.line(frame, pa, pb, bone_colour, 4.0 * weight)?;
        }
        for index in 0..person.keypoints.len().min(17) {
            if let Some(p) = point(person, index) {
                self.pen.dot(frame, p, 4.5 * weight, WHITE)?;
                self.pen.dot(frame, p, 3.0 * weight, colour)?;
            }
        }
        if self.flavour == Flavour::All
            && let Some(b) = &person.r#box
            && b.width_px > 0.0
        {
            let label = format!("#{}", person.track_id);
            let origin = Point::new(
                b.x_px.max(0.0) as i32,
                (b.y_px as i32 - self.pen.px(6.0)).max(self.pen.px(16.0)),
            );
            self.pen.text(frame, &label, origin, 0.8, colour)?;
        }
        Ok(())
    }

    fn update_bar_trail(&mut self, index: u32, subject: Option<&PersonPose>) {
        let Some(anchor) = self.plan.bar_anchor else {
            return;
        };
        let Some(position) = subject.and_then(|s| bar_position(s, anchor)) else {
            return;
        };
        // After a gap of more than a few frames the trail restarts, so a lost
        // subject never draws a straight line across the frame.
        let continues = self.last_bar_frame.is_some_and(|last| index - last <= 4);
        match self.bar_runs.last_mut() {
            Some(run) if continues => run.push(position),
            _ => self.bar_runs.push(vec![position]),
        }
        self.last_bar_frame = Some(index);
    }

    fn draw_bar_trail(&self, frame: &mut Mat) -> Result<()> {
        for run in &self.bar_runs {
            for pair in run.windows(2) {
                self.pen.line(frame, pair[0], pair[1], CYAN, 3.0)?;
            }
        }
        if let Some(&current) = self.bar_runs.last().and_then(|run| run.last()) {
            self.pen.ring(frame, current, 9.0, CYAN, 2.5)?;
        }
        Ok(())
    }

    /// During a flight: the take-off level, an arrow up to the feet and the height.
    fn draw_flight(
        &mut self,
        frame: &mut Mat,
        t_ms: f64,
        subject: Option<&PersonPose>,
    ) -> Result<()> {
        let Some((start_ms, _)) = self.plan.flight_at(t_ms) else {
            return Ok(());
        };
        let feet = subject.and_then(feet_point);
        if self.takeoff_y.is_none_or(|(flight, _)| flight != start_ms)
            && let Some(feet) = feet
        {
            self.takeoff_y = Some((start_ms, feet.y));
        }
        let Some((_, ground_y)) = self.takeoff_y else {
            return Ok(());
        };
        let x_mid = feet.map_or(self.pen.width / 2, |p| p.x);
        let half = self.pen.px(90.0);
        self.pen.dashed_line(
            frame,
            Point::new(x_mid - half, ground_y),
            Point::new(x_mid + half, ground_y),
            MAGENTA,
            2.5,
        )?;
        if let Some(feet) = feet
            && ground_y - feet.y > self.pen.px(6.0)
        {
            self.pen.arrow(
                frame,
                Point::new(x_mid, ground_y),
                Point::new(x_mid, feet.y),
                MAGENTA,
                3.0,
            )?;
        }
        let label = match self.plan.jump_height_cm {
            Some(cm) => format!("FLIGHT  {cm:.0} cm"),
            None => "FLIGHT".to_owned(),
        };
        // Beside the take-off line's right end, clear of the legs.
        let origin = Point::new(x_mid + half + self.pen.px(8.0), ground_y + self.pen.px(6.0));
        self.pen.text(frame, &label, origin, 1.2, MAGENTA)
    }

    /// Each key angle printed beside its joint on the subject.
    fn draw_joint_angles(&self, frame: &mut Mat, t_ms: f64, subject: &PersonPose) -> Result<()> {
        for (track, value) in self.plan.angles_at(t_ms) {
            let Some(joint) = track.joint.and_then(|j| point(subject, j)) else {
                continue;
            };
            let origin = Point::new(joint.x + self.pen.px(12.0), joint.y - self.pen.px(8.0));
            self.pen.degrees(frame, "", value, origin, 0.95, WHITE)?;
        }
        Ok(())
    }

    /// Top-left panel: reps (or hold time), key angles, phase, jump result.
    fn draw_panel(&self, frame: &mut Mat, t_ms: f64) -> Result<()> {
        let plan = self.plan;
        let mut lines: Vec<PanelLine> = Vec::new();
        let phase = plan.phase_at(t_ms);
        if plan.timer_mode {
            let held_s = match phase {
                Some((phases::HOLD, start)) => (t_ms - start) / 1000.0,
                _ => 0.0,
            };
            lines.push(PanelLine::big(format!("HOLD {held_s:.1} s"), GREEN));
        } else {
            lines.push(PanelLine::big(
                format!("REPS {}", plan.reps_done_at(t_ms)),
                GREEN,
            ));
        }
        for (track, value) in plan.angles_at(t_ms) {
            lines.push(PanelLine::angle(track.label.clone(), value));
        }
        if let Some((name, _)) = phase
            && name != phases::HOLD
        {
            lines.push(PanelLine::text(
                format!("Phase: {}", name.replace('_', " ")),
                AMBER,
            ));
        }
        if plan.has_flights() && plan.landed_by(t_ms) {
            if let Some(cm) = plan.jump_height_cm {
                lines.push(PanelLine::text(format!("Jump height {cm:.0} cm"), MAGENTA));
            }
            if let Some(cm) = plan.jump_distance_cm {
                lines.push(PanelLine::text(
                    format!("Jump distance {cm:.0} cm"),
                    MAGENTA,
                ));
            }
        }
        let pen = self.pen;
        let margin = pen.px(10.0);
        let gap = pen.px(8.0);
        let mut width = 0;
        let mut height = margin;
        for line in &lines {
            let size = pen.text_size(&line.text, line.size)?;
            width = width.max(size.width + if line.degrees { pen.px(14.0) } else { 0 });
            height += size.height + gap;
        }
        pen.shade(
            frame,
            Rect::new(margin, margin, width + 2 * margin, height + margin - gap),
            0.55,
        )?;
        let mut y = 2 * margin;
        for line in &lines {
            let size = pen.text_size(&line.text, line.size)?;
            y += size.height;
            let origin = Point::new(2 * margin, y);
            if line.degrees {
                pen.degrees(
                    frame,
                    &line.label,
                    line.value,
                    origin,
                    line.size,
                    line.colour,
                )?;
            } else {
                pen.text(frame, &line.text, origin, line.size, line.colour)?;
            }
            y += gap;
        }
        Ok(())
    }

    /// Top-right: the authenticity verdict and the flags active now.
    fn draw_flags(&self, frame: &mut Mat, t_ms: f64) -> Result<()> {
        let pen = self.pen;
        let margin = pen.px(10.0);
        let mut lines: Vec<(String, (u8, u8, u8))> = Vec::new();
        if let Some(verdict) = &self.plan.verdict {
            let colour = match verdict.severity {
                Severity::Ok => GREEN,
                Severity::Warn => AMBER,
                Severity::Bad => RED,
            };
            lines.push((verdict.text.clone(), colour));
        }
        for flag in self.plan.flags_at(t_ms) {
            lines.push((format!("! {flag}"), AMBER));
        }
        let mut y = margin;
        for (text, colour) in &lines {
            let size = pen.text_size(text, 0.8)?;
            let x = (pen.width - size.width - 2 * margin).max(margin);
            pen.shade(
                frame,
                Rect::new(x - margin / 2, y, size.width + margin, size.height + margin),
                0.55,
            )?;
            y += size.height + margin / 2;
            pen.text(frame, text, Point::new(x, y), 0.8, *colour)?;
            y += margin;
        }
        Ok(())
    }
}

struct PanelLine {
    text: String,
    label: String,
    value: f64,
    size: f64,
    colour: (u8, u8, u8),
    degrees: bool,
}

impl PanelLine {
    fn big(text: String, colour: (u8, u8, u8)) -> Self {
        Self {
            label: String::new(),
            value: 0.0,
            text,
            size: 2.0,
            colour,
            degrees: false,
        }
    }

    fn text(text: String, colour: (u8, u8, u8)) -> Self {
        Self {
            label: String::new(),
            value: 0.0,
            text,
            size: 1.0,
            colour,
            degrees: false,
        }
    }

    fn angle(label: String, value: f64) -> Self {
        Self {
            text: format!("{label} {value:.0}"),
            label,
            value,
            size: 1.0,
            colour: WHITE,
            degrees: true,
        }
    }
}

fn point(person: &PersonPose, index: usize) -> Option<Point> {
    let k = person.keypoints.get(index)?;
    (k.score >= MIN_KEYPOINT_SCORE && k.x_px.is_finite() && k.y_px.is_finite())
        .then(|| Point::new(k.x_px.round() as i32, k.y_px.round() as i32))
}

/// Midpoint of a left/right pair, or the one side that is visible.
fn pair_midpoint(person: &PersonPose, left: usize, right: usize) -> Option<Point> {
    match (point(person, left), point(person, right)) {
        (Some(a), Some(b)) => Some(Point::new((a.x + b.x) / 2, (a.y + b.y) / 2)),
        (a, b) => a.or(b),
    }
}

fn bar_position(person: &PersonPose, anchor: BarAnchor) -> Option<Point> {
    match anchor {
        BarAnchor::Shoulders => pair_midpoint(person, LEFT_SHOULDER, RIGHT_SHOULDER),
        BarAnchor::Wrists => pair_midpoint(person, LEFT_WRIST, RIGHT_WRIST),
    }
}

/// The lower (larger y) ankle: the foot nearer the ground.
fn feet_point(person: &PersonPose) -> Option<Point> {
    match (point(person, LEFT_ANKLE), point(person, RIGHT_ANKLE)) {
        (Some(a), Some(b)) => Some(Point::new((a.x + b.x) / 2, a.y.max(b.y))),
        (a, b) => a.or(b),
    }
}

fn lighten((b, g, r): (u8, u8, u8)) -> (u8, u8, u8) {
    let up = |c: u8| c + (255 - c) / 3;
    (up(b), up(g), up(r))
}
