//! Every metric against scikit-learn (and numpy for percentiles) on random
//! scores and labels.
//!
//! Seeded random cases (sizes 5 to 500, scores rounded to a few levels so
//! ties are common, class balance from all-normal to all-anomalous) go to a
//! temporary JSON file; `tests/sklearn_metrics.py` computes scikit-learn's
//! values for them; each must match ours within 1e-12, and the classification
//! report's text character for character.
//!
//! Without scikit-learn the test prints `SKIPPED: pip install scikit-learn`
//! and passes, so `cargo test` works on a bare machine; with the `CI`
//! environment variable set it fails instead, because CI installs it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recon_detect::{
    average_precision, confusion_matrix, percentile, precision_recall_curve, roc_auc, roc_curve, ClassificationReport, MetricError,
    Threshold,
};
use serde_json::{json, Value};

const TOL: f64 = 1e-12;
const CASES: usize = 20;

struct Case {
    scores: Vec<f64>,
    labels: Vec<bool>,
    thresholds: Vec<f64>,
    /// Where the full text and dict report is compared too (scikit-learn
    /// takes ~40 ms per report, so not at every threshold).
    report_thresholds: Vec<f64>,
    percentiles: Vec<f64>,
    contamination: Vec<f64>,
}

fn make_case(rng: &mut StdRng, i: usize) -> Case {
    let n = rng.random_range(5..=500);
    // Mostly mixed classes; a few cases with one class on purpose.
    let p_anomaly = match i {
        0 => 0.0,
        1 => 1.0,
        _ => rng.random_range(0.02..0.98),
    };
    // Few levels -> many ties; many levels -> nearly distinct scores.
    let levels = [2.0, 5.0, 10.0, 100.0, 1e6][rng.random_range(0..5)];
    let scale = [1.0, 20.0][rng.random_range(0..2)];
    let mut scores = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let anomaly = rng.random_bool(p_anomaly);
        // Anomalies score higher on average, with overlap.
        let raw: f64 = rng.random::<f64>() + if anomaly { 0.4 } else { 0.0 };
        scores.push((raw * levels).round() / levels * scale);
        labels.push(anomaly);
    }
    // Thresholds: some equal to scores (the strict `>` matters there), the
    // articles' fixed values, and a few off-grid values.
    let mut thresholds = vec![1.0, 5.0, 10.0, 15.0, -1.0, 1e9];
    for _ in 0..2 {
        thresholds.push(scores[rng.random_range(0..n)]);
    }
    thresholds.push(rng.random_range(0.0..1.4) * scale);
    // The full report at a score and at an off-grid value, and for the
    // one-class cases also below every score (all rows flagged).
    let mut report_thresholds = vec![thresholds[6], thresholds[8]];
    if i < 2 {
        report_thresholds.push(-1.0);
    }
    let mut percentiles = vec![0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0];
    percentiles.push(rng.random_range(0.0..100.0));
    let contamination = vec![0.01, 0.05, 0.1, 0.2, 0.5, rng.random_range(0.001..0.5)];
    Case { scores, labels, thresholds, report_thresholds, percentiles, contamination }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("sklearn_metrics.py")
}

/// Prints past the test harness's capture, so the skip is visible in a
/// plain `cargo test`.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn sklearn_available() -> bool {
    Command::new("python3").args(["-c", "import sklearn, numpy"]).output().map(|o| o.status.success()).unwrap_or(false)
}

fn close(what: &str, ours: f64, theirs: &Value) {
    let theirs = theirs.as_f64().unwrap_or_else(|| panic!("{what}: scikit-learn gave {theirs}, not a number"));
    assert!((ours - theirs).abs() <= TOL, "{what}: ours {ours:e}, scikit-learn {theirs:e}, diff {:e}", (ours - theirs).abs());
}

fn close_all(what: &str, ours: &[f64], theirs: &Value) {
    let theirs = theirs.as_array().unwrap_or_else(|| panic!("{what}: not an array: {theirs}"));
    assert_eq!(ours.len(), theirs.len(), "{what}: ours has {} points, scikit-learn {}", ours.len(), theirs.len());
    for (k, (o, t)) in ours.iter().zip(theirs).enumerate() {
        close(&format!("{what}[{k}]"), *o, t);
    }
}

