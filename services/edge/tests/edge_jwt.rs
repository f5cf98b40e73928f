//! External JWTs (Firebase-compatible RS256): verified by the edge against a
//! JWKS or a static key, then acted on through the session service's
//! on-behalf-of delegation (the fake session implements the documented rule).

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fitvision_edge::Config;
use fitvision_edge::jwt::JwtConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Harness;
use support::tokens::{self, AUDIENCE, ISSUER, ROTATED_KID, TRUSTED_KID};

fn fixtures() -> PathBuf {
    tokens::fixtures(Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn jwt_config(jwks: Option<String>, public_key: Option<PathBuf>) -> JwtConfig {
    JwtConfig {
        jwks,
        public_key,
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        // Tests rotate keys back to back.
        jwks_min_refresh_s: 0,
        ..JwtConfig::default()
    }
}

async fn start_with_jwks_file() -> Harness {
    start_with_jwks_file_and(|_| {}).await
}

async fn start_with_jwks_file_and(adjust: impl FnOnce(&mut Config)) -> Harness {
    let jwks = fixtures().join("jwks.json").display().to_string();
    Harness::start_with(|c: &mut Config| {
        c.jwt = jwt_config(Some(jwks), None);
        adjust(c);
    })
    .await
}

fn trusted_token(user: &str, tenant: &str) -> String {
    tokens::sign(
        &fixtures(),
        "trusted",
        Some(TRUSTED_KID),
        &tokens::claims(user, tenant),
    )
}

async fn call(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = h
        .client
        .request(method, h.url(path))
        .header("authorization", format!("Bearer {bearer}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(h: &Harness, path: &str, bearer: &str) -> (StatusCode, Value) {
    call(h, reqwest::Method::GET, path, bearer, None).await
}

#[tokio::test]
async fn a_verified_token_acts_as_its_user_tenant_and_role() {
    let h = start_with_jwks_file().await;
    let user = trusted_token("fb-user-1", "gofa");
    let (status, created) = call(
        &h,
        reqwest::Method::POST,
        "/api/ai-move/sessions",
        &user,
        Some(json!({"exerciseId": "squat-basic", "exerciseType": "rep", "targetReps": 5})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["userId"], "fb-user-1");
    assert_eq!(created["clientId"], "gofa");

    // A user is not an admin: records answer the AI Move API's 401; the tenant's
    // admin reads them.
    let (status, _) = get(&h, "/api/ai-move/records", &user).await;
    assert_eq!(status, 401);
    let admin = trusted_token("jwt-admin", "gofa");
    let (status, records) = get(&h, "/api/ai-move/records", &admin).await;
    assert_eq!(status, 200, "{records}");

    // Another user of the tenant may not read fb-user-1's session.
    let other = trusted_token("fb-user-2", "gofa");
    let path = format!(
        "/api/ai-move/sessions/{}",
        created["sessionId"].as_str().unwrap()
    );
    let (status, _) = get(&h, &path, &other).await;
    assert_eq!(status, 403);
    let (status, _) = get(&h, &path, &user).await;
    assert_eq!(status, 200);

    // The tenant claim decides the tenant: acme has no AI Move module.
    let acme = trusted_token("fb-user-1", "acme");
    let (status, body) = get(&h, "/api/ai-move/exercises", &acme).await;
    assert_eq!(status, 403, "{body}");

    // `user_id` names the user when `sub` is absent (Firebase sets both).
    let mut claims = tokens::claims("fb-user-3", "gofa");
    claims.as_object_mut().unwrap().remove("sub");
    let token = tokens::sign(&fixtures(), "trusted", Some(TRUSTED_KID), &claims);
    let (status, body) = call(
        &h,
        reqwest::Method::POST,
        "/api/ai-move/sessions",
        &token,
        Some(json!({"exerciseId": "squat-basic", "exerciseType": "rep"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["userId"], "fb-user-3");

    // API keys keep working next to JWTs.
    let response = h
        .client
        .get(h.url("/api/ai-move/records"))
        .header("authorization", "API-KEY admin-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn refused_tokens_get_401_in_each_familys_error_shape() {
    // Dozens of refused tokens from one address: past the failed-authentication
    // allowance (tested in failed_auth.rs), which would answer 429 instead.
    let h = start_with_jwks_file_and(|c| c.failed_auth_allowance = u32::MAX).await;
    let mut missing_tenant = tokens::claims("fb-user-1", "gofa");
    missing_tenant.as_object_mut().unwrap().remove("tenant_id");
    let mut cases = tokens::refused_tokens(&fixtures(), "fb-user-1", "gofa");
    cases.push((
        "no tenant claim",
        tokens::sign(&fixtures(), "trusted", Some(TRUSTED_KID), &missing_tenant),
    ));
    // (route, error key of its family)
    let routes = [
        ("/sessions", "detail"),
        ("/weightlifting/sessions/s1/", "error"),
        ("/api/ai-move/exercises", "error"),
        ("/videos/v1", "message"),
    ];
    for (case, token) in &cases {
        for (path, key) in routes {
            let (status, body) = get(&h, path, token).await;
            assert_eq!(status, 401, "{case} on {path}: {body}");
            assert!(
                body[key].as_str().is_some_and(|m| !m.is_empty()),
                "{case} on {path}: no '{key}' in {body}"
            );
        }
    }
}

/// A JWKS served over loopback whose content the test swaps (key rotation).
async fn serve_jwks(content: Arc<Mutex<String>>) -> String {
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let body = content.lock().unwrap().clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn the_jwks_url_is_refetched_when_a_token_names_an_unknown_kid() {
    let read = |name: &str| std::fs::read_to_string(fixtures().join(name)).unwrap();
    let content = Arc::new(Mutex::new(read("jwks.json")));
    let url = serve_jwks(content.clone()).await;
    let h = Harness::start_with(|c: &mut Config| c.jwt = jwt_config(Some(url), None)).await;

    let (status, _) = call(
        &h,
        reqwest::Method::GET,
        "/api/ai-move/exercises",
        &trusted_token("fb-user-1", "gofa"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let rotated = tokens::sign(
        &fixtures(),
        "rotated",
        Some(ROTATED_KID),
        &tokens::claims("fb-user-1", "gofa"),
    );
    let (status, _) = get(&h, "/api/ai-move/exercises", &rotated).await;
    assert_eq!(status, 401, "the rotated key is not published yet");

    *content.lock().unwrap() = read("jwks_rotated.json");
    let (status, body) = get(&h, "/api/ai-move/exercises", &rotated).await;
    assert_eq!(status, 200, "published rotated key: {body}");
}

#[tokio::test]
async fn a_static_public_key_verifies_tokens() {
    let key = fixtures().join("trusted_public.pem");
    let h = Harness::start_with(|c: &mut Config| c.jwt = jwt_config(None, Some(key))).await;
    let claims = tokens::claims("fb-user-1", "gofa");
    let good = tokens::sign(&fixtures(), "trusted", None, &claims);
    let (status, body) = get(&h, "/api/ai-move/exercises", &good).await;
    assert_eq!(status, 200, "{body}");
    let forged = tokens::sign(&fixtures(), "untrusted", None, &claims);
    let (status, _) = get(&h, "/api/ai-move/exercises", &forged).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_503_not_a_401() {
    let h = Harness::start_with(|c: &mut Config| {
        c.jwt = jwt_config(Some("/nonexistent/jwks.json".into()), None)
    })
    .await;
    let (status, body) = call(
        &h,
        reqwest::Method::GET,
        "/sessions",
        &trusted_token("fb-user-1", "gofa"),
        None,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(body["detail"].as_str().is_some());
}
