//! Distribution of the body-physics measures over stored pose tracks, for choosing the
//! gravity clock's smoothing and limit from many clips rather than one:
//!
//!   cargo run -p fitvision-cheat-detection --example body_physics_stats -- TRACK.posetrack.pb ...
//!
//! Prints, per track, the stature, the tempo (95th percentile, statures/s), the peak
//! sustained downward acceleration (g) for several fit windows, and at the default
//! window the peaks of the separate stretches held at 0.8 g or more, highest first (the
//! gravity clock blocks only on two stretches over its limit).

use fitvision_cheat_detection::checks::body_physics::{self, BodyParams};
use fitvision_cheat_detection::track;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> anyhow::Result<()> {
    let windows = [0.08, 0.1, 0.12, 0.15, 0.2];
    print!("{:<56} {:>7} {:>6}", "track", "stature", "tempo");
    for w in windows {
        print!(" {:>7}", format!("g@{w}"));
    }
    println!("  stretches>=0.8g");
    for path in std::env::args().skip(1) {
        let stored = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        // The checks read the 17 COCO keypoints; a 33-landmark track is read as those.
        let track = fitvision_exercise_engine::subject::coco17_view(&stored);
        let track = track.as_ref();
        let subject = track::main_subject_series(track);
        let Some(stature) = body_physics::stature_px(&subject) else {
            println!("{path}: no stature");
            continue;
        };
        let speeds: Vec<f64> = body_physics::body_speeds(track, &subject, stature)
            .iter()
            .map(|s| s.1)
            .collect();
        let name = std::path::Path::new(&path)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_owned();
        print!(
            "{name:<56} {stature:>7.0} {:>6.2}",
            track::percentile(&speeds, 0.95).unwrap_or(0.0)
        );
        for w in windows {
            let params = BodyParams {
                accel_half_window_s: w,
                ..BodyParams::default()
            };
            let peak = body_physics::peak_sustained_downward_g(track, &subject, stature, &params);
            print!(" {:>7.2}", peak.unwrap_or(f64::NAN));
        }
        let held =
            body_physics::sustained_downward_g(track, &subject, stature, &BodyParams::default());
        let stretches: Vec<String> = stretch_peaks(&held, STRETCH_FLOOR_G)
            .iter()
            .map(|g| format!("{g:.2}"))
            .collect();
        println!("  {}", stretches.join(" "));
    }
    Ok(())
}

/// Stretches are listed from this sustained downward acceleration (g).
const STRETCH_FLOOR_G: f64 = 0.8;

/// The peak of each run of values at or over `floor`, highest first.
fn stretch_peaks(held: &[Option<f64>], floor: f64) -> Vec<f64> {
    let mut peaks = Vec::new();
    let mut current: Option<f64> = None;
    for value in held.iter().chain(std::iter::once(&None)) {
        match (value.filter(|&g| g >= floor), current) {
            (Some(g), top) => current = Some(top.map_or(g, |t: f64| t.max(g))),
            (None, Some(top)) => {
                peaks.push(top);
                current = None;
            }
            (None, None) => {}
        }
    }
    peaks.sort_by(|a, b| b.total_cmp(a));
    peaks
}
