//! `TrackFrames`: poses of a live feed, one encoded picture at a time.
//!
//! The call runs in lockstep (read a picture, analyse it, answer) on one blocking
//! thread that owns the tracker, so the caller decides what to drop when pictures
//! arrive faster than they are analysed (the session service keeps the latest).

use std::sync::Arc;

use fitvision_proto::v1::track_frames_request::Message;
use fitvision_proto::v1::{EncodedFrame, TrackFramesRequest, TrackFramesResponse};
use fitvision_service_kit::failure::{self, FailureCode};
use fitvision_storage::Storage;
use fitvision_video::opencv::core::{Mat, Size, Vector};
use fitvision_video::opencv::imgcodecs::{IMREAD_COLOR, imdecode};
use fitvision_video::opencv::imgproc::{INTER_AREA, resize};
use fitvision_video::opencv::prelude::*;
use fitvision_video::{EncoderSettings, FrameWriter};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use crate::engine::PoseEngine;
use crate::pipeline::{FrameTracker, InputPolicy, PoseOptions};

/// Answers buffered towards the caller before analysis waits for it.
const ANSWER_BUFFER: usize = 4;
/// Largest picture side accepted: a phone camera preview is far smaller, and the
/// bound keeps one decoded picture under ~50 MB.
const MAX_SIDE_PX: i32 = 4096;
/// Frame rate of a recorded feed: each picture is held until the next one's capture
/// time, so the recording plays at the pace it was filmed whatever the feed's rate.
const RECORD_FPS: f64 = 15.0;

pub type TrackFramesStream = ReceiverStream<Result<TrackFramesResponse, Status>>;

fn invalid(message: impl Into<String>) -> Status {
    failure::status(
        tonic::Code::InvalidArgument,
        FailureCode::InvalidOptions,
        message.into(),
    )
}

/// Reads the configuration, then tracks every picture that follows.
pub async fn track_frames(
    engine: Arc<PoseEngine>,
    storage: Storage,
    mut inbound: Streaming<TrackFramesRequest>,
) -> Result<TrackFramesStream, Status> {
    let config = match inbound.message().await? {
        Some(TrackFramesRequest {
            message: Some(Message::Config(config)),
        }) => config,
        _ => return Err(invalid("the first TrackFrames message must be its config")),
    };
    let options = PoseOptions {
        model_id: Some(config.model_id).filter(|id| !id.is_empty()),
        max_persons: config.max_persons,
        input: InputPolicy::default(),
        ..PoseOptions::default()
    };
    let model = engine.model(options.model_id.clone()).await?;
    let record_key = config.record_key.trim().to_owned();
    if !record_key.is_empty() {
        check_record_key(&storage, &record_key).await?;
    }
    let (sender, receiver) = mpsc::channel(ANSWER_BUFFER);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let info = model.info().clone();
        let mut tracker = match FrameTracker::new(model.as_ref(), &options) {
            Ok(tracker) => tracker,
            Err(error) => {
                let _ = sender.blocking_send(Err(Status::from(error)));
                return;
            }
        };
        let mut recorder = (!record_key.is_empty()).then(Recorder::default);
        loop {
            let frame = match runtime.block_on(inbound.message()) {
                Ok(Some(TrackFramesRequest {
                    message: Some(Message::Frame(frame)),
                })) => frame,
                Ok(None) => {
                    if let Some(recorder) = recorder {
                        let stored = recorder
                            .finish()
                            .and_then(|path| {
                                runtime
                                    .block_on(storage.put_file(&record_key, &path))
                                    .map_err(|e| {
                                        Status::unavailable(format!("storing the recording: {e}"))
                                    })
                            })
                            .map(|recorded| TrackFramesResponse {
                                recorded: Some(recorded),
                                ..TrackFramesResponse::default()
                            });
                        let _ = sender.blocking_send(stored);
                    }
                    return;
                }
                Ok(Some(_)) => {
                    let _ = sender.blocking_send(Err(invalid(
                        "after the config, every TrackFrames message must be a frame",
                    )));
                    return;
                }
                Err(status) => {
                    tracing::debug!(%status, "live feed ended by the caller");
                    return;
                }
            };
            let answer = decode_picture(&frame).and_then(|image| {
                if let Some(recorder) = recorder.as_mut() {
                    recorder.add(&image, frame.timestamp_ms)?;
                }
                let (width, height) = (image.cols() as u32, image.rows() as u32);
                let pose = tracker
                    .track(image, frame.timestamp_ms)
                    .map_err(Status::from)?;
                Ok(TrackFramesResponse {
                    frame: Some(pose),
                    width_px: width,
                    height_px: height,
                    model_id: info.id.clone(),
                    schema: info.schema.into(),
                    recorded: None,
                })
            });
            let failed = answer.is_err();
            if sender.blocking_send(answer).is_err() || failed {
                return;
            }
        }
    });
    Ok(ReceiverStream::new(receiver))
}

