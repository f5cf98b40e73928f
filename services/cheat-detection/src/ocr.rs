//! Text detection with the vendored PP-OCRv4 detector (a DB segmentation network) on
//! ONNX Runtime. Only *where* text is matters to the checks, so only the detector runs:
//! image -> text probability map -> connected regions -> boxes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fitvision_video::opencv::core::{self as cv, Mat, Point, Size};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;

use crate::error::CheckError;

/// Manifest of the vendored detector, relative to the models directory.
pub const DETECTOR_MANIFEST: &str = "ppocr-v4/ppocr-v4-det.toml";

/// One detected text region, normalised to the image (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Mean text probability inside the region.
    pub score: f32,
}

impl TextBox {
    pub fn area(&self) -> f32 {
        self.w * self.h
    }

    /// The smallest box holding both (its score is this one's).
    pub fn union(&self, other: &TextBox) -> TextBox {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        TextBox {
            x,
            y,
            w: (self.x + self.w).max(other.x + other.w) - x,
            h: (self.y + self.h).max(other.y + other.h) - y,
            score: self.score,
        }
    }

    /// Whether the segment from `a` to `b` (in the box's units) passes through the box
    /// (Liang-Barsky clipping).
    pub fn crossed_by(&self, (a, b): ((f32, f32), (f32, f32))) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut enter, mut leave) = (0.0_f32, 1.0_f32);
        for (p, q) in [
            (-dx, a.0 - self.x),
            (dx, self.x + self.w - a.0),
            (-dy, a.1 - self.y),
            (dy, self.y + self.h - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    enter = enter.max(t);
                } else {
                    leave = leave.min(t);
                }
            }
        }
        enter <= leave
    }

    pub fn iou(&self, other: &TextBox) -> f32 {
        let ix = (self.x + self.w).min(other.x + other.w) - self.x.max(other.x);
        let iy = (self.y + self.h).min(other.y + other.h) - self.y.max(other.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.area() + other.area() - inter)
    }
}

/// The model manifest written by models/vendor_ppocr.sh.
#[derive(Debug, Deserialize)]
struct Manifest {
    id: String,
    file: String,
    sha256: String,
    mean: [f32; 3],
    std: [f32; 3],
}

/// DB post-processing thresholds (RapidOCR's defaults for this model).
#[derive(Debug, Clone)]
pub struct DetectorParams {
    /// Pixel is text above this probability.
    pub pixel_threshold: f32,
    /// A region is text when its mean probability is at least this.
    pub box_threshold: f32,
    /// DB predicts shrunk regions; grow them back by area * ratio / perimeter.
    pub unclip_ratio: f32,
    /// Regions thinner than this many detector pixels are noise.
    pub min_side_px: i32,
    /// Regions taller than this share of the image are not a text line.
    pub max_height_share: f64,
    /// Regions narrower than this times their height are not horizontal text.
    pub min_aspect: f64,
}

impl Default for DetectorParams {
    fn default() -> Self {
        Self {
            pixel_threshold: 0.3,
            box_threshold: 0.5,
            unclip_ratio: 1.6,
            min_side_px: 4,
            max_height_share: 0.25,
            min_aspect: 0.3,
        }
    }
}

pub struct TextDetector {
    session: Mutex<Session>,
    mean: [f32; 3],
    std: [f32; 3],
    params: DetectorParams,
    pub model_id: String,
}

