//! Failed authentications limited per client address, with back-off.
//!
//! The request rate limit is keyed by the presented credential, so a client that
//! presents a new wrong key on every request is never limited by it. This limiter
//! counts refused credentials per client address instead: the first `allowance`
//! (default [`DEFAULT_ALLOWANCE`]) cost nothing (typos, an expired token); each one after that
//! blocks the address for twice as long as the last, from 1 s up to
//! [`MAX_BLOCK`], answering 429 with `Retry-After` before any credential is looked
//! at. The count is forgotten after [`QUIET`] without a failure. Successful requests
//! do not reset it: one valid key must not buy an attacker fresh guesses.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Family};
use crate::state::AppState;

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

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of them.
pub fn client_ip(request: &Request, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|hop| !trusted_proxies.contains(hop))
            .unwrap_or(peer),
    )
}

/// Middleware: 429 while the client is blocked; counts each 401 answered to a
/// request that presented a credential (a header, or the OAuth2 token form).
pub async fn limit_failed_authentications(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_ip(&request, &state.config().trusted_proxies);
    if let Some(client) = client
        && let Err(retry_after_s) = state.failed_auth().check(client, Instant::now())
    {
        let mut error = ApiError::new(
            Family::Plain,
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed authentications from this address, retry in {retry_after_s} s"
            ),
        );
        error.retry_after_s = Some(retry_after_s);
        return error.into_response();
    }
    let presented = request.headers().contains_key(header::AUTHORIZATION)
        || request.headers().contains_key("x-api-key")
        || request.uri().path() == "/oauth2/token";
    let response = next.run(request).await;
    if presented
        && response.status() == StatusCode::UNAUTHORIZED
        && let Some(client) = client
        && let Some(blocked_s) = state.failed_auth().failed(client, Instant::now())
    {
        tracing::warn!(%client, blocked_s, "failed authentications: client blocked");
    }
    response
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

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_forwarded_address() {
        let proxy = ip("10.0.0.1");
        let request = |peer: &str, forwarded: Option<&str>| {
            let mut builder = axum::http::Request::builder();
            if let Some(forwarded) = forwarded {
                builder = builder.header("x-forwarded-for", forwarded);
            }
            let mut request = builder.body(axum::body::Body::empty()).unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip(peer), 4000)));
            request
        };
        let direct = request("198.51.100.2", Some("1.2.3.4"));
        assert_eq!(client_ip(&direct, &[proxy]), Some(ip("198.51.100.2")));
        let proxied = request("10.0.0.1", Some("1.2.3.4, 198.51.100.9"));
        assert_eq!(client_ip(&proxied, &[proxy]), Some(ip("198.51.100.9")));
        let bare = request("10.0.0.1", None);
        assert_eq!(client_ip(&bare, &[proxy]), Some(proxy));
    }
}
