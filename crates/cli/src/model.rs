//! A trained model as the `score`, `eval` and `demo` commands use it: the
//! network, the scaler and the data options it was trained with, and the
//! threshold chosen at the end of training.

use std::path::Path;

use recon_data::{Dataset, Scaler};
use recon_detect::Threshold;
use recon_nn::saved;
use recon_nn::Autoencoder;
use recon_tensor::Backend;

use crate::error::{CliError, Result};
use crate::prepare::{load_labelled, DataOptions, PointMap};
use crate::run_dir;

pub struct TrainedModel<B: Backend> {
    pub model: Autoencoder<B>,
    pub scaler: Option<Scaler>,
    pub data: DataOptions,
    pub feature_names: Vec<String>,
    pub threshold: Option<Threshold>,
    /// The seed and test fraction of the training split, to find the held-out rows again.
    pub train_args: Option<(u64, f64)>,
}

/// Rows of a file to score, scaled as in training, with their true classes
/// when the file has the label column.
pub struct Rows {
    pub data: Dataset,
    pub is_anomaly: Option<Vec<bool>>,
    /// For a time series: how the rows (windows) map back to time points.
    pub points: Option<PointMap>,
}

fn json<T: serde::de::DeserializeOwned>(path: &Path, key: &str, text: Option<&String>) -> Result<T> {
    let text =
        text.ok_or_else(|| CliError::input(format!("{}: the checkpoint has no '{key}' (not written by recon train?)", path.display())))?;
    serde_json::from_str(text).map_err(|e| CliError::input(format!("{}: unreadable '{key}': {e}", path.display())))
}

/// Whether the first line of a CSV file names `column`.
fn csv_has_column(path: &Path, column: &str) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut first = String::new();
    if std::io::BufReader::new(file).read_line(&mut first).is_err() {
        return false;
    }
    first.trim_start_matches('\u{feff}').split(',').any(|c| c.trim().trim_matches('"') == column)
}

impl<B: Backend> TrainedModel<B> {
    /// The run folder's best checkpoint (lowest validation loss), or its last,
    /// with its parameters on `backend`.
    pub fn load(dir: &Path, backend: &B) -> Result<Self> {
        let last = run_dir::model_path(dir)?;
        let best = dir.join(run_dir::BEST);
        let path = if best.is_file() { best } else { last };
        let loaded = saved::load(&path, backend)?;
        let meta = &loaded.metadata;
        let data: DataOptions = json(&path, "data", meta.get("data"))?;
        let feature_names: Vec<String> = json(&path, "feature_names", meta.get("feature_names"))?;
        let scaler = meta.get("scaler").map(|s| Scaler::from_json(s)).transpose()?;
        let threshold = match std::fs::read_to_string(dir.join(run_dir::THRESHOLD)) {
            Ok(text) => {
                Some(serde_json::from_str(&text).map_err(|e| CliError::input(format!("{}: {e}", dir.join(run_dir::THRESHOLD).display())))?)
            }
            Err(_) => None,
        };
        let train_args =
            meta.get("train_args").and_then(|t| serde_json::from_str::<crate::train::TrainArgs>(t).ok()).map(|a| (a.seed, a.test_fraction));
        Ok(TrainedModel { model: loaded.model, scaler, data, feature_names, threshold, train_args })
    }

    /// Reads `path` with the training run's options (the label column is
    /// optional when scoring), checks it has the model's features, and scales it.
    pub fn rows(&self, path: &Path, need_labels: bool) -> Result<Rows> {
        if let (true, Some(col)) = (need_labels, &self.data.label_col) {
            if !csv_has_column(path, col) && !crate::eval::is_idx(path) {
                return Err(CliError::input(format!("{}: there is no label column \"{col}\"", path.display())));
            }
        }
        let label_col = self.label_col_in(path);
        let normal_label = if label_col.is_some() || self.data.label_col.is_none() { self.data.normal_label.clone() } else { None };
        let opts = DataOptions { path: path.to_path_buf(), label_col, normal_label, ..self.data.clone() };
        let loaded = load_labelled(&opts)?;
        let data = loaded.data;
        self.check_features(path, &data.feature_names, data.row_len(), data.row_shape.len() == 3)?;
        let is_anomaly = loaded.has_labels.then(|| loaded.is_normal.iter().map(|n| !n).collect());
        let data = Dataset { features: self.scale(data.features)?, ..data };
        Ok(Rows { data, is_anomaly, points: loaded.points })
    }

    /// Refuses rows that do not have the model's features: another count, or
    /// (for tables) another column in some place.
    pub fn check_features(&self, path: &Path, names: &[String], row_len: usize, images: bool) -> Result<()> {
        let want = self.model.config.features();
        if row_len != want {
            return Err(CliError::input(format!(
                "{}: rows have {row_len} features, the model was trained on {want} ({})",
                path.display(),
                preview(&self.feature_names)
            )));
        }
        if names != self.feature_names && !self.feature_names.is_empty() && !images {
            let at = names.iter().zip(&self.feature_names).position(|(a, b)| a != b).unwrap_or(0);
            return Err(CliError::input(format!(
                "{}: column {} is '{}', the model was trained with '{}' there",
                path.display(),
                at + 1,
                names[at],
                self.feature_names[at]
            )));
        }
        Ok(())
    }

    /// Row-major features scaled as in training (images are left as they are).
    pub fn scale(&self, features: Vec<f32>) -> Result<Vec<f32>> {
        Ok(match &self.scaler {
            Some(s) => s.transform(&features)?,
            None => features,
        })
    }

    /// The label column of the training data, when `path` (a CSV file) has it.
    pub fn label_col_in(&self, path: &Path) -> Option<String> {
        self.data.label_col.clone().filter(|c| csv_has_column(path, c))
    }
}

fn preview(names: &[String]) -> String {
    let mut s = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        s += ", ...";
    }
    s
}
