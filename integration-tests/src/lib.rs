//! Harness for end-to-end tests: starts the real `fitvision serve` process on
//! free loopback ports with a throw-away data directory, waits until every
//! service reports SERVING, and tears it down with SIGTERM.
//!
//! Tests that need `../shared/videos` call [`videos_dir`] and skip with a
//! message when it is absent (CI always has it).

pub mod edge_http;
pub mod live_feed;
pub mod robustness;
pub mod session_audit;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fitvision_proto::v1::session_service_client::SessionServiceClient;
use fitvision_proto::v1::{
    CreateApiKeyRequest, ProgressStage, Role, UploadMetadata, UploadVideoRequest, Video,
    WatchVideoRequest, WatchVideoResponse, upload_video_request,
};
use fitvision_service_kit::testing::unused_loopback_port;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("integration-tests has a parent")
        .to_path_buf()
}

/// The shared videos (`FITVISION_SHARED_VIDEOS`, else `../shared/videos` next to the
/// checkout), when present.
pub fn videos_dir() -> Option<PathBuf> {
    Some(fitvision_clip_fixtures::shared_videos_dir()).filter(|dir| dir.is_dir())
}

/// A video from the shared set, or `None` (after printing why) so the caller can skip.
pub use fitvision_clip_fixtures::{packaged_demo_clip, shared_video};

/// A clip's counted truth from `ground_truth.json`: (exercise id, reps).
/// `None` when the clip is not listed or has no counted reps.
pub fn ground_truth(name: &str) -> Option<(String, u32)> {
    let text = std::fs::read_to_string(videos_dir()?.join("ground_truth.json")).ok()?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).ok()?;
    let entry = entries.iter().find(|e| e["file"] == name)?;
    Some((
        entry["exercise"].as_str()?.to_owned(),
        u32::try_from(entry["reps"].as_u64()?).ok()?,
    ))
}

/// A binary of this workspace built in the same profile as the running test or tool.
pub fn workspace_binary(name: &str) -> PathBuf {
    // Test executables live in <target>/<profile>/deps/, tools in <target>/<profile>/.
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("an executable lives in a directory");
    let profile_dir = if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps lives in <target>/<profile>")
    } else {
        dir
    };
    profile_dir.join(name)
}

/// The grpcurl binary installed by scripts/setup.sh.
pub fn grpcurl() -> PathBuf {
    std::env::var_os("FITVISION_GRPCURL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/fitvision-tools/venv/bin/grpcurl"))
}

/// Ports of one running suite.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub edge: u16,
    pub session: u16,
    pub pose: u16,
    pub cheat: u16,
    pub metrics: u16,
    pub coaching: u16,
}

impl Ports {
    fn pick() -> Self {
        Self {
            edge: unused_loopback_port(),
            session: unused_loopback_port(),
            pose: unused_loopback_port(),
            cheat: unused_loopback_port(),
            metrics: unused_loopback_port(),
            coaching: unused_loopback_port(),
        }
    }

    /// The five gRPC ports with the service each must expose.
    pub fn grpc(&self) -> [(u16, &'static str); 5] {
        use fitvision_proto::service_names::*;
        [
            (self.session, SESSION),
            (self.pose, POSE_INFERENCE),
            (self.cheat, CHEAT_DETECTION),
            (self.metrics, EXERCISE_METRICS),
            (self.coaching, COACHING),
        ]
    }
}

/// A running `fitvision serve` process.
pub struct Suite {
    child: Option<Child>,
    pub ports: Ports,
    pub admin_key: String,
    pub data_dir: tempfile::TempDir,
    log_path: PathBuf,
}

impl Suite {
    /// Starts the suite and waits (up to 5 minutes: models load first) until
    /// every gRPC service is SERVING and the edge answers.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_env(&[]).await
    }

    pub async fn start_with_env(extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_on(tempfile::tempdir()?, extra_env).await
    }

    /// Starts the suite on `data_dir`, which may hold the database and
    /// objects of an earlier run (a restart sees them as they were left).
    /// The log is appended to `suite.log` in that directory.
    pub async fn start_on(
        data_dir: tempfile::TempDir,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let admin_key = format!("test-admin-{}", std::process::id());
        let log_path = data_dir.path().join("suite.log");
        let mut suite = Self {
            child: None,
            ports: Ports::pick(),
            admin_key,
            data_dir,
            log_path,
        };
        suite.launch(extra_env).await?;
        Ok(suite)
    }

