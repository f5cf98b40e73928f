//! Generated contracts of the fitvision suite.
//!
//! Everything lives in [`v1`] (protobuf package `fitvision.v1`);
//! [`FILE_DESCRIPTOR_SET`] feeds gRPC server reflection.

/// Protobuf package `fitvision.v1`.
pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("fitvision.v1");
}

/// Encoded `FileDescriptorSet` of every `.proto` in `proto/`, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/fitvision_descriptor.bin"));

/// Names of the five gRPC services, as reflection and health report them.
pub mod service_names {
    pub const SESSION: &str = "fitvision.v1.SessionService";
    pub const POSE_INFERENCE: &str = "fitvision.v1.PoseInferenceService";
    pub const CHEAT_DETECTION: &str = "fitvision.v1.CheatDetectionService";
    pub const EXERCISE_METRICS: &str = "fitvision.v1.ExerciseMetricsService";
    pub const COACHING: &str = "fitvision.v1.CoachingService";
}
