//! Upload benchmark: streams a synthetic 500 MB MP4 through UploadVideo into
//! an in-process session service (SQLite + local directory) and prints the
//! throughput and the process's resident memory above idle.
//!
//! `cargo run --release -p fitvision-session --bin session-upload-bench [-- SIZE_MB]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fitvision_proto::v1 as pb;
use fitvision_proto::v1::session_service_client::SessionServiceClient;
use tokio_util::sync::CancellationToken;

const CHUNK: usize = 1 << 20;
const ADMIN_KEY: &str = "bench-admin-key";

/// Resident set size of this process in bytes (Linux).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Chunks of a structurally valid MP4 whose mdat holds `payload` bytes.
fn mp4_chunks(payload: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut header = 16u32.to_be_bytes().to_vec();
    header.extend_from_slice(b"ftypisom\0\0\x02\0");
    header.extend_from_slice(&16u32.to_be_bytes());
    header.extend_from_slice(b"moov");
    header.extend_from_slice(&[0u8; 8]);
    header.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
    header.extend_from_slice(b"mdat");
    let body = (0..payload.div_ceil(CHUNK)).map(move |index| {
        let len = CHUNK.min(payload - index * CHUNK);
        (0..len)
            .map(|i| ((i + index) % 251) as u8)
            .collect::<Vec<u8>>()
    });
    std::iter::once(header).chain(body)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let size_mb: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(500);
    let payload = size_mb * 1_000_000;
    let dir = tempfile::tempdir()?;
    let mut config = fitvision_session::Config::embedded(dir.path().to_path_buf());
    config.admin_key = Some(ADMIN_KEY.to_owned());
    config.workers = 0;
    let shutdown = CancellationToken::new();
    let started = fitvision_session::start(&config, shutdown.clone()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service = started.service;
    let stop = shutdown.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                stop.cancelled_owned(),
            )
            .await
    });
    let mut client = SessionServiceClient::connect(format!("http://{addr}")).await?;
    // Warm up connection pools and the database before measuring idle memory.
    let mut warm = tonic::Request::new(pb::ListSessionsRequest::default());
    warm.metadata_mut()
        .insert("authorization", ADMIN_KEY.parse()?);
    client.list_sessions(warm).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = rss_bytes();

    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };

    let total = (payload + 40) as u64;
    let metadata = pb::UploadVideoRequest {
        payload: Some(pb::upload_video_request::Payload::Metadata(
            pb::UploadMetadata {
                kind: pb::SessionKind::Video as i32,
                exercise_id: "squat".into(),
                filename: "bench.mp4".into(),
                declared_size_bytes: total,
                ..Default::default()
            },
        )),
    };
    let chunks = mp4_chunks(payload).map(|chunk| pb::UploadVideoRequest {
        payload: Some(pb::upload_video_request::Payload::Chunk(chunk)),
    });
    let messages = tokio_stream::iter(std::iter::once(metadata).chain(chunks));
    let mut request = tonic::Request::new(messages);
    request
        .metadata_mut()
        .insert("authorization", ADMIN_KEY.parse()?);
    let started_at = Instant::now();
    let video = client
        .upload_video(request)
        .await?
        .into_inner()
        .video
        .unwrap_or_default();
    let elapsed = started_at.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().ok();

    let stored = video.original.map(|o| o.size_bytes).unwrap_or(0);
    anyhow::ensure!(stored == total, "stored {stored} bytes, sent {total}");
    let peak = peak.load(Ordering::Relaxed);
    let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    println!(
        "upload of {:.1} MB (synthetic MP4, 1 MiB chunks, SQLite + local dir)",
        total as f64 / 1e6
    );
    println!("  time        {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput  {:.1} MB/s",
        total as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!("  RSS idle    {:.1} MiB", mib(idle));
    println!("  RSS peak    {:.1} MiB", mib(peak));
    println!(
        "  above idle  {:.1} MiB (budget 100 MiB)",
        mib(peak.saturating_sub(idle))
    );
    shutdown.cancel();
    Ok(())
}
