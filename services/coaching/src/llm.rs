//! An OpenAI-compatible chat-completions client (OpenAI, Gemini's OpenAI
//! endpoint, vLLM, Ollama, llama.cpp server): timeout, retries with
//! exponential back-off on 429/5xx and connection failures.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};

/// Longest single back-off, including a server's `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Characters of an error body kept in the error message.
const ERROR_BODY_LIMIT: usize = 300;

/// An API key that never appears in logs or `Debug` output.
#[derive(Clone, Default)]
pub struct ApiKey(String);

impl FromStr for ApiKey {
    type Err = Infallible;
    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Ok(Self(key.to_owned()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// LLM provider settings. Without a base URL the built-in coach writes everything.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible API, as its SDKs take it, e.g.
    /// https://api.openai.com/v1, http://127.0.0.1:11434/v1 (Ollama) or
    /// https://generativelanguage.googleapis.com/v1beta/openai. A bare host gets /v1.
    #[arg(long = "llm-base-url", env = "FITVISION_LLM_BASE_URL")]
    pub base_url: Option<String>,
    /// Model name sent with every request (required with a base URL).
    #[arg(long = "llm-model", env = "FITVISION_LLM_MODEL")]
    pub model: Option<String>,
    /// Bearer key; local servers usually need none.
    #[arg(
        long = "llm-api-key",
        env = "FITVISION_LLM_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<ApiKey>,
    /// Time allowed for one request (milliseconds). A timed-out request is not
    /// retried: the built-in text is used at once.
    #[arg(
        long = "llm-timeout-ms",
        env = "FITVISION_LLM_TIMEOUT_MS",
        default_value_t = 20_000
    )]
    pub timeout_ms: u64,
    /// Retries after a 429, a 5xx or a connection failure.
    #[arg(
        long = "llm-max-retries",
        env = "FITVISION_LLM_MAX_RETRIES",
        default_value_t = 2
    )]
    pub max_retries: u32,
    /// First back-off (milliseconds), doubled on every retry.
    #[arg(
        long = "llm-backoff-ms",
        env = "FITVISION_LLM_BACKOFF_MS",
        default_value_t = 500
    )]
    pub backoff_ms: u64,
    /// Upper bound on the reply length in tokens.
    #[arg(
        long = "llm-max-tokens",
        env = "FITVISION_LLM_MAX_TOKENS",
        default_value_t = 700
    )]
    pub max_tokens: u32,
    /// Sampling temperature; low keeps the model close to the facts.
    #[arg(
        long = "llm-temperature",
        env = "FITVISION_LLM_TEMPERATURE",
        default_value_t = 0.3
    )]
    pub temperature: f32,
    /// Topics generated at once against the provider.
    #[arg(
        long = "llm-concurrency",
        env = "FITVISION_LLM_CONCURRENCY",
        default_value_t = 4
    )]
    pub concurrency: usize,
}

/// Configuration mistakes found at start-up.
#[derive(Debug, thiserror::Error)]
pub enum LlmConfigError {
    #[error("invalid LLM base URL {url:?}: {reason}")]
    BaseUrl { url: String, reason: String },
    #[error("an LLM model (--llm-model / FITVISION_LLM_MODEL) is required with a base URL")]
    MissingModel,
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Why a completion failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no reply within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("transport error: {0}")]
    Transport(String),
    #[error("unusable reply: {0}")]
    BadReply(String),
    #[error("gave up after {attempts} attempts, last: {last}")]
    RetriesExhausted { attempts: u32, last: Box<LlmError> },
}

/// One chat message.
#[derive(Clone, Debug, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system",
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user",
            content: content.into(),
        }
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    temperature: f32,
    max_tokens: u32,
    stream: bool,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: Option<String>,
}

/// Client of one configured provider.
#[derive(Clone, Debug)]
pub struct LlmClient {
    http: reqwest::Client,
    endpoint: Url,
    model: String,
    api_key: Option<ApiKey>,
    timeout: Duration,
    max_retries: u32,
    backoff: Duration,
    max_tokens: u32,
    temperature: f32,
}

/// `<base>/chat/completions`; a base URL with no path gets the usual `/v1`.
fn endpoint(base_url: &str) -> Result<Url, LlmConfigError> {
    let invalid = |reason: String| LlmConfigError::BaseUrl {
        url: base_url.to_owned(),
        reason,
    };
    let mut url = Url::parse(base_url.trim()).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https".into()));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let path = if path.is_empty() {
        "/v1".to_owned()
    } else {
        path
    };
    url.set_path(&format!("{path}/chat/completions"));
    Ok(url)
}

