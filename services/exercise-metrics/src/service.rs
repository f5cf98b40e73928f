//! The tonic implementation of `fitvision.v1.ExerciseMetricsService`.

use std::sync::Arc;

use fitvision_exercise_engine::recognize::{MIN_CONFIDENCE, recognize};
use fitvision_exercise_engine::{
    AnalysisError, AnalyzeOptions, Catalog, ExerciseDefinition, PlateObservation, analyze,
};
use fitvision_proto::v1::analyze_request::Exercise;
use fitvision_proto::v1::exercise_metrics_service_server::ExerciseMetricsService;
use fitvision_proto::v1::{
    AnalyzeRequest, AnalyzeResponse, ExerciseRecognition, ExerciseSummary, ListExercisesRequest,
    ListExercisesResponse, PoseTrack, ValidateDefinitionRequest, ValidateDefinitionResponse,
};
use fitvision_service_kit::failure::{self, FailureCode};
use tonic::{Code, Request, Response, Status};

/// Stateless: holds only the read-only catalog.
#[derive(Debug, Clone)]
pub struct ExerciseMetricsApi {
    catalog: Arc<Catalog>,
}

impl ExerciseMetricsApi {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Self { catalog }
    }

    /// The definition a request names, or the status explaining why there is none.
    fn definition(&self, exercise: Exercise) -> Result<ExerciseDefinition, Status> {
        match exercise {
            Exercise::ExerciseId(id) => self.catalog.get(&id).cloned().ok_or_else(|| {
                Status::not_found(format!(
                    "unknown exercise {id:?}; ListExercises shows the catalog (ids and aliases)"
                ))
            }),
            Exercise::DefinitionJson(json) => ExerciseDefinition::from_json(&json)
                .map_err(|e| Status::invalid_argument(format!("definition_json: {e}"))),
        }
    }
}

impl ExerciseMetricsApi {
    /// Names the exercise of an unlabelled track, or says why it cannot.
    async fn recognised(
        &self,
        track: &PoseTrack,
    ) -> Result<(ExerciseDefinition, Option<ExerciseRecognition>), Status> {
        let catalog = self.catalog.clone();
        let probe = track.clone();
        let recognition = tokio::task::spawn_blocking(move || recognize(&probe, &catalog))
            .await
            .map_err(|e| Status::internal(format!("recognition task failed: {e}")))?;
        let definition = recognition
            .exercise_id
            .as_deref()
            .filter(|_| recognition.is_confident())
            .and_then(|id| self.catalog.get(id));
        let Some(definition) = definition else {
            let guess = match &recognition.exercise_id {
                Some(id) => format!(
                    "the best guess, {id}, has confidence {:.2} (under {MIN_CONFIDENCE})",
                    recognition.confidence
                ),
                None => "no exercise of the catalog matches".to_owned(),
            };
            return Err(failure::status(
                Code::FailedPrecondition,
                FailureCode::UnknownExercise,
                format!(
                    "no exercise was given and it could not be recognised: {guess} ({}); \
                     set the exercise (activity) and the video is analysed again",
                    recognition.reason
                ),
            ));
        };
        tracing::info!(
            exercise = %definition.id,
            confidence = recognition.confidence,
            reason = %recognition.reason,
            "recognised"
        );
        Ok((
            definition.clone(),
            Some(ExerciseRecognition {
                exercise_id: definition.id.clone(),
                confidence: recognition.confidence,
                reason: recognition.reason,
            }),
        ))
    }
}

fn summary(def: &ExerciseDefinition) -> ExerciseSummary {
    ExerciseSummary {
        id: def.id.clone(),
        name: def.name.clone(),
        name_zh: def.name_zh.clone(),
        mode: def.mode.as_str().to_string(),
        aliases: def.aliases.clone(),
        category: def.category.clone(),
        domain: def.domain.clone(),
        definition_json: def.to_json(),
    }
}

#[tonic::async_trait]
impl ExerciseMetricsService for ExerciseMetricsApi {
    async fn analyze(
        &self,
        request: Request<AnalyzeRequest>,
    ) -> Result<Response<AnalyzeResponse>, Status> {
        let req = request.into_inner();
        let track = req.track.ok_or_else(|| {
            Status::invalid_argument("track is required (the pose track to analyse)")
        })?;
        let (def, recognition) = match req.exercise {
            Some(exercise) => (self.definition(exercise)?, None),
            None => self.recognised(&track).await?,
        };
        let subject = req.subject.unwrap_or_default();
        if !(subject.height_m >= 0.0
            && subject.body_mass_kg >= 0.0
            && subject.barbell_mass_kg >= 0.0)
        {
            return Err(Status::invalid_argument(
                "subject height, body mass and barbell mass must be >= 0 (0 = unknown)",
            ));
        }
        let plate = req
            .plate
            .as_ref()
            .map(PlateObservation::from_proto)
            .transpose()
            .map_err(|e| Status::invalid_argument(format!("plate: {e}")))?;
        let options = AnalyzeOptions {
            plate,
            ..Default::default()
        };
        let exercise_id = def.id.clone();
        // Analysis is CPU-bound (milliseconds per minute of video): keep it off the reactor.
        let result = tokio::task::spawn_blocking(move || analyze(&def, &track, &subject, &options))
            .await
            .map_err(|e| Status::internal(format!("analysis task failed: {e}")))?
            .map_err(|e| match e {
                AnalysisError::EmptyTrack | AnalysisError::NoPerson { .. } => {
                    Status::failed_precondition(format!("cannot analyse {exercise_id}: {e}"))
                }
            })?;
        let mut result = result;
        result.recognition = recognition;
        tracing::info!(exercise = %result.exercise_id, reps = result.rep_count, "analysed");
        Ok(Response::new(AnalyzeResponse {
            result: Some(result),
        }))
    }

    async fn list_exercises(
        &self,
        _request: Request<ListExercisesRequest>,
    ) -> Result<Response<ListExercisesResponse>, Status> {
        Ok(Response::new(ListExercisesResponse {
            exercises: self.catalog.definitions().iter().map(summary).collect(),
        }))
    }

    async fn validate_definition(
        &self,
        request: Request<ValidateDefinitionRequest>,
    ) -> Result<Response<ValidateDefinitionResponse>, Status> {
        let json = request.into_inner().definition_json;
        Ok(Response::new(match ExerciseDefinition::from_json(&json) {
            Ok(def) => ValidateDefinitionResponse {
                valid: true,
                errors: Vec::new(),
                exercise_id: def.id,
            },
            Err(e) => ValidateDefinitionResponse {
                valid: false,
                errors: e.messages(),
                exercise_id: String::new(),
            },
        }))
    }
}
