//! One call for the whole evaluation of a scored, labelled set: ROC AUC, PR
//! AUC (average precision), and a classification report per threshold, as
//! text for people and as JSON for tools (`recon eval --json`).
//!
//! The areas need both classes (see [`crate::roc`], [`crate::pr`]). A test
//! set with only normals is still worth a report (its false-alarm rate at
//! each threshold), so here an undefined area is `None` (`null` in JSON)
//! with the reason in `warnings`, rather than an error for the whole
//! evaluation. Bad input (empty, mismatched lengths, non-finite scores, a
//! NaN threshold) is still an error.

use serde::Serialize;

use crate::confusion::ConfusionMatrix;
use crate::error::Result;
use crate::input::check_scored;
use crate::pr::average_precision;
use crate::report::ClassificationReport;
use crate::roc::roc_auc;
use crate::threshold::Threshold;

/// The report at one threshold, with the rule that chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdEvaluation {
    pub threshold: Threshold,
    pub report: ClassificationReport,
}

/// Everything [`evaluate`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Rows, and how many are normal / anomalous.
    pub n: usize,
    pub n_normal: usize,
    pub n_anomaly: usize,
    /// `None` when only one class is present (see `warnings`).
    pub roc_auc: Option<f64>,
    /// Average precision; `None` when there is no anomaly.
    pub pr_auc: Option<f64>,
    /// One report per threshold, in the order given.
    pub thresholds: Vec<ThresholdEvaluation>,
    /// Why a metric is missing, in words.
    pub warnings: Vec<String>,
}

/// Evaluates `scores` against `labels` (`true` = anomaly) at each of
/// `thresholds` (rows with `score > value` are flagged).
pub fn evaluate(scores: &[f64], labels: &[bool], thresholds: &[Threshold]) -> Result<Evaluation> {
    let counts = check_scored("evaluation", scores, labels)?;
    let mut warnings = Vec::new();
    let mut defined = |r: Result<f64>| r.map_err(|e| warnings.push(e.to_string())).ok();
    let roc_auc = defined(roc_auc(scores, labels));
    let pr_auc = defined(average_precision(scores, labels));
    let thresholds = thresholds
        .iter()
        .map(|t| {
            let report = ClassificationReport::at_threshold(scores, labels, t.value)?;
            Ok(ThresholdEvaluation { threshold: t.clone(), report })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Evaluation { n: scores.len(), n_normal: counts.normal, n_anomaly: counts.anomaly, roc_auc, pr_auc, thresholds, warnings })
}

/// The JSON form of one threshold's result: the headline numbers of the
/// anomaly class flat, the full report (scikit-learn's `output_dict`
/// layout) beside them.
#[derive(Serialize)]
struct ThresholdJson<'a> {
    threshold: f64,
    rule: &'a str,
    precision: f64,
    recall: f64,
    f1: f64,
    accuracy: f64,
    confusion: ConfusionMatrix,
    report: &'a ClassificationReport,
}

#[derive(Serialize)]
struct EvaluationJson<'a> {
    n: usize,
    n_normal: usize,
    n_anomaly: usize,
    roc_auc: Option<f64>,
    pr_auc: Option<f64>,
    thresholds: Vec<ThresholdJson<'a>>,
    warnings: &'a [String],
}

impl Evaluation {
    /// One JSON object:
    ///
    /// ```json
    /// {"n": 8, "n_normal": 5, "n_anomaly": 3, "roc_auc": 0.8, "pr_auc": 0.75,
    ///  "thresholds": [{"threshold": 5.0, "rule": "fixed",
    ///                  "precision": 0.5, "recall": 0.33, "f1": 0.4, "accuracy": 0.62,
    ///                  "confusion": [[4, 1], [2, 1]],
    ///                  "report": {"normal": {"precision": .., "recall": .., "f1-score": .., "support": 5},
    ///                             "anomaly": {..}, "accuracy": .., "macro avg": {..}, "weighted avg": {..}}}],
    ///  "warnings": []}
    /// ```
    ///
    /// `precision`, `recall` and `f1` are those of the anomaly class;
    /// `confusion` is `[[tn, fp], [fn, tp]]`. An undefined area is `null`,
    /// and so is an infinite threshold value (JSON has no infinity).
    pub fn to_json(&self) -> String {
        // Serialising plain structs of numbers and strings cannot fail; fall
        // back to an empty object rather than panic if it ever did.
        serde_json::to_string(&self.json()).unwrap_or_else(|_| "{}".to_string())
    }

