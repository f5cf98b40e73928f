//! Client-side balancing over the replicas of a service.
//!
//! A service address may be a comma-separated list of URLs (`http://a:50052,http://b:50052`)
//! or a DNS name that resolves to several addresses (a Kubernetes headless Service).
//! tonic's balanced channel (tower's power-of-two-choices balancer) spreads calls over
//! the replicas; this module is its discovery: it resolves every URL, probes each
//! address with a TCP connect, and keeps the balancer's set equal to the replicas that
//! accept connections. A replica that died leaves the set within one probe period, so
//! calls, and the job retries of a step that failed on it, go to the replicas still up;
//! a restarted one rejoins the same way.
//!
//! Why probe instead of relying on call failures: tonic keeps a lazily connected
//! endpoint in the balancer after its connection is refused (each call to it fails
//! fast), so without discovery a dead replica would keep taking its share of calls.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};

/// How often replicas are resolved and probed: a dead replica takes calls for at
/// most this long (plus the connect timeout of the probe).
pub const PROBE_PERIOD: Duration = Duration::from_millis(500);
/// A replica that does not accept a connection within this is treated as down.
const PROBE_TIMEOUT: Duration = Duration::from_millis(400);
/// Calls queued in the balancer while no replica is up.
const BALANCER_QUEUE: usize = 1024;

/// One configured URL, split so that each resolved address gets its own endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaTarget {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl ReplicaTarget {
    fn endpoint_uri(&self, addr: SocketAddr) -> String {
        format!("{}://{addr}", self.scheme)
    }
}

/// Splits a comma-separated list of `scheme://host:port` URLs; an entry without a
/// port takes the scheme's default (80 for http, 443 for https).
pub fn parse_targets(urls: &str) -> Result<Vec<ReplicaTarget>, String> {
    let mut targets = Vec::new();
    for raw in urls.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let uri: http::Uri = raw
            .parse()
            .map_err(|e| format!("'{raw}' is not a URL: {e}"))?;
        let scheme = uri.scheme_str().unwrap_or("http").to_owned();
        let host = uri
            .host()
            .ok_or_else(|| format!("'{raw}' has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        targets.push(ReplicaTarget { scheme, host, port });
    }
    if targets.is_empty() {
        return Err("no service URL given".to_owned());
    }
    Ok(targets)
}

/// True when `urls` names one replica at a fixed address (one URL whose host is an IP
/// literal): a plain lazily connected channel serves it, no discovery needed.
pub fn is_single_fixed_address(urls: &str) -> bool {
    matches!(parse_targets(urls).as_deref(), Ok([only]) if only.host.parse::<std::net::IpAddr>().is_ok())
}

/// A channel balancing over every reachable replica of `urls`, kept current by a
/// background task (which ends when the channel and all its clones are dropped).
/// Must be called inside a tokio runtime.
pub fn balanced_channel(
    urls: &str,
    configure: impl Fn(Endpoint) -> Endpoint + Send + 'static,
) -> Result<Channel, String> {
    let targets = parse_targets(urls)?;
    let (channel, changes) = Channel::balance_channel::<String>(BALANCER_QUEUE);
    tokio::spawn(async move {
        let mut live: BTreeMap<String, SocketAddr> = BTreeMap::new();
        loop {
            let up = reachable(&targets).await;
            let now: BTreeSet<&String> = up.keys().collect();
            for (key, addr) in &live {
                if !now.contains(key) {
                    tracing::warn!(replica = %addr, "replica unreachable: no more calls go to it");
                    if changes.send(Change::Remove(key.clone())).await.is_err() {
                        return;
                    }
                }
            }
            for (key, (target, addr)) in &up {
                if live.contains_key(key) {
                    continue;
                }
                let Ok(endpoint) = Endpoint::from_shared(target.endpoint_uri(*addr)) else {
                    continue;
                };
                tracing::info!(replica = %addr, "replica reachable: calls are balanced onto it");
                if changes
                    .send(Change::Insert(key.clone(), configure(endpoint)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            live = up.into_iter().map(|(k, (_, a))| (k, a)).collect();
            tokio::select! {
                () = tokio::time::sleep(PROBE_PERIOD) => {}
                () = changes.closed() => return,
            }
        }
    });
    Ok(channel)
}

/// Every address of every target that accepts a TCP connection now, keyed by
/// `target index/address` so one address listed twice is still one replica per entry.
async fn reachable(targets: &[ReplicaTarget]) -> BTreeMap<String, (ReplicaTarget, SocketAddr)> {
    let mut probes = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let addrs: Vec<SocketAddr> =
            match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
                Ok(found) => found.collect(),
                Err(error) => {
                    tracing::debug!(host = %target.host, %error, "replica name does not resolve");
                    continue;
                }
            };
        for addr in addrs {
            let target = target.clone();
            probes.spawn(async move {
                let accepted =
                    tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(addr))
                        .await
                        .is_ok_and(|connected| connected.is_ok());
                accepted.then(|| (format!("{index}/{addr}"), (target, addr)))
            });
        }
    }
    let mut up = BTreeMap::new();
    while let Some(done) = probes.join_next().await {
        if let Ok(Some((key, value))) = done {
            up.insert(key, value);
        }
    }
    up
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_with_default_ports() {
        let targets =
            parse_targets(" http://127.0.0.1:50052, http://pose:7 ,https://[::1]").unwrap();
        assert_eq!(targets.len(), 3);
        assert_eq!(
            (targets[0].host.as_str(), targets[0].port),
            ("127.0.0.1", 50052)
        );
        assert_eq!((targets[1].host.as_str(), targets[1].port), ("pose", 7));
        assert_eq!(
            (
                targets[2].scheme.as_str(),
                targets[2].host.as_str(),
                targets[2].port
            ),
            ("https", "::1", 443)
        );
        assert!(parse_targets(" , ").is_err());
        assert!(parse_targets("http://").is_err());
    }

    #[test]
    fn only_one_ip_literal_skips_discovery() {
        assert!(is_single_fixed_address("http://127.0.0.1:50051"));
        assert!(!is_single_fixed_address(
            "http://127.0.0.1:50051,http://127.0.0.1:50061"
        ));
        assert!(!is_single_fixed_address("http://session-replicas:50051"));
    }

    #[tokio::test]
    async fn probes_keep_only_listening_replicas() {
        let listening = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let urls = format!(
            "http://127.0.0.1:{},http://127.0.0.1:{closed_port}",
            listening.local_addr().unwrap().port()
        );
        let up = reachable(&parse_targets(&urls).unwrap()).await;
        let addrs: Vec<u16> = up.values().map(|(_, a)| a.port()).collect();
        assert_eq!(addrs, vec![listening.local_addr().unwrap().port()]);
    }
}
