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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service(
        "pose-inference",
        cli.config,
        fitvision_pose_inference::run,
    )
}