    /// Spawns `fitvision serve` on fresh ports and waits until it is ready.
    /// Another test process may bind one of the picked ports between the
    /// pick and the server's bind; the suite then exits with "Address already
    /// in use" and is started again on other ports.
    async fn launch(&mut self, extra_env: &[(&str, &str)]) -> anyhow::Result<()> {
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            self.ports = Ports::pick();
            let log_before = std::fs::metadata(&self.log_path).map_or(0, |m| m.len());
            let child = spawn_serve(
                self.data_dir.path(),
                &self.log_path,
                &self.ports,
                &self.admin_key,
                extra_env,
            )?;
            self.child = Some(child);
            let Err(error) = self.wait_until_ready(Duration::from_secs(300)).await else {
                return Ok(());
            };
            let exited = self
                .child
                .as_mut()
                .is_some_and(|child| child.try_wait().ok().flatten().is_some());
            let log = std::fs::read(&self.log_path).unwrap_or_default();
            let this_attempt = String::from_utf8_lossy(
                log.get(usize::try_from(log_before).unwrap_or(0)..)
                    .unwrap_or_default(),
            );
            if !(exited && this_attempt.contains("Address already in use")) || attempt == ATTEMPTS {
                return Err(error);
            }
            self.child = None;
            eprintln!(
                "a picked port was taken (attempt {attempt}); starting the suite on other ports"
            );
        }
        unreachable!("the last attempt returns")
    }

    /// Starts the suite again on this suite's data directory (after
    /// [`kill9`](Self::kill9) or [`terminate`](Self::terminate)), on fresh
    /// ports, with the same admin key; the log continues in the same file.
    pub async fn restart(&mut self, extra_env: &[(&str, &str)]) -> anyhow::Result<()> {
        anyhow::ensure!(self.child.is_none(), "the suite is still running");
        self.launch(extra_env).await
    }

    /// Kills the process with SIGKILL (no drain, no cleanup: a crash) and
    /// reaps it. The data directory stays for [`restart`](Self::restart).
    pub fn kill9(&mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("suite already stopped")?;
        // std's Child::kill sends SIGKILL on Unix.
        child.kill()?;
        Ok(child.wait()?)
    }

    /// The directory `fitvision serve` was given as `--data-dir`.
    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().join("data")
    }

    /// The SQLite database of the session service.
    pub fn database_path(&self) -> PathBuf {
        self.data_path().join("session.db")
    }

    /// The local object store's root directory.
    pub fn objects_path(&self) -> PathBuf {
        self.data_path().join("objects")
    }
}

/// Spawns `fitvision serve` on `data_dir` with its output appended to `log_path`.
fn spawn_serve(
    data_dir: &Path,
    log_path: &Path,
    ports: &Ports,
    admin_key: &str,
    extra_env: &[(&str, &str)],
) -> anyhow::Result<Child> {
    let binary = workspace_binary("fitvision");
    anyhow::ensure!(
        binary.is_file(),
        "{} is missing: run `cargo build --workspace --bins` first",
        binary.display()
    );
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log_path)?;
    let mut command = Command::new(&binary);
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir.join("data"))
        .args(["--edge-port", &ports.edge.to_string()])
        .args(["--session-port", &ports.session.to_string()])
        .args(["--pose-port", &ports.pose.to_string()])
        .args(["--cheat-port", &ports.cheat.to_string()])
        .args(["--metrics-port", &ports.metrics.to_string()])
        .args(["--coaching-port", &ports.coaching.to_string()])
        .env("FITVISION_ADMIN_KEY", admin_key)
        .env("RUST_LOG", "info,ort=warn")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.spawn().context("spawn fitvision serve")
}

