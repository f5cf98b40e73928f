//! The gRPC server every service runs: health, reflection, tower layers,
//! trace-context extraction, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// Limits and timeouts shared by every gRPC server.
#[derive(clap::Args, Clone, Debug)]
pub struct ServerArgs {
    /// Maximum duration of one call, streams included (seconds).
    #[arg(long, env = "FITVISION_REQUEST_TIMEOUT_SECS", default_value_t = 900)]
    pub request_timeout_secs: u64,
    /// Calls served at once; more are shed with UNAVAILABLE instead of queueing without bound.
    #[arg(long, env = "FITVISION_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,
    /// How long in-flight calls may take to finish after SIGTERM (seconds).
    #[arg(long, env = "FITVISION_DRAIN_TIMEOUT_SECS", default_value_t = 20)]
    pub drain_timeout_secs: u64,
    /// This deployment's service-to-service secret: sent on internal calls and
    /// required by internal services (see `service_auth`). Without it internal
    /// services serve only on loopback addresses.
    #[arg(long, env = "FITVISION_SERVICE_TOKEN", hide_env_values = true)]
    pub service_token: Option<String>,
    /// Public servers: refused credentials a caller's address may present before it
    /// is refused with RESOURCE_EXHAUSTED, blocked 1 s and twice as long per further
    /// failure up to 5 min (callers with the service token exempt).
    #[arg(
        long,
        env = "FITVISION_FAILED_AUTH_ALLOWANCE",
        default_value_t = crate::failed_auth::DEFAULT_ALLOWANCE
    )]
    pub failed_auth_allowance: u32,
}

impl Default for ServerArgs {
    fn default() -> Self {
        Self {
            request_timeout_secs: 900,
            concurrency_limit: 256,
            drain_timeout_secs: 20,
            service_token: None,
            failed_auth_allowance: crate::failed_auth::DEFAULT_ALLOWANCE,
        }
    }
}

/// Health of one service: NOT_SERVING from creation until [`Health::set_serving`].
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    service_name: &'static str,
    /// The task that records the initial NOT_SERVING; every later change waits
    /// for it so it can never overwrite a SERVING set just after creation.
    initialised: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Health {
    /// `service_name` is the fully qualified gRPC service name
    /// (see `fitvision_proto::service_names`). Must be called inside a tokio runtime.
    pub fn new(service_name: &'static str) -> Self {
        let reporter = HealthReporter::new();
        // Both the named service and the server as a whole ("") start
        // NOT_SERVING: a probe must not route traffic before models/DB are ready.
        let initial = reporter.clone();
        let handle = tokio::spawn(async move {
            initial
                .set_service_status(service_name, ServingStatus::NotServing)
                .await;
            initial
                .set_service_status("", ServingStatus::NotServing)
                .await;
        });
        Self {
            reporter,
            service_name,
            initialised: Arc::new(tokio::sync::Mutex::new(Some(handle))),
        }
    }

    /// Marks the service (and the server) SERVING.
    pub async fn set_serving(&self) {
        self.set(ServingStatus::Serving).await;
    }

    /// Marks the service (and the server) NOT_SERVING, e.g. while draining.
    pub async fn set_not_serving(&self) {
        self.set(ServingStatus::NotServing).await;
    }

    async fn set(&self, status: ServingStatus) {
        {
            let mut initialised = self.initialised.lock().await;
            if let Some(handle) = initialised.take() {
                let _ = handle.await;
            }
        }
        self.reporter
            .set_service_status(self.service_name, status)
            .await;
        self.reporter.set_service_status("", status).await;
    }

    fn server(&self) -> HealthServer<HealthService> {
        HealthServer::new(HealthService::from_health_reporter(self.reporter.clone()))
    }
}

/// Serves `routes` on `addr` with health, reflection and the shared layers
/// until `shutdown` fires, then drains in-flight calls for at most the drain timeout.
/// For the public API (the session service): any caller with its own credentials.
pub async fn serve(
    addr: SocketAddr,
    args: &ServerArgs,
    routes: Routes,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with(addr, args, routes, health, shutdown, None).await
}

/// [`serve`] for an internal service: every call but health checks must carry the
/// deployment's service token; without one configured, only a loopback `addr` is
/// allowed (no one off the host can reach it).
pub async fn serve_internal(
    addr: SocketAddr,
    args: &ServerArgs,
    routes: Routes,
    health: Health,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let token = args.service_token.clone().filter(|t| !t.is_empty());
    anyhow::ensure!(
        token.is_some() || addr.ip().is_loopback(),
        "{} on {addr}: an internal service serves a non-loopback address only with a \
         service token (--service-token / {})",
        health.service_name,
        crate::service_auth::ENV
    );
    serve_with(addr, args, routes, health, shutdown, token).await
}

async fn serve_with(
    addr: SocketAddr,
    args: &ServerArgs,
    routes: Routes,
    health: Health,
    shutdown: CancellationToken,
    required_token: Option<String>,
) -> anyhow::Result<()> {
    if let Some(token) = args.service_token.clone().filter(|t| !t.is_empty()) {
        // This process's own calls to internal services carry the same token.
        crate::service_auth::set_outgoing_token(token);
    }
    // Advertise only what this port serves (the descriptor set holds every
    // fitvision service), so `grpcurl list` tells the truth per port.
    let advertised = [
        health.service_name,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ];
    let reflection = || {
        advertised.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(fitvision_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let routes = routes
        .add_service(health.server())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_grpc()
                .make_span_with(|request: &http::Request<_>| {
                    crate::trace_context::request_span(
                        "grpc",
                        request.uri().path(),
                        request.headers(),
                    )
                })
                // One INFO line per call (with the span's trace id) so a request
                // can be followed from the edge through every service's logs.
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .option_layer(
            required_token
                .as_deref()
                .map(crate::service_auth::RequireServiceToken::new),
        )
        // A public server limits guessing of credentials per caller address.
        .option_layer(required_token.is_none().then(|| {
            crate::failed_auth::LimitFailedAuth::new(
                args.failed_auth_allowance,
                args.service_token.as_deref().filter(|t| !t.is_empty()),
            )
        }))
        .load_shed()
        .concurrency_limit(args.concurrency_limit)
        .into_inner();

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    tracing::info!(service = health.service_name, %local_addr, "gRPC server listening");

    let drain = Duration::from_secs(args.drain_timeout_secs);
    let graceful_shutdown = shutdown.clone();
    let health_on_shutdown = health.clone();
    let server = tonic::transport::Server::builder()
        .timeout(Duration::from_secs(args.request_timeout_secs))
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(tokio_stream_incoming(listener), async move {
            graceful_shutdown.cancelled().await;
            health_on_shutdown.set_not_serving().await;
        });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(drain).await } => {
            tracing::warn!(service = health.service_name, "drain timeout reached; closing remaining calls");
        }
    }
    tracing::info!(service = health.service_name, "gRPC server stopped");
    Ok(())
}

fn tokio_stream_incoming(
    listener: tokio::net::TcpListener,
) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))
}
