//! A live client of `GET /live`: plays a real clip as a phone camera would (JPEG
//! frames at a chosen rate, sent at the clip's own pace) and records what comes
//! back, with the delay from sending the frame that ends each rep to its `rep`
//! event. Used by the live-counting test and the latency benchmark.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fitvision_video::opencv::core::{Size, Vector};
use fitvision_video::opencv::imgcodecs::{IMWRITE_JPEG_QUALITY, imencode};
use fitvision_video::opencv::imgproc::{INTER_AREA, resize};
use fitvision_video::opencv::prelude::*;
use fitvision_video::{SampledFrame, VideoDecoder};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// One encoded camera frame.
pub struct CameraFrame {
    pub timestamp_ms: f64,
    pub jpeg: Vec<u8>,
}

/// The clip's frames at about `fps`, scaled so the long side is `long_side_px`,
/// as JPEG (quality 80, what browsers' canvas encoders default near).
pub fn camera_frames(clip: &Path, fps: f64, long_side_px: i32) -> anyhow::Result<Vec<CameraFrame>> {
    let mut decoder = VideoDecoder::open(clip)?;
    let period_ms = 1000.0 / fps;
    let mut next_due = 0.0;
    let mut frames = Vec::new();
    while let Some(next) = decoder.next_sampled(|_, timestamp_ms| {
        let keep = timestamp_ms + 0.5 >= next_due;
        if keep {
            next_due = (next_due + period_ms).max(timestamp_ms + 0.5 * period_ms);
        }
        keep
    }) {
        let SampledFrame::Kept(frame) = next? else {
            continue;
        };
        let (width, height) = (frame.image.cols(), frame.image.rows());
        let scale = f64::from(long_side_px) / f64::from(width.max(height));
        let mut scaled = fitvision_video::opencv::core::Mat::default();
        resize(
            &frame.image,
            &mut scaled,
            Size::new(
                (f64::from(width) * scale).round() as i32,
                (f64::from(height) * scale).round() as i32,
            ),
            0.0,
            0.0,
            INTER_AREA,
        )?;
        let mut jpeg = Vector::<u8>::new();
        imencode(
            ".jpg",
            &scaled,
            &mut jpeg,
            &Vector::from_slice(&[IMWRITE_JPEG_QUALITY, 80]),
        )?;
        frames.push(CameraFrame {
            timestamp_ms: frame.timestamp_ms,
            jpeg: jpeg.to_vec(),
        });
    }
    Ok(frames)
}

/// How a live set went, as the client saw it.
#[derive(Debug, Default)]
pub struct LiveOutcome {
    /// `rep` events in arrival order.
    pub reps: Vec<Value>,
    pub cues: Vec<Value>,
    pub poses: usize,
    pub statuses: Vec<Value>,
    pub summary: Option<Value>,
    pub error: Option<Value>,
    /// Per rep: ms from sending the frame that ends it to receiving its event.
    pub rep_latencies_ms: Vec<f64>,
}

/// Where to stream and as whom.
pub struct LiveTarget<'a> {
    pub edge_url: &'a str,
    /// `Authorization` header value, or `None` with a `?token=` in `query`.
    pub authorization: Option<&'a str>,
    /// Query after `/live?`, e.g. `activity=squat`.
    pub query: &'a str,
}

/// Streams `frames` at their own pace (`real_pace`) or as fast as the socket
/// takes them, ends the set, and collects the events until the socket closes.
pub async fn stream_set(
    target: &LiveTarget<'_>,
    frames: &[CameraFrame],
    real_pace: bool,
) -> anyhow::Result<LiveOutcome> {
    let url = format!(
        "{}/live?{}",
        target.edge_url.replacen("http", "ws", 1),
        target.query
    );
    let mut request = url.into_client_request()?;
    if let Some(authorization) = target.authorization {
        request
            .headers_mut()
            .insert("authorization", authorization.parse()?);
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("opening the live socket")?;
    let (mut sink, mut events) = socket.split();
    let started = Instant::now();
    let base_ms = frames.first().map_or(0.0, |f| f.timestamp_ms);
    // Capture timestamps as sent (whole ms, as the protocol carries them).
    let stamped: Vec<(u64, Vec<u8>, f64)> = frames
        .iter()
        .map(|f| {
            let stamp = (1_000_000.0 + f.timestamp_ms).round() as u64;
            let mut message = stamp.to_le_bytes().to_vec();
            message.extend_from_slice(&f.jpeg);
            (stamp, message, f.timestamp_ms - base_ms)
        })
        .collect();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let sender = tokio::spawn(async move {
        for (stamp, message, offset_ms) in stamped {
            if real_pace {
                let due = started + Duration::from_secs_f64(offset_ms / 1000.0);
                tokio::time::sleep_until(due.into()).await;
            }
            sink.send(Message::Binary(message.into())).await?;
            let _ = sent_tx.send((stamp, Instant::now()));
        }
        sink.send(Message::Text(r#"{"type":"end"}"#.into())).await?;
        anyhow::Ok(sink)
    });
    let mut outcome = LiveOutcome::default();
    let mut sent_at: BTreeMap<u64, Instant> = BTreeMap::new();
    while let Some(message) = events.next().await {
        let text = match message? {
            Message::Text(text) => text.to_string(),
            Message::Close(_) => break,
            _ => continue,
        };
        let received = Instant::now();
        while let Ok((stamp, at)) = sent_rx.try_recv() {
            sent_at.insert(stamp, at);
        }
        let event: Value = serde_json::from_str(&text)?;
        match event["type"].as_str().unwrap_or_default() {
            "pose" => outcome.poses += 1,
            "status" => outcome.statuses.push(event),
            "cue" => outcome.cues.push(event),
            "rep" => {
                let end = event["end_ms"].as_f64().unwrap_or_default().round() as u64;
                // The last frame sent at or before the rep's end is the one that ends it.
                if let Some((_, at)) = sent_at.range(..=end).next_back() {
                    outcome
                        .rep_latencies_ms
                        .push(received.duration_since(*at).as_secs_f64() * 1000.0);
                }
                outcome.reps.push(event);
            }
            "summary" => outcome.summary = Some(event),
            "error" => outcome.error = Some(event),
            other => bail!("unexpected live event type '{other}'"),
        }
    }
    let _ = sender.await.context("sender task")?;
    Ok(outcome)
}

/// Median and 95th percentile of `values` (`None` when empty).
pub fn median_and_p95(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    Some((at(0.5), at(0.95)))
}