    /// [`Self::to_json`] as a `serde_json::Value`, to embed in a larger document.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self.json()).unwrap_or(serde_json::Value::Null)
    }

    fn json(&self) -> EvaluationJson<'_> {
        EvaluationJson {
            n: self.n,
            n_normal: self.n_normal,
            n_anomaly: self.n_anomaly,
            roc_auc: self.roc_auc,
            pr_auc: self.pr_auc,
            thresholds: self
                .thresholds
                .iter()
                .map(|t| ThresholdJson {
                    threshold: t.threshold.value,
                    rule: &t.threshold.rule,
                    precision: t.report.anomaly.precision,
                    recall: t.report.anomaly.recall,
                    f1: t.report.anomaly.f1,
                    accuracy: t.report.accuracy,
                    confusion: t.report.confusion,
                    report: &t.report,
                })
                .collect(),
            warnings: &self.warnings,
        }
    }

    /// The evaluation for people: the areas, then per threshold its rule,
    /// the confusion matrix and the classification report.
    pub fn to_text(&self) -> String {
        let area = |a: Option<f64>| a.map_or("undefined".to_string(), |v| format!("{v:.4}"));
        let mut s = format!("{} rows: {} normal, {} anomalous\n", self.n, self.n_normal, self.n_anomaly);
        s += &format!("ROC AUC {}    PR AUC (average precision) {}\n", area(self.roc_auc), area(self.pr_auc));
        for w in &self.warnings {
            s += &format!("warning: {w}\n");
        }
        for t in &self.thresholds {
            let c = &t.report.confusion;
            let w = [c.tn, c.fp, c.fn_, c.tp].iter().map(|v| v.to_string().len()).max().unwrap_or(1).max(7);
            s += &format!("\nthreshold {} ({})\n", readable(t.threshold.value), t.threshold.rule);
            s += &format!("confusion matrix    {:>w$}  {:>w$}   (predicted)\n", "normal", "anomaly");
            s += &format!("  true normal       {:>w$}  {:>w$}\n", c.tn, c.fp);
            s += &format!("  true anomaly      {:>w$}  {:>w$}\n\n", c.fn_, c.tp);
            s += &t.report.to_text();
        }
        s
    }
}

/// A threshold for people: at most 6 decimals, trailing zeros cut
/// (`9.299999999999999` reads `9.3`); very large or small values in
/// scientific notation. The JSON keeps every digit.
fn readable(v: f64) -> String {
    if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> (Vec<f64>, Vec<bool>) {
        // The report.rs example: at t = 5, tn 4, fp 1, fn 2, tp 1.
        let s = vec![1.0, 9.0, 2.0, 6.0, 3.0, 4.0, 0.5, 5.0];
        let y = vec![false, true, true, false, true, false, false, false];
        (s, y)
    }

    #[test]
    fn bundles_the_metrics() {
        let (s, y) = example();
        let e = evaluate(&s, &y, &Threshold::fixed(&[5.0, 0.0]).unwrap()).unwrap();
        assert_eq!((e.n, e.n_normal, e.n_anomaly), (8, 5, 3));
        assert_eq!(e.roc_auc, Some(roc_auc(&s, &y).unwrap()));
        assert_eq!(e.pr_auc, Some(average_precision(&s, &y).unwrap()));
        assert_eq!(e.thresholds[0].report.confusion.as_array(), [[4, 1], [2, 1]]);
        assert_eq!(e.thresholds[1].report.confusion.as_array(), [[0, 5], [0, 3]]);
        assert!(e.warnings.is_empty());

        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v, e.to_json_value());
        assert_eq!(v["roc_auc"], e.roc_auc.unwrap());
        let t0 = &v["thresholds"][0];
        assert_eq!(t0["threshold"], 5.0);
        assert_eq!(t0["rule"], "fixed");
        assert_eq!(t0["precision"], 0.5);
        assert_eq!(t0["recall"], 1.0 / 3.0);
        assert_eq!(t0["f1"], 0.4);
        assert_eq!(t0["confusion"], serde_json::json!([[4, 1], [2, 1]]));
        assert_eq!(t0["report"]["normal"]["support"], 5);
        assert_eq!(t0["report"]["weighted avg"]["f1-score"], e.thresholds[0].report.weighted_avg.f1);

        let text = e.to_text();
        assert!(text.contains("threshold 5 (fixed)"), "{text}");
        assert!(text.contains(&e.thresholds[0].report.to_text()));
    }

    #[test]
    fn one_class_gives_null_areas_and_a_warning() {
        let e = evaluate(&[0.1, 0.7, 0.3], &[false; 3], &[Threshold::new(0.5, "mine")]).unwrap();
        assert_eq!((e.roc_auc, e.pr_auc), (None, None));
        assert_eq!(e.warnings.len(), 2);
        assert_eq!(e.thresholds[0].report.confusion.fp, 1);
        let v = e.to_json_value();
        assert!(v["roc_auc"].is_null() && v["pr_auc"].is_null());
        assert!(e.to_text().contains("ROC AUC undefined"));
        // Only anomalies: AP is defined (1), ROC AUC is not.
        let e = evaluate(&[0.1, 0.7], &[true; 2], &[]).unwrap();
        assert_eq!((e.roc_auc, e.pr_auc), (None, Some(1.0)));
    }

    #[test]
    fn readable_thresholds() {
        assert_eq!(readable(9.299999999999999), "9.3");
        assert_eq!(readable(5.0), "5");
        assert_eq!(readable(-0.25), "-0.25");
        assert_eq!(readable(0.0), "0");
        assert_eq!(readable(1e-9), "1e-9");
        assert_eq!(readable(f64::INFINITY), "inf");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(evaluate(&[], &[], &[]).is_err());
        assert!(evaluate(&[1.0], &[true, false], &[]).is_err());
        assert!(evaluate(&[f64::INFINITY, 1.0], &[true, false], &[]).is_err());
        assert!(evaluate(&[0.0, 1.0], &[true, false], &[Threshold::new(f64::NAN, "bad")]).is_err());
    }
}
