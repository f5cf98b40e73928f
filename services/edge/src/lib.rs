//! fitvision-edge
