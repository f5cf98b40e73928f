use clap::Parser;

#[derive(Parser)]
#[command(
    name = "pose-inference",
    about = "fitvision pose-inference gRPC service"
)]
struct Cli {
    #[command(flatten)]
    config: fitvision_pose_inference::Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("pose-inference")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_pose_inference::run(cli.config, shutdown).await
}
