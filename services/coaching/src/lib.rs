//! fitvision-coaching
