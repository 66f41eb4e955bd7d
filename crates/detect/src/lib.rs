//! # recon-detect
//!
//! How good is an anomaly detector, and where should it draw the line?
//! Metrics and threshold rules on plain data: a score per row (`&[f64]`,
//! higher = more anomalous, e.g. a reconstruction error) and a label per row
//! (`&[bool]`, `true` = anomaly). Nothing here knows about tensors or
//! models, so each metric can be read, and checked against scikit-learn, on
//! its own.
//!
//! ```
//! use recon_detect::{evaluate, Threshold};
//!
//! # fn main() -> recon_detect::Result<()> {
//! let train_scores = [0.2, 0.4, 0.3, 0.5, 0.1];       // normal rows the model trained on
//! let test_scores = [0.3, 2.5, 0.2, 0.6, 7.0, 0.4];
//! let test_labels = [false, true, false, false, true, false];
//!
//! let mut thresholds = Threshold::fixed(&[1.0, 5.0])?;                 // the articles' way
//! thresholds.push(Threshold::percentile(&train_scores, 99.0)?);        // no labels needed
//! let eval = evaluate(&test_scores, &test_labels, &thresholds)?;
//! assert_eq!(eval.roc_auc, Some(1.0));
//! println!("{}", eval.to_text());   // reports like scikit-learn's classification_report
//! let json = eval.to_json();        // what `recon eval --json` prints
//! # assert!(json.contains("\"roc_auc\":1.0"));
//! # Ok(()) }
//! ```
//!
//! The convention everywhere: a row is flagged when `score > threshold`,
//! strictly; class 0 is normal, class 1 is anomaly; the confusion matrix is
//! `[[tn, fp], [fn, tp]]`. Where a ratio is 0/0 in a report, it is 0 (as
//! scikit-learn's `zero_division=0`); where an area is undefined (one class
//! only) the function returns an error, and [`evaluate()`] a `None` with a
//! warning.
//!
//! Files, one idea each:
//!
//! - `error.rs`: [`MetricError`], one readable line per problem.
//! - `input.rs`: the checks every metric shares (lengths, finite scores).
//! - `confusion.rs`: [`ConfusionMatrix`] at a threshold.
//! - `report.rs`: [`ClassificationReport`], per-class precision, recall,
//!   F1, support, accuracy and averages, printed like scikit-learn.
//! - `ranking.rs`: scores sorted with ties merged, the basis of both curves.
//! - `roc.rs`: [`roc_curve`] and [`roc_auc`] (ties as `roc_auc_score`).
//! - `pr.rs`: [`precision_recall_curve`] and [`average_precision`].
//! - `quantile.rs`: [`percentile`], numpy's default linear interpolation.
//! - `threshold.rs`: [`Threshold`] and its rules: fixed, percentile of the
//!   training normals, contamination (PyOD), best F1 on validation.
//! - `evaluate.rs`: [`evaluate()`], everything at once, as text or JSON.
//!
//! Every metric is compared with scikit-learn (and numpy for percentiles) on
//! random inputs with many ties in `tests/sklearn.rs`.

mod confusion;
mod error;
mod evaluate;
mod input;
mod pr;
mod quantile;
mod ranking;
mod report;
mod roc;
mod threshold;

pub use confusion::{confusion_matrix, ConfusionMatrix};
pub use error::{MetricError, Result};
pub use evaluate::{evaluate, Evaluation, ThresholdEvaluation};
pub use pr::{average_precision, precision_recall_curve, PrCurve};
pub use quantile::percentile;
pub use report::{ClassMetrics, ClassificationReport, CLASS_NAMES};
pub use roc::{roc_auc, roc_curve, RocCurve};
pub use threshold::{Threshold, ARTICLE_THRESHOLDS, DEFAULT_PERCENTILE};
