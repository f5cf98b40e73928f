//! Slow or greedy clients cannot hold the edge's connections: partial headers, idle
//! keep-alive connections and stalled bodies are closed after their timeouts, and
//! one client address cannot open more than its share of connections.

mod support;

use std::time::{Duration, Instant};

use support::Harness;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn address(harness: &Harness) -> String {
    harness.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; how long that took (None: still
/// open after `within`) and what was received.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> (Option<Duration>, String) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return (None, String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    Some(started.elapsed()),
                    String::from_utf8_lossy(&received).into_owned(),
                );
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

async fn strict_edge() -> Harness {
    Harness::start_with(|config| {
        config.connections.header_read_timeout_s = 1;
        config.connections.body_idle_timeout_s = 1;
    })
    .await
}

#[tokio::test]
async fn partial_headers_are_cut_off() {
    let edge = strict_edge().await;
    let mut stream = TcpStream::connect(address(&edge)).await.unwrap();
    stream
        .write_all(b"GET /api/status HTTP/1.1\r\nHost: edge\r\n")
        .await
        .unwrap();
    let (closed, _) = closed_within(&mut stream, Duration::from_secs(6)).await;
    assert!(
        closed.is_some(),
        "a connection with partial headers stayed open"
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let edge = strict_edge().await;
    let mut stream = TcpStream::connect(address(&edge)).await.unwrap();
    stream
        .write_all(b"GET /api/status HTTP/1.1\r\nHost: edge\r\n\r\n")
        .await
        .unwrap();
    let (closed, received) = closed_within(&mut stream, Duration::from_secs(6)).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(
        closed.is_some(),
        "an idle keep-alive connection stayed open"
    );
}

#[tokio::test]
async fn a_stalled_body_is_cut_off() {
    let edge = strict_edge().await;
    let mut stream = TcpStream::connect(address(&edge)).await.unwrap();
    // Announces 1000 bytes of form and sends 10, then nothing.
    stream
        .write_all(
            b"POST /oauth2/token HTTP/1.1\r\nHost: edge\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n\
              grant_type",
        )
        .await
        .unwrap();
    let (closed, received) = closed_within(&mut stream, Duration::from_secs(6)).await;
    assert!(
        closed.is_some(),
        "a stalled body held its connection: {received}"
    );
    assert!(
        received.is_empty() || !received.starts_with("HTTP/1.1 200"),
        "{received}"
    );
}

#[tokio::test]
async fn one_client_cannot_take_every_connection() {
    let edge = Harness::start_with(|config| {
        config.connections.max_connections_per_client = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(address(&edge)).await.unwrap());
    }
    // The fourth is accepted by the kernel and closed by the edge at once.
    let mut fourth = TcpStream::connect(address(&edge)).await.unwrap();
    let _ = fourth
        .write_all(b"GET /api/status HTTP/1.1\r\nHost: edge\r\n\r\n")
        .await;
    let (closed, received) = closed_within(&mut fourth, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "the fourth connection was served");
    assert!(received.is_empty(), "{received}");

    // A freed slot is usable again.
    drop(held.pop());
    let mut served = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let Ok(response) = edge.client.get(edge.url("/api/status")).send().await else {
            continue;
        };
        if response.status() == 200 {
            served = true;
            break;
        }
    }
    assert!(served, "no connection served after one was closed");
}
