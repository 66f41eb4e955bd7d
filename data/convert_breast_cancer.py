#!/usr/bin/env python3
"""Rewrite scikit-learn's breast_cancer.csv as a plain CSV with a header.

scikit-learn ships the Wisconsin Diagnostic Breast Cancer data in its own
layout: a first line of counts and class names (`569,30,malignant,benign`),
then 569 header-less rows of 30 features and a target (0 = malignant,
1 = benign). Recon's CSV reader wants an ordinary header line, so this script
writes the same rows under the names scikit-learn's `load_breast_cancer()`
gives the columns (`mean radius`, ..., `worst fractal dimension`, `target`).
The values are copied as text, byte for byte, so nothing is re-rounded.

Usage (from the repository root, with shared/ beside it):

    python3 data/convert_breast_cancer.py ../shared/data/breast_cancer.csv data/breast_cancer.csv

Only the Python standard library is used.
"""

import sys

# The ten measurements of each cell nucleus, in scikit-learn's order. Each is
# given three times: its mean, its standard error and its "worst" value.
BASE = [
    "radius", "texture", "perimeter", "area", "smoothness", "compactness",
    "concavity", "concave points", "symmetry", "fractal dimension",
]
FEATURES = (
    [f"mean {b}" for b in BASE]
    + [f"{b} error" for b in BASE]
    + [f"worst {b}" for b in BASE]
)


def convert(src: str, dst: str) -> None:
    with open(src, encoding="ascii") as f:
        lines = f.read().splitlines()
    n_rows, n_features, *_class_names = lines[0].split(",")
    n_rows, n_features = int(n_rows), int(n_features)
    rows = [line for line in lines[1:] if line.strip()]
    if n_features != len(FEATURES) or n_rows != len(rows):
        sys.exit(f"{src}: the first line promises {n_rows} rows of {n_features} features, "
                 f"found {len(rows)} rows (this script knows {len(FEATURES)} feature names)")
    for i, row in enumerate(rows, start=2):
        cells = row.split(",")
        if len(cells) != n_features + 1:
            sys.exit(f"{src}:{i}: {len(cells)} cells, expected {n_features + 1}")
        for c in cells:
            float(c)  # every cell must be a number; raises with the bad text otherwise
    # "\n" line ends and no quoting: no name holds a comma.
    with open(dst, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join(FEATURES + ["target"]) + "\n")
        for row in rows:
            f.write(row + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert_breast_cancer.py SRC_SKLEARN_CSV DST_CSV")
    convert(sys.argv[1], sys.argv[2])
