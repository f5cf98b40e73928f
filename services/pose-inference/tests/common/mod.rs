//! Shared helpers of the pose tests: the engine, the shared videos, the fixture.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use fitvision_pose_inference::PoseEngine;
use fitvision_proto::v1::{PersonPose, PoseTrack};

pub fn engine() -> &'static PoseEngine {
    PoseEngine::shared().expect("pose engine loads (models/ and ONNX Runtime present)")
}

/// The sports2d demo clip from the PyPI wheel, fetched into the fixture cache.
pub fn sports2d_fixture() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-fixtures.sh");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .expect("bash runs fetch-fixtures.sh");
    assert!(
        output.status.success(),
        "scripts/fetch-fixtures.sh failed (needs pip + network to PyPI): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8 path");
    PathBuf::from(stdout.lines().last().expect("a path").trim())
}

pub fn centre(person: &PersonPose) -> (f32, f32) {
    let bbox = person.r#box.expect("box");
    (
        bbox.x_px + bbox.width_px / 2.0,
        bbox.y_px + bbox.height_px / 2.0,
    )
}

/// Checks identity continuity: a track id never jumps further between consecutive
/// appearances than its person could move (a swap moves an id onto the other person).
/// Returns the worst jump as a multiple of the box height.
pub fn worst_id_jump(track: &PoseTrack) -> f32 {
    let mut last_seen: std::collections::HashMap<u32, (f32, f32, f32)> = Default::default();
    let mut worst = 0.0_f32;
    for frame in &track.frames {
        for person in &frame.persons {
            let (x, y) = centre(person);
            let height = person.r#box.expect("box").height_px.max(1.0);
            if let Some((px, py, ph)) = last_seen.get(&person.track_id) {
                worst = worst.max((x - px).hypot(y - py) / ph.max(height));
            }
            last_seen.insert(person.track_id, (x, y, height));
        }
    }
    worst
}
