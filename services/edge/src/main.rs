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
    // Before the runtime's threads exist (see the function).
    fitvision_service_kit::memory::cap_malloc_arenas();
    async_main()
}

#[tokio::main]
async fn async_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("edge")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_edge::run(cli.config, shutdown).await
}
