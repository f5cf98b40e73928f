use clap::Parser;

#[derive(Parser)]
#[command(
    name = "cheat-detection",
    about = "fitvision authenticity checks (gRPC)"
)]
struct Cli {
    #[command(flatten)]
    config: fitvision_cheat_detection::Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service(
        "cheat-detection",
        cli.config,
        fitvision_cheat_detection::run,
    )
}
