//! Streaming video decoding (and H.264 encoding) for fitvision.
//!
//! [`VideoDecoder`] yields one [`DecodedFrame`] at a time, so memory stays bounded by
//! a single frame whatever the clip length. It fixes what real phone videos get wrong
//! or leave implicit: rotation metadata is applied (frames come out as displayed),
//! timestamps come from the decoder (variable frame rate), and the header's frame
//! count is reported but never trusted.
//!
//! [`FrameScanner`] is the light pass for work that looks at every frame but needs
//! colour pictures only now and then: FFmpeg directly, grey from the luma plane.

pub mod camera_motion;
mod decode;
mod descriptor_match;
pub mod disposable;
pub mod drop_plan;
mod encode;
mod error;
mod rotation;
mod sampling;
mod scan;
pub mod shrink;

pub use camera_motion::{FeatureMatcher, Similarity};
pub use decode::{DecodedFrame, SampledFrame, VideoDecoder, VideoMeta};
pub use descriptor_match::{DescriptorMatch, LOWE_RATIO, unambiguous_matches};
pub use encode::{EncoderSettings, FrameWriter};
pub use error::VideoError;
pub use rotation::Rotation;
pub use sampling::TimeSampler;
pub use scan::{DecodeOptions, FrameScanner, ScannedFrame};
pub use shrink::shrink;

/// Re-exported so callers use the same OpenCV types as the decoder.
pub use opencv;
