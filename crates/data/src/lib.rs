//! # recon-data
//!
//! Recon's data layer: getting rows of numbers out of files and into
//! mini-batches, with a clear error for every way a file can be wrong.
//!
//! The workflow the detector follows, piece by piece:
//!
//! ```no_run
//! use recon_data::{load, stratified_split, CsvOptions, Scaler, StandardScaler};
//! use recon_tensor::Cpu32;
//!
//! # fn main() -> recon_data::Result<()> {
//! // 1. Read the file (a CSV, or an MNIST IDX images file).
//! let opts = CsvOptions { label_col: Some("Class".into()), drop: vec!["Time".into()], ..Default::default() };
//! let data = load("creditcard.csv", &opts)?;
//! // 2. Split 80/20, keeping the fraud ratio on both sides.
//! let split = stratified_split(data.labels.as_deref().unwrap(), 0.2, 42)?;
//! // 3. Train on the normal rows of the training side only.
//! let normal = data.normal_mask("0");
//! let train: Vec<usize> = split.train.into_iter().filter(|&r| normal[r]).collect();
//! // 4. Fit the scaler on those rows; store `scaler.to_json()` with the model.
//! let scaler = Scaler::Standard(StandardScaler::fit_rows(&data.features, data.row_len(), &train)?);
//! let scaled = recon_data::Dataset { features: scaler.transform(&data.features)?, ..data };
//! // 5. The training rows as one tensor, [rows, 29]; `recon_nn::train::fit`
//! //    cuts it into shuffled mini-batches, a new order each epoch.
//! let x = scaled.to_tensor(&Cpu32::new(), &train)?;
//! # let _ = x;
//! # Ok(()) }
//! ```
//!
//! Files, one idea each: `error.rs` (the error type), `open.rs` (gzip or
//! not), `csv.rs` (CSV to a [`Table`]), `idx.rs` (MNIST's IDX format),
//! `dataset.rs` ([`Dataset`], rows to tensors, [`load`]), `window.rs`
//! (sliding windows over a time series), `scale.rs` (standard and min-max
//! scaling), `split.rs` (seeded splits).
//!
//! The bundled data sets live in the repository's `data/` folder, with
//! `PROVENANCE.md` and the scripts that made them.

pub mod csv;
pub mod dataset;
pub mod error;
pub mod idx;
pub mod open;
pub mod scale;
pub mod split;
pub mod window;

#[cfg(test)]
mod testutil;

pub use crate::csv::{read_csv, read_csv_from, CsvOptions, CsvStream, Table};
pub use dataset::{is_idx, load, Dataset};
pub use error::{DataError, Result};
pub use idx::{
    labels_path_for, load_mnist, read_idx_images, read_idx_images_from, read_idx_labels, read_idx_labels_from, read_idx_u8,
    read_idx_u8_from, write_idx_u8, IdxU8,
};
pub use scale::{MinMaxScaler, Scaler, StandardScaler};
pub use split::{random_split, stratified_split, validation_split, Split, DEFAULT_TEST_FRACTION};
pub use window::{scores_to_points, sliding_windows, table_windows, window_labels, Windows};