impl Suite {
    async fn wait_until_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        for (port, _) in self.ports.grpc() {
            loop {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    anyhow::bail!(
                        "fitvision serve exited early ({status}); logs:\n{}",
                        self.logs()
                    );
                }
                if health_of(port, "").await == Some(ServingStatus::Serving) {
                    break;
                }
                if Instant::now() > deadline {
                    anyhow::bail!("port {port} not SERVING in time; logs:\n{}", self.logs());
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        let status_url = format!("{}/api/status", self.edge_url());
        loop {
            if reqwest::get(&status_url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("edge not answering; logs:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub fn edge_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.edge)
    }

    pub fn grpc_url(port: u16) -> String {
        format!("http://127.0.0.1:{port}")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    /// Peak resident set (VmHWM) of `fitvision serve` (every service in one
    /// process), in MB; `None` when it is not running.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// Everything the suite has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `authorization` metadata value of the admin key.
    pub fn admin_authorization(&self) -> tonic::metadata::MetadataValue<tonic::metadata::Ascii> {
        format!("API-KEY {}", self.admin_key)
            .parse()
            .expect("ascii key")
    }

    /// A session-service client.
    pub async fn session_client(
        &self,
    ) -> anyhow::Result<SessionServiceClient<tonic::transport::Channel>> {
        let channel = tonic::transport::Endpoint::from_shared(Self::grpc_url(self.ports.session))?
            .connect()
            .await?;
        Ok(SessionServiceClient::new(channel).max_decoding_message_size(512 << 20))
    }

    /// Uploads a file over the client-streaming RPC as the admin.
    pub async fn upload(&self, path: &Path, exercise_id: &str) -> anyhow::Result<Video> {
        let bytes = std::fs::read(path)?;
        let mut messages = vec![UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Metadata(UploadMetadata {
                kind: fitvision_proto::v1::SessionKind::Video as i32,
                exercise_id: exercise_id.to_owned(),
                filename: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                declared_size_bytes: bytes.len() as u64,
                ..Default::default()
            })),
        }];
        messages.extend(bytes.chunks(1 << 20).map(|chunk| UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Chunk(chunk.to_vec())),
        }));
        let mut request = tonic::Request::new(tokio_stream::iter(messages));
        request
            .metadata_mut()
            .insert("authorization", self.admin_authorization());
        let response = self.session_client().await?.upload_video(request).await?;
        response
            .into_inner()
            .video
            .context("upload returned no video")
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    pub fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("suite already stopped")?;
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                anyhow::bail!("fitvision serve did not exit within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Session-service helpers for tests that drive uploads by hand.
impl Suite {
    /// Streams `metadata` then `chunks` as the holder of `api_key`; the
    /// service's answer as is (a refusal is the `Status`).
    pub async fn upload_chunks(
        &self,
        api_key: &str,
        metadata: UploadMetadata,
        chunks: Vec<Vec<u8>>,
    ) -> anyhow::Result<Result<Video, tonic::Status>> {
        let mut messages = vec![UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Metadata(metadata)),
        }];
        messages.extend(chunks.into_iter().map(|chunk| UploadVideoRequest {
            payload: Some(upload_video_request::Payload::Chunk(chunk)),
        }));
        let request = with_api_key(api_key, tokio_stream::iter(messages))?;
        let mut client = self.session_client().await?;
        Ok(client
            .upload_video(request)
            .await
            .map(|response| response.into_inner().video.unwrap_or_default()))
    }

    /// Follows a video's progress stream (as the admin) until its terminal
    /// event; returns every event received.
    pub async fn watch_to_end(
        &self,
        video_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<Vec<WatchVideoResponse>> {
        let request = with_api_key(
            &self.admin_key,
            WatchVideoRequest {
                video_id: video_id.to_owned(),
            },
        )?;
        let mut stream = self
            .session_client()
            .await?
            .watch_video(request)
            .await?
            .into_inner();
        let mut events = Vec::new();
        let followed = tokio::time::timeout(timeout, async {
            while let Some(event) = stream.message().await? {
                let terminal = event.stage == ProgressStage::Completed as i32
                    || event.stage == ProgressStage::Failed as i32;
                events.push(event);
                if terminal {
                    return Ok(());
                }
            }
            anyhow::bail!("the progress stream ended before a terminal event")
        })
        .await;
        match followed {
            Ok(result) => result.map(|()| events),
            Err(_) => anyhow::bail!(
                "no terminal event for video {video_id} within {timeout:?}; events so far: {events:?}"
            ),
        }
    }

    /// Creates an API key (as the platform admin) for `user_id` of `tenant_id`.
    pub async fn create_api_key(
        &self,
        tenant_id: &str,
        user_id: &str,
        role: Role,
    ) -> anyhow::Result<String> {
        let request = with_api_key(
            &self.admin_key,
            CreateApiKeyRequest {
                user_id: user_id.to_owned(),
                role: role as i32,
                scopes: Vec::new(),
                tenant_id: tenant_id.to_owned(),
            },
        )?;
        Ok(self
            .session_client()
            .await?
            .create_api_key(request)
            .await?
            .into_inner()
            .api_key)
    }

    /// Every file under the object store (relative paths, sorted), staged
    /// multipart files included.
    pub fn stored_files(&self) -> Vec<String> {
        let root = self.objects_path();
        let mut files = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if let Ok(relative) = path.strip_prefix(&root) {
                    files.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files
    }
}

/// A request carrying `authorization: API-KEY <key>`.
pub fn with_api_key<T>(key: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("API-KEY {key}").parse()?);
    Ok(request)
}

impl Drop for Suite {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Health of `service` ("" = the server) on a loopback port, or None when unreachable.
pub async fn health_of(port: u16, service: &str) -> Option<ServingStatus> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .ok()?
        .connect_timeout(Duration::from_secs(1))
        .connect()
        .await
        .ok()?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .ok()?;
    ServingStatus::try_from(response.into_inner().status).ok()
}
