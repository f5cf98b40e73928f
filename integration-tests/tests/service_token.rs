//! Internal gRPC services take calls only from the deployment itself: with a service
//! token configured every call but a health check must carry it, and without one an
//! internal service refuses to listen anywhere but on loopback.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fitvision_integration_tests::{grpcurl, health_of, workspace_binary};
use fitvision_service_kit::testing::unused_loopback_port;
use tonic_health::pb::health_check_response::ServingStatus;

const TOKEN: &str = "deployment-secret-0123456789";

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn exercise_metrics(args: &[&str]) -> Command {
    let mut command = Command::new(workspace_binary("exercise-metrics"));
    command
        .args(args)
        .env_remove("FITVISION_SERVICE_TOKEN")
        .stdin(Stdio::null());
    command
}

fn grpcurl_list(port: u16, token: Option<&str>) -> (bool, String) {
    let mut command = Command::new(grpcurl());
    command.args(["-plaintext", "-max-time", "5"]);
    if let Some(token) = token {
        command.args(["-H", &format!("x-fitvision-service-token: {token}")]);
    }
    let output = command
        .arg(format!("127.0.0.1:{port}"))
        .arg("list")
        .output()
        .expect("grpcurl runs");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_calls_need_the_service_token_and_health_checks_do_not() {
    let port = unused_loopback_port();
    let addr = format!("127.0.0.1:{port}");
    let _service = Running(
        exercise_metrics(&["--addr", &addr, "--service-token", TOKEN])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("exercise-metrics starts"),
    );
    // Health answers without the token (Kubernetes probes carry none).
    let deadline = Instant::now() + Duration::from_secs(60);
    while health_of(port, "").await != Some(ServingStatus::Serving) {
        assert!(Instant::now() < deadline, "not SERVING");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (ok, output) = grpcurl_list(port, None);
    assert!(!ok, "served without the token: {output}");
    assert!(output.contains("Unauthenticated"), "{output}");
    let (ok, output) = grpcurl_list(port, Some("a-guess"));
    assert!(!ok && output.contains("Unauthenticated"), "{output}");
    let (ok, output) = grpcurl_list(port, Some(TOKEN));
    assert!(ok, "{output}");
    assert!(
        output.contains("fitvision.v1.ExerciseMetricsService"),
        "{output}"
    );
}

#[test]
fn without_a_token_an_internal_service_refuses_a_public_address() {
    let port = unused_loopback_port();
    let output = exercise_metrics(&["--addr", &format!("0.0.0.0:{port}")])
        .output()
        .expect("exercise-metrics runs");
    assert!(
        !output.status.success(),
        "it served 0.0.0.0 without a token"
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("service token"), "{said}");
}

/// Guessing keys over gRPC on the session's public port ends in RESOURCE_EXHAUSTED
/// for that address, while the edge (which carries the suite's service token and
/// limits its own clients) keeps being served from the same host.
#[tokio::test(flavor = "multi_thread")]
async fn the_session_limits_guessed_credentials_per_caller_but_not_the_edge() {
    use fitvision_integration_tests::Suite;
    use fitvision_proto::v1::AuthenticateRequest;

    let suite = Suite::start().await.expect("suite starts");
    let mut session = suite.session_client().await.unwrap();
    let allowance = fitvision_service_kit::failed_auth::DEFAULT_ALLOWANCE;
    for guess in 0..=allowance {
        let refused = session
            .authenticate(AuthenticateRequest {
                credential: format!("API-KEY guess-{guess}"),
            })
            .await
            .expect_err("a guessed key is refused");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    }
    let blocked = session
        .authenticate(AuthenticateRequest {
            credential: format!("API-KEY {}", suite.admin_key),
        })
        .await
        .expect_err("blocked, even with the right key");
    assert_eq!(
        blocked.code(),
        tonic::Code::ResourceExhausted,
        "{blocked:?}"
    );
    assert!(blocked.message().contains("retry in"), "{blocked:?}");

    // The edge's calls carry the service token: its clients are unaffected.
    let response = reqwest::Client::new()
        .get(format!("{}/sessions", suite.edge_url()))
        .header("authorization", format!("API-KEY {}", suite.admin_key))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
