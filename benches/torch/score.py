"""PyTorch side of `cargo run --release -p recon-benches --bin score`.

Scores rows the way `Autoencoder::score` does (the mean squared
reconstruction error of each row, the VAE decoding its mean) with the same
models (`models.py`), eager mode, under `torch.inference_mode()`, at batch
4096 and at batch 1. Prints one JSON object.

Usage: python3 score.py THREADS MODELS [MNIST_IDX_GZ]
  MODELS: comma-separated preset names (conv-ae needs the MNIST file)
"""
import json
import sys

import torch

from models import mnist, preset, table
from timing import bench

THREADS, MODELS = int(sys.argv[1]), sys.argv[2].split(",")
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def scorer(model, x):
    def f():
        with torch.inference_mode():
            return ((x - model.reconstruct(x)) ** 2).mean(1)
    return f


out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": []}
data = table()
for name in MODELS:
    if name == "conv-ae":
        if len(sys.argv) < 4:
            continue
        x = mnist(sys.argv[3])
    else:
        x = data
    model = preset(name, x.shape[1]).eval()
    for batch in (4096, 1):
        xb = x[:batch].contiguous()
        slow = name == "conv-ae" and batch > 1
        # A conv-ae batch of 4096 takes seconds: fewer samples.
        kw = {"target": 0.0, "min_samples": 3, "warmup": 0.0, "warmup_calls": 1} if slow else {}
        out["rows"].append({"model": name, "batch": batch, "stats": bench(scorer(model, xb), **kw)})
        print(name, batch, out["rows"][-1]["stats"]["median_s"], file=sys.stderr)
print(json.dumps(out))
