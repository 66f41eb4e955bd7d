//! From a data file to the rows a model trains, validates and is tested on,
//! following the source articles: keep the normal rows for training, split
//! 80/20 (stratified, so the test side keeps the anomaly ratio), hold out a
//! validation share of the training normals, and fit the scaler on the
//! training normals only (so nothing about the test rows leaks into it).

use std::path::PathBuf;

use recon_data::{load, random_split, stratified_split, validation_split, CsvOptions, Dataset, Scaler, StandardScaler};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// Where the data comes from and which rows are normal; saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOptions {
    pub path: PathBuf,
    pub label_col: Option<String>,
    pub normal_label: Option<String>,
    pub drop: Vec<String>,
}

pub struct Prepared {
    /// The data after scaling (tables) or as loaded (images, already in [0, 1]).
    pub data: Dataset,
    pub train_rows: Vec<usize>,
    pub val_rows: Vec<usize>,
    /// Held-out rows of both classes, for evaluation.
    pub test_rows: Vec<usize>,
    pub scaler: Option<Scaler>,
}

/// Loads the file and marks the normal rows.
pub fn load_labelled(opts: &DataOptions) -> Result<(Dataset, Vec<bool>)> {
    let csv = CsvOptions { label_col: opts.label_col.clone(), drop: opts.drop.clone(), ..Default::default() };
    let data = load(&opts.path, &csv)?;
    let is_normal = match (&data.labels, &opts.normal_label) {
        (Some(labels), Some(normal)) => {
            if !labels.iter().any(|l| l == normal) {
                let mut seen: Vec<&String> = labels.iter().collect();
                seen.sort();
                seen.dedup();
                seen.truncate(10);
                return Err(CliError::input(format!(
                    "{}: no row has the normal label '{normal}'; the labels are {seen:?}",
                    opts.path.display()
                )));
            }
            labels.iter().map(|l| l == normal).collect()
        }
        (Some(_), None) if opts.label_col.is_some() => {
            return Err(CliError::input("--label-col needs --normal-label: which label marks the normal rows?"));
        }
        _ => vec![true; data.n_rows],
    };
    Ok((data, is_normal))
}

/// Images keep their [0, 1] pixels; tables are standardised.
pub fn is_images(data: &Dataset) -> bool {
    data.row_shape.len() == 3
}

pub fn prepare(opts: &DataOptions, seed: u64, test_fraction: f64, val_fraction: f64) -> Result<Prepared> {
    let (data, is_normal) = load_labelled(opts)?;
    let split = if data.labels.is_some() {
        stratified_split(&is_normal, test_fraction, seed)?
    } else {
        random_split(data.n_rows, test_fraction, seed)?
    };
    let normals: Vec<usize> = split.train.iter().copied().filter(|&r| is_normal[r]).collect();
    let fit = validation_split(&normals, val_fraction, seed)?;
    if fit.train.is_empty() {
        return Err(CliError::input(format!("{}: no normal rows are left to train on", opts.path.display())));
    }
    let (data, scaler) = if is_images(&data) {
        (data, None)
    } else {
        let scaler = Scaler::Standard(StandardScaler::fit_rows(&data.features, data.row_len(), &fit.train)?);
        let features = scaler.transform(&data.features)?;
        (Dataset { features, ..data }, Some(scaler))
    };
    Ok(Prepared { data, train_rows: fit.train, val_rows: fit.test, test_rows: split.test, scaler })
}
