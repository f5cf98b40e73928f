//! HTTP helpers for tests against the edge: credential headers, multipart
//! video parts, JSON answers, and field-type checks as the API documents state
//! them.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// `Authorization` value of an API key in the style of the Weightlifting and
/// Retrieval APIs.
pub fn api_key(key: &str) -> String {
    format!("API-KEY {key}")
}

/// A video file as the multipart part `video` / `file` of an upload.
pub fn video_part(path: &Path) -> Part {
    let bytes = std::fs::read(path).expect("video readable");
    Part::bytes(bytes)
        .file_name(path.file_name().unwrap().to_string_lossy().into_owned())
        .mime_str("video/mp4")
        .unwrap()
}

/// Status and JSON body of a response (`{"raw": text}` when not JSON).
pub async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text })),
    )
}

/// What a request carries.
pub enum Body {
    Empty,
    Json(Value),
    Form(Form),
}

/// A client of one edge.
#[derive(Clone)]
pub struct Edge {
    pub base: String,
    pub client: reqwest::Client,
}

impl Edge {
    /// A client with a generous timeout: the AI Exercise Trainer API's submit
    /// waits for the analysis.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(900))
                .build()
                .expect("HTTP client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an optional `Authorization` value.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Body,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(&value),
            Body::Form(form) => request.multipart(form),
        };
        json_of(request.send().await.expect("edge reachable")).await
    }

    pub async fn get(&self, path: &str, auth: &str) -> (u16, Value) {
        self.send(Method::GET, path, Some(auth), Body::Empty).await
    }

    pub async fn post(&self, path: &str, auth: &str, body: Body) -> (u16, Value) {
        self.send(Method::POST, path, Some(auth), body).await
    }

    /// The status the edge answers a POST that declares a `content_length`-byte
    /// multipart body, read after sending only the head: an upload refused on
    /// its declared size is answered before any of the body is sent.
    pub async fn status_for_declared_length(
        &self,
        path: &str,
        auth: &str,
        content_length: u64,
    ) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .expect("edge reachable");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\
             Content-Type: multipart/form-data; boundary=fitvision\r\n\
             Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("head sent");
        let mut answer = vec![0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut answer))
            .await
            .expect("an answer before the body")
            .expect("readable answer");
        let status_line = String::from_utf8_lossy(&answer[..read]);
        status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {status_line:?}"))
    }

    /// Uploads `file` the Guru way: every field of a `POST /videos` answer's
    /// `fields`, then `file`, to its `url`.
    pub async fn guru_upload(&self, created: &Value, file: Part) -> (u16, Value) {
        let mut form = Form::new();
        for (key, value) in created["fields"].as_object().expect("fields") {
            form = form.text(key.clone(), value.as_str().expect("text field").to_owned());
        }
        let url = created["url"].as_str().expect("url");
        let response = self
            .client
            .post(url)
            .multipart(form.part("file", file))
            .send()
            .await
            .expect("edge reachable");
        json_of(response).await
    }

    /// A Guru access token from `POST /oauth2/token` (client credentials).
    pub async fn guru_token(&self, client_id: &str, secret: &str) -> String {
        let response = self
            .client
            .post(self.url("/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .expect("edge reachable");
        let (status, body) = json_of(response).await;
        assert_eq!(status, 200, "token: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// GETs `path` until `done` holds for the body (or `timeout` passes);
    /// every answer must be 200.
    pub async fn poll(
        &self,
        path: &str,
        auth: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, body) = self.get(path, auth).await;
            assert_eq!(status, 200, "GET {path}: {body}");
            if done(&body) || Instant::now() > deadline {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// A JSON type an API document gives a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Num,
    Int,
    Bool,
    Obj,
    Arr,
    /// The type, or `null` (the AI Move API's optional numbers).
    OrNull(&'static Kind),
}

impl Kind {
    pub fn matches(self, value: &Value) -> bool {
        match self {
            Kind::Str => value.is_string(),
            Kind::Num => value.is_number(),
            Kind::Int => value.is_i64() || value.is_u64(),
            Kind::Bool => value.is_boolean(),
            Kind::Obj => value.is_object(),
            Kind::Arr => value.is_array(),
            Kind::OrNull(kind) => value.is_null() || kind.matches(value),
        }
    }
}

/// Asserts every named field is present with its type; `what` names the answer.
#[track_caller]
pub fn assert_fields(what: &str, value: &Value, fields: &[(&str, Kind)]) {
    for (name, kind) in fields {
        let field = value
            .get(name)
            .unwrap_or_else(|| panic!("{what}: missing field '{name}' in {value}"));
        assert!(
            kind.matches(field),
            "{what}: field '{name}' is not {kind:?}: {field}"
        );
    }
}

/// Asserts the error body of a family: `key` holds a non-empty message.
#[track_caller]
pub fn assert_error(what: &str, status: u16, body: &Value, expected: u16, key: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    let message = &body[key];
    assert!(
        message.as_str().is_some_and(|m| !m.is_empty()) || message.is_object(),
        "{what}: no '{key}' in error body {body}"
    );
}
