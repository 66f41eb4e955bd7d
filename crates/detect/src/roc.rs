//! The ROC curve and the area under it, as scikit-learn's `roc_curve` and
//! `roc_auc_score` compute them.
//!
//! With `P` anomalies and `N` normals, and the cumulative counts `TP_k`,
//! `FP_k` at the distinct scores `s_1 > s_2 > ... > s_m` (see
//! [`crate::ranking`]), the curve is the points
//!
//! ```text
//! (FPR_k, TPR_k) = (FP_k / N, TP_k / P),   k = 0..m,   with (FPR_0, TPR_0) = (0, 0) at threshold +inf
//! ```
//!
//! and the AUC is the trapezoid rule over those points:
//!
//! ```text
//! AUC = sum_{k=1..m} (FPR_k - FPR_{k-1}) * (TPR_k + TPR_{k-1}) / 2
//!     = 1 / (P N) * sum_k (FP_k - FP_{k-1}) * (TP_k + TP_{k-1}) / 2
//!     = 1 / (P N) * #{(anomaly a, normal b) : s_a > s_b}  +  1/2 * #{(a, b) : s_a = s_b}
//! ```
//!
//! Because equal scores form one step, a tie between a normal and an anomaly
//! is a diagonal segment, and the trapezoid gives it half credit: the last
//! line is the Mann-Whitney U statistic over `P N`, the probability that a
//! random anomaly scores above a random normal, ties counting one half.
//!
//! The sum is done exactly in integers (it is `2U`) and divided once, so the
//! result is the correctly rounded value of the exact rational; scikit-learn
//! sums floating-point trapezoids and agrees with it to ~1e-15.
//!
//! ROC AUC is undefined with only one class present (`P = 0` or `N = 0`);
//! scikit-learn warns and returns NaN, [`roc_auc`] returns
//! [`MetricError::OneClass`].

use crate::error::{MetricError, Result};
use crate::input::{check_scored, ClassCounts};
use crate::ranking::Ranking;

/// Points of the ROC curve, by decreasing threshold, as scikit-learn's
/// `roc_curve(y_true, y_score)` returns them (with its default
/// `drop_intermediate=True`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RocCurve {
    /// False-positive rate `FP / N` at each threshold; starts at 0, ends at 1.
    pub fpr: Vec<f64>,
    /// True-positive rate (recall) `TP / P`; starts at 0, ends at 1.
    pub tpr: Vec<f64>,
    /// The score at which each point is reached (a row is counted when its
    /// score is `>=` the threshold). The first is `+inf` (nothing flagged),
    /// which JSON writes as `null`.
    pub thresholds: Vec<f64>,
}

fn check_two_classes(metric: &'static str, counts: ClassCounts) -> Result<()> {
    let n = counts.normal + counts.anomaly;
    let present = match (counts.normal, counts.anomaly) {
        (_, 0) => "normal",
        (0, _) => "anomalous",
        _ => return Ok(()),
    };
    Err(MetricError::OneClass { metric, n, present, needs: "both normal and anomalous rows" })
}

/// The ROC curve of `scores` against `labels` (`true` = anomaly).
///
/// Points between two others on a straight run of equal steps are dropped,
/// exactly as scikit-learn's `drop_intermediate=True` does (a point is kept
/// where the second difference of `FP` or of `TP` is non-zero, plus both
/// ends); they never change the AUC or the plotted curve. Errors when only
/// one class is present.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Result<RocCurve> {
    let counts = check_scored("ROC curve", scores, labels)?;
    check_two_classes("the ROC curve", counts)?;
    let r = Ranking::new(scores, labels);
    let m = r.scores.len();
    let second_diff = |v: &[usize], k: usize| v[k + 2] as i128 - 2 * v[k + 1] as i128 + v[k] as i128;
    let keep = |k: usize| k == 0 || k + 1 == m || second_diff(&r.fps, k - 1) != 0 || second_diff(&r.tps, k - 1) != 0;
    let (p, n) = (r.positives() as f64, r.negatives() as f64);
    let mut curve = RocCurve { fpr: vec![0.0], tpr: vec![0.0], thresholds: vec![f64::INFINITY] };
    for k in (0..m).filter(|&k| m <= 2 || keep(k)) {
        curve.fpr.push(r.fps[k] as f64 / n);
        curve.tpr.push(r.tps[k] as f64 / p);
        curve.thresholds.push(r.scores[k]);
    }
    Ok(curve)
}

