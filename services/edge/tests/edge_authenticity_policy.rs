//! The per-tenant authenticity policy over REST (`GET|PUT
//! /admin/tenants/{tenant_id}/authenticity-policy`) against the fake session
//! service, and what it changes on the AI Exercise Trainer submit: a video
//! over the thresholds is a 403 under the default policy and a 200 carrying the
//! verdict under `flag`.

mod support;

use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use support::{Harness, video_part};

const ADMIN: &str = "API-KEY admin-key";
const OTHER_TENANT_ADMIN: &str = "API-KEY other-key";
const USER: &str = "API-KEY user-key";
const GOFA: &str = "/admin/tenants/gofa/authenticity-policy";
const ACME: &str = "/admin/tenants/acme/authenticity-policy";

async fn put(h: &Harness, path: &str, auth: &str, body: Value) -> (u16, Value) {
    let (status, body) = h.send_with_json(Method::PUT, path, auth, &body).await;
    (status.as_u16(), body)
}

/// Submits a video named `filename` to a new workout session of `auth`.
async fn submit(h: &Harness, auth: &str, filename: &str) -> (u16, Value) {
    let (status, created) = h.send_json(Method::POST, "/session/create", auth).await;
    assert_eq!(status, 200, "{created}");
    let session = created["session_id"].as_str().unwrap();
    let form = Form::new()
        .text("exercise_type", "pushup")
        .part("video", video_part(filename));
    let (status, body) = h
        .send_multipart(
            Method::POST,
            &format!("/session/{session}/submit-exercise"),
            auth,
            form,
        )
        .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn credentials_roles_and_tenants_are_enforced() {
    let h = Harness::start().await;
    // No credential: 401 with the family's error body.
    let response = h.client.get(h.url(GOFA)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    let response = h
        .client
        .put(h.url(GOFA))
        .json(&json!({"mode": "flag"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A user of the tenant is not an admin.
    let (status, body) = h.get_json(GOFA, USER).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(put(&h, GOFA, USER, json!({"mode": "flag"})).await.0, 403);
    // An admin of another tenant cannot reach this one, but does reach its own.
    assert_eq!(
        put(&h, GOFA, OTHER_TENANT_ADMIN, json!({"mode": "flag"}))
            .await
            .0,
        403
    );
    let (status, body) = put(&h, ACME, OTHER_TENANT_ADMIN, json!({"block_score": 60})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"tenant_id": "acme", "block_score": 60.0, "block_risk": "MEDIUM", "mode": "block"})
    );
    // The platform admin reaches every tenant; an unknown one is a 404.
    let (status, body) = h.get_json(ACME, ADMIN).await;
    assert_eq!(
        (status.as_u16(), body["block_score"].clone()),
        (200, json!(60.0))
    );
    let (status, body) = h
        .get_json("/admin/tenants/nobody/authenticity-policy", ADMIN)
        .await;
    assert_eq!(status, 404, "{body}");
    // gofa was never configured: the defaults, and nothing leaked from acme.
    let (status, body) = h.get_json(GOFA, ADMIN).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"tenant_id": "gofa", "block_score": 40.0, "block_risk": "MEDIUM", "mode": "block"})
    );
}

#[tokio::test]
async fn bad_values_are_400_and_change_nothing() {
    let h = Harness::start().await;
    for body in [
        json!({"block_score": 150}),
        json!({"block_score": -1}),
        json!({"block_risk": "LOW"}),
        json!({"block_risk": "SEVERE"}),
        json!({"mode": "warn"}),
        json!({"mode": "flag", "extra": 1}),
        json!([1, 2]),
    ] {
        let (status, answer) = put(&h, GOFA, ADMIN, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let response = h
        .client
        .put(h.url(GOFA))
        .header("authorization", ADMIN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (_, body) = h.get_json(GOFA, ADMIN).await;
    assert_eq!(body["mode"], "block");
    assert_eq!(body["block_score"], 40.0);
}

#[tokio::test]
async fn flag_mode_turns_a_blocked_submit_into_an_analysed_one() {
    let h = Harness::start().await;
    // Default policy: over the thresholds means 403, with the verdict and the policy.
    let (status, body) = submit(&h, ADMIN, "clip_blocked.mp4").await;
    assert_eq!(status, 403, "{body}");
    let verdict = &body["detail"]["cheat_detection"];
    assert_eq!(verdict["blocked"], true, "{body}");
    assert_eq!(verdict["over_threshold"], true, "{body}");
    assert_eq!(verdict["policy"]["mode"], "block", "{body}");
    assert_eq!(
        body["detail"]["message"],
        "Video blocked: authenticity score >= 40 or MEDIUM/HIGH risk"
    );

    let (status, body) = put(
        &h,
        GOFA,
        ADMIN,
        json!({"block_score": 40, "block_risk": "medium", "mode": "flag"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mode"], "flag");

    // Same clip under `flag`: analysed, the verdict attached, not blocked.
    let (status, body) = submit(&h, ADMIN, "clip_blocked.mp4").await;
    assert_eq!(status, 200, "{body}");
    let verdict = &body["cheat_detection"];
    assert_eq!(verdict["blocked"], false, "{body}");
    assert_eq!(verdict["over_threshold"], true, "{body}");
    assert_eq!(verdict["risk_level"], "HIGH", "{body}");
    assert_eq!(verdict["score"], 72.0, "{body}");
    assert_eq!(
        verdict["policy"],
        json!({"block_score": 40.0, "block_risk": "MEDIUM", "mode": "flag"})
    );
    assert_eq!(body["metrics"]["rep_count"], 3, "{body}");

    // A clean clip under `flag` is neither blocked nor over the thresholds.
    let (status, body) = submit(&h, ADMIN, "clean.mp4").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cheat_detection"]["over_threshold"], false, "{body}");

    // Back to `block` (fields left out take their defaults): 403 again.
    let (status, body) = put(&h, GOFA, ADMIN, json!({})).await;
    assert_eq!((status, body["mode"].clone()), (200, json!("block")));
    assert_eq!(submit(&h, ADMIN, "clip_blocked.mp4").await.0, 403);
}

#[tokio::test]
async fn the_route_is_documented() {
    let h = Harness::start().await;
    let response = h.client.get(h.url("/openapi.json")).send().await.unwrap();
    let doc: Value = response.json().await.unwrap();
    let path = &doc["paths"]["/admin/tenants/{tenant_id}/authenticity-policy"];
    for method in ["get", "put"] {
        let operation = &path[method];
        assert_eq!(operation["tags"], json!(["Admin"]), "{method}: {operation}");
        for status in ["200", "401", "403", "404"] {
            assert!(
                operation["responses"][status].is_object(),
                "{method} documents {status}: {operation}"
            );
        }
    }
    assert!(path["put"]["responses"]["400"].is_object());
    assert!(path["put"]["requestBody"]["content"]["application/json"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TenantPolicy"].is_object(), "{schemas}");
    assert!(schemas["PolicyUpdate"].is_object(), "{schemas}");
}
