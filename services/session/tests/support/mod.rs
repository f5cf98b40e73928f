//! Shared test support: database backends (SQLite file, local PostgreSQL) and
//! an in-process session server.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use fitvision_proto::v1::session_service_client::SessionServiceClient;
use sea_orm::{ConnectionTrait, Database};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// A throwaway database url per test.
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Backends to run repository tests on: SQLite always, PostgreSQL when one
/// is configured or can be started locally.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if postgres_server().is_some() {
        out.push(Backend::Postgres);
    }
    out
}

pub async fn database_url(backend: &Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        Backend::Postgres => {
            let server = postgres_server().expect("postgres available");
            let name = format!("fv_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .expect("connect to postgres");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            format!("{server}/{name}")
        }
    }
}

/// `postgres://user@host:port` of a server to create test databases on.
fn postgres_server() -> Option<String> {
    static SERVER: OnceLock<Option<String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("FITVISION_TEST_POSTGRES_URL") {
                // Strip a trailing database name: tests create their own.
                let trimmed = match url.rfind('/') {
                    Some(slash) if slash > "postgres://".len() => url[..slash].to_owned(),
                    _ => url,
                };
                return Some(trimmed);
            }
            match start_local_postgres() {
                Ok(url) => {
                    eprintln!("started a local PostgreSQL for the tests at {url}");
                    Some(url)
                }
                Err(why) => {
                    eprintln!("\n!!! PostgreSQL tests SKIPPED: {why} (set FITVISION_TEST_POSTGRES_URL) !!!\n");
                    None
                }
            }
        })
        .clone()
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// initdb + pg_ctl into a temporary directory on a free port, as the
/// `postgres` user when running as root. A watchdog stops the server and
/// removes the directory when this test process exits.
fn start_local_postgres() -> Result<String, String> {
    let bin = PathBuf::from("/usr/lib/postgresql/15/bin");
    if !bin.join("initdb").exists() {
        return Err("PostgreSQL 15 binaries not found in /usr/lib/postgresql/15/bin".into());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let dir = std::env::temp_dir().join(format!("fitvision-pg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let as_db_user = |program: PathBuf| {
        if is_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    };
    if is_root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir))?;
    }
    let data = dir.join("data");
    run(as_db_user(bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
        .arg(&data))?;
    let port = fitvision_service_kit::testing::unused_loopback_port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
        dir.display()
    );
    run(as_db_user(bin.join("pg_ctl"))
        .args(["-w", "-t", "60", "-D"])
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("log"))
        .arg("start"))?;
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runuser = if is_root {
            "runuser -u postgres -- "
        } else {
            ""
        },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &stop])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}"))
}

/// A session service served in-process on a random port.
pub struct TestServer {
    pub client: SessionServiceClient<Channel>,
    pub admin_key: String,
    pub data_dir: tempfile::TempDir,
    pub context: std::sync::Arc<fitvision_session::context::AppContext>,
    shutdown: CancellationToken,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub const ADMIN_KEY: &str = "test-admin-key-0123456789";

pub async fn start_server(
    backend: &Backend,
    adjust: impl FnOnce(&mut fitvision_session::Config),
) -> TestServer {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = fitvision_session::Config::embedded(data_dir.path().to_path_buf());
    config.database_url = Some(database_url(backend, data_dir.path()).await);
    config.admin_key = Some(ADMIN_KEY.to_owned());
    config.workers = 0;
    adjust(&mut config);
    let shutdown = CancellationToken::new();
    let started = fitvision_session::start(&config, shutdown.clone())
        .await
        .expect("start session service");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let stop = shutdown.clone();
    let service = started.service;
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
            .await
            .ok();
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let client = SessionServiceClient::new(channel)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    TestServer {
        client,
        admin_key: ADMIN_KEY.to_owned(),
        data_dir,
        context: started.context,
        shutdown,
    }
}

/// Adds `authorization: API-KEY <key>` to a request.
pub fn authed<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("API-KEY {key}").parse().unwrap());
    request
}

/// A structurally complete MP4 (ftyp, moov, mdat of `payload` bytes).
pub fn synthetic_mp4(payload: usize) -> Vec<u8> {
    let mut file = 16u32.to_be_bytes().to_vec();
    file.extend_from_slice(b"ftypisom\0\0\x02\0");
    file.extend_from_slice(&16u32.to_be_bytes());
    file.extend_from_slice(b"moov");
    file.extend_from_slice(&[0u8; 8]);
    file.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
    file.extend_from_slice(b"mdat");
    file.extend((0..payload).map(|i| (i * 31 % 251) as u8));
    file
}
