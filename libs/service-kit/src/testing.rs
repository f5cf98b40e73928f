//! Helpers for tests that start servers in another process or after a delay.

use std::collections::BTreeSet;
use std::hash::{BuildHasher as _, Hasher as _};
use std::net::TcpListener;
use std::sync::Mutex;

/// The first port of the kernel's ephemeral range (outgoing connections and
/// `bind(0)` take their ports from it).
fn ephemeral_range_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// A loopback port that is free now, for a server that binds it later (a
/// child process, or a service that loads its models first).
///
/// It is chosen below the ephemeral range: a port from `bind(0)` comes from
/// that range, so between the pick and the server's bind any outgoing
/// connection of a concurrently running test could take it. One process never
/// gets the same port twice. Another process can still bind it in between
/// (rarely); callers that spawn processes retry on "Address already in use".
pub fn unused_loopback_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    const LOWEST: u16 = 10_000;
    let highest = ephemeral_range_start().max(LOWEST + 1_000);
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for attempt in 0u32..10_000 {
        let mut hasher = std::hash::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u32(attempt);
        let span = u64::from(highest - LOWEST);
        let candidate = LOWEST + u16::try_from(hasher.finish() % span).expect("span fits u16");
        if !handed_out.contains(&candidate) && TcpListener::bind(("127.0.0.1", candidate)).is_ok() {
            handed_out.insert(candidate);
            return candidate;
        }
    }
    panic!("no free loopback port between {LOWEST} and {highest}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_bindable_distinct_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| unused_loopback_port()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
        let ephemeral = ephemeral_range_start();
        for port in ports {
            assert!((10_000..ephemeral.max(11_000)).contains(&port), "{port}");
            TcpListener::bind(("127.0.0.1", port)).expect("still free");
        }
    }
}
