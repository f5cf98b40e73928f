//! fitvision-cheat-detection
