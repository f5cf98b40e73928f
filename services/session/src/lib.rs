//! fitvision-session
