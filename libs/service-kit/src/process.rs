//! What every service binary's `main` does, in one place: keep the files it creates
//! private, cap malloc's arenas before any thread exists, hand freed memory back
//! to the system as it goes, start the async runtime,
//! telemetry and the shutdown signal, and serve until it fires.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// Runs one service: `serve(config, shutdown)` on a multi-threaded runtime, with
/// telemetry named `name` and a shutdown token fired by SIGTERM/SIGINT.
pub fn run_service<C, F, Fut>(name: &'static str, config: C, serve: F) -> anyhow::Result<()>
where
    F: FnOnce(C, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    private_files();
    crate::memory::cap_malloc_arenas();
    crate::memory::spawn_memory_releaser()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let _telemetry = crate::telemetry::init(name)?;
            let shutdown = crate::shutdown::on_signals();
            serve(config, shutdown).await
        })
}

/// Makes every file and directory the process creates from now on readable by its own
/// user only (umask 077: files 0600, directories 0700). The services write the database
/// (API keys, the token-signing secret), uploaded videos and results: nothing another
/// account on the host may read. Returns the previous mask.
pub fn private_files() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: umask only swaps the process's file-creation mask.
        #[allow(clippy::unnecessary_cast)] // mode_t is u16 on some unixes
        return unsafe { libc::umask(0o077) } as u32;
    }
    #[cfg(not(unix))]
    0
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn files_and_directories_created_after_are_private() {
        super::private_files();
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("objects");
        std::fs::create_dir_all(&sub).unwrap();
        let file = sub.join("session.db");
        std::fs::write(&file, b"secret").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&file), 0o600);
    }
}
