//! Annotated video from a real pose track (the shipped pose model on a real
//! clip), checked with ffprobe: H.264, yuv420p, moov before mdat, the source's
//! size, every frame once, and the duration within one frame of the source.
//!
//! The test is about rendering, not pose: tracks are analysed at 10 frames/s (the
//! renderer holds each pose until the next analysed frame) and cached by
//! `fitvision_clip_fixtures` (/var/tmp/fitvision-tracks or $FITVISION_TRACK_CACHE) so
//! reruns skip inference.
//! Skips with a message when `../shared/videos` is absent; the models are
//! committed, so a failed extraction fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use fitvision_clip_fixtures::{cached_pose_track, shared_video};
use fitvision_pose_inference::pipeline::PoseOptions;
use fitvision_pose_inference::render::{Flavour, RenderJob, render_to_file};
use fitvision_proto::v1::PoseTrack;

/// The clip's pose track at [`TRACK_FPS`], from the shared cache or the model.
fn pose_track(video: &Path) -> PoseTrack {
    let options = PoseOptions {
        target_fps: TRACK_FPS,
        ..PoseOptions::default()
    };
    cached_pose_track(video, &options)
        .unwrap_or_else(|error| panic!("pose track of {}: {error:#}", video.display()))
        .track
}

/// Analysis rate of the cached tracks.
const TRACK_FPS: f64 = 10.0;

fn ffprobe_field(path: &Path, entries: &str, count_packets: bool) -> String {
    let mut command = Command::new("ffprobe");
    command.args(["-v", "error", "-select_streams", "v:0"]);
    if count_packets {
        command.arg("-count_packets");
    }
    let output = command
        .args([
            "-show_entries",
            entries,
            "-of",
            "default=noprint_wrappers=1:nokey=1",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Byte offsets of the top-level `moov` and `mdat` boxes.
fn moov_and_mdat(path: &Path) -> (usize, usize) {
    let bytes = std::fs::read(path).expect("read");
    let (mut offset, mut moov, mut mdat) = (0usize, None, None);
    while offset + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[offset..offset + 4].try_into().expect("4")) as usize;
        match &bytes[offset + 4..offset + 8] {
            b"moov" => moov = Some(offset),
            b"mdat" => mdat = Some(offset),
            _ => {}
        }
        let size = match size {
            1 => u64::from_be_bytes(bytes[offset + 8..offset + 16].try_into().expect("8")) as usize,
            0 => bytes.len() - offset,
            n => n,
        };
        if size < 8 {
            break;
        }
        offset += size;
    }
    (moov.expect("moov"), mdat.expect("mdat"))
}

fn check(name: &str, flavour: Flavour) {
    let Some(source) = shared_video(name) else {
        return;
    };
    let track = pose_track(&source);
    let info = track.video.clone().expect("track records the video");
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("annotated.mp4");
    let rendered = render_to_file(&RenderJob {
        video: &source,
        track: &track,
        result: None,
        authenticity: None,
        flavour,
        output: &output,
        with_snapshots: false,
    })
    .expect("render");

    assert_eq!(
        rendered.frames_written, info.frame_count,
        "one output frame per decoded frame"
    );
    let streams = ffprobe_field(
        &output,
        "stream=codec_name,pix_fmt,width,height,nb_read_packets",
        true,
    );
    let fields: Vec<&str> = streams.lines().collect();
    assert_eq!(fields[0], "h264");
    assert_eq!(fields[3], "yuv420p");
    let (w, h) = (info.width_px, info.height_px);
    assert_eq!(fields[1].parse::<u32>().expect("w"), w + w % 2);
    assert_eq!(fields[2].parse::<u32>().expect("h"), h + h % 2);
    assert_eq!(fields[4].parse::<u32>().expect("packets"), info.frame_count);
    let (moov, mdat) = moov_and_mdat(&output);
    assert!(
        moov < mdat,
        "faststart: moov at {moov} must precede mdat at {mdat}"
    );
    let source_s: f64 = ffprobe_field(&source, "stream=duration", false)
        .parse()
        .expect("source duration");
    let output_s: f64 = ffprobe_field(&output, "stream=duration", false)
        .parse()
        .expect("output duration");
    let frame_s = 1.0 / rendered.fps;
    assert!(
        (output_s - source_s).abs() <= frame_s + 1e-6,
        "{name}: duration {output_s} s vs source {source_s} s (one frame {frame_s:.4} s)"
    );
    eprintln!(
        "{name}: {} frames {}x{} at {:.3} fps, {output_s:.3} s vs source {source_s:.3} s, {} bytes",
        rendered.frames_written,
        rendered.width,
        rendered.height,
        rendered.fps,
        std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0)
    );
    if let Some(keep) = std::env::var_os("FITVISION_RENDER_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("keep dir");
        std::fs::copy(&output, keep.join(format!("real-{name}"))).expect("keep");
    }
}

#[test]
fn real_track_two_people_side_view() {
    check("backflip_walk_2people_sports2d.mp4", Flavour::All);
}

#[test]
fn real_track_portrait_60fps_barbell_squat() {
    // 1080x1920 at 59.94 fps with a header that overstates the frame count.
    check("squat_barbell_side_60fps.mp4", Flavour::Skeleton);
}
