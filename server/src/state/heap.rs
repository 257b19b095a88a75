//! Gives the C allocator's free pages back to the system after the start-up load.
//!
//! Deriving the model streams every event through the heap: each chunk of parsed events is
//! freed as soon as it is upserted, but the model's own allocations land between them, so
//! glibc's allocator keeps the freed pages (it only returns the top of each arena on its own).
//! On the scale-1 bench organisation that left about 50 MiB resident and unused after a load
//! (docs/PERFORMANCE.md, "Memory and start-up"). `malloc_trim(0)` returns every whole free
//! page of every arena to the system (`madvise(MADV_DONTNEED)`; glibc 2.8 and later).
//!
//! This is the one `unsafe` in the workspace (the lint is `deny`, allowed here only).

/// Returns the allocator's free pages to the system (glibc; elsewhere it does nothing).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: `malloc_trim` takes no pointer and may be called from any thread at any time
    // (it locks each arena in turn); it only changes which free pages stay resident.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}

/// This process's peak resident memory (`VmHWM`), in MiB; 0 where `/proc` does not say.
pub fn peak_resident_mib() -> f64 {
    status_mib("VmHWM:")
}

/// This process's resident memory now (`VmRSS`), in MiB; 0 where `/proc` does not say.
pub fn resident_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