/// The BGR picture in a JPEG or PNG.
fn decode_picture(frame: &EncodedFrame) -> Result<Mat, Status> {
    if !frame.timestamp_ms.is_finite() {
        return Err(invalid("frame timestamp_ms must be a finite number"));
    }
    let bytes = Vector::<u8>::from_slice(&frame.image);
    let image = imdecode(&bytes, IMREAD_COLOR)
        .ok()
        .filter(|image| !image.empty())
        .ok_or_else(|| invalid("a frame is not a readable JPEG or PNG picture"))?;
    if image.cols() > MAX_SIDE_PX || image.rows() > MAX_SIDE_PX {
        return Err(invalid(format!(
            "a frame of {}x{} px is larger than {MAX_SIDE_PX} px per side",
            image.cols(),
            image.rows()
        )));
    }
    Ok(image)
}

/// A recording key must be `videos/<id>/live.mp4` and new: a caller cannot name
/// another object to overwrite.
async fn check_record_key(storage: &Storage, key: &str) -> Result<(), Status> {
    let id = key
        .strip_prefix("videos/")
        .and_then(|rest| rest.strip_suffix("/live.mp4"))
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if id.is_none() {
        return Err(invalid("record_key must be videos/<id>/live.mp4"));
    }
    match storage.exists(key).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(invalid(format!("record_key {key} already exists"))),
        Err(error) => Err(Status::unavailable(format!("object storage: {error}"))),
    }
}

/// The pictures of a feed as an H.264 MP4 on a steady [`RECORD_FPS`] grid.
#[derive(Default)]
struct Recorder {
    writer: Option<(FrameWriter, tempfile::TempPath)>,
    /// The last picture (at the recording's size) and the next grid time to fill.
    last: Option<Mat>,
    next_slot_ms: f64,
}

impl Recorder {
    fn add(&mut self, image: &Mat, timestamp_ms: f64) -> Result<(), Status> {
        let encoder = |error: fitvision_video::VideoError| {
            Status::internal(format!("recording the feed: {error}"))
        };
        if self.writer.is_none() {
            // H.264 in yuv420p wants even sides.
            let (width, height) = ((image.cols() & !1) as u32, (image.rows() & !1) as u32);
            let path = tempfile::Builder::new()
                .prefix("fitvision-live-")
                .suffix(".mp4")
                .tempfile()
                .map_err(|e| Status::internal(format!("recording the feed: {e}")))?
                .into_temp_path();
            let writer =
                FrameWriter::create(&path, EncoderSettings::new(width, height, RECORD_FPS))
                    .map_err(encoder)?;
            self.writer = Some((writer, path));
            self.next_slot_ms = timestamp_ms;
        }
        let Some((writer, _)) = self.writer.as_mut() else {
            return Ok(());
        };
        let settings = writer.settings();
        let mut sized = Mat::default();
        resize(
            image,
            &mut sized,
            Size::new(settings.width as i32, settings.height as i32),
            0.0,
            0.0,
            INTER_AREA,
        )
        .map_err(|e| Status::internal(format!("recording the feed: {e}")))?;
        if let Some(previous) = &self.last {
            while self.next_slot_ms < timestamp_ms {
                writer.write(previous).map_err(encoder)?;
                self.next_slot_ms += 1000.0 / RECORD_FPS;
            }
        }
        self.last = Some(sized);
        Ok(())
    }

    /// The finished file (removed when the returned path is dropped).
    fn finish(mut self) -> Result<tempfile::TempPath, Status> {
        let (mut writer, path) = self
            .writer
            .take()
            .ok_or_else(|| invalid("nothing to record: the feed had no frame"))?;
        if let Some(last) = &self.last {
            writer
                .write(last)
                .map_err(|e| Status::internal(format!("recording the feed: {e}")))?;
        }
        writer
            .finish()
            .map_err(|e| Status::internal(format!("recording the feed: {e}")))?;
        Ok(path)
    }
}
