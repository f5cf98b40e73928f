//! Harness for end-to-end tests: starts the real `fitvision serve` process on
//! free loopback ports with a throw-away data directory, waits until every
//! service reports SERVING, and tears it down with SIGTERM.
//!
//! Tests that need `../shared/videos` call [`videos_dir`] and skip with a
//! message when it is absent (CI always has it).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fitvision_proto::v1::session_service_client::SessionServiceClient;
use fitvision_proto::v1::{UploadMetadata, UploadVideoRequest, Video, upload_video_request};
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

/// `../shared/videos` next to the checkout (or `FITVISION_VIDEOS_DIR`), when present.
pub fn videos_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FITVISION_VIDEOS_DIR") {
        return Some(PathBuf::from(dir));
    }
    let candidate = workspace_root().join("../shared/videos");
    candidate
        .is_dir()
        .then(|| candidate.canonicalize().unwrap_or(candidate))
}

/// A video from the shared set, or `None` (after printing why) so the caller can skip.
pub fn shared_video(name: &str) -> Option<PathBuf> {
    match videos_dir() {
        Some(dir) if dir.join(name).is_file() => Some(dir.join(name)),
        _ => {
            eprintln!("SKIP: ../shared/videos/{name} is not available on this machine");
            None
        }
    }
}

/// A binary of this workspace built in the same profile as the running test.
pub fn workspace_binary(name: &str) -> PathBuf {
    // Test executables live in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in <target>/<profile>/deps");
    profile_dir.join(name)
}

/// The grpcurl binary installed by scripts/setup.sh.
pub fn grpcurl() -> PathBuf {
    std::env::var_os("FITVISION_GRPCURL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/fitvision-tools/venv/bin/grpcurl"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
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
            edge: free_port(),
            session: free_port(),
            pose: free_port(),
            cheat: free_port(),
            metrics: free_port(),
            coaching: free_port(),
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
        let binary = workspace_binary("fitvision");
        anyhow::ensure!(
            binary.is_file(),
            "{} is missing: run `cargo build --workspace --bins` first",
            binary.display()
        );
        let data_dir = tempfile::tempdir()?;
        let log_path = data_dir.path().join("suite.log");
        let log = std::fs::File::create(&log_path)?;
        let ports = Ports::pick();
        let admin_key = format!("test-admin-{}", std::process::id());
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir.path().join("data"))
            .args(["--edge-port", &ports.edge.to_string()])
            .args(["--session-port", &ports.session.to_string()])
            .args(["--pose-port", &ports.pose.to_string()])
            .args(["--cheat-port", &ports.cheat.to_string()])
            .args(["--metrics-port", &ports.metrics.to_string()])
            .args(["--coaching-port", &ports.coaching.to_string()])
            .env("FITVISION_ADMIN_KEY", &admin_key)
            .env("RUST_LOG", "info,ort=warn")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let child = command.spawn().context("spawn fitvision serve")?;
        let mut suite = Self {
            child: Some(child),
            ports,
            admin_key,
            data_dir,
            log_path,
        };
        suite.wait_until_ready(Duration::from_secs(300)).await?;
        Ok(suite)
    }

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