impl LlmClient {
    /// The configured client, or `None` when no base URL is set.
    pub fn from_args(args: &LlmArgs) -> Result<Option<Self>, LlmConfigError> {
        let Some(base_url) = args
            .base_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
        else {
            return Ok(None);
        };
        let model = args
            .model
            .clone()
            .filter(|model| !model.trim().is_empty())
            .ok_or(LlmConfigError::MissingModel)?;
        Ok(Some(Self {
            http: reqwest::Client::builder().build()?,
            endpoint: endpoint(base_url)?,
            model,
            api_key: args.api_key.clone().filter(|key| !key.0.is_empty()),
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            max_retries: args.max_retries,
            backoff: Duration::from_millis(args.backoff_ms),
            max_tokens: args.max_tokens,
            temperature: args.temperature,
        }))
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// The reply text to `messages`, retrying transient failures.
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        let mut attempt = 0;
        loop {
            let (error, retry_after) = match self.attempt(messages).await {
                Ok(text) => return Ok(text),
                Err(failure) => failure,
            };
            let retryable = match &error {
                LlmError::Status { status, .. } => {
                    *status == StatusCode::TOO_MANY_REQUESTS.as_u16() || *status >= 500
                }
                LlmError::Transport(_) => true,
                LlmError::Timeout(_)
                | LlmError::BadReply(_)
                | LlmError::RetriesExhausted { .. } => false,
            };
            if !retryable {
                return Err(error);
            }
            if attempt >= self.max_retries {
                return Err(if attempt == 0 {
                    error
                } else {
                    LlmError::RetriesExhausted {
                        attempts: attempt + 1,
                        last: Box::new(error),
                    }
                });
            }
            let backoff = retry_after
                .unwrap_or_else(|| self.backoff.saturating_mul(1 << attempt.min(16)))
                .min(MAX_BACKOFF);
            tracing::debug!(attempt, ?backoff, %error, "retrying LLM request");
            tokio::time::sleep(backoff).await;
            attempt += 1;
        }
    }

    /// One request; on failure also the server's `Retry-After`, if any.
    async fn attempt(
        &self,
        messages: &[ChatMessage],
    ) -> Result<String, (LlmError, Option<Duration>)> {
        let body = ChatRequest {
            model: &self.model,
            messages,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            stream: false,
        };
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .timeout(self.timeout)
            .json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(&key.0);
        }
        let response = request
            .send()
            .await
            .map_err(|error| (self.transport(error), None))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(ERROR_BODY_LIMIT)
                .collect();
            return Err((
                LlmError::Status {
                    status: status.as_u16(),
                    body,
                },
                retry_after,
            ));
        }
        let reply: ChatResponse = response
            .json()
            .await
            .map_err(|error| (self.transport(error), None))?;
        reply
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .ok_or_else(|| (LlmError::BadReply("no message content".into()), None))
    }

    fn transport(&self, error: reqwest::Error) -> LlmError {
        if error.is_timeout() {
            LlmError::Timeout(self.timeout)
        } else if error.is_decode() {
            LlmError::BadReply(error.to_string())
        } else {
            LlmError::Transport(error.without_url().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_follows_the_sdk_convention() {
        let url = |base: &str| endpoint(base).unwrap().to_string();
        assert_eq!(
            url("https://api.openai.com/v1"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            url("http://127.0.0.1:11434/v1/"),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            url("http://localhost:8000"),
            "http://localhost:8000/v1/chat/completions"
        );
        assert_eq!(
            url("https://generativelanguage.googleapis.com/v1beta/openai/"),
            "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"
        );
        assert!(endpoint("ftp://host").is_err());
    }

    #[test]
    fn a_model_is_required_and_no_url_means_no_client() {
        assert!(LlmClient::from_args(&LlmArgs::default()).unwrap().is_none());
        let args = LlmArgs {
            base_url: Some("http://127.0.0.1:1/v1".into()),
            ..LlmArgs::default()
        };
        assert!(matches!(
            LlmClient::from_args(&args),
            Err(LlmConfigError::MissingModel)
        ));
    }

    #[test]
    fn api_keys_are_redacted() {
        let key: ApiKey = "sk-secret".parse().unwrap();
        assert!(!format!("{key:?}").contains("secret"));
    }
}
