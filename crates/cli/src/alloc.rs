//! The binary's memory allocator: mimalloc, told to keep freed memory.
//!
//! The engine frees and reallocates the same large buffers every training
//! step (matrixmultiply's packing buffers; tensors are pooled by the CPU
//! backend itself). With glibc's malloc, allocator work was ~40% of a dense
//! `deep-ae` step under perf. mimalloc is faster for the small allocations;
//! by default it returns freed memory to the OS after 10 ms, and the conv
//! autoencoder then spent more time in page faults (2.5 s system time per
//! epoch) than computing. Purging off: 0.2 s.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns off mimalloc's purging of freed memory. Call first thing in `main`.
pub fn keep_freed_memory() {
    extern "C" {
        // mimalloc's C API (linked in by the mimalloc crate).
        fn mi_option_set(option: i32, value: std::ffi::c_long);
    }
    /// `mi_option_purge_delay` in mimalloc.h's `mi_option_t` (v2).
    const MI_OPTION_PURGE_DELAY: i32 = 15;
    // SAFETY: sets one integer option; -1 means "never purge".
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
