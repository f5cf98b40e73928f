//! Synthetic pose tracks with known kinematics, for tests, benchmarks and demos.
//!
//! A side-view stick figure (facing +x) whose joint angles are given per frame;
//! keypoints follow by forward kinematics, so every angle, height and velocity
//! the engine measures has an analytic answer.

use fitvision_proto::v1::{
    BoundingBox, CameraMotion, Keypoint, KeypointSchema, PersonPose, PoseFrame, PoseTrack,
    VideoInfo,
};

/// Segment lengths in pixels: shank, thigh, trunk, upper arm, forearm.
pub const SHANK_PX: f64 = 200.0;
pub const THIGH_PX: f64 = 200.0;
pub const TRUNK_PX: f64 = 240.0;
pub const UPPER_ARM_PX: f64 = 150.0;
pub const FOREARM_PX: f64 = 130.0;
/// Image y of the floor under the ankles when not lifted.
pub const GROUND_Y: f64 = 1000.0;

/// One frame's posture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyPose {
    /// Interior knee angle (180 = straight); the squat keeps the shank and thigh
    /// symmetric about the vertical, so the trunk stays upright.
    pub knee_deg: f64,
    /// Interior elbow angle.
    pub elbow_deg: f64,
    /// Arm elevation from hanging (0) towards forward/overhead (180).
    pub shoulder_deg: f64,
    /// Ankles' height above the floor in pixels (jumps).
    pub lift_px: f64,
    /// Horizontal position of the ankles.
    pub x_px: f64,
    /// Puts both wrists here instead (bar path tests).
    pub wrists_at: Option<(f64, f64)>,
}

impl Default for BodyPose {
    fn default() -> Self {
        Self {
            knee_deg: 180.0,
            elbow_deg: 180.0,
            shoulder_deg: 0.0,
            lift_px: 0.0,
            x_px: 500.0,
            wrists_at: None,
        }
    }
}

fn dir(deg_from_down: f64) -> (f64, f64) {
    // Direction at `deg_from_down` degrees from straight down, turning towards +x.
    let r = deg_from_down.to_radians();
    (r.sin(), r.cos())
}

/// COCO-17 keypoints (x, y) of a posture.
pub fn keypoints(p: &BodyPose) -> [(f64, f64); 17] {
    let ankle = (p.x_px, GROUND_Y - p.lift_px);
    let a = (180.0 - p.knee_deg).to_radians() / 2.0;
    let knee = (ankle.0 + SHANK_PX * a.sin(), ankle.1 - SHANK_PX * a.cos());
    let hip = (knee.0 - THIGH_PX * a.sin(), knee.1 - THIGH_PX * a.cos());
    let shoulder = (hip.0, hip.1 - TRUNK_PX);
    let (ux, uy) = dir(p.shoulder_deg);
    let elbow = (
        shoulder.0 + UPPER_ARM_PX * ux,
        shoulder.1 + UPPER_ARM_PX * uy,
    );
    let (fx, fy) = dir(p.shoulder_deg + (180.0 - p.elbow_deg));
    let wrist = p
        .wrists_at
        .unwrap_or((elbow.0 + FOREARM_PX * fx, elbow.1 + FOREARM_PX * fy));
    let nose = (shoulder.0 + 20.0, shoulder.1 - 60.0);
    let eye = (nose.0 - 5.0, nose.1 - 8.0);
    let ear = (nose.0 - 25.0, nose.1 - 4.0);
    [
        nose, eye, eye, ear, ear, shoulder, shoulder, elbow, elbow, wrist, wrist, hip, hip, knee,
        knee, ankle, ankle,
    ]
}

fn person(p: &BodyPose, track_id: u32, width: f64, height: f64) -> PersonPose {
    let kps = keypoints(p);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in kps {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    PersonPose {
        track_id,
        r#box: Some(BoundingBox {
            x_px: x0 as f32,
            y_px: y0 as f32,
            width_px: (x1 - x0) as f32,
            height_px: (y1 - y0) as f32,
        }),
        confidence: 0.9,
        keypoints: kps
            .iter()
            .enumerate()
            .map(|(k, (x, y))| Keypoint {
                x_px: *x as f32,
                y_px: *y as f32,
                x_norm: (*x / width) as f32,
                y_norm: (*y / height) as f32,
                // The near (left) side is seen a little better than the far one.
                score: if k % 2 == 1 { 0.95 } else { 0.85 },
            })
            .collect(),
    }
}

/// A track of `frames` frames at `fps`; `pose(t_s)` gives the posture at time t,
/// `None` for frames where nobody is detected.
pub fn track(fps: f64, frames: usize, pose: impl Fn(f64) -> Option<BodyPose>) -> PoseTrack {
    let (width, height) = (1080.0, 1920.0);
    PoseTrack {
        schema: KeypointSchema::Coco17 as i32,
        video: Some(VideoInfo {
            width_px: width as u32,
            height_px: height as u32,
            fps,
            frame_count: frames as u32,
            header_frame_count: frames as u32,
            duration_ms: frames as f64 * 1000.0 / fps,
            ..Default::default()
        }),
        model_id: "synthetic".into(),
        frames: (0..frames)
            .map(|i| {
                let t = i as f64 / fps;
                PoseFrame {
                    camera: None,
                    interpolated: false,
                    frame_index: i as u32,
                    timestamp_ms: t * 1000.0,
                    persons: pose(t)
                        .map(|p| person(&p, 1, width, height))
                        .into_iter()
                        .collect(),
                }
            })
            .collect(),
    }
}

/// The track as a moving camera films it: at time t the camera looks `offset(t)` pixels
/// away from where it looked at the start (x right, y down), so every image position is
/// the ground position minus the offset. With `report_camera`, each frame also carries the
/// motion the pose stage would estimate (the translation back to the first frame's pixels).
pub fn filmed_by(
    mut track: PoseTrack,
    offset: impl Fn(f64) -> (f64, f64),
    report_camera: bool,
) -> PoseTrack {
    for frame in &mut track.frames {
        let (cx, cy) = offset(frame.timestamp_ms / 1000.0);
        for p in &mut frame.persons {
            if let Some(b) = &mut p.r#box {
                b.x_px -= cx as f32;
                b.y_px -= cy as f32;
            }
            for k in &mut p.keypoints {
                k.x_px -= cx as f32;
                k.y_px -= cy as f32;
            }
        }
        frame.camera = report_camera.then_some(CameraMotion {
            scale: 1.0,
            rotation_rad: 0.0,
            translate_x_px: cx,
            translate_y_px: cy,
            measured: true,
        });
    }
    track
}

/// The standing chain length (shoulder-hip-knee-ankle) of the figure, in pixels.
pub const CHAIN_PX: f64 = SHANK_PX + THIGH_PX + TRUNK_PX;

/// The benchmark workload: 60 s of squats at one rep per 3 s (20 reps), 30 fps,
/// and a 1.75 m, 70 kg subject. Shared by the criterion bench and the
/// instruction-count profiling example so both measure the same thing.
pub fn squat_minute() -> (PoseTrack, fitvision_proto::v1::Subject) {
    let track = track(30.0, 1800, |t| {
        Some(BodyPose {
            knee_deg: 125.0 + 55.0 * (t / 3.0 * std::f64::consts::TAU).cos(),
            ..Default::default()
        })
    });
    let subject = fitvision_proto::v1::Subject {
        height_m: 1.75,
        body_mass_kg: 70.0,
        ..Default::default()
    };
    (track, subject)
}
