//! Load on the embedded suite, as many users at once would give it (issue 20).
//!
//!   cargo build --release --workspace --bins
//!   cargo run --release -p fitvision-integration-tests --bin load_test -- \
//!       [--seconds=60] [--uploads=8] [--readers=200] [--slow=50] [--clip=NAME]
//!
//! Starts `fitvision serve` (the same build, default settings), gives every simulated
//! client its own API key (an admin of one tenant, so it may read every video) and its
//! own loopback source address (127.0.1.x readers, 127.0.2.x uploaders, 127.0.3.x slow
//! clients), so the per-client limits see 200 clients, not one. Then two phases of
//! `--seconds` each:
//! 1. `--uploads` uploaders each keep one analysis in flight (Guru flow: `POST /videos`,
//!    the signed upload, polling `/videos/{id}/analysis` until it is no longer
//!    Pending), while `--readers` readers each read, every 250 ms, one of the
//!    tenant's analysed videos by the routes a dashboard uses: `GET /videos/{id}`,
//!    `/analysis`, `/j2p`, and the SSE stream `/videos/{id}/events` (time to the
//!    first event);
//! 2. the same with `--slow` slow clients attached: each opens a connection, sends a
//!    request head one header line per second and never ends it, and reconnects when
//!    the edge cuts it off.
//!
//! Prints per phase and route: requests, requests/s, p50/p99/max latency, errors
//! (any answer but 2xx, or no answer: must be 0); the analyses completed and their
//! time to result; the suite's peak RSS in the phase; how the slow clients ended.
//! `--clip` is a shared video (default: the smallest jumping-jack clip).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fitvision_integration_tests::edge_http::{Body, Edge, api_key, video_part};
use fitvision_integration_tests::{Suite, shared_video};
use fitvision_proto::v1::Role;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TENANT: &str = "load";
/// A reader's pause between two requests (a dashboard polling).
const READER_PAUSE: Duration = Duration::from_millis(250);
/// How long an uploader waits for one analysis before calling it an error.
const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(600);

struct Args {
    seconds: u64,
    uploads: usize,
    readers: usize,
    slow: usize,
    clip: String,
}

impl Args {
    fn parse() -> Result<Self> {
        let mut args = Self {
            seconds: 60,
            uploads: 8,
            readers: 200,
            slow: 50,
            clip: "jumpingjack_black_bg.mp4".to_owned(),
        };
        for arg in std::env::args().skip(1) {
            let (key, value) = arg
                .split_once('=')
                .with_context(|| format!("expected --name=value, got {arg}"))?;
            match key {
                "--seconds" => args.seconds = value.parse()?,
                "--uploads" => args.uploads = value.parse()?,
                "--readers" => args.readers = value.parse()?,
                "--slow" => args.slow = value.parse()?,
                "--clip" => args.clip = value.to_owned(),
                _ => bail!("unknown option {key}"),
            }
        }
        if args.readers > 250 || args.uploads > 250 || args.slow > 250 {
            bail!("at most 250 clients of each kind (one loopback address each)");
        }
        Ok(args)
    }
}

/// What one route measured in a phase.
#[derive(Default)]
struct RouteStats {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_errors: Vec<String>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<BTreeMap<&'static str, RouteStats>>>);

impl Recorder {
    fn ok(&self, route: &'static str, started: Instant) {
        let mut routes = self.0.lock().unwrap();
        let stats = routes.entry(route).or_default();
        stats
            .latencies_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }

    fn error(&self, route: &'static str, what: String) {
        let mut routes = self.0.lock().unwrap();
        let stats = routes.entry(route).or_default();
        stats.errors += 1;
        if stats.first_errors.len() < 3 {
            stats.first_errors.push(what);
        }
    }

