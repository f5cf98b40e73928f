//! Letterboxing: scale a frame into the model input keeping its aspect ratio, pad the
//! rest with grey (114, as the YOLO models were trained), and map model coordinates
//! back to frame pixels. A [`Focus`] feeds the model only a window of that letterboxed
//! frame: a window aligned to the network's stride holds exactly the pixels the whole
//! input would have there, so what the model sees of a person does not depend on
//! where the window falls.

use fitvision_video::opencv::core::{Mat, Size, ToInputArray};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;

use crate::PoseError;

/// Grey the YOLO family was trained with for padding.
const PAD_VALUE: f32 = 114.0 / 255.0;

/// A window of the frame letterboxed to `long_side` (see [`Letterbox::fitted`]), in
/// that letterbox's input px; position and size are multiples of the stride.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Focus {
    pub long_side: u32,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Geometry of one frame inside the model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// The model input: the window fed to the model.
    pub input_width: u32,
    pub input_height: u32,
    /// Frame px -> letterbox px.
    pub scale: f32,
    /// The scaled frame inside the full letterbox.
    pub pad_left: u32,
    pub pad_top: u32,
    pub scaled_width: u32,
    pub scaled_height: u32,
    /// The full letterbox, of which the input is the window at (`window_x`, `window_y`).
    pub full_width: u32,
    pub full_height: u32,
    pub window_x: u32,
    pub window_y: u32,
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

    /// For dynamic-shape models: only `focus`'s window of the frame letterboxed to its
    /// long side. Far fewer pixels than the whole frame when the people are in a part
    /// of it. The window is clamped to the letterbox.
    pub fn focused(frame_width: u32, frame_height: u32, focus: Focus, stride: u32) -> Self {
        let full = Self::fitted(frame_width, frame_height, focus.long_side, stride);
        let window_x = focus.x.min(full.full_width - stride.min(full.full_width));
        let window_y = focus.y.min(full.full_height - stride.min(full.full_height));
        Self {
            input_width: focus.width.clamp(1, full.full_width - window_x),
            input_height: focus.height.clamp(1, full.full_height - window_y),
            window_x,
            window_y,
            ..full
        }
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
            full_width: input_width,
            full_height: input_height,
            window_x: 0,
            window_y: 0,
        }
    }

    /// Whether the model sees the whole letterbox, not a window of it.
    pub fn is_whole(&self) -> bool {
        self.window_x == 0
            && self.window_y == 0
            && self.input_width == self.full_width
            && self.input_height == self.full_height
    }

    /// The input window in frame px (x1, y1, x2, y2), clipped to the frame.
    pub fn window_in_frame(&self) -> (f32, f32, f32, f32) {
        let (x1, y1) = self.to_frame(0.0, 0.0);
        let (x2, y2) = self.to_frame(self.input_width as f32, self.input_height as f32);
        let (width, height) = (
            self.scaled_width as f32 / self.scale,
            self.scaled_height as f32 / self.scale,
        );
        (
            x1.clamp(0.0, width),
            y1.clamp(0.0, height),
            x2.clamp(0.0, width),
            y2.clamp(0.0, height),
        )
    }

    /// Model input px -> frame px.
    pub fn to_frame(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x + self.window_x as f32 - self.pad_left as f32) / self.scale,
            (y + self.window_y as f32 - self.pad_top as f32) / self.scale,
        )
    }

    /// Resizes `frame` (8-bit BGR) and writes the input window of it as a normalised
    /// RGB CHW tensor.
    pub fn tensor(&self, frame: &impl ToInputArray) -> Result<Vec<f32>, PoseError> {
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
        // Read from the whole scaled frame, so a window sees the whole input's pixels.
        let lut = exposure_lut(bytes);
        let (width, height) = (self.input_width as usize, self.input_height as usize);
        let plane = width * height;
        let mut tensor = vec![PAD_VALUE; 3 * plane];
        let (red, rest) = tensor.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        // The window's columns that hold image (the rest stays padding), as image
        // columns and as input columns.
        let image_x1 = (self.window_x as usize).saturating_sub(self.pad_left as usize);
        let image_x2 = (self.window_x as usize + width)
            .saturating_sub(self.pad_left as usize)
            .min(self.scaled_width as usize);
        if image_x1 >= image_x2 {
            return Ok(tensor);
        }
        let input_x1 = self.pad_left as usize + image_x1 - self.window_x as usize;
        let row_bytes = self.scaled_width as usize * 3;
        for input_row in 0..height {
            let letterbox_row = input_row + self.window_y as usize;
            let Some(image_row) = letterbox_row.checked_sub(self.pad_top as usize) else {
                continue;
            };
            if image_row >= self.scaled_height as usize {
                break;
            }
            let pixels =
                &bytes[image_row * row_bytes + image_x1 * 3..image_row * row_bytes + image_x2 * 3];
            let offset = input_row * width + input_x1;
            let count = image_x2 - image_x1;
            let (red, green, blue) = (
                &mut red[offset..offset + count],
                &mut green[offset..offset + count],
                &mut blue[offset..offset + count],
            );
            for (column, bgr) in pixels.chunks_exact(3).enumerate() {
                blue[column] = lut[usize::from(bgr[0])];
                green[column] = lut[usize::from(bgr[1])];
                red[column] = lut[usize::from(bgr[2])];
            }
        }
        Ok(tensor)
    }
}