fn class_dict_close(what: &str, ours: &recon_detect::ClassMetrics, theirs: &Value) {
    close(&format!("{what} precision"), ours.precision, &theirs["precision"]);
    close(&format!("{what} recall"), ours.recall, &theirs["recall"]);
    close(&format!("{what} f1-score"), ours.f1, &theirs["f1-score"]);
    assert_eq!(Some(ours.support as f64), theirs["support"].as_f64(), "{what} support");
}

/// scikit-learn 1.9.1 prints the supports as floats ("427.0") when every
/// row is normal and every row is flagged (its count arrays turn float on
/// that path). Supports are counts; read them back as integers, keeping the
/// column right-aligned, before comparing the text.
fn integer_supports(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let last = body.rsplit(' ').next().unwrap_or("");
        match last.strip_suffix(".0") {
            Some(int) if !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) => {
                // "   427.0" -> "     427": the same width, integer digits.
                out += &body[..body.len() - last.len()];
                out += &" ".repeat(last.len() - int.len());
                out += int;
                out += &line[body.len()..];
            }
            _ => out += line,
        }
    }
    out
}

fn check_case(i: usize, case: &Case, sk: &Value) {
    let (s, y) = (&case.scores[..], &case.labels[..]);
    let both = y.iter().any(|&a| a) && y.iter().any(|&a| !a);
    let ctx = format!("case {i} (n = {}, anomalies = {})", s.len(), y.iter().filter(|&&a| a).count());

    // ROC AUC and curve.
    match roc_auc(s, y) {
        Ok(auc) => close(&format!("{ctx}: roc_auc"), auc, &sk["roc_auc"]),
        Err(e) => {
            assert!(!both && sk["roc_auc"].is_null(), "{ctx}: {e}");
            assert!(matches!(e, MetricError::OneClass { .. }));
        }
    }
    if both {
        let c = roc_curve(s, y).unwrap();
        assert_eq!(c.thresholds[0], f64::INFINITY);
        close_all(&format!("{ctx}: roc fpr"), &c.fpr, &sk["roc_curve"]["fpr"]);
        close_all(&format!("{ctx}: roc tpr"), &c.tpr, &sk["roc_curve"]["tpr"]);
        close_all(&format!("{ctx}: roc thresholds"), &c.thresholds[1..], &sk["roc_curve"]["thresholds"]);
    }

    // Average precision and the PR curve.
    match average_precision(s, y) {
        Ok(ap) => {
            close(&format!("{ctx}: average_precision"), ap, &sk["average_precision"]);
            let c = precision_recall_curve(s, y).unwrap();
            close_all(&format!("{ctx}: pr precision"), &c.precision, &sk["pr_curve"]["precision"]);
            close_all(&format!("{ctx}: pr recall"), &c.recall, &sk["pr_curve"]["recall"]);
            close_all(&format!("{ctx}: pr thresholds"), &c.thresholds, &sk["pr_curve"]["thresholds"]);
        }
        Err(e) => assert!(sk["average_precision"].is_null(), "{ctx}: {e}"),
    }

    // Per threshold: confusion matrix, per-class metrics, accuracy.
    let at = sk["at_threshold"].as_array().unwrap();
    assert_eq!(at.len(), case.thresholds.len());
    for (&t, skt) in case.thresholds.iter().zip(at) {
        let ctx = format!("{ctx}, threshold {t}");
        let m = confusion_matrix(s, y, t).unwrap();
        assert_eq!(json!(m.as_array()), skt["confusion"], "{ctx}: confusion");
        let r = ClassificationReport::from_confusion(m).unwrap();
        for (k, class) in [r.normal, r.anomaly].iter().enumerate() {
            close(&format!("{ctx}: precision[{k}]"), class.precision, &skt["precision"][k]);
            close(&format!("{ctx}: recall[{k}]"), class.recall, &skt["recall"][k]);
            close(&format!("{ctx}: f1[{k}]"), class.f1, &skt["f1"][k]);
            assert_eq!(json!(class.support), skt["support"][k], "{ctx}: support[{k}]");
        }
        close(&format!("{ctx}: accuracy"), r.accuracy, &skt["accuracy"]);
    }

    // The full report: averages (output_dict) and the text.
    let reports = sk["reports"].as_array().unwrap();
    assert_eq!(reports.len(), case.report_thresholds.len());
    for (&t, skr) in case.report_thresholds.iter().zip(reports) {
        let ctx = format!("{ctx}, report at {t}");
        let r = ClassificationReport::at_threshold(s, y, t).unwrap();
        let d = &skr["dict"];
        class_dict_close(&format!("{ctx}: normal"), &r.normal, &d["normal"]);
        class_dict_close(&format!("{ctx}: anomaly"), &r.anomaly, &d["anomaly"]);
        class_dict_close(&format!("{ctx}: macro avg"), &r.macro_avg, &d["macro avg"]);
        class_dict_close(&format!("{ctx}: weighted avg"), &r.weighted_avg, &d["weighted avg"]);
        close(&format!("{ctx}: dict accuracy"), r.accuracy, &d["accuracy"]);
        let theirs = integer_supports(skr["text"].as_str().unwrap_or_default());
        assert_eq!(r.to_text(), theirs, "{ctx}: report text");
    }

    // Percentiles (numpy) and PyOD's contamination rule.
    for (&q, v) in case.percentiles.iter().zip(sk["percentiles"].as_array().unwrap()) {
        close(&format!("{ctx}: percentile {q}"), percentile(s, q).unwrap(), v);
        close(&format!("{ctx}: percentile rule {q}"), Threshold::percentile(s, q).unwrap().value, v);
    }
    for (&c, v) in case.contamination.iter().zip(sk["contamination"].as_array().unwrap()) {
        close(&format!("{ctx}: contamination {c}"), Threshold::contamination(s, c).unwrap().value, v);
    }

    // Best-F1 threshold: the brute force in Python picks the same cut.
    match Threshold::best_f1(s, y) {
        Ok(t) => {
            let b = &sk["best_f1"];
            match b["threshold"].as_f64() {
                Some(v) => assert_eq!(t.value, v, "{ctx}: best-F1 threshold"),
                None => {
                    assert_eq!(b["threshold"], "below_min");
                    assert!(s.iter().all(|&x| x > t.value), "{ctx}: best F1 should flag every row");
                }
            }
            let r = ClassificationReport::at_threshold(s, y, t.value).unwrap();
            close(&format!("{ctx}: best F1"), r.anomaly.f1, &b["f1"]);
        }
        Err(e) => assert!(sk["best_f1"].is_null(), "{ctx}: {e}"),
    }
}

