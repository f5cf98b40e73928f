//! Test harness: a fake session service and the edge on ephemeral ports.

#![allow(dead_code)]

pub mod fake_session;
pub mod tokens;

use std::path::PathBuf;

use fitvision_edge::{AppState, Config};
use tokio_util::sync::CancellationToken;

pub struct Harness {
    pub base: String,
    pub storage: tempfile::TempDir,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let storage = tempfile::tempdir().unwrap();
        let session_url = fake_session::FakeSession::new(PathBuf::from(storage.path()))
            .spawn()
            .await;
        let mut config = Config::new(session_url.clone());
        config.storage_url = Some(format!("file://{}", storage.path().display()));
        config.url_signing_key = Some("test-signing-key".into());
        config.service_key = Some("admin-key".into());
        adjust(&mut config);
        let channel = fitvision_service_kit::client::connect_lazy(&session_url).unwrap();
        let state = AppState::new(config, channel).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        tokio::spawn(fitvision_edge::serve(listener, state, shutdown.clone()));
        Harness {
            base,
            storage,
            client: reqwest::Client::new(),
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `method path` with an `Authorization` value and no body; status and JSON.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: impl AsRef<str>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(self.request(method, path, auth)).await
    }

    /// `GET path` with an `Authorization` value; status and JSON.
    pub async fn get_json(
        &self,
        path: &str,
        auth: impl AsRef<str>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send_json(reqwest::Method::GET, path, auth).await
    }

    /// `method path` with an `Authorization` value and a JSON body; status and JSON.
    pub async fn send_with_json(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: impl AsRef<str>,
        body: &serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(self.request(method, path, auth).json(body)).await
    }

    /// `method path` with an `Authorization` value and a multipart form; status and JSON.
    pub async fn send_multipart(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: impl AsRef<str>,
        form: reqwest::multipart::Form,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(self.request(method, path, auth).multipart(form))
            .await
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: impl AsRef<str>,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("authorization", auth.as_ref())
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        json_of(request.send().await.unwrap()).await
    }
}

/// Status and JSON body of a response (panics on a body that is not JSON).
pub async fn json_of(response: reqwest::Response) -> (reqwest::StatusCode, serde_json::Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

/// A small fake "video" payload (the fake session service does not decode it).
pub fn video_bytes() -> Vec<u8> {
    (0..50_000u32).map(|i| (i % 251) as u8).collect()
}

pub fn video_part(name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(video_bytes())
        .file_name(name.to_owned())
        .mime_str("video/mp4")
        .unwrap()
}
