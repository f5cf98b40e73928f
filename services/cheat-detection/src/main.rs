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
    // Before the runtime's threads exist (see the function).
    fitvision_service_kit::memory::cap_malloc_arenas();
    async_main()
}

#[tokio::main]
async fn async_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("cheat-detection")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_cheat_detection::run(cli.config, shutdown).await
}