#[test]
fn metrics_match_scikit_learn() {
    if !sklearn_available() {
        if std::env::var_os("CI").is_some() {
            panic!("scikit-learn is not importable by python3, and CI is set: CI must install it (pip install scikit-learn)");
        }
        say("SKIPPED: pip install scikit-learn (recon-detect's comparison with scikit-learn did not run)");
        return;
    }

    let mut rng = StdRng::seed_from_u64(20240611);
    let cases: Vec<Case> = (0..CASES).map(|i| make_case(&mut rng, i)).collect();
    let input = json!({
        "cases": cases.iter().map(|c| json!({
            "scores": c.scores,
            "labels": c.labels.iter().map(|&a| u8::from(a)).collect::<Vec<_>>(),
            "thresholds": c.thresholds,
            "report_thresholds": c.report_thresholds,
            "percentiles": c.percentiles,
            "contamination": c.contamination,
        })).collect::<Vec<_>>()
    });
    let path = std::env::temp_dir().join(format!("recon-detect-sklearn-{}.json", std::process::id()));
    std::fs::write(&path, input.to_string()).expect("write the cases file");
    let out = Command::new("python3").arg(script()).arg(&path).output().expect("run python3");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{} failed:\n{}", script().display(), String::from_utf8_lossy(&out.stderr));
    let sk: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    println!("compared with {}", sk["versions"]);

    let results = sk["cases"].as_array().expect("cases");
    assert_eq!(results.len(), cases.len());
    for (i, (case, r)) in cases.iter().zip(results).enumerate() {
        check_case(i, case, r);
    }
}
