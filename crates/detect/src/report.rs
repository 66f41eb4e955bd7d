//! The classification report at one threshold: precision, recall, F1 and
//! support for each class, accuracy, and the macro and weighted averages,
//! as scikit-learn's `classification_report` prints them.
//!
//! Each class in turn is taken as the "positive" one. For the anomaly class
//! that is the usual reading of the [`ConfusionMatrix`]; for the normal class
//! the roles swap (its true positives are `tn`, its false positives `fn`):
//!
//! ```text
//!                 anomaly                 normal
//! precision   tp / (tp + fp)          tn / (tn + fn)       of the rows predicted as the class, how many are
//! recall      tp / (tp + fn)          tn / (tn + fp)       of the rows truly in the class, how many were found
//! F1          2tp / (2tp + fp + fn)   2tn / (2tn + fn + fp)
//! support     tp + fn                 tn + fp               rows truly in the class
//!
//! accuracy     = (tp + tn) / n
//! macro avg    = (m_normal + m_anomaly) / 2                                   for m in precision, recall, F1
//! weighted avg = (m_normal * support_normal + m_anomaly * support_anomaly) / n
//! ```
//!
//! F1 is the harmonic mean `2PR / (P + R)`, written with counts as
//! `2tp / (2tp + fp + fn)`: the same number, computed the way scikit-learn
//! computes it so the two agree to the last bit, and defined even when P or
//! R is.
//!
//! **Zero division.** A ratio whose denominator is 0 (precision of a class
//! never predicted, recall of a class with no rows, F1 of a class neither
//! present nor predicted) is reported as **0**, as scikit-learn does with
//! `zero_division=0`, its default apart from a warning. A 0 in the table can
//! therefore mean "undefined": check the support (and the confusion matrix)
//! beside it. The averages include such zeros, as scikit-learn's do.

use serde::{Serialize, Serializer};

use crate::confusion::ConfusionMatrix;
use crate::error::{MetricError, Result};

/// The class names used in the report, in class order (0 = normal, 1 = anomaly).
pub const CLASS_NAMES: [&str; 2] = ["normal", "anomaly"];

/// Precision, recall, F1 and support of one class, or an average of both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    /// Named `f1-score` in JSON, as in scikit-learn's `output_dict`.
    #[serde(rename = "f1-score")]
    pub f1: f64,
    /// Rows truly in the class; for the averages, all rows.
    pub support: usize,
}

impl ClassMetrics {
    /// Metrics of the class whose true positives, false positives and false
    /// negatives are `tp`, `fp`, `fn_`.
    fn of_counts(tp: usize, fp: usize, fn_: usize) -> Self {
        ClassMetrics {
            precision: ratio_or_zero(tp as f64, (tp + fp) as f64),
            recall: ratio_or_zero(tp as f64, (tp + fn_) as f64),
            f1: ratio_or_zero(2.0 * tp as f64, (2 * tp + fp + fn_) as f64),
            support: tp + fn_,
        }
    }
}

