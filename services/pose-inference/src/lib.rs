//! fitvision-pose-inference
