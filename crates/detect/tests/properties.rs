//! Properties every input must satisfy (proptest).
//!
//! - **Row order does not matter.** Permuting the (score, label) pairs leaves
//!   every metric *bit-for-bit* unchanged: the curves are built from integer
//!   counts per distinct score, so the order rows arrive in never reaches a
//!   floating-point sum.
//! - **Negating the scores mirrors the ROC AUC: `AUC(-s) = 1 - AUC(s)`, with
//!   ties too.** AUC is `(#{s_a > s_n} + #{s_a = s_n} / 2) / (P N)` over
//!   anomaly-normal pairs; negating swaps `>` for `<` and keeps ties, and
//!   `#{>} + #{<} + #{=} = P N`, so the two sum to exactly 1. (It holds
//!   because ties get half credit; a rule that broke ties by row order would
//!   not satisfy it.) Checked to 1e-12 (each side is rounded once).
//! - The AUC equals that pair count, computed by brute force.
//!
//! Scores are drawn from a handful of values so ties are the rule, not the
//! exception.

use proptest::prelude::*;
use recon_detect::{
    average_precision, confusion_matrix, evaluate, percentile, precision_recall_curve, roc_auc, roc_curve, ClassificationReport, Threshold,
};

/// Rows of (score, is_anomaly).
type Rows = Vec<(f64, bool)>;

/// Rows of (score, is_anomaly), scores on a coarse grid (many ties), with at
/// least one row of each class.
fn rows() -> impl Strategy<Value = Rows> {
    prop::collection::vec(((0i32..8).prop_map(|k| f64::from(k) * 0.25 - 0.5), any::<bool>()), 2..60)
        .prop_filter("both classes", |v| v.iter().any(|r| r.1) && v.iter().any(|r| !r.1))
}

fn split(rows: &[(f64, bool)]) -> (Vec<f64>, Vec<bool>) {
    rows.iter().copied().unzip()
}

/// A (rows, permuted rows) pair.
fn rows_and_permutation() -> impl Strategy<Value = (Rows, Rows)> {
    rows().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn metrics_do_not_depend_on_row_order((a, b) in rows_and_permutation(), t in -1.0f64..2.0) {
        let (sa, ya) = split(&a);
        let (sb, yb) = split(&b);
        prop_assert_eq!(roc_auc(&sa, &ya).unwrap().to_bits(), roc_auc(&sb, &yb).unwrap().to_bits());
        prop_assert_eq!(average_precision(&sa, &ya).unwrap().to_bits(), average_precision(&sb, &yb).unwrap().to_bits());
        prop_assert_eq!(roc_curve(&sa, &ya).unwrap(), roc_curve(&sb, &yb).unwrap());
        prop_assert_eq!(precision_recall_curve(&sa, &ya).unwrap(), precision_recall_curve(&sb, &yb).unwrap());
        prop_assert_eq!(confusion_matrix(&sa, &ya, t).unwrap(), confusion_matrix(&sb, &yb, t).unwrap());
        prop_assert_eq!(
            ClassificationReport::at_threshold(&sa, &ya, t).unwrap(),
            ClassificationReport::at_threshold(&sb, &yb, t).unwrap()
        );
        prop_assert_eq!(Threshold::best_f1(&sa, &ya).unwrap(), Threshold::best_f1(&sb, &yb).unwrap());
        prop_assert_eq!(percentile(&sa, 99.0).unwrap().to_bits(), percentile(&sb, 99.0).unwrap().to_bits());
        let th = [Threshold::new(t, "t")];
        prop_assert_eq!(evaluate(&sa, &ya, &th).unwrap().to_json(), evaluate(&sb, &yb, &th).unwrap().to_json());
    }

    #[test]
    fn negated_scores_mirror_the_auc_even_with_ties(r in rows()) {
        let (s, y) = split(&r);
        let neg: Vec<f64> = s.iter().map(|x| -x).collect();
        let (auc, auc_neg) = (roc_auc(&s, &y).unwrap(), roc_auc(&neg, &y).unwrap());
        prop_assert!((auc + auc_neg - 1.0).abs() <= 1e-12, "AUC {} and AUC of -s {}", auc, auc_neg);
        // Flipping the labels mirrors it too.
        let flipped: Vec<bool> = y.iter().map(|a| !a).collect();
        prop_assert!((roc_auc(&s, &flipped).unwrap() - auc_neg).abs() <= 1e-12);
    }

    #[test]
    fn auc_is_the_pair_count(r in rows()) {
        let (s, y) = split(&r);
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (&sa, _) in s.iter().zip(&y).filter(|p| *p.1) {
            for (&sn, _) in s.iter().zip(&y).filter(|p| !*p.1) {
                pairs += 1.0;
                wins += if sa > sn { 1.0 } else if sa == sn { 0.5 } else { 0.0 };
            }
        }
        prop_assert!((roc_auc(&s, &y).unwrap() - wins / pairs).abs() <= 1e-12);
    }

    #[test]
    fn metrics_stay_in_range(r in rows(), t in -1.0f64..2.0) {
        let (s, y) = split(&r);
        let ap = average_precision(&s, &y).unwrap();
        prop_assert!((0.0..=1.0).contains(&ap));
        let rep = ClassificationReport::at_threshold(&s, &y, t).unwrap();
        prop_assert_eq!(rep.confusion.total(), s.len());
        for m in [rep.normal, rep.anomaly, rep.macro_avg, rep.weighted_avg] {
            for v in [m.precision, m.recall, m.f1] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }
        // The best-F1 threshold is at least as good as any fixed one.
        let best = Threshold::best_f1(&s, &y).unwrap();
        let best_f1 = ClassificationReport::at_threshold(&s, &y, best.value).unwrap().anomaly.f1;
        prop_assert!(best_f1 >= rep.anomaly.f1);
    }
}
