//! The service kit: what every fitvision service gets for free.
//!
//! - [`grpc::serve`]: a tonic server with gRPC health (NOT_SERVING until the
//!   service says it is ready), server reflection, request timeout, concurrency
//!   limit, load shedding, request ids, W3C trace-context extraction and
//!   graceful shutdown that drains in-flight calls.
//! - [`client::connect_lazy`]: channels whose calls carry the caller's trace context,
//!   balanced over a service's replicas when given several ([`replicas`]), reads
//!   resent when a replica dies under them ([`retry`]).
//! - [`service_auth`]: the deployment's service token, sent on internal calls and
//!   required by internal services ([`grpc::serve_internal`]).
//! - [`telemetry::init`]: structured logs, and OTLP traces + metrics when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//! - [`shutdown::on_signals`]: a cancellation token fired by SIGTERM/SIGINT.
//! - [`testing::unused_loopback_port`]: ports for servers that tests start later.
//! - [`http`]: the same trace-context handling for axum/tower HTTP servers.
//! - [`process::run_service`]: a service binary's whole `main` (malloc arena cap,
//!   runtime, telemetry, shutdown on signals).
//! - [`memory::cap_malloc_arenas`], [`memory::spawn_memory_releaser`]: a bounded malloc
//!   footprint under concurrent analyses and after many.
//! - [`failed_auth`]: refused credentials limited per client address, with back-off.
//! - [`failure`]: typed failures, a [`failure::FailureCode`] in every status's details.

pub mod client;
pub mod failed_auth;
pub mod failure;
pub mod grpc;
pub mod http;
pub mod memory;
pub mod process;
pub mod replicas;
pub mod retry;
pub mod service_auth;
pub mod shutdown;
pub mod telemetry;
pub mod testing;
pub mod trace_context;
