//! The precision-recall curve and average precision (the "PR AUC"), as
//! scikit-learn's `precision_recall_curve` and `average_precision_score`
//! compute them.
//!
//! With `P` anomalies and the cumulative counts `TP_k`, `FP_k` at the
//! distinct scores `s_1 > s_2 > ... > s_m` (see [`crate::ranking`]), flagging
//! the rows with `score >= s_k` gives
//!
//! ```text
//! P_k = TP_k / (TP_k + FP_k)     (precision)
//! R_k = TP_k / P                 (recall),      R_0 = 0
//! ```
//!
//! and average precision is the step-function integral of that curve,
//!
//! ```text
//! AP = sum_{k=1..m} (R_k - R_{k-1}) * P_k  =  1/P * sum_k (TP_k - TP_{k-1}) * P_k
//! ```
//!
//! i.e. the mean, over the anomalies, of the precision at the cut where each
//! anomaly is first flagged (a tie group's anomalies all share the precision
//! of their group). There is **no interpolation**: neither the trapezoid rule
//! (which is optimistic for PR curves) nor the "max precision to the right"
//! of the 11-point VOC measure. A random ranking gives AP about `P / n`, the
//! fraction of anomalies, not 0.5.
//!
//! AP is undefined without anomalies (`P = 0`); scikit-learn warns and
//! returns 0, [`average_precision`] returns [`MetricError::OneClass`]. With
//! only anomalies every precision is 1, and so is AP.

use crate::error::{MetricError, Result};
use crate::input::check_scored;
use crate::ranking::Ranking;

/// The precision-recall curve, laid out as scikit-learn's
/// `precision_recall_curve(y_true, y_score)` returns it: by **increasing**
/// threshold, with one extra last point `(precision 1, recall 0)` that has
/// no threshold, so `precision` and `recall` are one longer than
/// `thresholds`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PrCurve {
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    /// The distinct scores, ascending; point `i` flags `score >= thresholds[i]`.
    pub thresholds: Vec<f64>,
}

fn ranked(metric: &'static str, scores: &[f64], labels: &[bool]) -> Result<Ranking> {
    let counts = check_scored(metric, scores, labels)?;
    if counts.anomaly == 0 {
        return Err(MetricError::OneClass { metric, n: counts.normal, present: "normal", needs: "at least one anomaly" });
    }
    Ok(Ranking::new(scores, labels))
}

/// The precision-recall curve of `scores` against `labels` (`true` =
/// anomaly). Errors when there is no anomaly (recall would be 0/0).
pub fn precision_recall_curve(scores: &[f64], labels: &[bool]) -> Result<PrCurve> {
    let r = ranked("the precision-recall curve", scores, labels)?;
    let p = r.positives() as f64;
    let mut c = PrCurve { precision: Vec::new(), recall: Vec::new(), thresholds: Vec::new() };
    for k in (0..r.scores.len()).rev() {
        c.precision.push(r.tps[k] as f64 / (r.tps[k] + r.fps[k]) as f64);
        c.recall.push(r.tps[k] as f64 / p);
        c.thresholds.push(r.scores[k]);
    }
    c.precision.push(1.0);
    c.recall.push(0.0);
    Ok(c)
}

/// Average precision, `sum_k (R_k - R_{k-1}) P_k` (see the module docs).
/// Errors when there is no anomaly.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let r = ranked("average precision", scores, labels)?;
    let mut sum = 0.0;
    let mut prev_tp = 0;
    for (&tp, &fp) in r.tps.iter().zip(&r.fps) {
        // Steps where no anomaly enters add nothing (R_k = R_{k-1}).
        if tp > prev_tp {
            sum += (tp - prev_tp) as f64 * (tp as f64 / (tp + fp) as f64);
        }
        prev_tp = tp;
    }
    Ok(sum / r.positives() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_docstring_example() {
        let s = [0.1, 0.4, 0.35, 0.8];
        let y = [false, false, true, true];
        let c = precision_recall_curve(&s, &y).unwrap();
        assert_eq!(c.precision, vec![0.5, 2.0 / 3.0, 0.5, 1.0, 1.0]);
        assert_eq!(c.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
        assert_eq!(c.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
        // average_precision_score(y, s) = 0.8333...: 0.5 * 1 + 0.5 * 2/3.
        assert_eq!(average_precision(&s, &y).unwrap(), (1.0 + 2.0 / 3.0) / 2.0);
    }

    #[test]
    fn ties_share_their_group_precision() {
        // 0.9 A | 0.5 A, 0.5 N, 0.5 N | 0.1 A
        // cut 0.9: TP 1, FP 0, P 1;  cut 0.5: TP 2, FP 2, P 1/2;  cut 0.1: TP 3, FP 2, P 3/5.
        // AP = (1 * 1 + 1 * 1/2 + 1 * 3/5) / 3 = 2.1 / 3.
        let s = [0.5, 0.9, 0.5, 0.1, 0.5];
        let y = [false, true, true, true, false];
        assert!((average_precision(&s, &y).unwrap() - 0.7).abs() < 1e-15);
        let c = precision_recall_curve(&s, &y).unwrap();
        assert_eq!(c.thresholds, vec![0.1, 0.5, 0.9]);
        assert_eq!(c.precision, vec![0.6, 0.5, 1.0, 1.0]);
    }

    #[test]
    fn all_equal_scores_give_the_prevalence() {
        assert_eq!(average_precision(&[2.0; 4], &[true, false, false, false]).unwrap(), 0.25);
    }

    #[test]
    fn one_class() {
        // Only anomalies: precision 1 everywhere.
        assert_eq!(average_precision(&[0.1, 0.2, 0.2], &[true; 3]).unwrap(), 1.0);
        // No anomaly: undefined (scikit-learn: 0.0 with a warning).
        let e = average_precision(&[0.1, 0.2], &[false, false]).unwrap_err();
        assert_eq!(e.to_string(), "average precision is undefined: all 2 rows are normal, and it needs at least one anomaly");
        assert!(precision_recall_curve(&[0.1], &[false]).is_err());
        assert!(average_precision(&[], &[]).is_err());
    }
}
