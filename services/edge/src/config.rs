//! Command-line / environment configuration of the edge.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Settings of the public HTTP edge (`FITVISION_*` environment variables).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address the HTTP server binds.
    #[arg(
        long = "addr",
        env = "FITVISION_EDGE_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,
    /// gRPC endpoint of the SessionService.
    #[arg(
        long = "session-url",
        env = "FITVISION_SESSION_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub session_url: String,
    /// Object store the session service writes to (`file:///dir` or `s3://bucket`);
    /// downloads are served straight from it. Without it, download URLs answer 503.
    #[arg(long = "edge-storage-url", env = "FITVISION_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// Absolute base URL clients reach the edge at (for the URLs we hand out).
    /// Default: derived from the request's Host header.
    #[arg(long = "public-url", env = "FITVISION_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Addresses of the reverse proxies in front of the edge (comma-separated IPs).
    /// Only requests from them may set `X-Forwarded-Host`/`-Proto`, which shape the
    /// URLs handed out; anyone else's are ignored. Default: none (or set `--public-url`).
    #[arg(
        long = "trusted-proxies",
        env = "FITVISION_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// HMAC key for signed download URLs and upload policies. Default: a random
    /// key per process (signed URLs then stop working after a restart).
    #[arg(long = "url-signing-key", env = "FITVISION_URL_SIGNING_KEY")]
    pub url_signing_key: Option<String>,
    /// Lifetime of signed download URLs and upload policies, seconds.
    #[arg(
        long = "signed-url-ttl-s",
        env = "FITVISION_SIGNED_URL_TTL_S",
        default_value_t = 3600
    )]
    pub signed_url_ttl_s: u64,
    /// Credential the edge uses for Guru-style uploads, which are authorised by
    /// a signed policy rather than the caller's header (an admin key).
    #[arg(long = "edge-service-key", env = "FITVISION_ADMIN_KEY")]
    pub service_key: Option<String>,
    /// Sustained requests per second allowed per credential (or client IP).
    #[arg(
        long = "rate-limit-per-s",
        env = "FITVISION_RATE_LIMIT_PER_S",
        default_value_t = 50
    )]
    pub rate_limit_per_s: u32,
    /// Burst size of the per-credential rate limit.
    #[arg(
        long = "rate-limit-burst",
        env = "FITVISION_RATE_LIMIT_BURST",
        default_value_t = 200
    )]
    pub rate_limit_burst: u32,
    /// Refused credentials a client address may present before it is blocked with
    /// back-off (1 s, doubling per further failure, up to 5 min; forgotten after
    /// 10 quiet minutes).
    #[arg(
        long = "failed-auth-allowance",
        env = "FITVISION_FAILED_AUTH_ALLOWANCE",
        default_value_t = crate::failed_auth::DEFAULT_ALLOWANCE
    )]
    pub failed_auth_allowance: u32,
    /// Largest accepted upload, bytes (larger bodies get 413).
    #[arg(
        long = "max-upload-bytes",
        env = "FITVISION_MAX_UPLOAD_BYTES",
        default_value_t = 512 * 1024 * 1024
    )]
    pub max_upload_bytes: u64,
    /// How long a synchronous submit (AI Exercise Trainer API) waits for the pipeline, seconds.
    #[arg(
        long = "pipeline-timeout-s",
        env = "FITVISION_PIPELINE_TIMEOUT_S",
        default_value_t = 600
    )]
    pub pipeline_timeout_s: u64,
    /// Opt-in anonymous AI Exercise Trainer: requests to that API's routes (and only
    /// those) that carry no credentials act with this API key, which the operator
    /// creates for a tenant of its own (`POST /admin/...` keys). Each anonymous client
    /// is rate-limited by its address. Off (401 without credentials) when unset.
    #[arg(long = "public-trainer-key", env = "FITVISION_PUBLIC_TRAINER_KEY")]
    pub public_trainer_key: Option<String>,
    /// Demo sessions per activity, e.g. `weightlifting=ID,jumping=ID`. Without an
    /// entry, `demo=true` serves the tenant's oldest completed session of that activity.
    #[arg(long = "demo-sessions", env = "FITVISION_DEMO_SESSIONS")]
    pub demo_sessions: Option<String>,
    /// Directory of the browser page served at `/`, overriding the page embedded in
    /// the binary at build time (from `web/dist`).
    #[arg(long = "web-dir", env = "FITVISION_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Verification of externally issued JWTs (Firebase and other OIDC issuers).
    #[command(flatten)]
    pub jwt: crate::jwt::JwtConfig,
    /// The deployment's service token, sent on calls to the session service so that
    /// it tells the edge (which limits its own clients' failed authentications) from
    /// outside callers.
    #[arg(
        long = "service-token",
        env = "FITVISION_SERVICE_TOKEN",
        hide_env_values = true
    )]
    pub service_token: Option<String>,
    /// Timeouts and per-client connection cap.
    #[command(flatten)]
    pub connections: crate::server::ConnectionLimits,
}

impl Config {
    /// Defaults pointing at a session service URL (for embedding and tests).
    pub fn new(session_url: impl Into<String>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            session_url: session_url.into(),
            storage_url: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            url_signing_key: None,
            signed_url_ttl_s: 3600,
            service_key: None,
            rate_limit_per_s: 50,
            rate_limit_burst: 200,
            failed_auth_allowance: crate::failed_auth::DEFAULT_ALLOWANCE,
            max_upload_bytes: 512 * 1024 * 1024,
            pipeline_timeout_s: 600,
            public_trainer_key: None,
            demo_sessions: None,
            web_dir: None,
            jwt: crate::jwt::JwtConfig::default(),
            service_token: None,
            connections: crate::server::ConnectionLimits::default(),
        }
    }

    /// Demo session id configured for an activity (`weightlifting`, `jumping`, `running`).
    pub fn demo_session_for(&self, activity: &str) -> Option<String> {
        let list = self.demo_sessions.as_deref()?;
        list.split(',').find_map(|pair| {
            let (name, id) = pair.split_once('=')?;
            (name.trim() == activity && !id.trim().is_empty()).then(|| id.trim().to_owned())
        })
    }
}
