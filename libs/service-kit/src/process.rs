//! What every service binary's `main` does, in one place: cap malloc's arenas before
//! any thread exists, start the async runtime, telemetry and the shutdown signal, and
//! serve until it fires.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// Runs one service: `serve(config, shutdown)` on a multi-threaded runtime, with
/// telemetry named `name` and a shutdown token fired by SIGTERM/SIGINT.
pub fn run_service<C, F, Fut>(name: &'static str, config: C, serve: F) -> anyhow::Result<()>
where
    F: FnOnce(C, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    crate::memory::cap_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let _telemetry = crate::telemetry::init(name)?;
            let shutdown = crate::shutdown::on_signals();
            serve(config, shutdown).await
        })
}