/// `num / den`, or 0 when `den` is 0 (scikit-learn's `zero_division=0`).
fn ratio_or_zero(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The full report at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassificationReport {
    pub confusion: ConfusionMatrix,
    /// Class 0.
    pub normal: ClassMetrics,
    /// Class 1, the one the headline precision / recall / F1 refer to.
    pub anomaly: ClassMetrics,
    pub accuracy: f64,
    pub macro_avg: ClassMetrics,
    pub weighted_avg: ClassMetrics,
}

impl ClassificationReport {
    /// The report of a confusion matrix. Errors only when the matrix is
    /// empty (no rows: accuracy and the weighted average would be 0/0).
    pub fn from_confusion(confusion: ConfusionMatrix) -> Result<Self> {
        let n = confusion.total();
        if n == 0 {
            return Err(MetricError::Empty { what: "classification report" });
        }
        let ConfusionMatrix { tn, fp, fn_, tp } = confusion;
        let normal = ClassMetrics::of_counts(tn, fn_, fp);
        let anomaly = ClassMetrics::of_counts(tp, fp, fn_);
        // In this order, to match numpy's mean and weighted average bit for bit.
        let macro_avg = |f: fn(&ClassMetrics) -> f64| (f(&normal) + f(&anomaly)) / 2.0;
        let (w0, w1) = (normal.support as f64, anomaly.support as f64);
        let weighted = |f: fn(&ClassMetrics) -> f64| (f(&normal) * w0 + f(&anomaly) * w1) / (w0 + w1);
        Ok(ClassificationReport {
            confusion,
            normal,
            anomaly,
            accuracy: (tp + tn) as f64 / n as f64,
            macro_avg: ClassMetrics {
                precision: macro_avg(|m| m.precision),
                recall: macro_avg(|m| m.recall),
                f1: macro_avg(|m| m.f1),
                support: n,
            },
            weighted_avg: ClassMetrics {
                precision: weighted(|m| m.precision),
                recall: weighted(|m| m.recall),
                f1: weighted(|m| m.f1),
                support: n,
            },
        })
    }

    /// The report of the rule `score > threshold` (see [`ConfusionMatrix`]).
    pub fn at_threshold(scores: &[f64], labels: &[bool], threshold: f64) -> Result<Self> {
        Self::from_confusion(ConfusionMatrix::at_threshold(scores, labels, threshold)?)
    }

    /// The table as scikit-learn's `classification_report(y_true, y_pred,
    /// target_names=["normal", "anomaly"])` prints it, two decimals:
    ///
    /// ```text
    ///               precision    recall  f1-score   support
    ///
    ///       normal       0.67      0.80      0.73         5
    ///      anomaly       0.50      0.33      0.40         3
    ///
    ///     accuracy                           0.62         8
    ///    macro avg       0.58      0.57      0.56         8
    /// weighted avg       0.60      0.62      0.60         8
    /// ```
    pub fn to_text(&self) -> String {
        self.to_text_digits(2)
    }

    /// [`Self::to_text`] with `digits` decimals (scikit-learn's `digits`).
    /// Rust and Python both round the exact binary value half-to-even, so
    /// the text matches scikit-learn's character for character.
    pub fn to_text_digits(&self, digits: usize) -> String {
        let headers = ["precision", "recall", "f1-score", "support"];
        let w = CLASS_NAMES.iter().map(|n| n.len()).chain(["weighted avg".len()]).max().unwrap_or(12);
        let row = |name: &str, m: &ClassMetrics| {
            format!("{name:>w$}  {:>9.digits$} {:>9.digits$} {:>9.digits$} {:>9}\n", m.precision, m.recall, m.f1, m.support)
        };
        let mut s = format!("{:>w$} ", "");
        for h in headers {
            s += &format!(" {h:>9}");
        }
        s += "\n\n";
        s += &row(CLASS_NAMES[0], &self.normal);
        s += &row(CLASS_NAMES[1], &self.anomaly);
        s += "\n";
        s += &format!("{:>w$}  {:>9} {:>9} {:>9.digits$} {:>9}\n", "accuracy", "", "", self.accuracy, self.confusion.total());
        s += &row("macro avg", &self.macro_avg);
        s += &row("weighted avg", &self.weighted_avg);
        s
    }
}

/// Serialised as scikit-learn's `classification_report(..., output_dict=True)`:
/// `{"normal": {...}, "anomaly": {...}, "accuracy": x, "macro avg": {...},
/// "weighted avg": {...}}`, each class with `precision`, `recall`,
/// `f1-score`, `support`.
impl Serialize for ClassificationReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Dict<'a> {
            normal: &'a ClassMetrics,
            anomaly: &'a ClassMetrics,
            accuracy: f64,
            #[serde(rename = "macro avg")]
            macro_avg: &'a ClassMetrics,
            #[serde(rename = "weighted avg")]
            weighted_avg: &'a ClassMetrics,
        }
        Dict {
            normal: &self.normal,
            anomaly: &self.anomaly,
            accuracy: self.accuracy,
            macro_avg: &self.macro_avg,
            weighted_avg: &self.weighted_avg,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(tn: usize, fp: usize, fn_: usize, tp: usize) -> ConfusionMatrix {
        ConfusionMatrix { tn, fp, fn_, tp }
    }

    #[test]
    fn hand_example() {
        // y_true [0,1,1,0,1,0,0,0], y_pred [0,1,0,1,0,0,0,0]: tn 4, fp 1, fn 2, tp 1.
        let r = ClassificationReport::from_confusion(cm(4, 1, 2, 1)).unwrap();
        assert_eq!(r.anomaly, ClassMetrics { precision: 1.0 / 2.0, recall: 1.0 / 3.0, f1: 2.0 / 5.0, support: 3 });
        assert_eq!(r.normal, ClassMetrics { precision: 4.0 / 6.0, recall: 4.0 / 5.0, f1: 8.0 / 11.0, support: 5 });
        assert_eq!(r.accuracy, 5.0 / 8.0);
        assert_eq!(r.macro_avg.recall, (0.8 + 1.0 / 3.0) / 2.0);
        assert_eq!(r.weighted_avg.precision, (4.0 / 6.0 * 5.0 + 0.5 * 3.0) / 8.0);
        assert_eq!(r.macro_avg.support, 8);
        // Character for character what scikit-learn 1.9.1 prints for these labels.
        let sklearn = "              precision    recall  f1-score   support\n\n      normal       0.67      0.80      0.73         5\n     anomaly       0.50      0.33      0.40         3\n\n    accuracy                           0.62         8\n   macro avg       0.58      0.57      0.56         8\nweighted avg       0.60      0.62      0.60         8\n";
        assert_eq!(r.to_text(), sklearn);
    }

    #[test]
    fn zero_division_is_zero() {
        // Nothing flagged: the anomaly class is never predicted, so its
        // precision is 0/0 -> 0, and so is its F1 (tp = 0).
        let r = ClassificationReport::from_confusion(cm(3, 0, 2, 0)).unwrap();
        assert_eq!((r.anomaly.precision, r.anomaly.recall, r.anomaly.f1), (0.0, 0.0, 0.0));
        assert_eq!(r.normal.precision, 3.0 / 5.0);
        // Only normals, none flagged: the anomaly row is all zeros, recall
        // 0/0 -> 0 included in the macro average, as scikit-learn does.
        let r = ClassificationReport::from_confusion(cm(4, 0, 0, 0)).unwrap();
        assert_eq!(r.anomaly, ClassMetrics { precision: 0.0, recall: 0.0, f1: 0.0, support: 0 });
        assert_eq!(r.normal, ClassMetrics { precision: 1.0, recall: 1.0, f1: 1.0, support: 4 });
        assert_eq!(r.macro_avg.f1, 0.5);
        assert_eq!(r.weighted_avg.f1, 1.0);
        assert_eq!(r.accuracy, 1.0);
    }

    #[test]
    fn empty_is_an_error() {
        assert!(ClassificationReport::from_confusion(cm(0, 0, 0, 0)).is_err());
        assert!(ClassificationReport::at_threshold(&[], &[], 0.0).is_err());
    }

    #[test]
    fn json_is_sklearn_output_dict() {
        let r = ClassificationReport::from_confusion(cm(1, 0, 0, 1)).unwrap();
        let v: serde_json::Value = serde_json::to_value(r).unwrap();
        assert_eq!(v["anomaly"]["f1-score"], 1.0);
        assert_eq!(v["macro avg"]["support"], 2);
        assert_eq!(v["accuracy"], 1.0);
    }
}
