//! The gRPC face of the coach.

use std::sync::Arc;

use fitvision_proto::v1::coaching_service_server::CoachingService;
use fitvision_proto::v1::{GenerateFeedbackRequest, GenerateFeedbackResponse};
use tonic::{Request, Response, Status};

use crate::coach::{Coach, CoachError};

/// `fitvision.v1.CoachingService`.
#[derive(Clone, Debug)]
pub struct CoachingServer {
    coach: Arc<Coach>,
}

impl CoachingServer {
    pub fn new(coach: Coach) -> Self {
        Self {
            coach: Arc::new(coach),
        }
    }
}

impl From<CoachError> for Status {
    fn from(error: CoachError) -> Self {
        match error {
            CoachError::NoCompletedExercise => Status::failed_precondition(error.to_string()),
            CoachError::Language(_) | CoachError::Topic(_) => {
                Status::invalid_argument(error.to_string())
            }
        }
    }
}

#[tonic::async_trait]
impl CoachingService for CoachingServer {
    async fn generate_feedback(
        &self,
        request: Request<GenerateFeedbackRequest>,
    ) -> Result<Response<GenerateFeedbackResponse>, Status> {
        let feedback = self.coach.generate(request.get_ref()).await?;
        Ok(Response::new(GenerateFeedbackResponse { feedback }))
    }
}
