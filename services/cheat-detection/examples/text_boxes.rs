//! Text boxes the detector finds on chosen frames of a video, beside the pose track's
//! person boxes (normalised to the frame), for looking into a text verdict:
//!
//!   cargo run -p fitvision-cheat-detection --example text_boxes -- VIDEO FRAME [FRAME ...]

use fitvision_cheat_detection::TextDetector;
use fitvision_cheat_detection::frames::{SamplingPlan, resize_max_side};
use fitvision_video::VideoDecoder;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let video = std::path::PathBuf::from(&args[0]);
    let wanted: Vec<u32> = args[1..]
        .iter()
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let detector = TextDetector::load(&fitvision_onnx::default_models_dir(), 2)?;
    let track = fitvision_clip_fixtures::cached_pose_track(&video, &Default::default())?.track;
    let mut decoder = VideoDecoder::open(&video)?;
    let (w, h) = (decoder.meta().width as f32, decoder.meta().height as f32);
    for frame in &mut decoder {
        let frame = frame?;
        if !wanted.contains(&frame.index) {
            continue;
        }
        println!("frame {}", frame.index);
        // Scaled as the check's frame pass scales its text samples.
        let sample = resize_max_side(&frame.image, SamplingPlan::default().text_max_side_px)?;
        for b in detector.detect(&sample)? {
            println!(
                "  text x {:.3} y {:.3} w {:.3} h {:.3} score {:.2}",
                b.x, b.y, b.w, b.h, b.score
            );
        }
        if let Some(f) = track.frames.iter().find(|f| f.frame_index == frame.index) {
            for p in &f.persons {
                if let Some(b) = p.r#box {
                    println!(
                        "  person {} x {:.3} y {:.3} w {:.3} h {:.3}",
                        p.track_id,
                        b.x_px / w,
                        b.y_px / h,
                        b.width_px / w,
                        b.height_px / h
                    );
                }
            }
        }
    }
    Ok(())
}
