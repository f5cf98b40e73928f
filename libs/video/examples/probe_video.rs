//! Prints what the decoder sees in a video: `cargo run -p fitvision-video --example probe_video -- FILE...`

use fitvision_video::VideoDecoder;

fn main() -> anyhow::Result<()> {
    for path in std::env::args().skip(1) {
        let decoder = VideoDecoder::open(path.as_ref())?;
        let meta = decoder.meta().clone();
        let mut timestamps = Vec::new();
        let mut outcome = "complete".to_owned();
        for frame in decoder {
            match frame {
                Ok(frame) => timestamps.push(frame.timestamp_ms),
                Err(error) => outcome = error.to_string(),
            }
        }
        let first: Vec<String> = timestamps
            .iter()
            .take(4)
            .map(|t| format!("{t:.1}"))
            .collect();
        println!(
            "{path}: {}x{} rot {} codec {} header {} frames @ {:.3} fps; decoded {} frames, ts [{} .. {:.1}] ({outcome})",
            meta.width,
            meta.height,
            meta.rotation_deg,
            meta.codec,
            meta.header_frame_count,
            meta.header_fps,
            timestamps.len(),
            first.join(", "),
            timestamps.last().copied().unwrap_or_default(),
        );
    }
    Ok(())
}
