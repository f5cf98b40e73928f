//! fitvision-storage
