//! The tonic implementation of `fitvision.v1.ExerciseMetricsService`.

use std::sync::Arc;

use fitvision_exercise_engine::{
    AnalysisError, AnalyzeOptions, Catalog, ExerciseDefinition, PlateObservation, analyze,
};
use fitvision_proto::v1::analyze_request::Exercise;
use fitvision_proto::v1::exercise_metrics_service_server::ExerciseMetricsService;
use fitvision_proto::v1::{
    AnalyzeRequest, AnalyzeResponse, ExerciseSummary, ListExercisesRequest, ListExercisesResponse,
    ValidateDefinitionRequest, ValidateDefinitionResponse,
};
use tonic::{Request, Response, Status};

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
    fn definition(&self, exercise: Option<Exercise>) -> Result<ExerciseDefinition, Status> {
        match exercise {
            None => Err(Status::invalid_argument(
                "set exercise_id (a catalog id or alias, e.g. \"push_up\") or definition_json",
            )),
            Some(Exercise::ExerciseId(id)) => self.catalog.get(&id).cloned().ok_or_else(|| {
                Status::not_found(format!(
                    "unknown exercise {id:?}; ListExercises shows the catalog (ids and aliases)"
                ))
            }),
            Some(Exercise::DefinitionJson(json)) => ExerciseDefinition::from_json(&json)
                .map_err(|e| Status::invalid_argument(format!("definition_json: {e}"))),
        }
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
        let def = self.definition(req.exercise)?;
        let track = req.track.ok_or_else(|| {
            Status::invalid_argument("track is required (the pose track to analyse)")
        })?;
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
