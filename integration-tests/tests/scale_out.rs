//! Scale-out on the real stack (`scripts/scale-out.sh`): PostgreSQL, an S3-protocol
//! server, two replicas of every gRPC service and two edges, each its own process.
//!
//! Eight real clips are uploaded alternately through both edges (half of them sent to
//! the edge that did not sign their upload policy); while they are being
//! analysed `pose-inference-1` and `session-1` are killed with SIGKILL. Every video must
//! still complete with its counted reps (the count the embedded default gets on these
//! clips, asserted in `metrics_counts`), every step result must exist once, no job may
//! be left queued, running or dead, and the bucket may hold no object of no video and
//! no half-written upload. Then both are started again and a further upload completes,
//! and an upload made through edge 1 is downloaded through edge 2 with a Range request.
//!
//! `FITVISION_SCALE_OUT_NO_KILLS=1` runs the same without the kills (the baseline time
//! in the README).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fitvision_integration_tests::edge_http::{Body, Edge, video_part};
use fitvision_integration_tests::{ground_truth, shared_video, workspace_binary};
use serde_json::{Value, json};

/// Short clips of five exercises, counted exactly by the embedded default.
const CLIPS: [&str; 8] = [
    "jumpingjack_black_bg.mp4",
    "pullup_back_gym.mp4",
    "pushup_closeup_lowres_320x240_home.mp4",
    "squat_side_3reps.mp4",
    "squat_front_barbell_watermark.mp4",
    "lunge_reverse_band_side_indoor.mp4",
    "pushup_front_headon.mp4",
    "squat_wall_pillarbox.mp4",
];
const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(1200);
/// `FITVISION_JOB_LEASE_SECS` in `scripts/scale-out.sh`, in ms.
const SCALE_OUT_LEASE_MS: u64 = 10_000;
/// When a killed session's upload area must be gone: silent two leases, found by
/// a sweep that runs once a lease, after a last beat up to a third of a lease
/// before the kill; plus a lease of slack for a loaded machine.
const SWEEP_BOUND: Duration =
    Duration::from_millis(4 * SCALE_OUT_LEASE_MS + SCALE_OUT_LEASE_MS / 3);
const PSQL: &str = "/usr/lib/postgresql/15/bin/psql";

/// The topology started by the script in a temporary directory; `down` on drop.
struct ScaleOut {
    dir: tempfile::TempDir,
    port_base: u16,
    admin_key: String,
}

impl ScaleOut {
    /// Starts the topology; other tests pick ports too, so a taken port means another
    /// try on another block (the failed try is brought down first, by its drop).
    fn up() -> anyhow::Result<Self> {
        const ATTEMPTS: usize = 3;
        let mut last_error = None;
        for attempt in 1..=ATTEMPTS {
            let scale_out = Self {
                dir: tempfile::tempdir()?,
                port_base: free_port_block(40),
                admin_key: format!("scale-out-admin-{}", std::process::id()),
            };
            let started = Instant::now();
            match scale_out.script(&["up"]) {
                Ok(output) => {
                    eprintln!(
                        "scale-out up in {:.0} s:\n{output}",
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(scale_out);
                }
                Err(error) => {
                    eprintln!("scale-out up failed (attempt {attempt}): {error}");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    fn script(&self, args: &[&str]) -> anyhow::Result<String> {
        let bin_dir = workspace_binary("edge")
            .parent()
            .expect("binaries live in a directory")
            .to_owned();
        let output = Command::new("bash")
            .arg(fitvision_integration_tests::workspace_root().join("scripts/scale-out.sh"))
            .args(args)
            .env("FITVISION_SCALE_OUT_DIR", self.dir.path())
            .env("FITVISION_SCALE_OUT_PORT_BASE", self.port_base.to_string())
            .env("FITVISION_BIN_DIR", bin_dir)
            .env("FITVISION_ADMIN_KEY", &self.admin_key)
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        anyhow::ensure!(
            output.status.success(),
            "scale-out.sh {args:?} failed: {stdout}{}\nlogs:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_tails()
        );
        Ok(stdout)
    }

    fn log_tails(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.path().join("logs")) {
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                out.push_str(&format!("--- {}\n{tail}\n", entry.path().display()));
            }
        }
        out
    }

    fn edge(&self, replica: u16) -> Edge {
        Edge::new(format!("http://127.0.0.1:{}", self.port_base + replica - 1))
    }

    fn sql(&self, query: &str) -> Vec<String> {
        let output = Command::new(PSQL)
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "fitvision",
                "-tA",
                "-p",
            ])
            .arg((self.port_base + 2).to_string())
            .args(["-c", query])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{query}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Every key in the bucket (S3 ListObjectsV2, following continuation tokens).
    async fn bucket_keys(&self) -> Vec<String> {
        let base = format!("http://127.0.0.1:{}/fitvision-videos", self.port_base + 3);
        let client = reqwest::Client::new();
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = client.get(&base).query(&[("list-type", "2")]);
            if let Some(token) = &token {
                request = request.query(&[("continuation-token", token)]);
            }
            let xml = request.send().await.unwrap().text().await.unwrap();
            keys.extend(xml_values(&xml, "Key"));
            token = xml_values(&xml, "NextContinuationToken").into_iter().next();
            if token.is_none() {
                return keys;
            }
        }
    }
}

impl Drop for ScaleOut {
    fn drop(&mut self) {
        if let Err(error) = self.script(&["down"]) {
            eprintln!("scale-out down: {error}");
        }
    }
}

fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(|v| v.replace("&amp;", "&"))
        .collect()
}

