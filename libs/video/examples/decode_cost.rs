//! Per-frame decode costs on one video: grab only, grab + BGR conversion, grab +
//! conversion with CAP_PROP_CONVERT_RGB off. Prints ms per frame.
use opencv::prelude::*;
use opencv::videoio::{CAP_FFMPEG, CAP_PROP_CONVERT_RGB, VideoCapture};
use std::time::Instant;

fn main() -> opencv::Result<()> {
    let path = std::env::args().nth(1).expect("video path");
    for mode in ["grab", "bgr", "noconvert"] {
        let mut capture = VideoCapture::from_file(&path, CAP_FFMPEG)?;
        if mode == "noconvert" {
            println!(
                "set convert_rgb: {}",
                capture.set(CAP_PROP_CONVERT_RGB, 0.0)?
            );
        }
        let started = Instant::now();
        let mut frames = 0;
        let mut image = Mat::default();
        while capture.grab()? {
            frames += 1;
            if mode != "grab" {
                capture.retrieve(&mut image, 0)?;
            }
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(frames);
        println!(
            "{mode}: {frames} frames, {ms:.2} ms/frame, last {:?} type {}",
            image.size()?,
            image.typ()
        );
    }
    Ok(())
}
