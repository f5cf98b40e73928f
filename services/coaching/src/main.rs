//! `coaching`: the coaching gRPC service.

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "fitvision coaching service")]
struct Cli {
    #[command(flatten)]
    config: fitvision_coaching::Config,
}

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist (see the function).
    fitvision_service_kit::memory::cap_malloc_arenas();
    async_main()
}

#[tokio::main]
async fn async_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("coaching")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_coaching::run(cli.config, shutdown).await
}
