//! The one error type of the metrics.
//!
//! Every function here takes scores and labels a user produced, so each one
//! returns `Result<_, MetricError>` and none panics. `Display` gives one
//! readable line that says what was wrong and, where it helps, what to do:
//!
//! ```text
//! ROC AUC is undefined: all 12 rows are normal, and it needs both normal and anomalous rows
//! ```
//!
//! Where scikit-learn only *warns* and returns a number anyway (ROC AUC with
//! one class present gives NaN, average precision with no anomalies gives
//! 0.0), the functions of this crate return an error instead, so a bad
//! evaluation set cannot slip into a table as a plausible number.
//! [`crate::evaluate()`] turns those errors into `None` plus a warning, so an
//! evaluation of a one-class set still reports its per-threshold tables.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum MetricError {
    /// No scores at all: every metric is a ratio over rows.
    Empty { what: &'static str },
    /// `scores` and `labels` must pair up row by row.
    LengthMismatch { scores: usize, labels: usize },
    /// A score (or training score) is NaN or infinite. Sorting and
    /// thresholding have no meaning for NaN, and an infinite reconstruction
    /// error means the model diverged; both are better reported than ranked.
    NonFinite { what: &'static str, index: usize, value: f64 },
    /// The metric needs both classes but only one is present (ROC AUC needs
    /// normals and anomalies; average precision and the best-F1 threshold
    /// need at least one anomaly).
    OneClass { metric: &'static str, n: usize, present: &'static str, needs: &'static str },
    /// A parameter out of range: a NaN threshold, a percentile above 100, a
    /// contamination rate outside (0, 0.5].
    Parameter { name: &'static str, value: f64, expected: &'static str },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, MetricError>;

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::Empty { what } => write!(f, "{what}: no scores given (an empty set has no metrics)"),
            MetricError::LengthMismatch { scores, labels } => {
                write!(f, "{scores} scores but {labels} labels: each score needs exactly one label")
            }
            MetricError::NonFinite { what, index, value } => {
                write!(f, "{what} {index} is {value}: metrics need finite scores (did training diverge?)")
            }
            MetricError::OneClass { metric, n, present, needs } => {
                write!(f, "{metric} is undefined: all {n} rows are {present}, and it needs {needs}")
            }
            MetricError::Parameter { name, value, expected } => write!(f, "{name} = {value} is out of range: expected {expected}"),
        }
    }
}

impl std::error::Error for MetricError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_readable_line() {
        let errors = [
            MetricError::Empty { what: "ROC AUC" },
            MetricError::LengthMismatch { scores: 3, labels: 4 },
            MetricError::NonFinite { what: "score", index: 7, value: f64::NAN },
            MetricError::OneClass { metric: "ROC AUC", n: 12, present: "normal", needs: "both normal and anomalous rows" },
            MetricError::Parameter { name: "percentile", value: 120.0, expected: "0 to 100" },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(!s.contains('\n') && !s.is_empty(), "{s}");
        }
        assert_eq!(
            MetricError::NonFinite { what: "score", index: 7, value: f64::NAN }.to_string(),
            "score 7 is NaN: metrics need finite scores (did training diverge?)"
        );
    }
}
