//! # recon-report: one HTML page that explains a detector's results
//!
//! [`render_html`] turns a [`ReportData`] (plain numbers and strings, no engine
//! types) into one self-contained HTML page: inline CSS, inline SVG plots drawn
//! by hand, images as PNG `data:` URIs, no JavaScript and no external resource,
//! so the file can be mailed, archived or opened offline. [`write_report`]
//! writes it to `DIR/report.html` atomically.
//!
//! Where things live:
//!
//! - `page.rs`: the page (header with headline numbers, tables, plot grid).
//! - `plots/`: one file per plot, each a function returning an SVG string;
//!   `plots/axes.rs` holds what they share (scales, nice ticks, axes, legends).
//! - `png.rs`: a tiny PNG encoder (zlib stored blocks, CRC-32, Adler-32).
//! - `escape.rs` and `format.rs`: text escaping and number formatting.
//! - `check.rs`: a small XML well-formedness checker the tests use on the page.
//! - `sample.rs`: a synthetic report, for tests and for looking at the layout.
//!
//! Conventions: class 0 is *normal*, class 1 is *anomaly*; a row is flagged
//! when its score is above the threshold; confusion matrices are indexed
//! `[true class][predicted class]`, i.e. `[[TN, FP], [FN, TP]]` as in
//! scikit-learn's `confusion_matrix`.

pub mod check;
mod escape;
mod format;
mod page;
pub mod plots;
pub mod png;
pub mod sample;

pub use escape::escape;
pub use page::render_html;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// One point of the training history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochPoint {
    /// Epoch number as shown on the x axis (usually starting at 1).
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub loss: f64,
    /// Loss on the validation rows after the epoch, when there are any.
    pub val_loss: Option<f64>,
}

/// One candidate threshold and how the detector does with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThresholdRow {
    /// A row is flagged as an anomaly when its score is above this value.
    pub value: f64,
    /// How the value was chosen, e.g. `"fixed"`, `"99th percentile of train"`, `"best F1"`.
    pub rule: String,
    /// Precision of the anomaly class.
    pub precision: f64,
    /// Recall of the anomaly class.
    pub recall: f64,
    /// F1 score of the anomaly class.
    pub f1: f64,
    /// Share of rows classified correctly.
    pub accuracy: f64,
    /// `[[TN, FP], [FN, TP]]`: rows are the true class, columns the prediction.
    pub confusion: [[u64; 2]; 2],
}

/// Images for models trained on pictures; pixel values are in `[0, 1]`, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageSet {
    pub width: usize,
    pub height: usize,
    /// Model inputs (for a denoising model: the clean images).
    pub inputs: Vec<Vec<f32>>,
    /// The model's outputs for `inputs` (for a denoising model: the denoised `noisy`).
    pub reconstructions: Vec<Vec<f32>>,
    /// For a denoising model: the corrupted images the model was given.
    pub noisy: Option<Vec<Vec<f32>>>,
    /// The test images with the highest scores, with their scores.
    pub most_anomalous: Vec<(Vec<f32>, f64)>,
}

/// Everything the report shows. Fields may be empty; the page leaves out what is missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportData {
    /// Page title, e.g. `"ae on breast_cancer.csv"`.
    pub title: String,
    /// Preformatted description of the model (layers, parameters, training settings).
    pub model_summary: String,
    /// Training history.
    pub epochs: Vec<EpochPoint>,
    /// Test scores (e.g. reconstruction errors), one per test row.
    pub scores: Vec<f64>,
    /// True class of each test row, same order as `scores`.
    pub is_anomaly: Vec<bool>,
    /// What the score is, e.g. `"reconstruction MSE"`.
    pub score_name: String,
    /// Candidate thresholds with their metrics.
    pub thresholds: Vec<ThresholdRow>,
    /// Index into `thresholds` of the one drawn as the line and used for the headline numbers.
    pub chosen: usize,
    /// ROC curve as `(false-positive rate, true-positive rate)` points.
    pub roc: Vec<(f64, f64)>,
    pub roc_auc: f64,
    /// Precision-recall curve as `(recall, precision)` points.
    pub pr: Vec<(f64, f64)>,
    /// Average precision (area under the precision-recall curve).
    pub pr_auc: f64,
    /// 2-D latent codes of the test rows, same order as `scores`.
    pub latent: Option<Vec<(f64, f64)>>,
    pub images: Option<ImageSet>,
    /// For flagged rows: the test-row index and the features contributing most to its score.
    pub top_features: Vec<(usize, Vec<(String, f64)>)>,
    /// Free-form remarks shown at the end of the page.
    pub notes: Vec<String>,
}

/// Renders the report and writes it to `dir/report.html` (creating `dir` if
/// needed) atomically: the page goes to a temporary file in `dir` that is then
/// renamed over the target, so a crash never leaves a half-written report.
/// Returns the path of the written file.
pub fn write_report(dir: &Path, data: &ReportData) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let html = render_html(data);
    fs::create_dir_all(dir)?;
    let target = dir.join("report.html");
    let tmp = dir.join(format!(".report.html.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(html.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_report_replaces_atomically_and_leaves_no_temp_files() {
        let dir = std::env::temp_dir().join(format!("recon-report-write-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let data = ReportData { title: "first".into(), ..Default::default() };
        let path = write_report(&dir.join("nested"), &data).unwrap();
        assert_eq!(path, dir.join("nested").join("report.html"));
        assert!(fs::read_to_string(&path).unwrap().contains("first"));
        let data = ReportData { title: "second".into(), ..Default::default() };
        write_report(&dir.join("nested"), &data).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("second") && !text.contains(">first<"));
        let names: Vec<_> = fs::read_dir(dir.join("nested")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.html")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_report_into_a_file_path_is_an_error_not_a_panic() {
        let file = std::env::temp_dir().join(format!("recon-report-notadir-{}", std::process::id()));
        fs::write(&file, b"x").unwrap();
        assert!(write_report(&file, &ReportData::default()).is_err());
        fs::remove_file(&file).unwrap();
    }
}