impl TextDetector {
    /// Loads the detector described by `models_dir/ppocr-v4/ppocr-v4-det.toml`, verifying
    /// the model file's sha256 against the manifest.
    pub fn load(models_dir: &Path, threads: usize) -> Result<Self, CheckError> {
        let manifest_path = models_dir.join(DETECTOR_MANIFEST);
        let model_err = |path: &PathBuf, message: String| CheckError::Model {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| model_err(&manifest_path, e.to_string()))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| model_err(&manifest_path, e.to_string()))?;
        let model_path = manifest_path
            .parent()
            .unwrap_or(models_dir)
            .join(&manifest.file);
        let bytes =
            std::fs::read(&model_path).map_err(|e| model_err(&model_path, e.to_string()))?;
        let digest = sha256_hex(&bytes);
        if digest != manifest.sha256 {
            return Err(model_err(
                &model_path,
                format!(
                    "sha256 {digest} does not match the manifest's {}",
                    manifest.sha256
                ),
            ));
        }
        // One ONNX Runtime environment per process (an ort rule): the one pose-inference
        // shares too, so both services can live in the all-in-one binary.
        let env = fitvision_onnx::environment(&fitvision_onnx::dylib_path(None))
            .map_err(|e| model_err(&model_path, e.to_string()))?;
        let ort_err = |e: &dyn std::fmt::Display| model_err(&model_path, e.to_string());
        // Without ONNX Runtime's arena: text is looked for in a few pictures per
        // video, and the arena kept the largest run's activations (two 33.6 MB blocks,
        // heaptrack with 4 analyses in flight) for the life of the process.
        let mut builder = Session::builder(env)
            .map_err(|e| ort_err(&e))?
            .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(false).build()])
            .map_err(|e| ort_err(&e))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| ort_err(&e))?;
        let session = builder
            .commit_from_memory(&bytes)
            .map_err(|e| ort_err(&e))?;
        Ok(Self {
            session: Mutex::new(session),
            mean: manifest.mean,
            std: manifest.std,
            params: DetectorParams::default(),
            model_id: manifest.id,
        })
    }

    /// Text regions in a BGR image (any size; it is resized to multiples of 32).
    pub fn detect(&self, bgr: &Mat) -> Result<Vec<TextBox>, CheckError> {
        let size = bgr.size()?;
        let round32 = |v: i32| ((v + 16) / 32 * 32).max(32);
        let (w, h) = (round32(size.width), round32(size.height));
        let mut resized = Mat::default();
        imgproc::resize(
            bgr,
            &mut resized,
            Size::new(w, h),
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
        let (wu, hu) = (w as usize, h as usize);
        let mut input = vec![0f32; 3 * wu * hu];
        for (i, px) in bytes.chunks_exact(3).enumerate() {
            for c in 0..3 {
                input[c * wu * hu + i] = (f32::from(px[c]) / 255.0 - self.mean[c]) / self.std[c];
            }
        }
        let tensor = Tensor::from_array(([1usize, 3, hu, wu], input))
            .map_err(|e| CheckError::Inference(e.to_string()))?;
        let prob: Vec<f32> = {
            let mut session = self.session.lock().map_err(|_| {
                CheckError::Inference("detector session poisoned by a panic".into())
            })?;
            let outputs = session
                .run(ort::inputs![tensor])
                .map_err(|e| CheckError::Inference(e.to_string()))?;
            let (shape, data) = outputs[0]
                .try_extract_tensor::<f32>()
                .map_err(|e| CheckError::Inference(e.to_string()))?;
            if shape.iter().product::<i64>() != (wu * hu) as i64 {
                return Err(CheckError::Inference(format!(
                    "unexpected output shape {shape:?}"
                )));
            }
            data.to_vec()
        };
        boxes_from_probability(&prob, w, h, &self.params)
    }
}

