//! fitvision-service-kit
