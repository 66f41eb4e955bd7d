//! Ways to choose the threshold above which a score is called an anomaly,
//! and the [`Threshold`] type that remembers which way was used.
//!
//! Every rule here is meant for the strict comparison `score > value` (see
//! [`crate::confusion`]). The rules:
//!
//! - **Fixed values** ([`Threshold::fixed`]): the source articles try 1, 5,
//!   10 and 15 on the raw reconstruction error ([`ARTICLE_THRESHOLDS`]) and
//!   compare the reports.
//! - **A percentile of the training normals' scores**
//!   ([`Threshold::percentile`], 99 by default): flag what scores higher
//!   than all but 1% of the normal rows the model was trained on. Needs no
//!   labelled anomalies. Computed as numpy's `np.percentile` (linear
//!   interpolation, see [`crate::quantile`]).
//! - **A contamination rate** ([`Threshold::contamination`]), as PyOD's
//!   detectors set `threshold_`: the `(1 - contamination)` quantile of the
//!   training scores, `np.percentile(scores, 100 * (1 - contamination))`.
//!   Use it when the training data is known to hold that fraction of
//!   anomalies.
//! - **The best F1 on labelled validation scores** ([`Threshold::best_f1`]):
//!   needs labels, and is optimistic if read on the same rows the report is
//!   computed on.

use serde::{Deserialize, Serialize};

use crate::error::{MetricError, Result};
use crate::input::check_scored;
use crate::quantile::percentile;
use crate::ranking::Ranking;

/// The fixed thresholds the source articles compare.
pub const ARTICLE_THRESHOLDS: [f64; 4] = [1.0, 5.0, 10.0, 15.0];

/// The default percentile of the training normals' scores.
pub const DEFAULT_PERCENTILE: f64 = 99.0;

/// A threshold value and, in words, the rule that produced it, so a report
/// can say where each of its thresholds came from. Rows with
/// `score > value` are flagged as anomalies.
///
/// Serialisable, so the chosen threshold can be saved beside a model and
/// `recon score` can label rows with it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub value: f64,
    /// E.g. `"fixed"`, `"percentile 99 of 455 training scores"`.
    pub rule: String,
}

impl Threshold {
    /// A threshold with a rule of your own wording.
    pub fn new(value: f64, rule: impl Into<String>) -> Self {
        Threshold { value, rule: rule.into() }
    }

    /// One threshold per value, each with the rule `"fixed"`. Errors on a
    /// non-finite value (JSON could not write it back).
    pub fn fixed(values: &[f64]) -> Result<Vec<Threshold>> {
        values
            .iter()
            .map(|&v| {
                if v.is_finite() {
                    Ok(Threshold::new(v, "fixed"))
                } else {
                    Err(MetricError::Parameter { name: "fixed threshold", value: v, expected: "a finite number" })
                }
            })
            .collect()
    }

    /// The `q`-th percentile (0..=100, numpy's linear interpolation) of the
    /// training normals' scores; [`DEFAULT_PERCENTILE`] is 99. With
    /// `score > value`, about `(100 - q)`% of the training normals are
    /// flagged (fewer when scores tie at the threshold).
    pub fn percentile(train_scores: &[f64], q: f64) -> Result<Threshold> {
        let value = percentile(train_scores, q)?;
        Ok(Threshold::new(value, format!("percentile {q} of {} training scores", train_scores.len())))
    }

    /// PyOD's rule for a contamination rate `c` in (0, 0.5] (PyOD's own
    /// bounds): `np.percentile(train_scores, 100 * (1 - c))`, computed in
    /// that order so the value matches PyOD's `threshold_` bit for bit.
    pub fn contamination(train_scores: &[f64], c: f64) -> Result<Threshold> {
        if !(c > 0.0 && c <= 0.5) {
            return Err(MetricError::Parameter { name: "contamination", value: c, expected: "a rate in (0, 0.5], as in PyOD" });
        }
        let q = 100.0 * (1.0 - c);
        let value = percentile(train_scores, q)?;
        Ok(Threshold::new(value, format!("contamination {c}: percentile {q} of {} training scores", train_scores.len())))
    }

