//! fitvision-integration-tests
