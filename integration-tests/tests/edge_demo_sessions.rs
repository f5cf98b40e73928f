//! `demo=true` on a fresh deployment: with `FITVISION_DEMO_VIDEO` pointing at the clip a
//! registry package ships (the Sports2D demo, fetched by scripts/fetch-fixtures.sh), the
//! first start analyses one demo session per family, and a brand-new tenant's user with
//! no session of its own reads them (200, a real analysis) but cannot change them.

use std::time::{Duration, Instant};

use fitvision_integration_tests::edge_http::{Edge, api_key};
use fitvision_integration_tests::{Suite, packaged_demo_clip, with_api_key};
use fitvision_proto::v1::{DeleteSessionRequest, GetSessionRequest, Role};

#[tokio::test(flavor = "multi_thread")]
async fn a_new_tenant_reads_the_demo_sessions_of_a_fresh_deployment() {
    let Some(clip) = packaged_demo_clip() else {
        return;
    };
    let clip = clip.to_string_lossy().into_owned();
    let suite = Suite::start_with_env(&[("FITVISION_DEMO_VIDEO", clip.as_str())])
        .await
        .expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let newcomer_key = suite
        .create_api_key("newcomer-club", "first-user", Role::User)
        .await
        .expect("a new tenant's user key");
    let newcomer = api_key(&newcomer_key);

    for (family, title, exercise) in [
        ("running", "Running", "sprint"),
        ("jumping", "Jumping", "vertical_jump"),
        ("weightlifting", "Weightlifting", "snatch"),
    ] {
        let path = format!("/{family}/sessions/any/?demo=true");
        // 404 with a reason while the first start is still analysing, then 200.
        let deadline = Instant::now() + Duration::from_secs(600);
        let body = loop {
            let (status, body) = edge.get(&path, &newcomer).await;
            if status == 200 {
                break body;
            }
            assert_eq!(status, 404, "{family}: {body}");
            assert!(
                Instant::now() < deadline,
                "{family}: no demo after 600 s: {body}\n{}",
                suite.logs()
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        assert_eq!(body["activity"], title, "{family}: {body}");
        assert_eq!(body["exercise"], exercise, "{family}: {body}");
        assert!(
            body["all_timestamps"]
                .as_array()
                .is_some_and(|t| t.len() > 100),
            "{family}: a real analysis has a series per frame: {body}"
        );
        // Readable is not writable: the demo session is not the newcomer's to change.
        let id = body["session_id"].as_str().expect("session_id").to_owned();
        let mut client = suite.session_client().await.expect("session client");
        let refused = client
            .delete_session(
                with_api_key(
                    &newcomer_key,
                    DeleteSessionRequest {
                        session_id: id.clone(),
                    },
                )
                .unwrap(),
            )
            .await
            .expect_err("a demo session cannot be deleted by a reader");
        assert_eq!(refused.code(), tonic::Code::NotFound, "{family}: {refused}");
        let read = client
            .get_session(with_api_key(&newcomer_key, GetSessionRequest { session_id: id }).unwrap())
            .await
            .expect("a demo session is readable over gRPC too");
        assert!(read.into_inner().session.is_some());
    }
    // Nobody can get write access to them: the demo tenant takes no keys.
    assert!(
        suite
            .create_api_key("fitvision-demo", "intruder", Role::Admin)
            .await
            .is_err(),
        "a key for the demo tenant must be refused"
    );
}
