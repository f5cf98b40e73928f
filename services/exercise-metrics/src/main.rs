use clap::Parser;

#[derive(Parser)]
#[command(
    name = "exercise-metrics",
    about = "fitvision exercise-metrics gRPC service"
)]
struct Cli {
    #[command(flatten)]
    config: fitvision_exercise_metrics::Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service(
        "exercise-metrics",
        cli.config,
        fitvision_exercise_metrics::run,
    )
}
