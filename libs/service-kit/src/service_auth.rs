//! Service-to-service authentication: a per-deployment token that internal calls
//! carry and internal services require.
//!
//! The internal services (pose inference, cheat detection, exercise metrics,
//! coaching) trust their caller to name the objects they read and write, so only the
//! session service may call them. Every process of a deployment is given the same
//! secret (`FITVISION_SERVICE_TOKEN`); clients made by [`crate::client::connect_lazy`]
//! send it as `x-fitvision-service-token`, and [`crate::grpc::serve_internal`] answers
//! UNAUTHENTICATED to any call without it, health checks excepted (probes carry no
//! secrets). Without a token an internal service serves only on a loopback address
//! (the all-in-one default), and refuses to start on any other.

use std::sync::OnceLock;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};

/// Metadata key carrying the token.
pub const METADATA_KEY: &str = "x-fitvision-service-token";
/// Environment variable holding the token in every process of a deployment.
pub const ENV: &str = "FITVISION_SERVICE_TOKEN";
/// Calls that need no token: health checks (Kubernetes probes).
const OPEN_PREFIX: &str = "/grpc.health.v1.Health/";

static OUTGOING: OnceLock<Option<String>> = OnceLock::new();

/// The token this process sends on its internal calls: the one given to
/// [`set_outgoing_token`], else `FITVISION_SERVICE_TOKEN`, else none.
pub fn outgoing_token() -> Option<&'static str> {
    OUTGOING
        .get_or_init(|| std::env::var(ENV).ok().filter(|t| !t.is_empty()))
        .as_deref()
}

/// Sets the token sent on internal calls (the all-in-one binary, which makes one up
/// for its own services). Returns false when a token was already in use.
pub fn set_outgoing_token(token: String) -> bool {
    OUTGOING.set(Some(token)).is_ok()
}

/// Compares digests, so the time taken says nothing about how much of a guess matched.
fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(presented) == Sha256::digest(expected)
}

/// True when `headers` carry `token` as the service token.
pub fn presents_token(headers: &http::HeaderMap, token: &str) -> bool {
    headers
        .get(METADATA_KEY)
        .is_some_and(|value| same_secret(value.as_bytes(), token.as_bytes()))
}

/// Tower layer: UNAUTHENTICATED for calls without the deployment's token.
#[derive(Clone)]
pub struct RequireServiceToken {
    token: std::sync::Arc<str>,
}

impl RequireServiceToken {
    pub fn new(token: &str) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl<S> tower::Layer<S> for RequireServiceToken {
    type Service = TokenChecked<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TokenChecked {
            inner,
            token: self.token.clone(),
        }
    }
}

#[derive(Clone)]
pub struct TokenChecked<S> {
    inner: S,
    token: std::sync::Arc<str>,
}

impl<S, B> tower::Service<http::Request<B>> for TokenChecked<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        futures::future::Either<S::Future, std::future::Ready<Result<S::Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let open = request.uri().path().starts_with(OPEN_PREFIX);
        let presented = presents_token(request.headers(), &self.token);
        if open || presented {
            return futures::future::Either::Left(self.inner.call(request));
        }
        let status = tonic::Status::unauthenticated(
            "internal service: calls must carry this deployment's service token",
        );
        futures::future::Either::Right(std::future::ready(Ok(status.into_http())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"", b"abc"));
    }
}
