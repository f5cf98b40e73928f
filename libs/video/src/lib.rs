//! fitvision-video
