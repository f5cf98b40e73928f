use clap::Parser;

/// fitvision session service.
#[derive(Parser)]
#[command(name = "session", version)]
struct Cli {
    #[command(flatten)]
    config: fitvision_session::Config,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    fitvision_service_kit::process::run_service("session", cli.config, fitvision_session::run)
}
