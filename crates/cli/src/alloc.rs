//! Keeps freed tensor buffers in the process instead of returning them to the
//! operating system.
//!
//! glibc serves every allocation above 128 KiB with a fresh `mmap` and unmaps
//! it on free, so each training step of the conv autoencoder (im2col buffers
//! of ~15 MB) paid for ~100k page faults and as many pages zeroed by the
//! kernel: a third of its time, measured with `/usr/bin/time -v`. Raising the
//! mmap and trim thresholds lets glibc reuse those blocks from its heap. A
//! buffer pool inside the backend would make this unnecessary (tracked in the
//! performance issue); this is the one-line version of the same effect.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_freed_memory() {
    extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    // SAFETY: mallopt only changes glibc's allocation policy; it is called
    // once, before any thread is started.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_memory() {}
