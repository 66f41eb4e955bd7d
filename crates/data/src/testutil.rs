//! Test helpers: throw-away files under the system's temporary directory.
//!
//! Names carry the process id and a counter, so tests running in parallel
//! (and two `cargo test` runs at once) never share a file; the file is removed
//! when the guard drops.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// A fresh path ending in `name`, not yet created.
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("recon-data-{}-{n}-{name}", std::process::id()));
        TempFile { path }
    }

    /// A fresh file ending in `name` holding `bytes`.
    pub fn with_bytes(name: &str, bytes: &[u8]) -> Self {
        let f = Self::new(name);
        std::fs::write(&f.path, bytes).expect("write a temporary test file");
        f
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