    /// The threshold with the highest F1 (of the anomaly class) on labelled
    /// validation scores.
    ///
    /// The candidates are every distinct validation score `s` (flagging the
    /// rows strictly above it), plus one value just below the lowest score
    /// (flagging every row; it can win when anomalies dominate). Any value
    /// between two neighbouring scores gives the same F1; the one returned
    /// is the lower end, a score actually seen, so the rule reproduces
    /// exactly on the validation rows.
    ///
    /// F1 values are compared exactly (as fractions `2tp / (tp + fp + P)` of
    /// integers), and **ties go to the highest threshold**: of cuts equally
    /// good by F1, the one that flags fewest rows, i.e. the fewest false
    /// alarms for the same F1.
    ///
    /// Errors when there is no anomaly (F1 is 0 at every threshold).
    pub fn best_f1(val_scores: &[f64], val_labels: &[bool]) -> Result<Threshold> {
        let counts = check_scored("best-F1 threshold", val_scores, val_labels)?;
        if counts.anomaly == 0 {
            return Err(MetricError::OneClass {
                metric: "the best-F1 threshold",
                n: counts.normal,
                present: "normal",
                needs: "at least one labelled anomaly",
            });
        }
        let r = Ranking::new(val_scores, val_labels);
        let p = r.positives() as u128;
        let m = r.scores.len();
        // Candidate k < m: threshold r.scores[k], flagging the rows above it,
        // which are the rows counted at k - 1. Candidate m: below everything.
        let flagged = |k: usize| if k == 0 { (0, 0) } else { (r.tps[k - 1] as u128, r.fps[k - 1] as u128) };
        // F1 = 2tp / (2tp + fp + fn) = 2tp / (tp + fp + P), kept as (num, den).
        let f1 = |k: usize| {
            let (tp, fp) = flagged(k);
            (2 * tp, tp + fp + p)
        };
        let mut best = 0;
        for k in 1..=m {
            let ((a, b), (c, d)) = (f1(k), f1(best));
            // a / b > c / d, strictly: a tie keeps the earlier, higher threshold.
            if a * d > c * b {
                best = k;
            }
        }
        let value = if best < m { r.scores[best] } else { next_below(r.scores[m - 1]) };
        let (num, den) = f1(best);
        Ok(Threshold::new(value, format!("best F1 on {} validation rows, F1 = {:.4}", val_scores.len(), num as f64 / den as f64)))
    }
}