/// The first port of `len` consecutive loopback ports that are free now, below the
/// kernel's ephemeral range (32768 up) so that no other test's outgoing connection or
/// port-0 server takes one of them before the scale-out processes bind.
fn free_port_block(len: u16) -> u16 {
    // A fresh random start per call, so a retry after a taken port tries another block.
    let seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::hash::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish() as u16
    };
    for attempt in 0..200u16 {
        let base = 20000 + (seed.wrapping_mul(37).wrapping_add(attempt * 97) % 12000);
        if (base..base + len).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no block of {len} free ports");
}

struct Upload {
    clip: &'static str,
    session_id: String,
    reps: u32,
}

/// Creates a Guru video through `edge` and uploads `clip` with the policy it hands out,
/// sent to `upload_base` when given (another edge replica must accept the policy).
async fn upload(
    edge: &Edge,
    upload_base: Option<(&str, &str)>,
    token: &str,
    clip: &'static str,
    path: &Path,
) -> Upload {
    let (activity, reps) = ground_truth(clip).expect("counted clip");
    let size = std::fs::metadata(path).unwrap().len();
    let (status, created) = edge
        .post(
            "/videos",
            token,
            Body::Json(json!({"filename": clip, "size": size, "activity": activity})),
        )
        .await;
    assert_eq!(status, 200, "{clip}: {created}");
    let mut created = created;
    if let Some((signed_by, sent_to)) = upload_base {
        let url = created["url"]
            .as_str()
            .expect("url")
            .replace(signed_by, sent_to);
        created["url"] = json!(url);
    }
    let (status, body) = edge.guru_upload(&created, video_part(path)).await;
    assert_eq!(status, 204, "{clip}: {body}");
    Upload {
        clip,
        session_id: created["id"].as_str().expect("id").to_owned(),
        reps,
    }
}

