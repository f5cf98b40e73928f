//! Issue 22: the blocking policy per tenant, end to end over the real suite.
//!
//! A clip that the default policy blocks (score >= 40 or MEDIUM/HIGH risk) is a
//! 403 on the AI Exercise Trainer submit; after the tenant's admin sets
//! `mode=flag` through the REST admin route, the same clip is a 200 carrying
//! the counted metrics and the verdict (not blocked, over the thresholds, with
//! the policy in force). The route's credential rules are checked on the way.

use std::time::Instant;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key, assert_error, video_part};
use fitvision_integration_tests::{Suite, shared_video};
use fitvision_proto::v1::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// Large captions over the whole clip (manifest: `honest: false`): the text check
/// flags it and the default policy blocks it.
const CLIP: &str = "pushup_social_textoverlay.mp4";
const EXERCISE_TYPE: &str = "pushup";
/// A tenant of its own, so the policy set here is visibly per tenant.
const TENANT: &str = "policy-demo";

async fn submit(edge: &Edge, auth: &str, clip: &std::path::Path) -> (u16, Value) {
    let (status, created) = edge.post("/session/create", auth, Body::Empty).await;
    assert_eq!(status, 200, "session/create: {created}");
    let session = created["session_id"].as_str().expect("session_id");
    let form = reqwest::multipart::Form::new()
        .text("exercise_type", EXERCISE_TYPE)
        .part("video", video_part(clip));
    let started = Instant::now();
    let (status, body) = edge
        .post(
            &format!("/session/{session}/submit-exercise"),
            auth,
            Body::Form(form),
        )
        .await;
    eprintln!(
        "submit {CLIP}: HTTP {status} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flag_policy_set_over_rest_turns_a_blocked_clip_into_200_with_the_verdict() {
    let Some(clip) = shared_video(CLIP) else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin = api_key(
        &suite
            .create_api_key(TENANT, "coach", Role::Admin)
            .await
            .expect("tenant admin key"),
    );
    let user = api_key(
        &suite
            .create_api_key(TENANT, "athlete", Role::User)
            .await
            .expect("tenant user key"),
    );
    let platform_admin = api_key(&suite.admin_key);
    let route = format!("/admin/tenants/{TENANT}/authenticity-policy");
    let flag = json!({"block_score": 40, "block_risk": "MEDIUM", "mode": "flag"});

    // The route: admin key only.
    let (status, body) = edge.send(Method::GET, &route, None, Body::Empty).await;
    assert_error("policy without credentials", status, &body, 401, "error");
    let (status, body) = edge
        .send(Method::PUT, &route, None, Body::Json(flag.clone()))
        .await;
    assert_error(
        "set policy without credentials",
        status,
        &body,
        401,
        "error",
    );
    let (status, body) = edge.get(&route, &user).await;
    assert_error("policy as a non-admin", status, &body, 403, "error");
    let (status, body) = edge
        .send(Method::PUT, &route, Some(&user), Body::Json(flag.clone()))
        .await;
    assert_error("set policy as a non-admin", status, &body, 403, "error");
    let (status, body) = edge
        .send(
            Method::PUT,
            &route,
            Some(&admin),
            Body::Json(json!({"block_score": 140})),
        )
        .await;
    assert_error("block_score out of range", status, &body, 400, "error");
    let (status, body) = edge
        .get(
            "/admin/tenants/no-such-tenant/authenticity-policy",
            &platform_admin,
        )
        .await;
    assert_error("unknown tenant", status, &body, 404, "error");
    let (status, body) = edge.get(&route, &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"tenant_id": TENANT, "block_score": 40.0, "block_risk": "MEDIUM", "mode": "block"}),
        "a tenant that never set a policy has the defaults"
    );

    // Default policy: the clip is blocked.
    let (status, blocked) = submit(&edge, &admin, &clip).await;
    assert_eq!(status, 403, "{CLIP} under the default policy: {blocked}");
    let verdict = &blocked["detail"]["cheat_detection"];
    assert_eq!(verdict["blocked"], true, "{blocked}");
    assert_eq!(verdict["policy"]["mode"], "block", "{blocked}");
    let blocked_score = verdict["score"].as_f64().expect("score");
    let blocked_risk = verdict["risk_level"].as_str().expect("risk_level");
    eprintln!(
        "{CLIP} blocked: score {blocked_score:.1}, risk {blocked_risk}: {}",
        verdict["summary"]
    );

    // The tenant's admin switches to flag mode over REST.
    let (status, set) = edge
        .send(Method::PUT, &route, Some(&admin), Body::Json(flag.clone()))
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        set,
        json!({"tenant_id": TENANT, "block_score": 40.0, "block_risk": "MEDIUM", "mode": "flag"})
    );
    let (status, read_back) = edge.get(&route, &platform_admin).await;
    assert_eq!(
        (status, &read_back),
        (200, &set),
        "read back by the platform admin"
    );

    // The same clip: analysed, the verdict attached, not blocked.
    let (status, analysed) = submit(&edge, &admin, &clip).await;
    assert_eq!(status, 200, "{CLIP} under mode=flag: {analysed}");
    let verdict = &analysed["cheat_detection"];
    assert_eq!(verdict["blocked"], false, "{analysed}");
    assert_eq!(verdict["over_threshold"], true, "{analysed}");
    let score = verdict["score"].as_f64().expect("score");
    let risk = verdict["risk_level"].as_str().expect("risk_level");
    assert!(
        score >= 40.0 || ["MEDIUM", "HIGH"].contains(&risk),
        "the verdict is over the default thresholds: score {score}, risk {risk}"
    );
    assert!(
        verdict["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{analysed}"
    );
    assert_eq!(
        verdict["policy"],
        json!({"block_score": 40.0, "block_risk": "MEDIUM", "mode": "flag"}),
        "the policy in force is shown with the verdict"
    );
    let reps = analysed["metrics"]["rep_count"]
        .as_u64()
        .unwrap_or_else(|| panic!("a counted rep_count: {analysed}"));
    assert_eq!(analysed["status"], "completed", "{analysed}");
    eprintln!(
        "{CLIP} flagged: score {score:.1}, risk {risk}, rep_count {reps}: {}",
        verdict["summary"]
    );

    // The policy is the tenant's: the platform admin's tenant still blocks by default.
    let (status, default_tenant) = edge
        .get("/admin/tenants/gofa/authenticity-policy", &platform_admin)
        .await;
    assert_eq!(status, 200, "{default_tenant}");
    assert_eq!(default_tenant["mode"], "block", "{default_tenant}");
}
