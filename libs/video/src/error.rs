use std::path::PathBuf;

/// Why a video could not be decoded (or encoded). Each variant is a distinct,
/// user-reportable reason; callers map them to gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("video file not found: {0}")]
    NotFound(PathBuf),
    #[error("video file is empty: {0}")]
    Empty(PathBuf),
    #[error("not a decodable video (unknown format, or a truncated/corrupt container): {0}")]
    NotAVideo(PathBuf),
    #[error("video has no decodable frames: {0}")]
    NoFrames(PathBuf),
    #[error(
        "unsupported resolution {width}x{height} (allowed {min}..={max} px per side, at most {max_pixels} pixels)"
    )]
    AbsurdResolution {
        width: u32,
        height: u32,
        min: u32,
        max: u32,
        max_pixels: u64,
    },
    #[error(
        "video is truncated: decoding stopped at {decoded_ms:.0} ms of a declared {declared_ms:.0} ms"
    )]
    Truncated { decoded_ms: f64, declared_ms: f64 },
    #[error("encoder failed: {0}")]
    Encoder(String),
    #[error("colour conversion of a decoded frame failed: {0}")]
    Conversion(String),
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
