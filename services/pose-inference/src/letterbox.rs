//! Letterboxing: scale a frame into the model input keeping its aspect ratio, pad the
//! rest with grey (114, as the YOLO models were trained), and map model coordinates back.

use fitvision_video::opencv::core::{Mat, Size};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;

use crate::PoseError;

/// Grey the YOLO family was trained with for padding.
const PAD_VALUE: f32 = 114.0 / 255.0;

/// Geometry of one frame inside the model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    pub input_width: u32,
    pub input_height: u32,
    /// Frame px -> input px.
    pub scale: f32,
    pub pad_left: u32,
    pub pad_top: u32,
    pub scaled_width: u32,
    pub scaled_height: u32,
}

impl Letterbox {
    /// Into a fixed `input_width` x `input_height`, centred.
    pub fn fixed(frame_width: u32, frame_height: u32, input_width: u32, input_height: u32) -> Self {
        let scale = (input_width as f32 / frame_width as f32)
            .min(input_height as f32 / frame_height as f32);
        Self::centred(frame_width, frame_height, scale, input_width, input_height)
    }

    /// For dynamic-shape models: the long side becomes `long_side`, each input side is the
    /// scaled side rounded up to `stride`, so a 16:9 frame costs 640x384, not 640x640.
    pub fn fitted(frame_width: u32, frame_height: u32, long_side: u32, stride: u32) -> Self {
        let scale = long_side as f32 / frame_width.max(frame_height) as f32;
        let round_up = |side: u32| {
            let scaled = (side as f32 * scale).round().max(1.0) as u32;
            scaled.div_ceil(stride) * stride
        };
        Self::centred(
            frame_width,
            frame_height,
            scale,
            round_up(frame_width),
            round_up(frame_height),
        )
    }

    fn centred(
        frame_width: u32,
        frame_height: u32,
        scale: f32,
        input_width: u32,
        input_height: u32,
    ) -> Self {
        let scaled_width = ((frame_width as f32 * scale).round() as u32).clamp(1, input_width);
        let scaled_height = ((frame_height as f32 * scale).round() as u32).clamp(1, input_height);
        Self {
            input_width,
            input_height,
            scale,
            pad_left: (input_width - scaled_width) / 2,
            pad_top: (input_height - scaled_height) / 2,
            scaled_width,
            scaled_height,
        }
    }

    /// Model input px -> frame px.
    pub fn to_frame(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.pad_left as f32) / self.scale,
            (y - self.pad_top as f32) / self.scale,
        )
    }

    /// Resizes `frame` (8-bit BGR) and writes it as a normalised RGB CHW tensor.
    pub fn tensor(&self, frame: &Mat) -> Result<Vec<f32>, PoseError> {
        let mut resized = Mat::default();
        imgproc::resize(
            frame,
            &mut resized,
            Size::new(self.scaled_width as i32, self.scaled_height as i32),
            0.0,
            0.0,
            imgproc::INTER_LINEAR,
        )?;
        let resized = if resized.is_continuous() {
            resized
        } else {
            resized.try_clone()?
        };
        let bytes = resized.data_bytes()?;
        let (width, height) = (self.input_width as usize, self.input_height as usize);
        let plane = width * height;
        let mut tensor = vec![PAD_VALUE; 3 * plane];
        let (red, rest) = tensor.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        let scaled_width = self.scaled_width as usize;
        for (row, pixels) in bytes.chunks_exact(scaled_width * 3).enumerate() {
            let offset = (row + self.pad_top as usize) * width + self.pad_left as usize;
            let (red, green, blue) = (
                &mut red[offset..offset + scaled_width],
                &mut green[offset..offset + scaled_width],
                &mut blue[offset..offset + scaled_width],
            );
            for (column, bgr) in pixels.chunks_exact(3).enumerate() {
                blue[column] = f32::from(bgr[0]) / 255.0;
                green[column] = f32::from(bgr[1]) / 255.0;
                red[column] = f32::from(bgr[2]) / 255.0;
            }
        }
        Ok(tensor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_video::opencv::core::{CV_8UC3, Scalar};

    #[test]
    fn fitted_rounds_to_stride_and_keeps_aspect() {
        let letterbox = Letterbox::fitted(1920, 1080, 640, 32);
        assert_eq!((letterbox.input_width, letterbox.input_height), (640, 384));
        assert_eq!(
            (letterbox.scaled_width, letterbox.scaled_height),
            (640, 360)
        );
        assert_eq!((letterbox.pad_left, letterbox.pad_top), (0, 12));
        let portrait = Letterbox::fitted(202, 360, 640, 32);
        assert_eq!((portrait.input_width, portrait.input_height), (384, 640));
    }

    #[test]
    fn fixed_pads_the_short_side() {
        let letterbox = Letterbox::fixed(1280, 720, 640, 640);
        assert_eq!(letterbox.scale, 0.5);
        assert_eq!((letterbox.pad_left, letterbox.pad_top), (0, 140));
    }

    #[test]
    fn round_trip_maps_input_back_to_frame() {
        let letterbox = Letterbox::fixed(1280, 720, 640, 640);
        // Frame point (100, 200) lands at (50, 240) in the input.
        assert_eq!(letterbox.to_frame(50.0, 240.0), (100.0, 200.0));
    }

    #[test]
    fn tensor_is_rgb_chw_with_grey_padding() -> Result<(), PoseError> {
        // Pure blue BGR frame, 4x2 -> 8x8 input: rows 2..6 are image, others padding.
        let frame =
            Mat::new_rows_cols_with_default(2, 4, CV_8UC3, Scalar::new(255.0, 0.0, 0.0, 0.0))?;
        let letterbox = Letterbox::fixed(4, 2, 8, 8);
        assert_eq!((letterbox.pad_top, letterbox.scaled_height), (2, 4));
        let tensor = letterbox.tensor(&frame)?;
        let at = |channel: usize, y: usize, x: usize| tensor[channel * 64 + y * 8 + x];
        assert_eq!(at(0, 0, 0), PAD_VALUE);
        assert_eq!(at(2, 3, 3), 1.0); // blue plane inside the image
        assert_eq!(at(0, 3, 3), 0.0); // red plane inside the image
        assert_eq!(at(2, 7, 7), PAD_VALUE);
        Ok(())
    }
}
