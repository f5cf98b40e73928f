//! `coaching`: the coaching gRPC service.

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "fitvision coaching service")]
struct Cli {
    #[command(flatten)]
    config: fitvision_coaching::Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service("coaching", cli.config, fitvision_coaching::run)
}
