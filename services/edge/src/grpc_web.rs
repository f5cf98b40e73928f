//! grpc-web (and plain gRPC over HTTP/2) for browsers: requests under
//! `/fitvision.v1.SessionService/` are translated by `tonic-web` and forwarded
//! unchanged to the session service, which authenticates the `authorization`
//! metadata itself. CORS comes from the edge's CORS layer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{Service, ServiceExt};

use crate::state::SessionChannel;

/// Forwards gRPC requests to the session service's channel.
#[derive(Clone)]
pub struct SessionProxy {
    channel: SessionChannel,
}

impl SessionProxy {
    pub fn new(channel: SessionChannel) -> Self {
        Self { channel }
    }
}

impl Service<http::Request<tonic::body::Body>> for SessionProxy {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is awaited per call on a clone of the channel.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let channel = self.channel.clone();
        Box::pin(async move {
            match channel.oneshot(request).await {
                Ok(response) => Ok(response.map(tonic::body::Body::new)),
                Err(error) => Ok(tonic::Status::unavailable(format!(
                    "the session service is unavailable: {error}"
                ))
                .into_http()),
            }
        })
    }
}
