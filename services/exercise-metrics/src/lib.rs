//! fitvision exercise-metrics: the stateless analysis service.
//!
//! Wraps [`fitvision_exercise_engine`]: `Analyze` runs a catalog exercise (by
//! id or alias) or an inline JSON definition on a pose track; `ListExercises`
//! returns the catalog; `ValidateDefinition` checks a tenant's definition.

mod service;

use std::net::SocketAddr;
use std::sync::Arc;

use fitvision_exercise_engine::Catalog;
use fitvision_proto::v1::exercise_metrics_service_server::ExerciseMetricsServiceServer;
use fitvision_service_kit::grpc::{self, Health, ServerArgs};
use tokio_util::sync::CancellationToken;

pub use service::ExerciseMetricsApi;

/// Largest accepted request: a pose track of a long 60 fps video is tens of MB.
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// exercise-metrics configuration (flags and `FITVISION_*` environment variables).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to serve gRPC on.
    #[arg(
        long = "addr",
        env = "FITVISION_METRICS_ADDR",
        default_value = "127.0.0.1:50054"
    )]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Serves until `shutdown` fires. Health turns SERVING once the catalog has loaded.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let health = Health::new(fitvision_proto::service_names::EXERCISE_METRICS);
    let catalog = Arc::new(Catalog::builtin()?);
    let api = ExerciseMetricsApi::new(catalog.clone());
    let routes = tonic::service::Routes::new(
        ExerciseMetricsServiceServer::new(api)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES),
    );
    tracing::info!(exercises = catalog.definitions().len(), addr = %config.addr, "exercise catalog loaded");
    health.set_serving().await;
    grpc::serve_internal(config.addr, &config.server, routes, health, shutdown).await
}