/// Area under the ROC curve, ties handled as scikit-learn's `roc_auc_score`
/// (see the module docs). 0.5 is chance, 1 a perfect ranking, 0 a perfectly
/// inverted one. Errors when only one class is present.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let counts = check_scored("ROC AUC", scores, labels)?;
    check_two_classes("ROC AUC", counts)?;
    let r = Ranking::new(scores, labels);
    // twice_u = sum_k (FP_k - FP_{k-1}) * (TP_k + TP_{k-1}) = 2U, exactly.
    let (mut twice_u, mut prev_fp, mut prev_tp) = (0u128, 0usize, 0usize);
    for (&fp, &tp) in r.fps.iter().zip(&r.tps) {
        twice_u += (fp - prev_fp) as u128 * (tp + prev_tp) as u128;
        (prev_fp, prev_tp) = (fp, tp);
    }
    let pairs = r.positives() as u128 * r.negatives() as u128;
    Ok(twice_u as f64 / (2 * pairs) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_docstring_example() {
        // roc_curve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], pos_label=2)
        let s = [0.1, 0.4, 0.35, 0.8];
        let y = [false, false, true, true];
        let c = roc_curve(&s, &y).unwrap();
        assert_eq!(c.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
        assert_eq!(c.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
        assert_eq!(c.thresholds, vec![f64::INFINITY, 0.8, 0.4, 0.35, 0.1]);
        assert_eq!(roc_auc(&s, &y).unwrap(), 0.75);
    }

    #[test]
    fn ties_count_half() {
        // One anomaly and one normal with the same score: one diagonal step.
        assert_eq!(roc_auc(&[0.3, 0.3], &[true, false]).unwrap(), 0.5);
        // Anomalies 0.9, 0.5; normals 0.5, 0.1.
        // Pairs: (0.9 > 0.5), (0.9 > 0.1), (0.5 = 0.5: 1/2), (0.5 > 0.1) -> 3.5 / 4.
        let s = [0.9, 0.5, 0.5, 0.1];
        let y = [true, true, false, false];
        assert_eq!(roc_auc(&s, &y).unwrap(), 0.875);
        let c = roc_curve(&s, &y).unwrap();
        assert_eq!(c.fpr, vec![0.0, 0.0, 0.5, 1.0]);
        assert_eq!(c.tpr, vec![0.0, 0.5, 1.0, 1.0]);
    }

    #[test]
    fn all_equal_scores_are_chance() {
        assert_eq!(roc_auc(&[1.0; 5], &[true, false, false, true, false]).unwrap(), 0.5);
    }

    #[test]
    fn drops_intermediate_points_on_straight_runs() {
        // Normals 0.1, 0.2, 0.3 below anomalies 0.8, 0.9: the two vertical and
        // three horizontal equal steps collapse to their corners.
        let s = [0.9, 0.8, 0.3, 0.2, 0.1];
        let y = [true, true, false, false, false];
        let c = roc_curve(&s, &y).unwrap();
        assert_eq!(c.fpr, vec![0.0, 0.0, 0.0, 1.0]);
        assert_eq!(c.tpr, vec![0.0, 0.5, 1.0, 1.0]);
        assert_eq!(c.thresholds, vec![f64::INFINITY, 0.9, 0.8, 0.1]);
        assert_eq!(roc_auc(&s, &y).unwrap(), 1.0);
        assert_eq!(roc_auc(&s, &y.map(|a| !a)).unwrap(), 0.0);
    }

    #[test]
    fn one_class_is_an_error() {
        let e = roc_auc(&[0.1, 0.2], &[false, false]).unwrap_err();
        assert_eq!(e.to_string(), "ROC AUC is undefined: all 2 rows are normal, and it needs both normal and anomalous rows");
        assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_err());
        assert!(roc_curve(&[0.1], &[true]).is_err());
        assert!(roc_auc(&[], &[]).is_err());
        assert!(roc_auc(&[f64::NAN, 1.0], &[true, false]).is_err());
    }
}
