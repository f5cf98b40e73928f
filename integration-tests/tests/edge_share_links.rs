//! Issue 21, finding 7: a coach sends the athlete a link that opens a result without an
//! API key, lives as long as the coach chose (not an hour), and stops working once
//! revoked. The link's token reads that one session and nothing else: over REST it is
//! no API key, and over gRPC (`authorization: Share <token>`) it reads the shared
//! session's result only.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key, assert_error, video_part};
use fitvision_integration_tests::{Suite, ground_truth, shared_video};
use fitvision_proto::v1::{
    GetSessionRequest, ListSessionsRequest, Role, StreamPoseTrackRequest, UpdateSessionRequest,
};
use reqwest::Method;
use serde_json::{Value, json};

const CLIP: &str = "jumpingjack_black_bg.mp4";

fn share_request<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Share {token}").parse().expect("ascii token"),
    );
    request
}

/// Creates a Guru video of `clip` for `auth`; returns its id.
async fn create_video(edge: &Edge, auth: &str, clip: &std::path::Path) -> String {
    let size = std::fs::metadata(clip).unwrap().len();
    let (status, created) = edge
        .post(
            "/videos",
            auth,
            Body::Json(json!({"filename": "jacks.mp4", "size": size, "activity": "jumping_jacks"})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, body) = edge.guru_upload(&created, video_part(clip)).await;
    assert_eq!(status, 204, "{body}");
    id
}

/// `GET /v1/shared/{token}` with no credential at all.
async fn open_shared(edge: &Edge, token: &str) -> (u16, Value) {
    edge.send(
        Method::GET,
        &format!("/v1/shared/{token}"),
        None,
        Body::Empty,
    )
    .await
}

fn millis_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("timestamp"))
            .expect("RFC 3339")
            .timestamp_millis()
    };
    parse(to) - parse(from)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_link_opens_one_result_without_a_key_until_revoked_or_expired() {
    let (Some(clip), Some((_, truth))) = (shared_video(CLIP), ground_truth(CLIP)) else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let owner = api_key(&suite.admin_key);
    let id = create_video(&edge, &owner, &clip).await;
    let analysis = edge
        .poll(
            &format!("/videos/{id}/analysis"),
            &owner,
            Duration::from_secs(600),
            |b| b["status"] != "Pending",
        )
        .await;
    assert_eq!(analysis["status"], "Complete", "{analysis}");

    // Created with the lifetime the coach chose; the token is shown once.
    let shares_path = format!("/v1/sessions/{id}/shares");
    let (status, created) = edge
        .post(
            &shares_path,
            &owner,
            Body::Json(json!({"ttlSeconds": 7 * 24 * 3600})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("fvshare_") && token.len() > 40, "{token}");
    assert!(
        created["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http") && u.ends_with(&format!("/#share={token}"))),
        "{created}"
    );
    let share = &created["share"];
    assert_eq!(share["sessionId"], id.as_str(), "{created}");
    assert_eq!(share["active"], true, "{created}");
    assert_eq!(
        millis_between(&share["createdAt"], &share["expiresAt"]),
        7 * 24 * 3600 * 1000,
        "{created}"
    );
    let share_id = share["shareId"].as_str().expect("shareId").to_owned();

    // Opened without any credential: the result, with the measured reps and media
    // URLs that work.
    let (status, opened) = open_shared(&edge, &token).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["video"]["id"], id.as_str());
    assert_eq!(
        opened["video"]["analysis"]["status"], "Complete",
        "{opened}"
    );
    let reps = opened["video"]["analysis"]["reps"]
        .as_array()
        .expect("reps")
        .len();
    assert_eq!(reps as u32, truth, "the shared result counts the reps");
    assert_eq!(opened["video"]["j2p"]["status"], "Complete");
    assert!(
        opened["video"]["j2p"]["jointToPoints"]
            .as_object()
            .is_some_and(|j| !j.is_empty())
    );
    assert_eq!(opened["detail"]["session"]["sessionId"], id.as_str());
    assert_eq!(opened["share"]["shareId"], share_id.as_str());
    let original = opened["video"]["uri"].as_str().expect("original uri");
    let media = reqwest::get(original).await.expect("media reachable");
    assert_eq!(media.status(), 200, "the signed original opens");
    assert!(media.bytes().await.unwrap().len() > 10_000);

    // The token is no API key: other routes refuse it.
    for path in ["/v1/sessions", &format!("/videos/{id}")] {
        for auth in [format!("API-KEY {token}"), format!("Share {token}")] {
            let (status, body) = edge.get(path, &auth).await;
            assert_eq!(status, 401, "{path} with the share token: {body}");
        }
    }
    // Over gRPC it reads the shared session only, and writes nothing.
    let mut grpc = suite.session_client().await.expect("session client");
    let session = grpc
        .get_session(share_request(
            &token,
            GetSessionRequest {
                session_id: id.clone(),
            },
        ))
        .await
        .expect("the shared session is readable")
        .into_inner()
        .session
        .expect("session");
    let video_id = session.videos[0].video_id.clone();
    let mut track = grpc
        .stream_pose_track(share_request(
            &token,
            StreamPoseTrackRequest {
                video_id: video_id.clone(),
            },
        ))
        .await
        .expect("its pose track is readable")
        .into_inner();
    assert!(track.message().await.expect("track item").is_some());
    let other = create_video(&edge, &owner, &clip).await;
    let refused = grpc
        .get_session(share_request(
            &token,
            GetSessionRequest {
                session_id: other.clone(),
            },
        ))
        .await
        .expect_err("another session of the same owner");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{refused:?}");
    let refused = grpc
        .update_session(share_request(
            &token,
            UpdateSessionRequest {
                session_id: id.clone(),
                title: Some("renamed".into()),
                ..Default::default()
            },
        ))
        .await
        .expect_err("a write");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    let refused = grpc
        .list_sessions(share_request(&token, ListSessionsRequest::default()))
        .await
        .expect_err("a listing");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    // Bad lifetimes, strangers and missing credentials.
    let (status, body) = edge
        .post(
            &shares_path,
            &owner,
            Body::Json(json!({"ttlSeconds": 366 * 24 * 3600})),
        )
        .await;
    assert_error("a lifetime over a year", status, &body, 400, "error");
    let stranger = api_key(
        &suite
            .create_api_key("other-gym", "coach", Role::Admin)
            .await
            .expect("foreign key"),
    );
    let (status, body) = edge
        .post(&shares_path, &stranger, Body::Json(json!({})))
        .await;
    assert_eq!(status, 404, "foreign tenant creates: {body}");
    let (status, body) = edge.get(&shares_path, &stranger).await;
    assert_eq!(status, 404, "foreign tenant lists: {body}");
    let (status, body) = edge
        .send(
            Method::DELETE,
            &format!("/v1/shares/{share_id}"),
            Some(&stranger),
            Body::Empty,
        )
        .await;
    assert_eq!(status, 404, "foreign tenant revokes: {body}");
    let (status, body) = edge
        .send(Method::POST, &shares_path, None, Body::Json(json!({})))
        .await;
    assert_eq!(status, 401, "no credentials: {body}");

    // Listed for the owner (no token in the list); a second link, default lifetime.
    let (status, second) = edge.post(&shares_path, &owner, Body::Json(json!({}))).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        millis_between(&second["share"]["createdAt"], &second["share"]["expiresAt"]),
        30 * 24 * 3600 * 1000,
        "{second}"
    );
    let (status, listed) = edge.get(&shares_path, &owner).await;
    assert_eq!(status, 200, "{listed}");
    let shares = listed["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 2, "{listed}");
    assert!(
        !listed.to_string().contains(&token),
        "no token in a listing"
    );

    // Revoked: the link is gone (410), the other link still opens.
    let (status, revoked) = edge
        .send(
            Method::DELETE,
            &format!("/v1/shares/{share_id}"),
            Some(&owner),
            Body::Empty,
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["share"]["revokedAt"].is_string(), "{revoked}");
    assert_ne!(revoked["share"]["active"], true, "{revoked}");
    let (status, body) = open_shared(&edge, &token).await;
    assert_error("a revoked link", status, &body, 410, "error");
    assert_eq!(body["error"], "share link revoked");
    let refused = grpc
        .get_session(share_request(
            &token,
            GetSessionRequest {
                session_id: id.clone(),
            },
        ))
        .await
        .expect_err("a revoked token over gRPC");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    let second_token = second["token"].as_str().expect("token");
    let (status, body) = open_shared(&edge, second_token).await;
    assert_eq!(status, 200, "the other link: {body}");

    // Expired: gone as well; an unknown token is not found.
    let (status, short) = edge
        .post(&shares_path, &owner, Body::Json(json!({"ttlSeconds": 1})))
        .await;
    assert_eq!(status, 200, "{short}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = open_shared(&edge, short["token"].as_str().unwrap()).await;
    assert_error("an expired link", status, &body, 410, "error");
    assert_eq!(body["error"], "share link expired");
    let (status, body) = open_shared(&edge, "fvshare_nosuchtoken").await;
    assert_error("an unknown link", status, &body, 404, "error");

    // Deleting the session deletes its links.
    let (status, body) = edge
        .send(
            Method::DELETE,
            &format!("/v1/sessions/{id}"),
            Some(&owner),
            Body::Empty,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = open_shared(&edge, second_token).await;
    assert_eq!(status, 404, "a deleted session's link: {body}");
}