/// Polls the analysis until it is terminal; answers from an edge whose session replica
/// just died are counted (they must stay rare) and retried.
async fn wait_for_analysis(edges: &[Edge; 2], token: &str, id: &str, transient: &mut u32) -> Value {
    let deadline = Instant::now() + ANALYSIS_TIMEOUT;
    let mut turn = 0;
    loop {
        let edge = &edges[turn % 2];
        turn += 1;
        let (status, body) = edge.get(&format!("/videos/{id}/analysis"), token).await;
        match status {
            200 if body["status"] != "Pending" => return body,
            200 => {}
            502..=504 => *transient += 1,
            other => panic!("GET analysis {id}: {other} {body}"),
        }
        assert!(Instant::now() < deadline, "{id} still pending: {body}");
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_survive_killed_session_and_pose_replicas() {
    let paths: Vec<PathBuf> = match CLIPS.iter().map(|c| shared_video(c)).collect() {
        Some(paths) => paths,
        None => return,
    };
    let kills = std::env::var("FITVISION_SCALE_OUT_NO_KILLS").is_err();
    let scale_out = ScaleOut::up().expect("scale-out up");
    let edges = [scale_out.edge(1), scale_out.edge(2)];
    let token = edges[0].guru_token("admin", &scale_out.admin_key).await;

    let started = Instant::now();
    let mut uploads = Vec::new();
    let hosts = [
        format!("127.0.0.1:{}", scale_out.port_base),
        format!("127.0.0.1:{}", scale_out.port_base + 1),
    ];
    for (index, (clip, path)) in CLIPS.iter().zip(&paths).enumerate() {
        // Created on one edge; every other file is sent to the other edge.
        let (create, send) = (index % 2, (index / 2) % 2);
        let cross = (create != send).then(|| (hosts[create].as_str(), hosts[send].as_str()));
        uploads.push(upload(&edges[create], cross, &token, clip, path).await);
    }
    eprintln!(
        "8 clips uploaded through both edges (4 with a policy signed by the other edge) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut killed_at = None;
    if kills {
        // Let the pipelines get going, so the kills hit work in flight.
        tokio::time::sleep(Duration::from_secs(8)).await;
        let pending =
            scale_out.sql("SELECT count(*) FROM jobs WHERE state IN ('queued','running')");
        eprintln!("jobs queued or running at the kills: {pending:?}");
        assert_ne!(pending, vec!["0"], "the kills must hit work in flight");
        scale_out.script(&["kill", "pose-inference-1"]).unwrap();
        scale_out.script(&["kill", "session-1"]).unwrap();
        killed_at = Some(Instant::now());
    }

    let mut transient = 0;
    for upload in &uploads {
        let analysis = wait_for_analysis(&edges, &token, &upload.session_id, &mut transient).await;
        let reps = analysis["reps"].as_array().map_or(0, Vec::len);
        eprintln!(
            "{}: {} with {reps} reps (truth {}) after {:.1} s",
            upload.clip,
            analysis["status"],
            upload.reps,
            started.elapsed().as_secs_f64()
        );
        assert_eq!(
            analysis["status"], "Complete",
            "{}: {analysis}",
            upload.clip
        );
        assert_eq!(reps, upload.reps as usize, "{}: {analysis}", upload.clip);
    }
    eprintln!(
        "SCALE-OUT: 8 clips complete {:.1} s after the first upload ({}), {transient} transient edge answers",
        started.elapsed().as_secs_f64(),
        if kills {
            "pose-inference-1 and session-1 killed"
        } else {
            "no kills"
        }
    );
    assert!(
        transient <= 4,
        "{transient} edge answers failed over the kills"
    );

    // Exactly once: one row per (video, step), every pipeline job finished, none dead.
    let duplicated = scale_out
        .sql("SELECT video_id, step FROM step_results GROUP BY video_id, step HAVING count(*) > 1");
    assert!(
        duplicated.is_empty(),
        "step results stored twice: {duplicated:?}"
    );
    let analysed = scale_out.sql("SELECT count(DISTINCT video_id) FROM step_results");
    assert_eq!(analysed, vec!["8"]);
    let unfinished = scale_out
        .sql("SELECT kind || ' ' || state || ' ' || attempts FROM jobs WHERE state <> 'succeeded'");
    assert!(unfinished.is_empty(), "jobs not finished: {unfinished:?}");
    let retried = scale_out.sql("SELECT count(*) FROM jobs WHERE attempts > 1");
    eprintln!("pipeline jobs that ran more than once (taken over or retried): {retried:?}");

    // No orphans: every object belongs to a stored video, no upload left half-written,
    // and every artefact the database names is in the bucket.
    let videos: BTreeSet<String> = scale_out.sql("SELECT id FROM videos").into_iter().collect();
    // Each session process keeps one heartbeat object of its upload area; a killed
    // one's is swept by a live replica once it has been silent two leases. The live
    // replica sweeps once a lease and the killed one last beat up to a third of a
    // lease before the kill, so the sweep is due at most 3 1/3 leases after the kill:
    // the clips may well finish before that.
    let live_sessions = if kills { 1 } else { 2 };
    let sweep_due = killed_at.map(|at| at + SWEEP_BOUND);
    let keys = loop {
        let keys = scale_out.bucket_keys().await;
        let heartbeats: Vec<&String> = keys
            .iter()
            .filter(|k| k.starts_with("tmp/upload-areas/"))
            .collect();
        if heartbeats.len() == live_sessions {
            break keys;
        }
        assert!(
            sweep_due.is_some_and(|due| Instant::now() < due),
            "upload-area heartbeats not swept in time: {heartbeats:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if let Some(at) = killed_at {
        eprintln!(
            "the killed session's upload area was gone {:.1} s after the kill",
            at.elapsed().as_secs_f64()
        );
    }
    for key in keys.iter().filter(|k| !k.starts_with("tmp/upload-areas/")) {
        let owner = key
            .strip_prefix("videos/")
            .and_then(|rest| rest.split('/').next());
        assert!(
            owner.is_some_and(|id| videos.contains(id)),
            "orphaned object {key}"
        );
    }
    let stored: BTreeSet<&String> = keys.iter().collect();
    for key in scale_out.sql("SELECT object_key FROM artefacts") {
        assert!(
            stored.contains(&key),
            "artefact {key} missing from the bucket"
        );
    }

    // A download signed by edge 1, served by edge 2 from the bucket, with a Range.
    let first = &uploads[0];
    let (status, video) = edges[0]
        .get(&format!("/videos/{}", first.session_id), &token)
        .await;
    assert_eq!(status, 200, "{video}");
    let signed = video["uri"].as_str().expect("uri").to_owned();
    let through_edge_2 = signed.replace(
        &format!("127.0.0.1:{}", scale_out.port_base),
        &format!("127.0.0.1:{}", scale_out.port_base + 1),
    );
    assert_ne!(signed, through_edge_2, "the URL names edge 1: {signed}");
    let ranged = reqwest::Client::new()
        .get(&through_edge_2)
        .header("Range", "bytes=100-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    let total = std::fs::metadata(&paths[0]).unwrap().len();
    assert_eq!(
        ranged.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-1099/{total}")
    );
    let bytes = ranged.bytes().await.unwrap();
    assert_eq!(&bytes[..], &std::fs::read(&paths[0]).unwrap()[100..1100]);

    // The killed replicas come back and take work again.
    if kills {
        scale_out.script(&["start", "pose-inference-1"]).unwrap();
        scale_out.script(&["start", "session-1"]).unwrap();
    }
    let again = upload(&edges[1], None, &token, CLIPS[0], &paths[0]).await;
    let analysis = wait_for_analysis(&edges, &token, &again.session_id, &mut transient).await;
    assert_eq!(analysis["status"], "Complete", "{analysis}");
    assert_eq!(
        analysis["reps"].as_array().map_or(0, Vec::len),
        again.reps as usize
    );
}
