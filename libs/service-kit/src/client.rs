//! gRPC client channels that carry the caller's trace context.

use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// Adds `traceparent` (and `tracestate`) of the current span to each call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContextInterceptor;

impl Interceptor for TraceContextInterceptor {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = request;
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

/// A channel whose every call carries the current trace context.
pub type TracedChannel = InterceptedService<Channel, TraceContextInterceptor>;

/// Connects lazily (the first call connects, reconnecting as needed), so a
/// service can start before the services it calls.
pub fn connect_lazy(uri: &str) -> Result<TracedChannel, tonic::transport::Error> {
    let channel = Endpoint::from_shared(uri.to_owned())?
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(std::time::Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(InterceptedService::new(channel, TraceContextInterceptor))
}
