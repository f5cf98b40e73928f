use clap::Parser;

/// fitvision session service.
#[derive(Parser)]
#[command(name = "session", version)]
struct Cli {
    #[command(flatten)]
    config: fitvision_session::Config,
}

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist (see the function).
    fitvision_service_kit::memory::cap_malloc_arenas();
    async_main()
}

#[tokio::main]
async fn async_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("session")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_session::run(cli.config, shutdown).await
}
