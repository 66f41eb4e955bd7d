//! The inputs the fuzz targets of `fuzz/` crashed on, for the test files
//! that replay them (`crates/*/tests/fuzz_corpus.rs`, which include this
//! file with `#[path]`, since test crates cannot share a module otherwise).

use std::path::{Path, PathBuf};

/// The inputs of one target in `tests/corpus/fuzz/<target>/`, sorted; a
/// folder's README is not one.
pub fn inputs(target: &str) -> Vec<PathBuf> {
    // Both including crates sit two levels below the repository root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/fuzz").join(target);
    // A target that never crashed has no folder (git keeps no empty ones).
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.unwrap().path()).filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md")).collect();
    files.sort();
    files
}
