//! gRPC client channels that carry the caller's trace context.

use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::retry::RetryReads;

/// Adds `traceparent` (and `tracestate`) of the current span to each call, and the
/// deployment's service token ([`crate::service_auth`]) when there is one.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContextInterceptor;

impl Interceptor for TraceContextInterceptor {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = request;
        if let Some(token) = crate::service_auth::outgoing_token()
            && let Ok(value) = tonic::metadata::MetadataValue::try_from(token)
        {
            request
                .metadata_mut()
                .insert(crate::service_auth::METADATA_KEY, value);
        }
        let mut headers = http::HeaderMap::new();
        crate::trace_context::inject_current(&mut headers);
        for (name, value) in &headers {
            if let (Ok(key), Ok(value)) = (
                tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes()),
                tonic::metadata::MetadataValue::try_from(value.as_bytes()),
            ) {
                request.metadata_mut().insert(key, value);
            }
        }
        Ok(request)
    }
}

/// A channel whose every call carries the current trace context, and whose reads are
/// resent when they fail in transit ([`crate::retry`]).
pub type TracedChannel = InterceptedService<RetryReads<Channel>, TraceContextInterceptor>;

/// The service address could not be used.
#[derive(Debug)]
pub struct ConnectError(String);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "service address: {}", self.0)
    }
}

impl std::error::Error for ConnectError {}

/// Connects lazily (the first call connects, reconnecting as needed), so a
/// service can start before the services it calls.
///
/// `uri` is one URL, or a comma-separated list of the replicas of a service, or a
/// DNS name resolving to several: all but a single IP-literal URL get a channel that
/// balances calls over the replicas currently accepting connections
/// ([`crate::replicas`]).
pub fn connect_lazy(uri: &str) -> Result<TracedChannel, ConnectError> {
    let channel = if crate::replicas::is_single_fixed_address(uri) {
        configure(
            Endpoint::from_shared(uri.trim().to_owned())
                .map_err(|e| ConnectError(e.to_string()))?,
        )
        .connect_lazy()
    } else {
        crate::replicas::balanced_channel(uri, configure).map_err(ConnectError)?
    };
    Ok(InterceptedService::new(
        RetryReads::new(channel),
        TraceContextInterceptor,
    ))
}

/// Connection settings shared by every endpoint (each replica's too).
fn configure(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(std::time::Duration::from_secs(30))
        .keep_alive_while_idle(true)
}
