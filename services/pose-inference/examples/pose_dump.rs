//! Prints a compact per-frame view of a video's pose track (person count, track ids,
//! box centres and sizes): `cargo run --release -p fitvision-pose-inference --example pose_dump --
//! VIDEO [TARGET_FPS [MIN_CONFIDENCE [whole]]]` (`whole`: no person-sized inputs).

use fitvision_pose_inference::{InputPolicy, PoseEngine, PoseOptions};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let video = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: pose_dump VIDEO [TARGET_FPS [MIN_CONFIDENCE [whole]]]")
    })?;
    let target_fps = args
        .next()
        .map(|fps| fps.parse())
        .transpose()?
        .unwrap_or(0.0);
    let min_confidence = args
        .next()
        .map(|confidence| confidence.parse())
        .transpose()?
        .unwrap_or(0.0);
    let input = match args.next().as_deref() {
        Some("whole") => InputPolicy::WholeFrame,
        _ => InputPolicy::default(),
    };
    let options = PoseOptions {
        target_fps,
        min_confidence,
        input,
        ..PoseOptions::default()
    };
    let (track, summary) = PoseEngine::shared()?.extract(video.as_ref(), &options)?;
    for frame in &track.frames {
        let persons: Vec<String> = frame
            .persons
            .iter()
            .map(|person| {
                let bbox = person.r#box.unwrap_or_default();
                format!(
                    "#{}@({:.0},{:.0} {:.0}x{:.0} c{:.2})",
                    person.track_id,
                    bbox.x_px + bbox.width_px / 2.0,
                    bbox.y_px + bbox.height_px / 2.0,
                    bbox.width_px,
                    bbox.height_px,
                    person.confidence
                )
            })
            .collect();
        println!(
            "{:4} {:8.1} {} {}",
            frame.frame_index,
            frame.timestamp_ms,
            frame.persons.len(),
            persons.join(" ")
        );
    }
    println!("summary: {summary:?}");
    Ok(())
}
