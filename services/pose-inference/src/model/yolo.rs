//! Ultralytics YOLO pose models exported to ONNX (family `yolo-pose`).
//!
//! Output `[1, 4 + 1 + 3K, anchors]`: box centre/size in input pixels, person score
//! (already sigmoid), then K keypoints as (x, y, score) with the score already sigmoid.

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use fitvision_video::opencv::core::Mat;
use fitvision_video::opencv::prelude::*;
use ort::session::Session;
use ort::value::Tensor;

use super::session::SessionOptions;
use super::{FrameMemory, InferenceOutput, ModelInfo, PoseModel, PreparedInput};
use crate::PoseError;
use crate::geometry::{Detection, PixelBox, PixelKeypoint, non_maximum_suppression};
use crate::letterbox::{Focus, Letterbox};

/// Ultralytics' prediction defaults: what the model's accuracy figures assume.
const DEFAULT_CONFIDENCE: f32 = 0.25;
const NMS_IOU: f32 = 0.7;
const MAX_DETECTIONS: usize = 100;
/// The network downsamples by 32; dynamic inputs must be multiples of it.
const STRIDE: u32 = 32;

pub struct YoloPose {
    info: ModelInfo,
    session: Mutex<Session>,
    input_name: String,
    dynamic_long_side: u32,
}

impl YoloPose {
    pub fn load(
        environment: &ort::environment::Environment,
        info: ModelInfo,
        model_path: &Path,
        options: &SessionOptions,
    ) -> Result<Self, PoseError> {
        let session = super::session::build(environment, &info.id, model_path, options)?;
        let input_name = session
            .inputs()
            .first()
            .map(|input| input.name().to_owned())
            .ok_or_else(|| PoseError::ModelLoad {
                model_id: info.id.clone(),
                reason: "model has no input".to_owned(),
            })?;
        Ok(Self {
            info,
            session: Mutex::new(session),
            input_name,
            dynamic_long_side: options.dynamic_long_side.max(STRIDE),
        })
    }

    fn letterbox_for(
        &self,
        frame_width: u32,
        frame_height: u32,
        focus: Option<Focus>,
    ) -> Letterbox {
        if self.info.dynamic_shape {
            match focus {
                Some(focus) => Letterbox::focused(frame_width, frame_height, focus, STRIDE),
                None => {
                    Letterbox::fitted(frame_width, frame_height, self.dynamic_long_side, STRIDE)
                }
            }
        } else {
            Letterbox::fixed(
                frame_width,
                frame_height,
                self.info.input_width,
                self.info.input_height,
            )
        }
    }
}

impl PoseModel for YoloPose {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn default_confidence(&self) -> f32 {
        DEFAULT_CONFIDENCE
    }

    fn whole_frame_long_side(&self) -> Option<u32> {
        self.info.dynamic_shape.then_some(self.dynamic_long_side)
    }

    fn input_stride(&self) -> u32 {
        STRIDE
    }

    fn prepare<'f>(
        &self,
        frame: &'f Mat,
        focus: Option<Focus>,
    ) -> Result<PreparedInput<'f>, PoseError> {
        let (frame_width, frame_height) = (frame.cols() as u32, frame.rows() as u32);
        let letterbox = self.letterbox_for(frame_width, frame_height, focus);
        Ok(PreparedInput {
            tensor: letterbox.tensor(frame)?,
            frame: None,
            letterbox,
            frame_width,
            frame_height,
        })
    }

    fn infer(
        &self,
        input: PreparedInput<'_>,
        min_confidence: f32,
        _memory: &mut FrameMemory,
    ) -> Result<InferenceOutput, PoseError> {
        let started = Instant::now();
        let shape = [
            1_usize,
            3,
            input.letterbox.input_height as usize,
            input.letterbox.input_width as usize,
        ];
        let tensor = Tensor::from_array((shape, input.tensor))?;
        let mut session = self.session.lock().map_err(|_| {
            PoseError::Inference("model session poisoned by an earlier panic".to_owned())
        })?;
        let outputs = session.run(ort::inputs![self.input_name.as_str() => tensor])?;
        let (output_shape, values) = outputs[0].try_extract_tensor::<f32>()?;
        let inference_ms = started.elapsed().as_secs_f64() * 1000.0;

        let started = Instant::now();
        let channels = 5 + 3 * self.info.keypoint_count;
        let dims: Vec<i64> = output_shape.iter().copied().collect();
        if dims.len() != 3 || dims[1] as usize != channels {
            return Err(PoseError::Inference(format!(
                "unexpected output shape {dims:?}, expected [1, {channels}, anchors]"
            )));
        }
        let detections = decode_output(
            values,
            dims[2] as usize,
            self.info.keypoint_count,
            min_confidence,
            &input.letterbox,
            (input.frame_width as f32, input.frame_height as f32),
        );
        Ok(InferenceOutput {
            detections,
            inference_ms,
            postprocess_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// Decodes the channel-major output into frame-pixel detections, then NMS.
fn decode_output(
    values: &[f32],
    anchors: usize,
    keypoint_count: usize,
    min_confidence: f32,
    letterbox: &Letterbox,
    (frame_width, frame_height): (f32, f32),
) -> Vec<Detection> {
    let channel = |index: usize| &values[index * anchors..(index + 1) * anchors];
    let scores = channel(4);
    let candidates = scores
        .iter()
        .enumerate()
        .filter(|(_, score)| **score >= min_confidence)
        .map(|(anchor, &score)| {
            let at = |index: usize| channel(index)[anchor];
            let (cx, cy) = letterbox.to_frame(at(0), at(1));
            let (width, height) = (at(2) / letterbox.scale, at(3) / letterbox.scale);
            let keypoints = (0..keypoint_count)
                .map(|k| {
                    let (x, y) = letterbox.to_frame(at(5 + 3 * k), at(6 + 3 * k));
                    PixelKeypoint {
                        x: x.clamp(0.0, frame_width),
                        y: y.clamp(0.0, frame_height),
                        score: at(7 + 3 * k),
                    }
                })
                .collect();
            Detection {
                bbox: PixelBox::from_centre(cx, cy, width, height)
                    .clamped(frame_width, frame_height),
                score,
                keypoints,
            }
        })
        .collect();
    non_maximum_suppression(candidates, NMS_IOU, MAX_DETECTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_channel_major_output_into_frame_pixels() {
        // Two anchors, one keypoint: anchor 0 is a person, anchor 1 is below threshold.
        let anchors = 2;
        let rows: [[f32; 2]; 8] = [
            [320.0, 10.0], // cx
            [320.0, 10.0], // cy
            [100.0, 5.0],  // w
            [200.0, 5.0],  // h
            [0.9, 0.1],    // score
            [330.0, 0.0],  // kp x
            [300.0, 0.0],  // kp y
            [0.8, 0.0],    // kp score
        ];
        let values: Vec<f32> = rows.iter().flatten().copied().collect();
        // 1280x720 frame into 640x640: scale 0.5, pad_top 140.
        let letterbox = Letterbox::fixed(1280, 720, 640, 640);
        let detections = decode_output(&values, anchors, 1, 0.25, &letterbox, (1280.0, 720.0));
        assert_eq!(detections.len(), 1);
        let person = &detections[0];
        assert_eq!(person.score, 0.9);
        assert_eq!(
            person.bbox,
            PixelBox {
                x1: 540.0,
                y1: 160.0,
                x2: 740.0,
                y2: 560.0
            }
        );
        assert_eq!(
            person.keypoints[0],
            PixelKeypoint {
                x: 660.0,
                y: 320.0,
                score: 0.8
            }
        );
    }
}
