//! `TrackFrames`: poses of a live feed, one encoded picture at a time.
//!
//! The call runs in lockstep (read a picture, analyse it, answer) on one blocking
//! thread that owns the tracker, so the caller decides what to drop when pictures
//! arrive faster than they are analysed (the session service keeps the latest).

use std::sync::Arc;

use fitvision_proto::v1::track_frames_request::Message;
use fitvision_proto::v1::{EncodedFrame, TrackFramesRequest, TrackFramesResponse};
use fitvision_service_kit::failure::{self, FailureCode};
use fitvision_video::opencv::core::{Mat, Vector};
use fitvision_video::opencv::imgcodecs::{IMREAD_COLOR, imdecode};
use fitvision_video::opencv::prelude::*;
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
    let model = engine.registry().get(options.model_id.as_deref())?;
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
        loop {
            let frame = match runtime.block_on(inbound.message()) {
                Ok(Some(TrackFramesRequest {
                    message: Some(Message::Frame(frame)),
                })) => frame,
                Ok(None) => return,
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
