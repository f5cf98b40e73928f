//! `edge`: the public HTTP API of fitvision.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "edge",
    about = "fitvision public HTTP API (REST families, docs, downloads)"
)]
struct Cli {
    #[command(flatten)]
    config: fitvision_edge::Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service("edge", cli.config, fitvision_edge::run)
}
