//! fitvision-coaching: feedback text grounded in the measured numbers.
//!
//! - [`builtin`]: the default coach, offline and deterministic, in English and
//!   Chinese, metric or imperial.
//! - [`llm`]: any OpenAI-compatible chat-completions provider, used when
//!   configured; its text is kept only if every number in it was measured
//!   ([`verify`]), otherwise the built-in text is returned with the reason.
//! - [`service`]: `fitvision.v1.CoachingService` over gRPC.

pub mod builtin;
pub mod catalog;
pub mod coach;
pub mod digest;
pub mod language;
pub mod llm;
pub mod prompt;
pub mod script;
pub mod service;
pub mod topic;
pub mod units;
pub mod verify;

use std::net::SocketAddr;

use fitvision_proto::v1::coaching_service_server::CoachingServiceServer;
use fitvision_service_kit::grpc::{self, Health, ServerArgs};
use tokio_util::sync::CancellationToken;

pub use coach::{BUILTIN_PROVIDER, Coach, CoachError};
pub use llm::{LlmArgs, LlmClient};
pub use service::CoachingServer;

/// Configuration of the coaching service.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Address the gRPC server binds.
    #[arg(
        long = "addr",
        env = "FITVISION_COACHING_ADDR",
        default_value = "127.0.0.1:50055"
    )]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// The coach the LLM settings describe: built-in only without a base URL.
pub fn coach_from_args(llm: &LlmArgs) -> anyhow::Result<Coach> {
    Ok(match LlmClient::from_args(llm)? {
        Some(client) => {
            tracing::info!(
                model = client.model(),
                "LLM coaching enabled, built-in coach as fallback"
            );
            Coach::with_llm(client, llm.concurrency)
        }
        None => {
            tracing::info!("no LLM configured: built-in coach only");
            Coach::builtin()
        }
    })
}

/// The tonic service, for servers that mount several services (all-in-one).
pub fn grpc_service(llm: &LlmArgs) -> anyhow::Result<CoachingServiceServer<CoachingServer>> {
    Ok(CoachingServiceServer::new(CoachingServer::new(
        coach_from_args(llm)?,
    )))
}

/// Serves the coaching service until `shutdown` fires.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let service = grpc_service(&config.llm)?;
    let health = Health::new(fitvision_proto::service_names::COACHING);
    // Nothing to load: the built-in coach is code and the LLM is optional.
    health.set_serving().await;
    let routes = tonic::service::Routes::new(service);
    grpc::serve_internal(config.addr, &config.server, routes, health, shutdown).await
}
