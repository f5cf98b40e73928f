//! The edge's connection handling: what `axum::serve` does, plus the limits that
//! keep slow or greedy clients from holding the server's connections.
//!
//! - Header-read timeout: a client must send a request's headers within
//!   `--header-read-timeout-s` of connecting, or of the previous response on a
//!   keep-alive connection (so idle keep-alive connections close too).
//! - Body-idle timeout: an upload whose body stalls for `--body-idle-timeout-s`
//!   between two chunks is answered 408 and its connection closed (a slow but moving
//!   upload is never cut).
//! - At most `--max-connections-per-client` open connections per client address
//!   (trusted proxies exempt: every client behind them shares their address);
//!   further ones are closed at once.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// Connection limits of the edge (flags and `FITVISION_*` variables).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers (on a new connection, or
    /// after the previous response on a keep-alive one).
    #[arg(
        long = "header-read-timeout-s",
        env = "FITVISION_HEADER_READ_TIMEOUT_S",
        default_value_t = 10
    )]
    pub header_read_timeout_s: u64,
    /// Seconds a request body may go without sending a byte before the request is
    /// answered 408.
    #[arg(
        long = "body-idle-timeout-s",
        env = "FITVISION_BODY_IDLE_TIMEOUT_S",
        default_value_t = 30
    )]
    pub body_idle_timeout_s: u64,
    /// Open connections allowed per client address (0 = no limit).
    #[arg(
        long = "max-connections-per-client",
        env = "FITVISION_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 64
    )]
    pub max_connections_per_client: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout_s: 10,
            body_idle_timeout_s: 30,
            max_connections_per_client: 64,
        }
    }
}

/// Open connections per client address.
#[derive(Clone, Default)]
struct OpenConnections {
    by_client: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// Holds one counted connection; uncounts it when dropped.
struct ConnectionSlot {
    open: OpenConnections,
    client: IpAddr,
}

impl OpenConnections {
    fn try_open(&self, client: IpAddr, limit: usize) -> Option<ConnectionSlot> {
        let mut by_client = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        let count = by_client.entry(client).or_insert(0);
        if limit > 0 && *count >= limit {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            open: self.clone(),
            client,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut by_client = self
            .open
            .by_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = by_client.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                by_client.remove(&self.client);
            }
        }
    }
}

/// How long in-flight requests get to finish once shutdown is asked for.
const DRAIN: Duration = Duration::from_secs(20);

/// Serves `app` on `listener` until `shutdown`, then drains open connections.
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    exempt: Vec<IpAddr>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        Duration::from_secs(limits.body_idle_timeout_s.max(1)),
    ));
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_s.max(1)));
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    let graceful = GracefulShutdown::new();
    let open = OpenConnections::default();
    loop {
        let (socket, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let limit = if exempt.contains(&remote.ip()) {
            0
        } else {
            limits.max_connections_per_client
        };
        let Some(slot) = open.try_open(remote.ip(), limit) else {
            tracing::warn!(client = %remote.ip(), "too many open connections from one client: closed");
            drop(socket);
            continue;
        };
        let _ = socket.set_nodelay(true);
        let service = match make_service.call(remote).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let hyper_service = hyper_util::service::TowerToHyperService::new(service);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(socket), hyper_service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period: closing them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_connections_per_client_and_frees_them() {
        let open = OpenConnections::default();
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let first = open.try_open(client, 2).expect("first");
        let second = open.try_open(client, 2).expect("second");
        assert!(open.try_open(client, 2).is_none(), "third refused");
        assert!(
            open.try_open(other, 2).is_some(),
            "another client is not affected"
        );
        drop(first);
        let third = open.try_open(client, 2).expect("a slot was freed");
        drop((second, third));
        assert!(open.by_client.lock().unwrap().is_empty());
        assert!(open.try_open(client, 0).is_some(), "0 = no limit");
    }
}