    fn take(&self) -> BTreeMap<&'static str, RouteStats> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A client of the edge whose connections leave from `source`.
fn edge_from(base: &str, source: Ipv4Addr) -> Result<Edge> {
    Ok(Edge {
        base: base.to_owned(),
        client: reqwest::Client::builder()
            .local_address(IpAddr::V4(source))
            .timeout(Duration::from_secs(120))
            .build()?,
    })
}

/// Videos readers pick from: analysed ones of the tenant.
type VideoIds = Arc<Mutex<Vec<String>>>;

/// Uploads the clip the Guru way; its id once accepted.
async fn start_analysis(edge: &Edge, auth: &str, clip: &Clip) -> Result<String, String> {
    let (status, created) = edge
        .post(
            "/videos",
            auth,
            Body::Json(
                json!({"filename": "load.mp4", "size": clip.size, "activity": clip.activity}),
            ),
        )
        .await;
    if status != 200 {
        return Err(format!("POST /videos {status}: {created}"));
    }
    let (status, body) = edge.guru_upload(&created, video_part(&clip.path)).await;
    if status != 204 {
        return Err(format!("upload {status}: {body}"));
    }
    created["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no id in {created}"))
}

/// Polls the analysis until it is no longer Pending; Ok when Complete.
async fn wait_for_result(edge: &Edge, auth: &str, id: &str) -> Result<(), String> {
    let deadline = Instant::now() + ANALYSIS_TIMEOUT;
    loop {
        let (status, body) = edge.get(&format!("/videos/{id}/analysis"), auth).await;
        if status != 200 {
            return Err(format!("analysis {status}: {body}"));
        }
        match body["status"].as_str() {
            Some("Pending") if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Some("Complete") => return Ok(()),
            _ => return Err(format!("analysis ended as {}", body["status"])),
        }
    }
}

struct Clip {
    path: std::path::PathBuf,
    size: u64,
    activity: String,
}

async fn uploader(
    edge: Edge,
    auth: String,
    clip: Arc<Clip>,
    until: Instant,
    record: Recorder,
    ids: VideoIds,
) {
    while Instant::now() < until {
        let started = Instant::now();
        let id = match start_analysis(&edge, &auth, &clip).await {
            Ok(id) => id,
            Err(error) => {
                record.error("upload (create + signed upload)", error);
                continue;
            }
        };
        record.ok("upload (create + signed upload)", started);
        match wait_for_result(&edge, &auth, &id).await {
            Ok(()) => {
                record.ok("analysis: upload to result", started);
                ids.lock().unwrap().push(id);
            }
            Err(error) => record.error("analysis: upload to result", error),
        }
    }
}

const READ_ROUTES: [&str; 4] = [
    "GET /videos/{id}",
    "GET /videos/{id}/analysis",
    "GET /videos/{id}/j2p",
    "GET /videos/{id}/events (first event)",
];

async fn read_once(edge: &Edge, auth: &str, route: usize, id: &str) -> Result<(), String> {
    let path = match route {
        0 => format!("/videos/{id}"),
        1 => format!("/videos/{id}/analysis"),
        2 => format!("/videos/{id}/j2p"),
        _ => format!("/videos/{id}/events"),
    };
    let response = edge
        .client
        .get(edge.url(&path))
        .header("authorization", auth)
        .send()
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(format!("{path}: {status} {body:.200}"));
    }
    if route == 3 {
        // The stream stays open; its first event is the answer.
        let mut response = response;
        tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .map_err(|_| format!("{path}: no event within 10 s"))?
            .map_err(|e| format!("{path}: {e}"))?;
    } else {
        response.bytes().await.map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

async fn reader(
    edge: Edge,
    auth: String,
    index: usize,
    until: Instant,
    record: Recorder,
    ids: VideoIds,
) {
    let mut turn = index;
    while Instant::now() < until {
        let id = {
            let ids = ids.lock().unwrap();
            ids[turn % ids.len()].clone()
        };
        let route = turn % READ_ROUTES.len();
        let started = Instant::now();
        match read_once(&edge, &auth, route, &id).await {
            Ok(()) => record.ok(READ_ROUTES[route], started),
            Err(error) => record.error(READ_ROUTES[route], error),
        }
        turn += 1;
        tokio::time::sleep(READER_PAUSE).await;
    }
}

/// How the slow connections ended.
#[derive(Default)]
struct SlowOutcome {
    connections: u64,
    /// Seconds from connect until the edge closed it.
    cut_after_s: Vec<f64>,
}

async fn slow_client(edge: SocketAddr, source: Ipv4Addr, until: Instant) -> SlowOutcome {
    let mut outcome = SlowOutcome::default();
    while Instant::now() < until {
        let socket = match tokio::net::TcpSocket::new_v4() {
            Ok(socket) => socket,
            Err(_) => break,
        };
        if socket.bind(SocketAddr::new(IpAddr::V4(source), 0)).is_err() {
            break;
        }
        let Ok(mut stream) = socket.connect(edge).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        outcome.connections += 1;
        let opened = Instant::now();
        let _ = stream
            .write_all(b"GET /api/status HTTP/1.1\r\nHost: load\r\n")
            .await;
        let mut scratch = [0u8; 512];
        let mut line = 0u64;
        while Instant::now() < until {
            // A header line a second, never the blank line that ends the head.
            line += 1;
            let wrote = stream
                .write_all(format!("X-Slow-{line}: a\r\n").as_bytes())
                .await;
            // Any answer (an error status, or the end of the stream) ends the head.
            let closed = wrote.is_err()
                || tokio::time::timeout(Duration::from_secs(1), stream.read(&mut scratch))
                    .await
                    .is_ok();
            if closed {
                outcome.cut_after_s.push(opened.elapsed().as_secs_f64());
                break;
            }
        }
    }
    outcome
}

/// Largest resident set of the suite seen while `until` has not passed.
async fn sample_rss(pid: u32, until: Instant) -> f64 {
    let mut peak: f64 = 0.0;
    while Instant::now() < until {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        {
            peak = peak.max(kb / 1024.0);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    peak
}

struct Clients {
    base: String,
    readers: Vec<(Edge, String)>,
    uploaders: Vec<(Edge, String)>,
    slow_sources: Vec<Ipv4Addr>,
}

async fn run_phase(
    name: &str,
    suite: &Suite,
    clients: &Clients,
    slow: usize,
    seconds: u64,
    clip: &Arc<Clip>,
    ids: &VideoIds,
) -> Result<()> {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let record = Recorder::default();
    let edge_addr: SocketAddr = clients
        .base
        .trim_start_matches("http://")
        .parse()
        .context("edge address")?;
    let slow_tasks: Vec<_> = clients.slow_sources[..slow]
        .iter()
        .map(|source| tokio::spawn(slow_client(edge_addr, *source, until)))
        .collect();
    let rss = tokio::spawn(sample_rss(suite.pid(), until + Duration::from_secs(600)));
    let mut tasks = Vec::new();
    for (edge, auth) in &clients.uploaders {
        tasks.push(tokio::spawn(uploader(
            edge.clone(),
            auth.clone(),
            clip.clone(),
            until,
            record.clone(),
            ids.clone(),
        )));
    }
    for (index, (edge, auth)) in clients.readers.iter().enumerate() {
        tasks.push(tokio::spawn(reader(
            edge.clone(),
            auth.clone(),
            index,
            until,
            record.clone(),
            ids.clone(),
        )));
    }
    let mut slow_outcome = SlowOutcome::default();
    for task in slow_tasks {
        let outcome = task.await?;
        slow_outcome.connections += outcome.connections;
        slow_outcome.cut_after_s.extend(outcome.cut_after_s);
    }
    // Uploaders finish the analysis they started before the end.
    for task in tasks {
        task.await?;
    }
    let wall = started.elapsed().as_secs_f64();
    rss.abort();
    let peak_rss = suite.peak_rss_mb().unwrap_or(f64::NAN);

    println!(
        "\n## {name}: {} uploads in flight, {} readers, {slow} slow clients, {seconds} s (wall {wall:.0} s with the last analyses)",
        clients.uploaders.len(),
        clients.readers.len()
    );
    println!(
        "| route | requests | per s | p50 ms | p99 ms | max ms | errors |\n|---|---|---|---|---|---|---|"
    );
    let mut errors = 0;
    for (route, mut stats) in record.take() {
        stats.latencies_ms.sort_by(f64::total_cmp);
        let n = stats.latencies_ms.len();
        println!(
            "| {route} | {n} | {:.1} | {:.0} | {:.0} | {:.0} | {} |",
            n as f64 / seconds as f64,
            percentile(&stats.latencies_ms, 0.5),
            percentile(&stats.latencies_ms, 0.99),
            stats.latencies_ms.last().copied().unwrap_or(f64::NAN),
            stats.errors
        );
        errors += stats.errors;
        for sample in &stats.first_errors {
            println!("    error: {sample}");
        }
    }
    println!("suite peak RSS so far (VmHWM): {peak_rss:.0} MB; errors: {errors}");
    if slow > 0 {
        let mut cut = slow_outcome.cut_after_s.clone();
        cut.sort_by(f64::total_cmp);
        println!(
            "slow clients: {} connections opened, {} cut off by the edge after a median {:.1} s (max {:.1} s)",
            slow_outcome.connections,
            cut.len(),
            percentile(&cut, 0.5),
            cut.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse()?;
    let path =
        shared_video(&args.clip).context("the shared videos are needed (../shared/videos)")?;
    let activity = fitvision_integration_tests::ground_truth(&args.clip)
        .map(|(exercise, _)| exercise)
        .context("a labelled clip")?;
    let clip = Arc::new(Clip {
        size: std::fs::metadata(&path)?.len(),
        path,
        activity,
    });
    let suite = Suite::start().await?;
    let base = suite.edge_url();
    println!(
        "suite: pid {}, edge {base}; clip {} ({} bytes, {})",
        suite.pid(),
        args.clip,
        clip.size,
        clip.activity
    );
    let mut readers = Vec::new();
    for index in 0..args.readers {
        let source = Ipv4Addr::new(127, 0, 1, index as u8 + 1);
        let key = suite
            .create_api_key(TENANT, &format!("reader-{index}"), Role::Admin)
            .await?;
        readers.push((edge_from(&base, source)?, api_key(&key)));
    }
    let mut uploaders = Vec::new();
    for index in 0..args.uploads {
        let source = Ipv4Addr::new(127, 0, 2, index as u8 + 1);
        let key = suite
            .create_api_key(TENANT, &format!("uploader-{index}"), Role::Admin)
            .await?;
        uploaders.push((edge_from(&base, source)?, api_key(&key)));
    }
    let clients = Clients {
        base,
        readers,
        uploaders,
        slow_sources: (0..args.slow)
            .map(|index| Ipv4Addr::new(127, 0, 3, index as u8 + 1))
            .collect(),
    };

    // Something to read from the first second: one analysed video.
    let (edge, auth) = &clients.uploaders[0];
    let seed = start_analysis(edge, auth, &clip)
        .await
        .map_err(anyhow::Error::msg)?;
    wait_for_result(edge, auth, &seed)
        .await
        .map_err(anyhow::Error::msg)?;
    let ids: VideoIds = Arc::new(Mutex::new(vec![seed]));
    println!(
        "seeded one analysed video; suite RSS peak {:.0} MB",
        suite.peak_rss_mb().unwrap_or(f64::NAN)
    );

    run_phase("phase 1", &suite, &clients, 0, args.seconds, &clip, &ids).await?;
    run_phase(
        "phase 2",
        &suite,
        &clients,
        args.slow,
        args.seconds,
        &clip,
        &ids,
    )
    .await?;
    Ok(())
}
