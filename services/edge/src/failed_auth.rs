//! The edge's side of failed-authentication limiting: the HTTP client's address and
//! the middleware (the limiter itself: `fitvision_service_kit::failed_auth`).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use fitvision_service_kit::failed_auth::{DEFAULT_ALLOWANCE, FailedAuthLimiter};

use crate::error::{ApiError, Family};
use crate::state::AppState;

/// The address of the connection's other end (the client, or a proxy in front of us).
pub fn peer_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of them.
pub fn client_ip(request: &Request, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer_ip(request)?;
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
    // A share link's token is a credential in the path: an unknown one is a guess.
    let share_link = request.uri().path().starts_with("/v1/shared/");
    let presented = request.headers().contains_key(header::AUTHORIZATION)
        || request.headers().contains_key("x-api-key")
        || request.uri().path() == "/oauth2/token"
        || share_link;
    let response = next.run(request).await;
    let refused = response.status() == StatusCode::UNAUTHORIZED
        || (share_link && response.status() == StatusCode::NOT_FOUND);
    if presented
        && refused
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
