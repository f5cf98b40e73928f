//! Clients of the services the pipeline calls (connected lazily, so the
//! session service starts before them).

use fitvision_proto::v1::cheat_detection_service_client::CheatDetectionServiceClient;
use fitvision_proto::v1::coaching_service_client::CoachingServiceClient;
use fitvision_proto::v1::exercise_metrics_service_client::ExerciseMetricsServiceClient;
use fitvision_proto::v1::pose_inference_service_client::PoseInferenceServiceClient;
use fitvision_service_kit::client::{TracedChannel, connect_lazy};

/// Pose tracks of long videos are large messages.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

#[derive(Clone)]
pub struct Clients {
    pub pose: PoseInferenceServiceClient<TracedChannel>,
    pub cheat: CheatDetectionServiceClient<TracedChannel>,
    pub metrics: ExerciseMetricsServiceClient<TracedChannel>,
    pub coaching: CoachingServiceClient<TracedChannel>,
}

impl Clients {
    pub fn connect(
        pose_url: &str,
        cheat_url: &str,
        metrics_url: &str,
        coaching_url: &str,
    ) -> Result<Self, fitvision_service_kit::client::ConnectError> {
        Ok(Self {
            pose: PoseInferenceServiceClient::new(connect_lazy(pose_url)?)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            cheat: CheatDetectionServiceClient::new(connect_lazy(cheat_url)?)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            metrics: ExerciseMetricsServiceClient::new(connect_lazy(metrics_url)?)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            coaching: CoachingServiceClient::new(connect_lazy(coaching_url)?)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        })
    }
}