/// DB post-processing: threshold, dilate, connected regions, score, unclip, normalise.
pub fn boxes_from_probability(
    prob: &[f32],
    w: i32,
    h: i32,
    params: &DetectorParams,
) -> Result<Vec<TextBox>, CheckError> {
    let mut mask = Mat::new_rows_cols_with_default(h, w, cv::CV_8UC1, cv::Scalar::all(0.0))?;
    {
        let data = mask.data_bytes_mut()?;
        for (m, &p) in data.iter_mut().zip(prob) {
            *m = if p > params.pixel_threshold { 255 } else { 0 };
        }
    }
    let kernel =
        imgproc::get_structuring_element(imgproc::MORPH_RECT, Size::new(2, 2), Point::new(-1, -1))?;
    let mut dilated = Mat::default();
    imgproc::dilate(
        &mask,
        &mut dilated,
        &kernel,
        Point::new(-1, -1),
        1,
        cv::BORDER_CONSTANT,
        imgproc::morphology_default_border_value()?,
    )?;
    let mut labels = Mat::default();
    let mut stats = Mat::default();
    let mut centroids = Mat::default();
    let n = imgproc::connected_components_with_stats(
        &dilated,
        &mut labels,
        &mut stats,
        &mut centroids,
        8,
        cv::CV_32S,
    )?;
    let label_data: &[i32] = labels.data_typed()?;
    let mut boxes = Vec::new();
    for label in 1..n {
        let x = *stats.at_2d::<i32>(label, imgproc::CC_STAT_LEFT)?;
        let y = *stats.at_2d::<i32>(label, imgproc::CC_STAT_TOP)?;
        let bw = *stats.at_2d::<i32>(label, imgproc::CC_STAT_WIDTH)?;
        let bh = *stats.at_2d::<i32>(label, imgproc::CC_STAT_HEIGHT)?;
        // Too thin, taller than any text line, or a vertical strip: not text we care about
        // (DB fires on striped clothing and railings).
        if bw.min(bh) < params.min_side_px
            || f64::from(bh) > params.max_height_share * f64::from(h)
            || f64::from(bw) < params.min_aspect * f64::from(bh)
        {
            continue;
        }
        let mut sum = 0.0f32;
        let mut count = 0usize;
        for row in y..y + bh {
            let start = (row * w + x) as usize;
            for (offset, &l) in label_data[start..start + bw as usize].iter().enumerate() {
                if l == label {
                    sum += prob[start + offset];
                    count += 1;
                }
            }
        }
        let score = if count == 0 { 0.0 } else { sum / count as f32 };
        if score < params.box_threshold {
            continue;
        }
        let (fw, fh) = (bw as f32, bh as f32);
        let grow = fw * fh * params.unclip_ratio / (2.0 * (fw + fh));
        let x0 = (x as f32 - grow).max(0.0);
        let y0 = (y as f32 - grow).max(0.0);
        let x1 = (x as f32 + fw + grow).min(w as f32);
        let y1 = (y as f32 + fh + grow).min(h as f32);
        boxes.push(TextBox {
            x: x0 / w as f32,
            y: y0 / h as f32,
            w: (x1 - x0) / w as f32,
            h: (y1 - y0) / h as f32,
            score,
        });
    }
    Ok(boxes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_line_in_the_probability_map_gives_one_unclipped_box() {
        let (w, h) = (64, 32);
        let mut prob = vec![0.0f32; (w * h) as usize];
        // A 20 x 6 text core at (10, 10) with probability 0.9.
        for y in 10..16 {
            for x in 10..30 {
                prob[(y * w + x) as usize] = 0.9;
            }
        }
        let boxes = boxes_from_probability(&prob, w, h, &DetectorParams::default()).unwrap();
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        // Mean over the dilated 21x7 region: 120 core pixels at 0.9, 27 ring pixels at 0.
        assert!((b.score - 0.9 * 120.0 / 147.0).abs() < 1e-4, "{}", b.score);
        // Dilated to 21x7, grown by 21*7*1.6/(2*28) = 4.2 px each side.
        assert!((b.x * w as f32 - (10.0 - 4.2)).abs() < 0.6, "{b:?}");
        assert!((b.w * w as f32 - (21.0 + 8.4)).abs() < 0.6, "{b:?}");
    }

    #[test]
    fn faint_or_tiny_regions_are_dropped() {
        let (w, h) = (64, 32);
        let mut prob = vec![0.0f32; (w * h) as usize];
        for y in 2..10 {
            for x in 2..20 {
                prob[(y * w + x) as usize] = 0.4; // above pixel threshold, below box threshold
            }
        }
        prob[(20 * w + 40) as usize] = 0.99; // a single hot pixel
        assert!(
            boxes_from_probability(&prob, w, h, &DetectorParams::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn iou_of_boxes() {
        let a = TextBox {
            x: 0.0,
            y: 0.0,
            w: 0.2,
            h: 0.1,
            score: 1.0,
        };
        let b = TextBox {
            x: 0.1,
            y: 0.0,
            w: 0.2,
            h: 0.1,
            score: 1.0,
        };
        assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
    }
}
