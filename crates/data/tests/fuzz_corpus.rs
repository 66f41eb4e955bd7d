//! Replays every input the fuzz targets of `fuzz/` ever crashed on (kept in
//! `tests/corpus/fuzz/csv/` and `tests/corpus/fuzz/idx/`) through the
//! readers, the way the targets feed them: each must come back as `Ok` or
//! `Err`, never a panic. Also replays them through the file readers
//! (`read_csv`, `read_idx_*`), which open, sniff and decompress themselves.
//!
//! The first byte of each input picks options or the reader, as in
//! `fuzz/fuzz_targets/csv.rs` and `idx.rs`; keep the two in step.

use std::path::PathBuf;

use recon_data::open::sniff;
use recon_data::{
    read_csv, read_csv_from, read_idx_images, read_idx_images_from, read_idx_labels, read_idx_labels_from, read_idx_u8, read_idx_u8_from,
    CsvOptions,
};

#[path = "../../../tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;
use fuzz_inputs::inputs;

/// `fuzz_targets/csv.rs`'s options for a pick byte and the file after it.
fn csv_options(pick: u8, file: &[u8]) -> CsvOptions {
    let first_line = file.split(|&b| b == b'\n').next().unwrap_or_default();
    let names: Vec<String> = String::from_utf8_lossy(first_line).split(',').map(|n| n.trim().trim_matches('"').to_string()).collect();
    let name = |i: u8| names[usize::from(i) % names.len()].clone();
    CsvOptions {
        label_col: (pick & 1 != 0).then(|| name(pick >> 3 & 3)),
        drop: if pick & 2 != 0 { vec![name(pick >> 5)] } else { vec![] },
        allow_nonfinite: pick & 4 != 0,
    }
}

/// A temporary copy of `bytes` for the file readers, removed on drop.
struct Temp(PathBuf);
impl Temp {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let p = std::env::temp_dir().join(format!("recon-fuzz-corpus-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        Temp(p)
    }
}
impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn csv_inputs_that_crashed_the_fuzzer_are_errors_or_tables() {
    for path in inputs("csv") {
        let data = std::fs::read(&path).unwrap();
        let Some((&pick, file)) = data.split_first() else { continue };
        let opts = csv_options(pick, file);
        let from_memory = read_csv_from(sniff(file).unwrap(), &path, &opts);
        if let Ok(t) = &from_memory {
            assert_eq!(t.features.len(), t.n_rows * t.n_features(), "{}", path.display());
        }
        let name = path.file_name().unwrap().to_string_lossy();
        let copy = Temp::new(&name, file);
        let from_file = read_csv(&copy.0, &opts);
        assert_eq!(from_memory.is_ok(), from_file.is_ok(), "{}: the memory and file readers disagree", path.display());
    }
}

#[test]
fn idx_inputs_that_crashed_the_fuzzer_are_errors_or_arrays() {
    for path in inputs("idx") {
        let data = std::fs::read(&path).unwrap();
        let Some((&pick, file)) = data.split_first() else { continue };
        let name = path.file_name().unwrap().to_string_lossy();
        let copy = Temp::new(&name, file);
        match pick % 3 {
            0 => {
                if let Ok(idx) = read_idx_u8_from(sniff(file).unwrap(), &path) {
                    assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>(), "{}", path.display());
                }
                let _ = read_idx_u8(&copy.0);
            }
            1 => {
                let _ = read_idx_images_from(sniff(file).unwrap(), &path);
                let _ = read_idx_images(&copy.0);
            }
            _ => {
                let _ = read_idx_labels_from(sniff(file).unwrap(), &path);
                let _ = read_idx_labels(&copy.0);
            }
        }
    }
}
