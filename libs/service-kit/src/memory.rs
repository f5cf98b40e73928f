//! Process memory: settings that must be made before the first thread starts, and
//! a thread that hands freed memory back to the system as the process goes.

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

/// How often [`spawn_memory_releaser`]'s thread hands freed memory back.
pub const RELEASE_PERIOD: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts a thread that hands freed memory back to the system every
/// [`RELEASE_PERIOD`] for the life of the process (glibc only; elsewhere it starts
/// nothing). glibc keeps freed chunks inside its heaps for reuse, and between the
/// frames, tensors and pictures of different sizes that analyses allocate, the heaps
/// fragment: after 12 analyses in turn the suite's resident set was twice its live
/// heap (heaptrack: 259 MB live at the peak, 550 MB resident), and 4 analyses in
/// flight then peaked at 547-655 MB. With the releaser: 394-455 MB in 4 runs, the
/// clips' times within the runs' spread (`e2e_bench --no-peer --repeat=3
/// --concurrent=1`, README). A trim walks the free lists, nothing per frame; a low
/// mmap threshold instead faulted every frame's pages in afresh (20-30% slower).
pub fn spawn_memory_releaser() -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    std::thread::Builder::new()
        .name("memory-releaser".to_owned())
        .spawn(|| {
            loop {
                std::thread::sleep(RELEASE_PERIOD);
                release_freed_memory();
            }
        })?;
    Ok(())
}

/// Hands the free pages of malloc's heaps back to the system now. Returns whether any
/// memory was released (always false where the C library is not glibc).
pub fn release_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free pages of malloc's own heaps.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    #[test]
    fn glibc_takes_the_arena_cap_unless_the_operator_set_one() {
        let operator_chose = std::env::var_os("MALLOC_ARENA_MAX").is_some();
        assert_eq!(super::cap_malloc_arenas(), !operator_chose);
    }

    /// Freed memory in the middle of the heap is held until trimmed: 64 blocks below
    /// the mmap threshold are freed while a later one stays, so nothing is at the top.
    #[test]
    fn freed_heap_pages_go_back_to_the_system() {
        let blocks: Vec<Vec<u8>> = (0..64).map(|_| vec![1_u8; 64 * 1024]).collect();
        let pinned = vec![2_u8; 64 * 1024];
        drop(blocks);
        assert!(super::release_freed_memory());
        assert_eq!(pinned[0], 2);
    }
}
