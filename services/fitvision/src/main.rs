//! `fitvision`: the whole suite in one process (`serve`) and the
//! command-line client (`analyze`).

mod analyze;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "fitvision", version, about = "Exercise video analysis suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every service in this process (SQLite + local storage under --data-dir).
    Serve(serve::ServeArgs),
    /// Upload a video to a running suite, follow its progress and print the result.
    Analyze(analyze::AnalyzeArgs),
}

fn main() -> anyhow::Result<()> {
    // Before the runtime's threads exist (see the function).
    fitvision_service_kit::memory::cap_malloc_arenas();
    async_main()
}

#[tokio::main]
async fn async_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let _telemetry = fitvision_service_kit::telemetry::init("fitvision")?;
            let shutdown = fitvision_service_kit::shutdown::on_signals();
            serve::run(args, shutdown).await
        }
        Command::Analyze(args) => analyze::run(args).await,
    }
}