/// The largest `f64` strictly below the finite `x` (`f64::next_down`, which
/// needs Rust 1.86): a threshold that flags every score `>= x`.
fn next_below(x: f64) -> f64 {
    if x == 0.0 {
        -f64::from_bits(1) // the smallest negative subnormal
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        // Negative: one step further from zero; f64::MIN steps to -inf.
        f64::from_bits(x.to_bits() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confusion::ConfusionMatrix;

    #[test]
    fn fixed() {
        let t = Threshold::fixed(&ARTICLE_THRESHOLDS).unwrap();
        assert_eq!(t.iter().map(|t| t.value).collect::<Vec<_>>(), vec![1.0, 5.0, 10.0, 15.0]);
        assert_eq!(t[0].rule, "fixed");
        assert!(Threshold::fixed(&[1.0, f64::NAN]).is_err());
        assert!(Threshold::fixed(&[]).unwrap().is_empty());
    }

    #[test]
    fn percentile_rule() {
        // 101 scores 0, 1, ..., 100: the 99th percentile is 99 exactly.
        let s: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let t = Threshold::percentile(&s, DEFAULT_PERCENTILE).unwrap();
        assert_eq!(t.value, 99.0);
        assert_eq!(t.rule, "percentile 99 of 101 training scores");
        // Strict `>`: only the 100 is flagged.
        let c = ConfusionMatrix::at_threshold(&s, &[false; 101], t.value).unwrap();
        assert_eq!(c.fp, 1);
        assert!(Threshold::percentile(&s, 101.0).is_err());
        assert!(Threshold::percentile(&[], 99.0).is_err());
    }

    #[test]
    fn contamination_rule() {
        let s: Vec<f64> = (0..=100).map(f64::from).collect();
        let t = Threshold::contamination(&s, 0.1).unwrap();
        // 100 * (1 - 0.1) rounds to exactly 90 here; PyOD computes the same.
        assert_eq!(t.value, 90.0);
        assert!(t.rule.starts_with("contamination 0.1: percentile 90"));
        for bad in [0.0, -0.1, 0.6, f64::NAN] {
            assert!(Threshold::contamination(&s, bad).is_err());
        }
        assert!(Threshold::contamination(&s, 0.5).is_ok());
    }

    #[test]
    fn best_f1_hand_example() {
        // sorted: 0.9 A, 0.8 N, 0.7 A, 0.3 N, 0.2 N      P = 2
        // t = 0.9: flag none            F1 0
        // t = 0.8: flag {0.9}           tp 1 fp 0: 2/3
        // t = 0.7: flag {0.9, 0.8}      tp 1 fp 1: 2/4
        // t = 0.3: flag top 3           tp 2 fp 1: 4/5   <- best
        // t = 0.2: flag top 4           tp 2 fp 2: 4/6
        // below:   flag all             tp 2 fp 3: 4/7
        let s = [0.3, 0.9, 0.2, 0.7, 0.8];
        let y = [false, true, false, true, false];
        let t = Threshold::best_f1(&s, &y).unwrap();
        assert_eq!(t.value, 0.3);
        assert_eq!(t.rule, "best F1 on 5 validation rows, F1 = 0.8000");
        let r = crate::ClassificationReport::at_threshold(&s, &y, t.value).unwrap();
        assert_eq!(r.anomaly.f1, 0.8);
    }

    #[test]
    fn best_f1_ties_go_to_the_highest_threshold() {
        // sorted: 0.9 A, 0.5 N, 0.4 A    P = 2
        // t = 0.5: flag {0.9}: tp 1 fp 0 -> 2/3
        // t = 0.4: flag {0.9, 0.5}: 2/4
        // below:   flag all: tp 2 fp 1 -> 4/5 best. Unique, so no tie yet.
        let t = Threshold::best_f1(&[0.9, 0.5, 0.4], &[true, false, true]).unwrap();
        assert!(t.value < 0.4 && t.value > 0.39999);
        // sorted: 0.9 A, 0.8 N, 0.7 N, 0.6 A, 0.1 N    P = 2
        // t = 0.8: 2/3;  t = 0.6: tp 1 fp 2 -> 2/5;  t = 0.1: tp 2 fp 2 -> 4/6 = 2/3: tie.
        let t = Threshold::best_f1(&[0.9, 0.8, 0.7, 0.6, 0.1], &[true, false, false, true, false]).unwrap();
        assert_eq!(t.value, 0.8);
    }

    #[test]
    fn best_f1_with_ties_and_one_class() {
        // All scores equal: flag none (F1 0) or all.
        let t = Threshold::best_f1(&[1.0; 3], &[true, false, true]).unwrap();
        assert_eq!(ConfusionMatrix::at_threshold(&[1.0; 3], &[true, false, true], t.value).unwrap().tp, 2);
        // Only anomalies: flag all.
        let t = Threshold::best_f1(&[0.0, 2.0], &[true, true]).unwrap();
        assert!(t.value < 0.0);
        // No anomaly: an error.
        assert!(Threshold::best_f1(&[0.1, 0.2], &[false, false]).is_err());
        assert!(Threshold::best_f1(&[], &[]).is_err());
    }

    #[test]
    fn next_below_steps_one_ulp() {
        assert!(next_below(0.0) < 0.0);
        assert_eq!(next_below(1.0), 1.0 - f64::EPSILON / 2.0);
        assert!(next_below(-1.0) < -1.0 && next_below(-1.0) > -1.0000001);
        assert_eq!(next_below(f64::MIN), f64::NEG_INFINITY);
        assert!(next_below(-0.0) < 0.0);
    }

    #[test]
    fn serde_round_trip() {
        let t = Threshold::new(0.125, "fixed");
        let s = serde_json::to_string(&t).unwrap();
        assert_eq!(s, r#"{"value":0.125,"rule":"fixed"}"#);
        assert_eq!(serde_json::from_str::<Threshold>(&s).unwrap(), t);
    }
}
