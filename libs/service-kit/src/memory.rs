//! Process memory settings that must be made before the first thread starts.

/// Arenas glibc's malloc may keep when `MALLOC_ARENA_MAX` is not set.
///
/// glibc gives each thread that meets contention its own arena, up to eight per core,
/// and an arena keeps the pages it once held. The decode, inference and authenticity
/// threads of several analyses at once each allocate frame-sized buffers (in OpenCV and
/// ONNX Runtime as much as in Rust), so the default let the embedded suite grow to
/// 595-599 MB with four analyses in flight (518 MB for one at a time); two arenas held
/// it at 457-487 MB (398-409 MB) in the same wall time within the runs' spread
/// (`e2e_bench --no-peer --concurrent=1`, README).
pub const MALLOC_ARENAS: i32 = 2;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`] unless the operator chose a number
/// with `MALLOC_ARENA_MAX`. Call it first in `main`, before the async runtime starts
/// its threads: glibc fixes the limit the first time a thread needs a new arena.
/// Returns whether this call set the cap (false: the operator's choice stands, or the
/// C library is not glibc).
pub fn cap_malloc_arenas() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc tunable; it returns 1 on success.
        return unsafe { libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS) } == 1;
    }
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    #[test]
    fn glibc_takes_the_arena_cap_unless_the_operator_set_one() {
        let operator_chose = std::env::var_os("MALLOC_ARENA_MAX").is_some();
        assert_eq!(super::cap_malloc_arenas(), !operator_chose);
    }
}
