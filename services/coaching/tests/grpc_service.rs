//! CoachingService over real gRPC on loopback, served by `run` as the binary does.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{push_up, request, subject};
use fitvision_coaching::{Config, LlmArgs};
use fitvision_proto::v1::MeasurementSystem;
use fitvision_proto::v1::coaching_service_client::CoachingServiceClient;
use fitvision_service_kit::grpc::ServerArgs;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Connects once the server accepts connections (it binds asynchronously).
async fn connect(addr: SocketAddr) -> CoachingServiceClient<Channel> {
    for _ in 0..100 {
        if let Ok(client) = CoachingServiceClient::connect(format!("http://{addr}")).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the coaching server never accepted connections on {addr}");
}

#[tokio::test]
async fn generate_feedback_over_grpc_with_clear_errors() {
    let addr = free_addr();
    let shutdown = CancellationToken::new();
    let config = Config {
        addr,
        server: ServerArgs::default(),
        llm: LlmArgs::default(),
    };
    let server = tokio::spawn(fitvision_coaching::run(config, shutdown.clone()));
    let mut client = connect(addr).await;

    let response = client
        .generate_feedback(request(
            vec![push_up()],
            subject(MeasurementSystem::Imperial),
            "en",
            &["overall", "final_summary"],
        ))
        .await
        .unwrap()
        .into_inner();
    let topics: Vec<&str> = response.feedback.iter().map(|f| f.topic.as_str()).collect();
    assert_eq!(topics, ["overall", "final_summary"]);
    assert!(response.feedback[0].text.contains("12 reps counted"));
    assert_eq!(response.feedback[0].provider, "builtin");
    assert_eq!(response.feedback[1].exercise_id, "push_up");

    let no_exercise = client
        .generate_feedback(request(
            vec![],
            subject(MeasurementSystem::Metric),
            "en",
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(no_exercise.code(), Code::FailedPrecondition);
    assert_eq!(
        no_exercise.message(),
        "AI analysis requires at least 1 completed exercise"
    );

    let bad_topic = client
        .generate_feedback(request(
            vec![push_up()],
            subject(MeasurementSystem::Metric),
            "en",
            &["horoscope"],
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_topic.code(), Code::InvalidArgument);
    assert!(bad_topic.message().contains("horoscope"));

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
