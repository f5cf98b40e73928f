//! Trace-context and request-id handling for HTTP (axum) servers, matching
//! what [`crate::grpc::serve`] does for gRPC.

use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Builds the span of one HTTP request (trace id recorded, caller's
/// `traceparent` honoured). Use with `TraceLayer::new_for_http().make_span_with(...)`.
pub fn make_request_span<B>(request: &http::Request<B>) -> tracing::Span {
    let method = format!("{} {}", request.method(), request.uri().path());
    crate::trace_context::request_span("http", &method, request.headers())
}

/// The layer stack returned by [`layers`].
pub type HttpLayers<B> = ServiceBuilder<
    Stack<
        TraceLayer<
            SharedClassifier<ServerErrorsAsFailures>,
            fn(&http::Request<B>) -> tracing::Span,
            tower_http::trace::DefaultOnRequest,
            DefaultOnResponse,
        >,
        Stack<PropagateRequestIdLayer, Stack<SetRequestIdLayer<MakeRequestUuid>, Identity>>,
    >,
>;

/// Request ids (`x-request-id`, generated when absent, echoed in the response)
/// plus a request span per call carrying the trace id.
pub fn layers<B>() -> HttpLayers<B> {
    ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_request_span::<B> as fn(&http::Request<B>) -> tracing::Span)
                // One INFO line per request: status, latency, and (from the
                // span) the trace id, so a request can be followed across services.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
}
