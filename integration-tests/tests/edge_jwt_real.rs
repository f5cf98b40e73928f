//! External JWTs (Firebase-compatible RS256) against the real suite: the edge
//! verifies them against a JWKS file; every refused token is a 401 in its
//! family's error shape, and a valid token is never served as the edge's own
//! service key. (Mapping a valid token to its user needs the session service
//! to honour the edge's on-behalf-of metadata; until it does the edge answers
//! 503 rather than act for the wrong identity.)
//! Build first: `cargo build -p fitvision --bin fitvision`.

#[path = "../../services/edge/tests/support/tokens.rs"]
mod tokens;

use std::path::{Path, PathBuf};

use fitvision_integration_tests::Suite;
use fitvision_integration_tests::edge_http::{Body, Edge, assert_error};
use reqwest::Method;
use serde_json::json;

fn fixtures() -> PathBuf {
    tokens::fixtures(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../services/edge"))
}

#[tokio::test(flavor = "multi_thread")]
async fn external_tokens_are_verified_by_the_edge() {
    let jwks = fixtures().join("jwks.json").display().to_string();
    let suite = Suite::start_with_env(&[
        ("FITVISION_JWT_JWKS", &jwks),
        ("FITVISION_JWT_ISSUER", tokens::ISSUER),
        ("FITVISION_JWT_AUDIENCE", tokens::AUDIENCE),
        // Every refused token on every route, all from this address: far past the
        // failed-authentication allowance (its blocking is tested in the edge crate).
        ("FITVISION_FAILED_AUTH_ALLOWANCE", "100000"),
    ])
    .await
    .expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let bearer = |token: &str| format!("Bearer {token}");

    let routes = [
        ("/sessions", "detail"),
        ("/weightlifting/sessions/s1/", "error"),
        ("/api/ai-move/exercises", "error"),
        ("/videos/v1", "message"),
    ];
    for (case, token) in tokens::refused_tokens(&fixtures(), "fb-user-1", "gofa") {
        for (path, key) in routes {
            let (status, body) = edge.get(path, &bearer(&token)).await;
            assert_error(&format!("{case} on {path}"), status, &body, 401, key);
        }
    }

    // A valid token acts as its own user, never as the service key.
    let admin = format!("API-KEY {}", suite.admin_key);
    let (status, catalog) = edge.get("/api/ai-move/exercises", &admin).await;
    assert_eq!(status, 200, "{catalog}");
    let exercise = catalog["exercises"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["type"] == "rep"))
        .and_then(|e| e["exerciseId"].as_str())
        .expect("a rep exercise")
        .to_owned();
    let token = tokens::sign(
        &fixtures(),
        "trusted",
        Some(tokens::TRUSTED_KID),
        &tokens::claims("fb-user-1", "gofa"),
    );
    let (status, body) = edge
        .send(
            Method::POST,
            "/api/ai-move/sessions",
            Some(&bearer(&token)),
            Body::Json(json!({"exerciseId": exercise, "exerciseType": "rep"})),
        )
        .await;
    match status {
        201 => {
            assert_eq!(body["userId"], "fb-user-1", "{body}");
            assert_eq!(body["clientId"], "gofa", "{body}");
        }
        503 => assert!(
            body["error"]
                .as_str()
                .is_some_and(|m| m.contains("identities verified by the edge")),
            "{body}"
        ),
        _ => panic!("valid token: {status} {body}"),
    }
    let (status, body) = edge.get("/api/ai-move/records", &bearer(&token)).await;
    assert_ne!(
        status, 200,
        "a user's token must not read admin records: {body}"
    );
}
