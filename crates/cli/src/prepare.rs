//! From a data file to the rows a model trains, validates and is tested on,
//! following the source articles: keep the normal rows for training, split
//! 80/20 (stratified, so the test side keeps the anomaly ratio), hold out a
//! validation share of the training normals, and fit the scaler on the
//! training normals only (so nothing about the test rows leaks into it).

use std::path::PathBuf;

use recon_data::{
    load, random_split, sliding_windows, stratified_split, validation_split, window_labels, CsvOptions, Dataset, Scaler, StandardScaler,
};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// Where the data comes from and which rows are normal; saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOptions {
    pub path: PathBuf,
    pub label_col: Option<String>,
    pub normal_label: Option<String>,
    pub drop: Vec<String>,
    /// Time series: cut the rows (time points) into windows of this many steps.
    #[serde(default)]
    pub window: Option<usize>,
    /// Steps between the starts of consecutive windows.
    #[serde(default = "one")]
    pub stride: usize,
}

fn one() -> usize {
    1
}

/// How windows map back to the time points of a series.
pub struct PointMap {
    pub starts: Vec<usize>,
    pub window: usize,
    pub n_points: usize,
    /// Point-wise classes, when the series has labels.
    pub point_is_anomaly: Option<Vec<bool>>,
}

/// A data file loaded for a model: its rows (windows, for a time series),
/// which rows are normal, and whether labels said so.
pub struct Labelled {
    pub data: Dataset,
    pub is_normal: Vec<bool>,
    pub has_labels: bool,
    pub points: Option<PointMap>,
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

/// Loads the file, marks the normal rows and, for a time series, cuts it
/// into windows (a window is anomalous when any of its points is).
pub fn load_labelled(opts: &DataOptions) -> Result<Labelled> {
    let csv = CsvOptions { label_col: opts.label_col.clone(), drop: opts.drop.clone(), ..Default::default() };
    let data = load(&opts.path, &csv)?;
    let is_normal = match (&data.labels, &opts.normal_label) {
        (Some(labels), Some(normal)) => labels.iter().map(|l| l == normal).collect(),
        (Some(_), None) if opts.label_col.is_some() => {
            return Err(CliError::input("--label-col needs --normal-label: which label marks the normal rows?"));
        }
        _ => vec![true; data.n_rows],
    };
    let has_labels = data.labels.is_some() && opts.normal_label.is_some();
    let Some(window) = opts.window else { return Ok(Labelled { data, is_normal, has_labels, points: None }) };
    let windows = sliding_windows(&data.features, data.row_len(), window, opts.stride)?;
    let point_is_anomaly: Vec<bool> = is_normal.iter().map(|n| !n).collect();
    let window_is_normal = window_labels(&point_is_anomaly, &windows.starts, window)?.iter().map(|a| !a).collect();
    let points = PointMap {
        starts: windows.starts.clone(),
        window,
        n_points: data.n_rows,
        point_is_anomaly: has_labels.then_some(point_is_anomaly),
    };
    let data = windows.into_dataset(&data.feature_names)?;
    Ok(Labelled { data, is_normal: window_is_normal, has_labels, points: Some(points) })
}

/// Images keep their [0, 1] pixels; tables are standardised.
pub fn is_images(data: &Dataset) -> bool {
    // Windows of a series are [window, columns]: rank 2, scaled like tables.
    data.row_shape.len() == 3
}

/// The fewest normal rows `recon train` fits a model on.
pub const MIN_TRAIN_ROWS: usize = 2;

pub fn prepare(opts: &DataOptions, seed: u64, test_fraction: f64, val_fraction: f64) -> Result<Prepared> {
    let Labelled { data, is_normal, has_labels, .. } = load_labelled(opts)?;
    if has_labels && !is_normal.iter().any(|&n| n) {
        let mut seen: Vec<&String> = data.labels.iter().flatten().collect();
        seen.sort();
        seen.dedup();
        seen.truncate(10);
        let normal = opts.normal_label.as_deref().unwrap_or_default();
        return Err(CliError::input(format!("{}: no row has the normal label '{normal}'; the labels are {seen:?}", opts.path.display())));
    }
    let split =
        if has_labels { stratified_split(&is_normal, test_fraction, seed)? } else { random_split(data.n_rows, test_fraction, seed)? };
    let normals: Vec<usize> = split.train.iter().copied().filter(|&r| is_normal[r]).collect();
    let fit = validation_split(&normals, val_fraction, seed)?;
    // One row cannot be scaled (its spread is zero) nor tell a model anything
    // a threshold could use: refuse it rather than train a model that scores 0.
    if fit.train.len() < MIN_TRAIN_ROWS {
        return Err(CliError::input(format!(
            "{}: {} normal row(s) left to train on after holding out test and validation rows; training needs at least {MIN_TRAIN_ROWS}",
            opts.path.display(),
            fit.train.len()
        )));
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
