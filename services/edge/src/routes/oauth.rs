//! `POST /oauth2/token`: OAuth2 client-credentials tokens (RFC 6749 4.4), issued by
//! the session service. Guru clients sign in here; the tokens then authenticate
//! like any credential ([`crate::auth`]). Errors follow RFC 6749 5.2
//! (`{"error", "error_description"}`).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use fitvision_proto::v1::IssueTokenRequest;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult, Family};
use crate::state::AppState;

const FAMILY: Family = Family::OAuth;

/// The token request's parameters, from a form body or a JSON object.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct TokenForm {
    #[serde(default, deserialize_with = "text")]
    pub grant_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub client_secret: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub scope: Option<String>,
}

/// A parameter as text; JSON clients that send a number or `true` get its JSON text.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Some(match Value::deserialize(deserializer)? {
        Value::String(text) => text,
        other => other.to_string(),
    }))
}

fn invalid_request(message: String) -> ApiError {
    ApiError::bad_request(FAMILY, message).with_detail(json!("invalid_request"))
}

impl<S: Send + Sync> FromRequest<S> for TokenForm {
    /// A body that cannot be read keeps axum's answer (413 when too large); one
    /// that cannot be parsed is RFC 6749's `invalid_request`.
    type Rejection = Response;

    async fn from_request(mut request: Request, state: &S) -> Result<Self, Response> {
        let basic = basic_credentials(request.headers());
        let object: Map<String, Value> = if is_json(request.headers()) {
            let body = Bytes::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            serde_json::from_slice(&body)
                .map_err(|e| invalid_request(format!("invalid JSON body: {e}")).into_response())?
        } else {
            // RFC 6749 clients send a form; this endpoint has always read any body
            // that is not JSON as one, whatever its Content-Type says. Read as a map,
            // a repeated parameter keeps its last value, as it always has.
            request.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            match axum::Form::<HashMap<String, String>>::from_request(request, state).await {
                Ok(axum::Form(form)) => form
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
                Err(FormRejection::BytesRejection(rejection)) => {
                    return Err(rejection.into_response());
                }
                Err(rejection) => {
                    return Err(invalid_request(rejection.body_text()).into_response());
                }
            }
        };
        let mut form: TokenForm = serde_json::from_value(Value::Object(object))
            .map_err(|e| invalid_request(format!("invalid parameters: {e}")).into_response())?;
        // RFC 6749 2.3.1: client credentials may come as HTTP Basic; the body wins.
        if let Some((id, secret)) = basic {
            form.client_id.get_or_insert(id);
            form.client_secret.get_or_insert(secret);
        }
        Ok(form)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// `Authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `POST /oauth2/token`
#[utoipa::path(post, path = "/oauth2/token", tag = "Guru",
    request_body(content_type = "application/x-www-form-urlencoded", content = Object,
        description = "grant_type=client_credentials, client_id, client_secret (or HTTP Basic), optional scope"),
    responses((status = 200, description = "{access_token, expires_in, token_type}", body = Object),
        (status = 400, description = "unsupported_grant_type / invalid_request"),
        (status = 401, description = "invalid_client")))]
pub async fn token(State(state): State<AppState>, form: TokenForm) -> ApiResult<Response> {
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        None => return Err(invalid_request("grant_type is required".to_owned())),
        Some(other) => {
            return Err(ApiError::bad_request(
                FAMILY,
                format!("grant type '{other}' is not supported"),
            )
            .with_detail(json!("unsupported_grant_type")));
        }
    }
    let client_id = form.client_id.unwrap_or_default();
    let client_secret = form.client_secret.unwrap_or_default();
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(ApiError::unauthorized(
            FAMILY,
            "client_id and client_secret are required",
        ));
    }
    let issued = state
        .session()
        .issue_token(tonic::Request::new(IssueTokenRequest {
            client_id,
            client_secret,
            scope: form.scope.unwrap_or_default(),
        }))
        .await
        .map_err(|s| match s.code() {
            tonic::Code::Unauthenticated
            | tonic::Code::NotFound
            | tonic::Code::PermissionDenied
            | tonic::Code::InvalidArgument => {
                ApiError::unauthorized(FAMILY, "invalid client credentials")
            }
            _ => ApiError::from_status(FAMILY, &s),
        })?
        .into_inner();
    let mut response = Json(json!({
        "access_token": issued.access_token,
        "expires_in": issued.expires_in_s,
        "token_type": if issued.token_type.is_empty() { "Bearer".to_owned() } else { issued.token_type },
    }))
    .into_response();
    // RFC 6749 5.1: token responses must not be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    async fn form_of(
        content_type: Option<&str>,
        body: &'static str,
    ) -> Result<TokenForm, Response> {
        let mut request = Request::post("/oauth2/token");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        TokenForm::from_request(request.body(Body::from(body)).unwrap(), &()).await
    }

    #[tokio::test]
    async fn form_decoding_handles_escapes() {
        let form = form_of(
            Some("application/x-www-form-urlencoded"),
            "grant_type=client_credentials&client_id=admin&client_secret=a%2Bb+c%3D&scope=",
        )
        .await
        .unwrap();
        assert_eq!(form.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(form.client_secret.as_deref(), Some("a+b c="));
        assert_eq!(form.scope.as_deref(), Some(""));
        let odd = form_of(None, "client_id=%zz%&scope=a&scope=b")
            .await
            .unwrap();
        assert_eq!(odd.scope.as_deref(), Some("b"));
        assert_eq!(odd.client_id.as_deref(), Some("%zz%"));
    }

    #[tokio::test]
    async fn json_bodies_give_text_and_objects_only() {
        let form = form_of(
            Some("application/json"),
            r#"{"grant_type": "client_credentials", "client_id": 5, "client_secret": null}"#,
        )
        .await
        .unwrap();
        assert_eq!(form.client_id.as_deref(), Some("5"));
        assert_eq!(form.client_secret.as_deref(), Some("null"));
        let error = form_of(Some("application/json"), "[1]").await.unwrap_err();
        assert_eq!(error.status(), 400);
    }
}
