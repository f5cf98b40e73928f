//! Shared state of the edge: the session client, signer, limiter, caches.

use std::sync::Arc;

use axum::http::HeaderMap;
use fitvision_proto::v1::session_service_client::SessionServiceClient;

use crate::auth::PrincipalCache;
use crate::config::Config;
use crate::downloads::ObjectFiles;
use crate::failed_auth::FailedAuthLimiter;
use crate::jwt::JwtVerifier;
use crate::rate_limit::KeyedLimiter;
use crate::signing::{Signer, now_s};

/// Channel the edge reaches the session service through.
pub type SessionChannel = fitvision_service_kit::client::TracedChannel;
/// gRPC client of the session service.
pub type SessionClient = SessionServiceClient<SessionChannel>;

/// Cheap-to-clone handle on everything handlers need.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    channel: SessionChannel,
    session: SessionClient,
    signer: Signer,
    limiter: KeyedLimiter,
    failed_auth: FailedAuthLimiter,
    principals: PrincipalCache,
    files: ObjectFiles,
    jwt: Option<JwtVerifier>,
    live_tokens: crate::routes::live::LiveTokens,
}

impl AppState {
    pub fn new(config: Config, channel: SessionChannel) -> anyhow::Result<Self> {
        let signer = match &config.url_signing_key {
            Some(key) if !key.is_empty() => {
                Signer::new(key.as_bytes().to_vec(), config.signed_url_ttl_s)
            }
            _ => Signer::random(config.signed_url_ttl_s),
        };
        let limiter = KeyedLimiter::new(config.rate_limit_per_s, config.rate_limit_burst);
        let failed_auth = FailedAuthLimiter::new(config.failed_auth_allowance);
        let files = ObjectFiles::from_url(config.storage_url.as_deref())?;
        let jwt = JwtVerifier::from_config(&config.jwt)?;
        let session = SessionServiceClient::new(channel.clone())
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(64 << 20);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                channel,
                session,
                signer,
                limiter,
                failed_auth,
                principals: PrincipalCache::default(),
                files,
                jwt,
                live_tokens: Default::default(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The channel to the session service (health checks).
    pub fn channel(&self) -> SessionChannel {
        self.inner.channel.clone()
    }

    /// A fresh client handle (tonic clients are cheap clones of the channel).
    pub fn session(&self) -> SessionClient {
        self.inner.session.clone()
    }

    pub fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    pub fn limiter(&self) -> &KeyedLimiter {
        &self.inner.limiter
    }

    pub fn failed_auth(&self) -> &FailedAuthLimiter {
        &self.inner.failed_auth
    }

    pub fn live_tokens(&self) -> &crate::routes::live::LiveTokens {
        &self.inner.live_tokens
    }

    pub fn principals(&self) -> &PrincipalCache {
        &self.inner.principals
    }

    pub fn files(&self) -> &ObjectFiles {
        &self.inner.files
    }

    /// Verifier of external JWTs, when configured.
    pub fn jwt(&self) -> Option<&JwtVerifier> {
        self.inner.jwt.as_ref()
    }

    /// Base URL clients use to reach us: configured, else from the request (its
    /// `X-Forwarded-*` headers survive only from trusted proxies, see `lib.rs`).
    pub fn public_base(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.inner.config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get("x-forwarded-host")
            .or_else(|| headers.get(axum::http::header::HOST))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| self.inner.config.addr.to_string());
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .filter(|p| *p == "https" || *p == "http")
            .unwrap_or("http");
        format!("{scheme}://{host}")
    }

    /// Absolute signed download URL for a stored object.
    pub fn download_url(&self, headers: &HeaderMap, key: &str) -> String {
        let (expires, sig) = self.inner.signer.sign_download(key, now_s());
        let encoded_key: String = key
            .split('/')
            .map(percent_encode)
            .collect::<Vec<_>>()
            .join("/");
        format!(
            "{}/files/{encoded_key}?expires={expires}&sig={sig}",
            self.public_base(headers)
        )
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
