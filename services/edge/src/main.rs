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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("edge")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_edge::run(cli.config, shutdown).await
}
