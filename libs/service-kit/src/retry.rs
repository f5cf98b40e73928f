//! Retries of read calls that failed before any answer came back.
//!
//! When a replica dies, calls already routed to it fail at the transport level (the
//! connection is refused or reset) until discovery drops it ([`crate::replicas`]).
//! A read (`Get*`, `List*`, `Watch*`, `Check*`, `Probe*`, `Authenticate`) changes
//! nothing, so it is sent again, after a short pause, and the balancer picks a replica
//! that is up. Writes are never resent here: the caller (or the job queue, for
//! pipeline steps that are stored once) decides. Answers with a gRPC status, even
//! UNAVAILABLE from a replica shedding load, are returned as they are.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tower::{Service, ServiceExt};

/// Attempts of one read, the first included.
const ATTEMPTS: u32 = 3;
/// Pause before the second attempt; doubles after. Longer than the replica probe
/// period, so that a dead replica has left the balancer by then.
const FIRST_PAUSE: Duration = Duration::from_millis(600);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads whose request is a stream: it cannot be kept whole to send again (and
/// waiting for its end before sending would stall the caller that feeds it).
const STREAMED_READS: [&str; 1] = ["CheckVideoAsPosesArrive"];

/// Methods that only read with one request message, judged by the gRPC method name.
pub fn is_read_method(path: &str) -> bool {
    let method = path.rsplit('/').next().unwrap_or_default();
    ["Get", "List", "Watch", "Check", "Probe", "Authenticate"]
        .iter()
        .any(|prefix| method.starts_with(prefix))
        && !STREAMED_READS.contains(&method)
}

/// Resends read calls that failed at the transport level (see the module docs).
#[derive(Clone, Debug)]
pub struct RetryReads<S> {
    inner: S,
}

impl<S> RetryReads<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S> Service<http::Request<Body>> for RetryReads<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone is the one made ready by `poll_ready`; keep it for this call.
        let fresh = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, fresh);
        if !is_read_method(request.uri().path()) {
            let call = ready.call(request);
            return Box::pin(async move { call.await.map_err(Into::into) });
        }
        let mut spare = self.inner.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            // A read's request is one small message: keep it to send again.
            let message = body.collect().await.map_err(BoxError::from)?.to_bytes();
            let rebuild = |message: &Bytes| {
                let mut request = http::Request::new(Body::new(Full::new(message.clone())));
                *request.method_mut() = parts.method.clone();
                *request.uri_mut() = parts.uri.clone();
                *request.version_mut() = parts.version;
                *request.headers_mut() = parts.headers.clone();
                request
            };
            let mut outcome = ready.call(rebuild(&message)).await.map_err(Into::into);
            let mut pause = FIRST_PAUSE;
            for _ in 1..ATTEMPTS {
                let Err(error) = &outcome else { break };
                tracing::debug!(path = %parts.uri.path(), %error, "read failed in transit: sending it again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                outcome = match spare.ready().await {
                    Ok(service) => service.call(rebuild(&message)).await.map_err(Into::into),
                    Err(error) => Err(error.into()),
                };
            }
            outcome
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_writes_by_method_name() {
        for read in [
            "/fitvision.v1.SessionService/GetSession",
            "/fitvision.v1.SessionService/ListSessions",
            "/fitvision.v1.SessionService/WatchVideo",
            "/fitvision.v1.SessionService/Authenticate",
            "/fitvision.v1.CheatDetectionService/CheckVideo",
            "/grpc.health.v1.Health/Check",
        ] {
            assert!(is_read_method(read), "{read}");
        }
        for write in [
            "/fitvision.v1.CheatDetectionService/CheckVideoAsPosesArrive",
            "/fitvision.v1.SessionService/UploadVideo",
            "/fitvision.v1.SessionService/CreateSession",
            "/fitvision.v1.SessionService/DeleteSession",
            "/fitvision.v1.PoseInferenceService/RenderAnnotatedVideo",
            "/fitvision.v1.SessionService/IssueToken",
        ] {
            assert!(!is_read_method(write), "{write}");
        }
    }
}
