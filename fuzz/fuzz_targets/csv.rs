//! The CSV reader (`recon_data::read_csv_from`) on arbitrary bytes, gzipped
//! or not, exactly as `read_csv` opens a file (`open::sniff` first).
//!
//! The first byte picks the options: bit 0 names a label column, bit 1 drops
//! a column (which ones: the other bits, as indices into the first line's
//! comma-separated names, so the names exist often enough to get past the
//! header checks), bit 2 allows NaN and infinities. The rest is the file.
//!
//! Besides "no panic", an `Ok` table must be consistent: `n_rows` rows of
//! `feature_names.len()` values, one label per row, and finite values unless
//! they were allowed.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use recon_data::{open::sniff, read_csv_from, CsvOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else { return };
    let first_line = file.split(|&b| b == b'\n').next().unwrap_or_default();
    let names: Vec<String> = String::from_utf8_lossy(first_line).split(',').map(|n| n.trim().trim_matches('"').to_string()).collect();
    let name = |i: u8| names[usize::from(i) % names.len()].clone();
    let opts = CsvOptions {
        label_col: (pick & 1 != 0).then(|| name(pick >> 3 & 3)),
        drop: if pick & 2 != 0 { vec![name(pick >> 5)] } else { vec![] },
        allow_nonfinite: pick & 4 != 0,
    };
    let Ok(reader) = sniff(file) else { return };
    if let Ok(t) = read_csv_from(reader, Path::new("fuzz.csv"), &opts) {
        assert!(t.n_rows > 0);
        assert_eq!(t.features.len(), t.n_rows * t.n_features());
        assert!(t.n_features() > 0);
        if let Some(labels) = &t.labels {
            assert_eq!(labels.len(), t.n_rows);
        }
        if !opts.allow_nonfinite {
            assert!(t.features.iter().all(|x| x.is_finite()));
        }
    }
});
