//! Checking the inputs every metric shares: scores and labels of equal,
//! non-zero length, and every score finite.
//!
//! Done once, here, so each metric can then sort and count without thinking
//! about NaN (which has no place in an order) or mismatched slices.

use crate::error::{MetricError, Result};

/// How many rows of each class a checked input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClassCounts {
    pub normal: usize,
    pub anomaly: usize,
}

/// Checks `scores` against `labels` for the metric named `what` and counts
/// the classes.
pub(crate) fn check_scored(what: &'static str, scores: &[f64], labels: &[bool]) -> Result<ClassCounts> {
    if scores.len() != labels.len() {
        return Err(MetricError::LengthMismatch { scores: scores.len(), labels: labels.len() });
    }
    check_finite(what, scores)?;
    let anomaly = labels.iter().filter(|&&l| l).count();
    Ok(ClassCounts { normal: labels.len() - anomaly, anomaly })
}

/// Checks that `values` is non-empty and that every value is finite.
pub(crate) fn check_finite(what: &'static str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(MetricError::Empty { what });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(MetricError::NonFinite { what: "score", index, value: values[index] }),
        None => Ok(()),
    }
}

/// Checks a threshold: any value but NaN. `score > NaN` is false for every
/// score, which would silently flag nothing; ±inf are fine (flag nothing /
/// everything, on purpose).
pub(crate) fn check_threshold(threshold: f64) -> Result<()> {
    if threshold.is_nan() {
        return Err(MetricError::Parameter { name: "threshold", value: threshold, expected: "a number (not NaN)" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_classes() {
        let c = check_scored("t", &[0.1, 0.2, 0.3], &[true, false, false]).unwrap();
        assert_eq!(c, ClassCounts { normal: 2, anomaly: 1 });
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(check_scored("t", &[], &[]), Err(MetricError::Empty { what: "t" }));
        assert_eq!(check_scored("t", &[1.0], &[]), Err(MetricError::LengthMismatch { scores: 1, labels: 0 }));
        assert!(matches!(check_scored("t", &[1.0, f64::NAN], &[true, false]), Err(MetricError::NonFinite { index: 1, .. })));
        assert!(matches!(check_finite("t", &[f64::NEG_INFINITY]), Err(MetricError::NonFinite { index: 0, .. })));
        assert!(check_threshold(f64::NAN).is_err());
        assert!(check_threshold(f64::INFINITY).is_ok());
    }
}
