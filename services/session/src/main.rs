use clap::Parser;

/// fitvision session service.
#[derive(Parser)]
#[command(name = "session", version)]
struct Cli {
    #[command(flatten)]
    config: fitvision_session::Config,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = fitvision_service_kit::telemetry::init("session")?;
    let shutdown = fitvision_service_kit::shutdown::on_signals();
    fitvision_session::run(cli.config, shutdown).await
}
