//! H.264/MP4 output by piping raw BGR frames into the `ffmpeg` CLI.
//!
//! Debian's OpenCV VideoWriter cannot be relied on for H.264 (no openh264 / licence
//! gated), while the ffmpeg CLI with libx264 is always installed alongside it and
//! also gives `+faststart` (moov first, so browsers start playing before the end).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::JoinHandle;

use opencv::core::{CV_8UC3, Mat};
use opencv::prelude::*;

use crate::VideoError;

/// How to encode. `Default` is a reasonable web preview.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderSettings {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// x264 constant rate factor: lower is better quality (18..28 is sensible).
    pub crf: u8,
    /// x264 preset: speed/size trade-off.
    pub preset: String,
}

impl EncoderSettings {
    pub fn new(width: u32, height: u32, fps: f64) -> Self {
        Self {
            width,
            height,
            fps,
            crf: 23,
            preset: "veryfast".to_owned(),
        }
    }
}

/// Writes BGR frames of one fixed size into an H.264 MP4 (yuv420p, faststart).
pub struct FrameWriter {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr_reader: Option<JoinHandle<String>>,
    settings: EncoderSettings,
    output: PathBuf,
    frames_written: u32,
}

impl FrameWriter {
    /// Starts the encoder. The ffmpeg binary is `$FITVISION_FFMPEG` or `ffmpeg` on PATH.
    pub fn create(output: &Path, settings: EncoderSettings) -> Result<Self, VideoError> {
        if settings.width == 0 || settings.height == 0 {
            return Err(VideoError::Encoder(format!(
                "invalid output size {}x{}",
                settings.width, settings.height
            )));
        }
        if !(settings.fps.is_finite() && settings.fps > 0.0) {
            return Err(VideoError::Encoder(format!(
                "invalid frame rate {}",
                settings.fps
            )));
        }
        let ffmpeg = std::env::var_os("FITVISION_FFMPEG").unwrap_or_else(|| "ffmpeg".into());
        let mut child = Command::new(&ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", "bgr24"])
            .args(["-s", &format!("{}x{}", settings.width, settings.height)])
            .args(["-framerate", &format!("{:.6}", settings.fps)])
            .args(["-i", "-", "-an", "-c:v", "libx264"])
            .args([
                "-preset",
                &settings.preset,
                "-crf",
                &settings.crf.to_string(),
            ])
            // yuv420p (what every browser plays) needs even sides: pad odd ones by a pixel.
            .args([
                "-vf",
                "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(output)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                VideoError::Encoder(format!(
                    "cannot start {}: {error}",
                    ffmpeg.to_string_lossy()
                ))
            })?;
        let stdin = child.stdin.take();
        // Drain stderr concurrently so a chatty ffmpeg can never block on a full pipe.
        let stderr_reader = child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            })
        });
        Ok(Self {
            child,
            stdin,
            stderr_reader,
            settings,
            output: output.to_owned(),
            frames_written: 0,
        })
    }

    pub fn settings(&self) -> &EncoderSettings {
        &self.settings
    }

    pub fn frames_written(&self) -> u32 {
        self.frames_written
    }

    /// Appends one frame; it must be 8-bit BGR of exactly the configured size.
    pub fn write(&mut self, frame: &Mat) -> Result<(), VideoError> {
        let (width, height) = (frame.cols() as u32, frame.rows() as u32);
        if frame.typ() != CV_8UC3 || width != self.settings.width || height != self.settings.height
        {
            return Err(VideoError::Encoder(format!(
                "frame {width}x{height} type {} does not match the output {}x{} BGR",
                frame.typ(),
                self.settings.width,
                self.settings.height
            )));
        }
        let continuous;
        let frame = if frame.is_continuous() {
            frame
        } else {
            continuous = frame.try_clone()?;
            &continuous
        };
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| VideoError::Encoder("encoder already closed".to_owned()))?;
        if let Err(error) = stdin.write_all(frame.data_bytes()?) {
            return Err(VideoError::Encoder(format!(
                "ffmpeg stopped accepting frames ({error}): {}",
                self.close_and_collect_stderr()
            )));
        }
        self.frames_written += 1;
        Ok(())
    }

    /// Flushes, waits for ffmpeg and returns the output path.
    pub fn finish(mut self) -> Result<PathBuf, VideoError> {
        if self.frames_written == 0 {
            return Err(VideoError::Encoder("no frames written".to_owned()));
        }
        drop(self.stdin.take());
        let status = self.child.wait()?;
        let stderr = self.close_and_collect_stderr();
        if !status.success() {
            return Err(VideoError::Encoder(format!(
                "ffmpeg exited with {status}: {stderr}"
            )));
        }
        Ok(self.output.clone())
    }

    fn close_and_collect_stderr(&mut self) -> String {
        drop(self.stdin.take());
        let _ = self.child.wait();
        self.stderr_reader
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

impl Drop for FrameWriter {
    fn drop(&mut self) {
        // An abandoned writer must not leave an ffmpeg process behind.
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
