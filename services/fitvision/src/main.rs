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
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            fitvision_service_kit::process::run_service("fitvision", args, serve::run)
        }
        Command::Analyze(args) => tokio::runtime::Runtime::new()?.block_on(analyze::run(args)),
    }
}
