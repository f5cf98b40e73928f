//! Failed authentications limited per client address, with back-off.
//!
//! Request rate limits are keyed by the presented credential, so a client that
//! presents a new wrong key on every request is never limited by them. This limiter
//! counts refused credentials per client address instead: the first `allowance`
//! (default [`DEFAULT_ALLOWANCE`]) cost nothing (typos, an expired token); each one
//! after that blocks the address for twice as long as the last, from 1 s up to
//! [`MAX_BLOCK`], before any credential is looked at. The count is forgotten after
//! [`QUIET`] without a failure. Successful requests do not reset it: one valid key
//! must not buy an attacker fresh guesses.
//!
//! The edge applies it per HTTP client; [`LimitFailedAuth`] applies it to a public
//! gRPC server (the session service) per peer, exempting the deployment's own
//! services (they carry the service token, and the edge limits its clients itself).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Refused credentials per address before blocking starts, by default.
pub const DEFAULT_ALLOWANCE: u32 = 20;
/// Longest block after one failure.
pub const MAX_BLOCK: Duration = Duration::from_secs(300);
/// Failures are forgotten after this long without one.
pub const QUIET: Duration = Duration::from_secs(600);
/// Addresses tracked before forgetting the quiet ones.
const TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: Instant,
    blocked_until: Option<Instant>,
}

/// Per-address failure counts and blocks.
#[derive(Debug)]
pub struct FailedAuthLimiter {
    allowance: u32,
    records: Mutex<HashMap<IpAddr, Record>>,
}

/// Whole seconds until `until`, at least 1 (a client retrying after it succeeds).
fn seconds_until(until: Instant, now: Instant) -> u64 {
    let wait = until.saturating_duration_since(now);
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl FailedAuthLimiter {
    pub fn new(allowance: u32) -> Self {
        Self {
            allowance,
            records: Mutex::default(),
        }
    }

    /// `Err(seconds)` while `client` is blocked.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get(&client).and_then(|r| r.blocked_until) {
            Some(until) if until > now => Err(seconds_until(until, now)),
            _ => Ok(()),
        }
    }

    /// Counts a refused credential; `Some(seconds)` when `client` is now blocked.
    pub fn failed(&self, client: IpAddr, now: Instant) -> Option<u64> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if records.len() >= TRACKED {
            records.retain(|_, r| now.duration_since(r.last_failure) < QUIET);
        }
        let record = records.entry(client).or_insert(Record {
            failures: 0,
            last_failure: now,
            blocked_until: None,
        });
        if now.duration_since(record.last_failure) >= QUIET {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last_failure = now;
        let over = record
            .failures
            .checked_sub(self.allowance)
            .filter(|n| *n > 0)?;
        let block = Duration::from_secs(1u64 << (over - 1).min(16)).min(MAX_BLOCK);
        let until = now + block;
        record.blocked_until = Some(until);
        Some(seconds_until(until, now))
    }
}

/// Tower layer for a public gRPC server: RESOURCE_EXHAUSTED while the peer is
/// blocked; every UNAUTHENTICATED answer counts against the peer. Callers carrying
/// `internal_token` (the deployment's own services) are neither counted nor blocked.
#[derive(Clone)]
pub struct LimitFailedAuth {
    limiter: Arc<FailedAuthLimiter>,
    internal_token: Option<Arc<str>>,
}

impl LimitFailedAuth {
    pub fn new(allowance: u32, internal_token: Option<&str>) -> Self {
        Self {
            limiter: Arc::new(FailedAuthLimiter::new(allowance)),
            internal_token: internal_token.map(Into::into),
        }
    }
}

impl<S> tower::Layer<S> for LimitFailedAuth {
    type Service = FailedAuthLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FailedAuthLimited {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct FailedAuthLimited<S> {
    inner: S,
    layer: LimitFailedAuth,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for FailedAuthLimited<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let internal = self
            .layer
            .internal_token
            .as_deref()
            .is_some_and(|token| crate::service_auth::presents_token(request.headers(), token));
        let peer = request
            .extensions()
            .get::<tonic::transport::server::TcpConnectInfo>()
            .and_then(|info| info.remote_addr())
            .map(|addr| addr.ip())
            .filter(|_| !internal);
        if let Some(peer) = peer
            && let Err(retry_after_s) = self.layer.limiter.check(peer, Instant::now())
        {
            let status = tonic::Status::resource_exhausted(format!(
                "too many failed authentications from this address, retry in {retry_after_s} s"
            ));
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        let limiter = self.layer.limiter.clone();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            let unauthenticated = response
                .headers()
                .get("grpc-status")
                .is_some_and(|code| code == "16");
            if unauthenticated
                && let Some(peer) = peer
                && let Some(blocked_s) = limiter.failed(peer, Instant::now())
            {
                tracing::warn!(%peer, blocked_s, "failed authentications: caller blocked");
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn free_failures_then_doubling_blocks_up_to_the_cap() {
        let limiter = FailedAuthLimiter::new(DEFAULT_ALLOWANCE);
        let attacker = ip("203.0.113.7");
        let mut now = Instant::now();
        for _ in 0..DEFAULT_ALLOWANCE {
            assert_eq!(limiter.failed(attacker, now), None);
            assert_eq!(limiter.check(attacker, now), Ok(()));
        }
        let mut blocks = Vec::new();
        for _ in 0..12 {
            let block = limiter.failed(attacker, now).expect("blocked");
            assert_eq!(limiter.check(attacker, now), Err(block));
            blocks.push(block);
            now += Duration::from_secs(block);
            assert_eq!(
                limiter.check(attacker, now),
                Ok(()),
                "free again after the block"
            );
        }
        assert_eq!(blocks[..6], [1, 2, 4, 8, 16, 32]);
        assert_eq!(*blocks.last().unwrap(), MAX_BLOCK.as_secs());
        // Another address is not affected.
        assert_eq!(limiter.check(ip("203.0.113.8"), now), Ok(()));
        // Forgotten after a quiet period.
        now += QUIET;
        assert_eq!(limiter.failed(attacker, now), None);
    }
}
