#!/usr/bin/env python3
"""Reference values from scikit-learn and numpy for tests/sklearn.rs.

Usage: python3 sklearn_metrics.py CASES.json

CASES.json is {"cases": [{"scores": [...], "labels": [0/1 ...],
"thresholds": [...], "report_thresholds": [...], "percentiles": [...], "contamination": [...]}]}.
Prints one JSON object to stdout: {"versions": {...}, "cases": [...]}, each
case with what scikit-learn (and numpy) compute for it. Metrics scikit-learn
only warns about (ROC AUC with one class, AP without anomalies) are written
as null: recon-detect returns an error there, and the test checks that it
does.

Exit status 3 (and a message on stderr) when scikit-learn or numpy cannot be
imported, so the Rust test can tell "not installed" from "broken".
"""

import json
import sys
import warnings

try:
    import numpy as np
    import sklearn
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        classification_report,
        confusion_matrix,
        f1_score,
        precision_recall_curve,
        precision_recall_fscore_support,
        roc_auc_score,
        roc_curve,
    )
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"cannot import scikit-learn/numpy: {e}", file=sys.stderr)
    sys.exit(3)

NAMES = ["normal", "anomaly"]


def floats(a):
    return [float(x) for x in a]


def best_f1(s, y):
    """Brute force over the candidates recon-detect documents: each distinct
    score t (flag s > t), highest first, then "below the minimum" (flag all);
    the first maximum wins (ties go to the highest threshold). F1 is counted
    with numpy here (f1_score on every candidate would take minutes), then
    the winner's F1 is recomputed by scikit-learn's f1_score."""
    candidates = sorted(set(s.tolist()), reverse=True)
    positives = int(y.sum())
    best, best_t = -1.0, None
    for t in candidates + ["below_min"]:
        pred = np.ones_like(y) if t == "below_min" else (s > t).astype(int)
        tp = int((pred & y).sum())
        fp = int(pred.sum()) - tp
        f = 2 * tp / (tp + fp + positives)
        if f > best:
            best, best_t = f, t
    pred = np.ones_like(y) if best_t == "below_min" else (s > best_t).astype(int)
    return {"f1": float(f1_score(y, pred, labels=[0, 1], zero_division=0)), "threshold": best_t}


def one_case(case):
    s = np.asarray(case["scores"], dtype=np.float64)
    y = np.asarray(case["labels"], dtype=np.int64)
    both = len(np.unique(y)) == 2
    has_pos = bool(y.any())
    out = {}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["roc_auc"] = float(roc_auc_score(y, s)) if both else None
        if both:
            fpr, tpr, thr = roc_curve(y, s)
            assert np.isinf(thr[0])
            # JSON has no infinity: the leading +inf threshold is left out.
            out["roc_curve"] = {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": floats(thr[1:])}
        out["average_precision"] = float(average_precision_score(y, s)) if has_pos else None
        if has_pos:
            p, r, thr = precision_recall_curve(y, s)
            out["pr_curve"] = {"precision": floats(p), "recall": floats(r), "thresholds": floats(thr)}

    out["at_threshold"] = []
    for t in case["thresholds"]:
        pred = (s > t).astype(np.int64)  # strict, as recon-detect
        prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
        out["at_threshold"].append(
            {
                "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
                "precision": floats(prec),
                "recall": floats(rec),
                "f1": floats(f1),
                "support": [int(x) for x in sup],
                "accuracy": float(accuracy_score(y, pred)),
            }
        )

    # The full report (slow in scikit-learn: ~40 ms each) at fewer thresholds.
    out["reports"] = []
    for t in case["report_thresholds"]:
        pred = (s > t).astype(np.int64)
        kw = dict(labels=[0, 1], target_names=NAMES, zero_division=0)
        out["reports"].append(
            {
                "text": classification_report(y, pred, **kw),
                "dict": classification_report(y, pred, output_dict=True, **kw),
            }
        )

    out["percentiles"] = [float(np.percentile(s, q)) for q in case["percentiles"]]
    # PyOD's detectors: threshold_ = percentile(decision_scores_, 100 * (1 - contamination))
    out["contamination"] = [float(np.percentile(s, 100 * (1 - c))) for c in case["contamination"]]
    out["best_f1"] = best_f1(s, y) if has_pos else None
    return out


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    result = {
        "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "cases": [one_case(c) for c in cases],
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
