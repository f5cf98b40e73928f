//! Guru flow with the permissive pose model (MediaPipe BlazePose, Apache-2.0) on a real
//! clip, through the running suite: chosen per video (`poseModel`) and per tenant
//! (`UpsertTenant`'s `pose_model_id`), it counts the clip's reps and its `j2p` carries
//! `leftHand`/`rightHand` (and the feet) with positions in [0, 1] and scores; an
//! unknown model is a 400 that names the known ones.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, video_part};
use fitvision_integration_tests::{Suite, ground_truth, shared_video, with_api_key};
use fitvision_proto::v1::{Tenant, UpsertTenantRequest};
use serde_json::{Value, json};

const CLIP: &str = "squat_bodyweight_side_bluewall.mp4";

/// Creates a Guru video (with `extra` fields in the body), uploads `clip`, waits for
/// the analysis and returns (id, analysis).
async fn analyse(
    edge: &Edge,
    token: &str,
    clip: &std::path::Path,
    extra: Value,
) -> (String, Value) {
    let size = std::fs::metadata(clip).unwrap().len();
    let mut body = json!({"filename": "squat.mp4", "size": size, "domain": "weightlifting", "activity": "squat"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, created) = edge.post("/videos", token, Body::Json(body)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, body) = edge.guru_upload(&created, video_part(clip)).await;
    assert_eq!(status, 204, "{body}");
    let analysis = edge
        .poll(
            &format!("/videos/{id}/analysis"),
            token,
            Duration::from_secs(600),
            |body| body["status"] != "Pending",
        )
        .await;
    assert_eq!(analysis["status"], "Complete", "{analysis}");
    (id, analysis)
}

/// The j2p of `id`, checked to carry hands and feet with sane values.
async fn assert_hands_and_feet(edge: &Edge, token: &str, id: &str) {
    let (status, j2p) = edge.get(&format!("/videos/{id}/j2p"), token).await;
    assert_eq!(status, 200, "{j2p}");
    let joints = j2p["jointToPoints"].as_object().expect("jointToPoints");
    for joint in [
        "leftHand",
        "rightHand",
        "leftHeel",
        "rightFootIndex",
        "leftWrist",
        "rightKnee",
    ] {
        let frames = joints
            .get(joint)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("j2p has no {joint}: {:?}", joints.keys()));
        assert!(frames.len() > 100, "{joint}: {} frames", frames.len());
        for frame in frames {
            assert_eq!(frame["part"], joint);
            let (x, y) = (
                frame["position"]["x"].as_f64().unwrap(),
                frame["position"]["y"].as_f64().unwrap(),
            );
            let score = frame["score"].as_f64().unwrap();
            assert!(
                (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y),
                "{frame}"
            );
            assert!((0.0..=1.0).contains(&score), "{frame}");
        }
    }
    // A hand is next to its wrist (within a fifth of the frame) in the same frame.
    let near = joints["leftHand"]
        .as_array()
        .unwrap()
        .iter()
        .zip(joints["leftWrist"].as_array().unwrap())
        .filter(|(hand, wrist)| {
            let dx =
                hand["position"]["x"].as_f64().unwrap() - wrist["position"]["x"].as_f64().unwrap();
            let dy =
                hand["position"]["y"].as_f64().unwrap() - wrist["position"]["y"].as_f64().unwrap();
            dx.hypot(dy) < 0.2
        })
        .count();
    assert!(near as f64 >= 0.95 * joints["leftHand"].as_array().unwrap().len() as f64);
}

/// Sets the default tenant's pose model through gRPC `UpsertTenant` (every module kept).
async fn set_default_tenant_model(suite: &Suite, model: &str) -> Result<Tenant, tonic::Status> {
    let modules = [
        "workout",
        "weightlifting",
        "jumping",
        "running",
        "ai_move",
        "guru",
    ];
    let request = UpsertTenantRequest {
        tenant: Some(Tenant {
            tenant_id: "gofa".into(),
            enabled_modules: modules.map(String::from).to_vec(),
            pose_model_id: Some(model.into()),
            ..Default::default()
        }),
        replace_library_selection: false,
    };
    let mut session = suite.session_client().await.expect("session client");
    let response = session
        .upsert_tenant(with_api_key(&suite.admin_key, request).expect("metadata"))
        .await?;
    Ok(response.into_inner().tenant.expect("tenant"))
}

#[tokio::test(flavor = "multi_thread")]
async fn blazepose_chosen_per_video_and_per_tenant_returns_hands_in_j2p() {
    let Some(clip) = shared_video(CLIP) else {
        return;
    };
    let (_, truth) = ground_truth(CLIP).expect("clip labelled");
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let token = edge.guru_token("admin", &suite.admin_key).await;

    // An unknown model is refused at creation, naming the known ones.
    let (status, body) = edge
        .post(
            "/videos",
            &token,
            Body::Json(json!({"filename": "a.mp4", "size": 1000, "poseModel": "no-such-model"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("blazepose-full"), "{body}");

    // Per video.
    let (id, analysis) =
        analyse(&edge, &token, &clip, json!({"poseModel": "blazepose-full"})).await;
    assert_eq!(
        analysis["reps"].as_array().map(Vec::len),
        Some(truth as usize),
        "{analysis}"
    );
    assert_hands_and_feet(&edge, &token, &id).await;

    // Per tenant: the default tenant's videos use BlazePose when they name no model.
    let refused = set_default_tenant_model(&suite, "no-such-model")
        .await
        .expect_err("unknown tenant model refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    let tenant = set_default_tenant_model(&suite, "blazepose-full")
        .await
        .expect("tenant model set");
    assert_eq!(tenant.pose_model_id.as_deref(), Some("blazepose-full"));
    let (id, _) = analyse(&edge, &token, &clip, json!({})).await;
    assert_hands_and_feet(&edge, &token, &id).await;
}
