//! The confusion matrix at one threshold.
//!
//! A row is *predicted* anomalous when its score is **strictly greater** than
//! the threshold:
//!
//! ```text
//! predicted_anomaly(i) = score(i) > threshold
//! ```
//!
//! Strict, because that is how the source articles and PyOD label rows
//! (`labels_ = decision_scores_ > threshold_`), and because a threshold taken
//! from the training normals (say their 99th percentile, or their maximum)
//! should not flag the very normal row it was read from. A score equal to the
//! threshold is therefore normal.
//!
//! Class 0 is *normal*, class 1 is *anomaly*, and the matrix is laid out like
//! scikit-learn's `confusion_matrix(y_true, y_pred)`: rows are the true
//! class, columns the predicted class,
//!
//! ```text
//!                predicted normal   predicted anomaly
//! true normal          tn                  fp
//! true anomaly         fn                  tp
//! ```
//!
//! i.e. `[[tn, fp], [fn, tp]]` (see [`ConfusionMatrix::as_array`]).

use serde::{Serialize, Serializer};

use crate::error::{MetricError, Result};
use crate::input::{check_scored, check_threshold};

/// Counts of the four outcomes; the "positive" class is *anomaly*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfusionMatrix {
    /// True negatives: normal rows predicted normal.
    pub tn: usize,
    /// False positives: normal rows flagged as anomalies (false alarms).
    pub fp: usize,
    /// False negatives: anomalies predicted normal (misses). `fn` is a Rust
    /// keyword, hence the underscore.
    pub fn_: usize,
    /// True positives: anomalies flagged.
    pub tp: usize,
}

impl ConfusionMatrix {
    /// The matrix of the rule `score > threshold` on labelled scores
    /// (`labels[i]` is true when row `i` is an anomaly).
    ///
    /// Errors on empty or mismatched inputs, non-finite scores and a NaN
    /// threshold. One class only is fine: the other row of the matrix is 0.
    pub fn at_threshold(scores: &[f64], labels: &[bool], threshold: f64) -> Result<Self> {
        check_scored("confusion matrix", scores, labels)?;
        check_threshold(threshold)?;
        let mut m = ConfusionMatrix::default();
        for (&s, &anomaly) in scores.iter().zip(labels) {
            m.add(anomaly, s > threshold);
        }
        Ok(m)
    }

    /// The matrix of given predictions (`predicted[i]` true = flagged as an
    /// anomaly), for rules that are not a threshold on one score.
    pub fn from_predictions(labels: &[bool], predicted: &[bool]) -> Result<Self> {
        if labels.len() != predicted.len() {
            return Err(MetricError::LengthMismatch { scores: predicted.len(), labels: labels.len() });
        }
        if labels.is_empty() {
            return Err(MetricError::Empty { what: "confusion matrix" });
        }
        let mut m = ConfusionMatrix::default();
        for (&anomaly, &flagged) in labels.iter().zip(predicted) {
            m.add(anomaly, flagged);
        }
        Ok(m)
    }

    fn add(&mut self, anomaly: bool, flagged: bool) {
        match (anomaly, flagged) {
            (false, false) => self.tn += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (true, true) => self.tp += 1,
        }
    }

    /// scikit-learn's layout: `[[tn, fp], [fn, tp]]`.
    pub fn as_array(&self) -> [[usize; 2]; 2] {
        [[self.tn, self.fp], [self.fn_, self.tp]]
    }

    /// All rows.
    pub fn total(&self) -> usize {
        self.tn + self.fp + self.fn_ + self.tp
    }

    /// Rows whose true class is normal (`tn + fp`).
    pub fn normals(&self) -> usize {
        self.tn + self.fp
    }

    /// Rows whose true class is anomaly (`fn + tp`).
    pub fn anomalies(&self) -> usize {
        self.fn_ + self.tp
    }
}

/// The confusion matrix of `score > threshold`; the same as
/// [`ConfusionMatrix::at_threshold`], named like scikit-learn's function.
pub fn confusion_matrix(scores: &[f64], labels: &[bool], threshold: f64) -> Result<ConfusionMatrix> {
    ConfusionMatrix::at_threshold(scores, labels, threshold)
}

/// Serialised as the nested array `[[tn, fp], [fn, tp]]`, the form numpy and
/// scikit-learn users expect.
impl Serialize for ConfusionMatrix {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.as_array().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example() {
        // scores   0.1  0.4  0.5  0.5  0.9  0.2
        // labels    N    A    N    A    A    N
        // t = 0.5: flagged are those > 0.5, i.e. only 0.9 (the 0.5s stay normal).
        let s = [0.1, 0.4, 0.5, 0.5, 0.9, 0.2];
        let y = [false, true, false, true, true, false];
        let m = ConfusionMatrix::at_threshold(&s, &y, 0.5).unwrap();
        assert_eq!(m.as_array(), [[3, 0], [2, 1]]);
        // Just below 0.5 both 0.5s are flagged.
        let m = ConfusionMatrix::at_threshold(&s, &y, 0.45).unwrap();
        assert_eq!(m.as_array(), [[2, 1], [1, 2]]);
        assert_eq!((m.total(), m.normals(), m.anomalies()), (6, 3, 3));
        assert_eq!(serde_json::to_string(&m).unwrap(), "[[2,1],[1,2]]");
    }

    #[test]
    fn infinite_thresholds_flag_nothing_or_everything() {
        let s = [1.0, 2.0];
        let y = [false, true];
        assert_eq!(ConfusionMatrix::at_threshold(&s, &y, f64::INFINITY).unwrap().as_array(), [[1, 0], [1, 0]]);
        assert_eq!(ConfusionMatrix::at_threshold(&s, &y, f64::NEG_INFINITY).unwrap().as_array(), [[0, 1], [0, 1]]);
    }

    #[test]
    fn one_class_is_fine() {
        let m = ConfusionMatrix::at_threshold(&[1.0, 2.0, 3.0], &[false; 3], 1.5).unwrap();
        assert_eq!(m.as_array(), [[1, 2], [0, 0]]);
    }

    #[test]
    fn errors() {
        assert!(ConfusionMatrix::at_threshold(&[], &[], 1.0).is_err());
        assert!(ConfusionMatrix::at_threshold(&[1.0], &[true], f64::NAN).is_err());
        assert!(ConfusionMatrix::at_threshold(&[f64::NAN], &[true], 1.0).is_err());
        assert!(ConfusionMatrix::from_predictions(&[true], &[]).is_err());
        assert!(ConfusionMatrix::from_predictions(&[], &[]).is_err());
        let m = ConfusionMatrix::from_predictions(&[true, false, true], &[true, true, false]).unwrap();
        assert_eq!(m.as_array(), [[0, 1], [1, 1]]);
    }
}
