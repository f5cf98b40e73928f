//! Issue 2: every gRPC port serves its service, health and reflection; trace
//! ids cross hops; SIGTERM drains streams and exits 0.

use std::process::Command;
use std::time::Duration;

use fitvision_integration_tests::{Suite, grpcurl, shared_video};
use fitvision_proto::v1::StreamPosesRequest;
use fitvision_proto::v1::pose_inference_service_client::PoseInferenceServiceClient;
use tokio_stream::StreamExt;

fn grpcurl_output(args: &[&str]) -> String {
    let output = Command::new(grpcurl())
        .args(args)
        .output()
        .expect("grpcurl runs (installed by scripts/setup.sh)");
    assert!(
        output.status.success(),
        "grpcurl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_service_health_and_reflection_on_every_port() {
    let suite = Suite::start().await.expect("suite starts");
    for (port, service) in suite.ports.grpc() {
        let address = format!("127.0.0.1:{port}");
        let listed = grpcurl_output(&["-plaintext", &address, "list"]);
        let names: Vec<&str> = listed.lines().map(str::trim).collect();
        for expected in [service, "grpc.health.v1.Health"] {
            assert!(
                names.contains(&expected),
                "{address}: `grpcurl list` lacks {expected}:\n{listed}"
            );
        }
        // grpcurl speaks the v1alpha reflection protocol; the server also serves v1.
        assert!(
            names
                .iter()
                .any(|name| name.starts_with("grpc.reflection.")),
            "{address}: reflection is not listed:\n{listed}"
        );
        for (_, other) in suite.ports.grpc() {
            if other != service {
                assert!(
                    !names.contains(&other),
                    "{address} advertises {other}, which it does not serve:\n{listed}"
                );
            }
        }
        let described = grpcurl_output(&["-plaintext", &address, "describe", service]);
        assert!(
            described.contains("rpc "),
            "{address}: describe {service}:\n{described}"
        );
        let health = grpcurl_output(&[
            "-plaintext",
            "-d",
            &format!("{{\"service\":\"{service}\"}}"),
            &address,
            "grpc.health.v1.Health/Check",
        ]);
        assert!(health.contains("\"SERVING\""), "{address}: health {health}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_id_of_an_edge_request_reaches_the_downstream_service_logs() {
    let suite = Suite::start().await.expect("suite starts");
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = reqwest::Client::new()
        .get(format!("{}/api/ai-move/exercises", suite.edge_url()))
        .header("authorization", format!("API-KEY {}", suite.admin_key))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .expect("edge answers");
    assert!(
        response.status().is_success(),
        "status {}",
        response.status()
    );
    // Logs are flushed line by line; give the downstream span a moment to close.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logs = suite.logs();
    let traced: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains(trace_id))
        .collect();
    assert!(
        traced
            .iter()
            .any(|line| line.contains("kind=\"http\"") || line.contains("http")),
        "the edge's request span lacks the trace id:\n{logs}"
    );
    assert!(
        traced
            .iter()
            .any(|line| line.contains("kind=\"grpc\"")
                && line.contains("fitvision.v1.SessionService")),
        "the session service's request span lacks the edge's trace id:\n{}",
        traced.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_pose_stream_drains_and_exits_zero() {
    let Some(video) = shared_video("squat_side_3reps.mp4") else {
        return;
    };
    let mut suite = Suite::start_with_env(&[("FITVISION_DRAIN_TIMEOUT_SECS", "15")])
        .await
        .expect("suite starts");
    let uploaded = suite.upload(&video, "squat").await.expect("upload");
    let original = uploaded.original.expect("stored original");
    let channel = tonic::transport::Endpoint::from_shared(Suite::grpc_url(suite.ports.pose))
        .unwrap()
        .connect()
        .await
        .expect("connect pose-inference");
    let mut stream = PoseInferenceServiceClient::new(channel)
        .stream_poses(StreamPosesRequest {
            video: Some(original),
            ..Default::default()
        })
        .await
        .expect("stream starts")
        .into_inner();
    let first = stream.next().await.expect("a first message").expect("ok");
    assert!(first.event.is_some());

    let terminator = std::thread::spawn(move || {
        let status = suite.terminate(Duration::from_secs(40));
        (status, suite)
    });
    // The call either finishes normally or ends with a status; it never hangs.
    let drained = tokio::time::timeout(Duration::from_secs(60), async {
        let mut frames = 0usize;
        while let Some(message) = stream.next().await {
            match message {
                Ok(_) => frames += 1,
                Err(status) => return Err(status),
            }
        }
        Ok(frames)
    })
    .await
    .expect("stream ended after SIGTERM");
    eprintln!("stream after SIGTERM: {drained:?}");
    let (status, suite) = terminator.join().unwrap();
    let status = status.expect("process exited after SIGTERM");
    assert!(
        status.success(),
        "exit status {status}; logs:\n{}",
        suite.logs()
    );
}