/// The brightness (HSV value, the brightest channel) that the 99th-percentile pixel of a
/// frame must reach, as a share of full scale: YOLO pose models are trained with value
/// gains of 0.6-1.4 on ordinary photos, so a frame darker than this (a dim gym, a phone
/// at night) lies outside what the model has seen, and it loses joints.
const EXPOSED_P99_VALUE: f32 = 0.75 * 255.0;
/// The most gain applied: beyond it the sensor noise drowns the picture anyway.
const MAX_EXPOSURE_GAIN: f32 = 3.0;
/// Pixels sampled for the brightness histogram (every n-th).
const EXPOSURE_SAMPLE_STEP: usize = 4;

/// Byte -> model input value, with the gain an auto-exposure would apply to an
/// under-exposed frame (identity for a well-exposed one). The gain is continuous in the
/// frame's brightness, so consecutive frames of one scene get nearly the same gain.
fn exposure_lut(bgr: &[u8]) -> [f32; 256] {
    let mut histogram = [0_u32; 256];
    let mut samples = 0_u32;
    for pixel in bgr.chunks_exact(3).step_by(EXPOSURE_SAMPLE_STEP) {
        histogram[usize::from(pixel[0].max(pixel[1]).max(pixel[2]))] += 1;
        samples += 1;
    }
    let mut gain = 1.0_f32;
    if samples > 0 {
        let wanted = samples - samples / 100;
        let mut seen = 0;
        let p99 = histogram
            .iter()
            .position(|&count| {
                seen += count;
                seen >= wanted
            })
            .unwrap_or(255) as f32;
        gain = (EXPOSED_P99_VALUE / p99.max(1.0)).clamp(1.0, MAX_EXPOSURE_GAIN);
    }
    std::array::from_fn(|v| (v as f32 * gain).min(255.0) / 255.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_video::opencv::core::{CV_8UC3, Rect, Scalar};

    /// Pixels (BGR) of a ramp from 0 to `top`, forty pixels per level.
    fn ramp(top: u8) -> Vec<u8> {
        (0..=top)
            .flat_map(|v| std::iter::repeat_n([v, v / 2, v], 40))
            .flatten()
            .collect()
    }

    #[test]
    fn a_well_exposed_frame_is_fed_unchanged() {
        let lut = exposure_lut(&ramp(255));
        for (v, value) in lut.iter().enumerate() {
            assert_eq!(*value, v as f32 / 255.0);
        }
    }

    #[test]
    fn a_dark_frame_is_brought_to_the_exposure_the_model_was_trained_on() {
        // A ramp to 80 (a third of full scale, as a dim room): its brightest pixels
        // are lifted to 0.75 of full scale (the 99th percentile, a level below the
        // top, exactly); black stays black.
        let lut = exposure_lut(&ramp(80));
        assert_eq!(lut[0], 0.0);
        let top = lut[80] * 255.0;
        assert!(
            (EXPOSED_P99_VALUE..EXPOSED_P99_VALUE * 80.0 / 78.0).contains(&top),
            "{top}"
        );
        // Nearly black: the gain stops at its limit rather than amplifying noise.
        let lut = exposure_lut(&ramp(20));
        assert!((lut[19] - 19.0 * MAX_EXPOSURE_GAIN / 255.0).abs() < 1e-6);
    }

    #[test]
    fn the_gain_changes_smoothly_with_the_brightness() {
        // Two frames a level apart around the threshold get nearly the same input.
        let (below, above) = (exposure_lut(&ramp(190)), exposure_lut(&ramp(192)));
        for (v, (b, a)) in below.iter().zip(&above).enumerate() {
            assert!((b - a).abs() <= 0.015, "level {v}");
        }
    }

    #[test]
    fn fitted_rounds_to_stride_and_keeps_aspect() {
        let letterbox = Letterbox::fitted(1920, 1080, 640, 32);
        assert_eq!((letterbox.input_width, letterbox.input_height), (640, 384));
        assert_eq!(
            (letterbox.scaled_width, letterbox.scaled_height),
            (640, 360)
        );
        assert_eq!((letterbox.pad_left, letterbox.pad_top), (0, 12));
        assert!(letterbox.is_whole());
        let portrait = Letterbox::fitted(202, 360, 640, 32);
        assert_eq!((portrait.input_width, portrait.input_height), (384, 640));
    }

    #[test]
    fn focused_maps_window_input_back_to_frame() {
        // 1920x1080 at long side 640: scale 1/3, pad_top 12. Window at (256, 64).
        let focus = Focus {
            long_side: 640,
            x: 256,
            y: 64,
            width: 160,
            height: 320,
        };
        let letterbox = Letterbox::focused(1920, 1080, focus, 32);
        assert_eq!((letterbox.input_width, letterbox.input_height), (160, 320));
        assert!(!letterbox.is_whole());
        let (x, y) = letterbox.to_frame(0.0, 0.0);
        assert!((x - 768.0).abs() < 1e-3 && (y - 156.0).abs() < 1e-3);
        let (x1, y1, x2, y2) = letterbox.window_in_frame();
        assert!((x1 - 768.0).abs() < 1e-3 && (y1 - 156.0).abs() < 1e-3);
        assert!((x2 - 1248.0).abs() < 1e-3 && (y2 - 1080.0).abs() < 1e-3);
        // A window reaching past the letterbox is clamped to it.
        let beyond = Focus {
            long_side: 640,
            x: 600,
            y: 0,
            width: 160,
            height: 384,
        };
        let clamped = Letterbox::focused(1920, 1080, beyond, 32);
        assert_eq!((clamped.window_x, clamped.input_width), (600, 40));
    }

    #[test]
    fn a_window_holds_exactly_the_whole_inputs_pixels_there() -> Result<(), PoseError> {
        // Left half blue, right half red (BGR); 64x20 into a 64x24 letterbox (stride
        // 8): 2 rows of padding above and below the image.
        let mut frame =
            Mat::new_rows_cols_with_default(20, 64, CV_8UC3, Scalar::new(255.0, 0.0, 0.0, 0.0))?;
        frame
            .roi_mut(Rect::new(32, 0, 32, 20))?
            .set_to(&Scalar::new(0.0, 0.0, 255.0, 0.0), &Mat::default())?;
        let whole = Letterbox::fitted(64, 20, 64, 8);
        assert_eq!(
            (whole.full_width, whole.full_height, whole.pad_top),
            (64, 24, 2)
        );
        let whole_tensor = whole.tensor(&frame)?;
        let focus = Focus {
            long_side: 64,
            x: 24,
            y: 8,
            width: 16,
            height: 16,
        };
        let window = Letterbox::focused(64, 20, focus, 8);
        let window_tensor = window.tensor(&frame)?;
        for channel in 0..3 {
            for y in 0..16 {
                for x in 0..16 {
                    assert_eq!(
                        window_tensor[channel * 256 + y * 16 + x],
                        whole_tensor[channel * 64 * 24 + (y + 8) * 64 + x + 24],
                        "channel {channel} at ({x}, {y})"
                    );
                }
            }
        }
        // The window's last two rows are the bottom padding; its left half is blue and
        // its right half red.
        assert_eq!(window_tensor[2 * 256 + 15 * 16], PAD_VALUE);
        assert_eq!(window_tensor[2 * 256], 1.0);
        assert_eq!(window_tensor[15], 1.0);
        Ok(())
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
