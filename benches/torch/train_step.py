"""PyTorch side of `cargo run --release -p recon-benches --bin train`.

The same models (`models.py`), optimizer (Adam, lr 1e-3, eps 1e-7), batch
sizes and data sizes as the Rust side, in a lean PyTorch loop (a random
permutation and slicing per epoch, no DataLoader), eager mode. For each
model and batch size: the median of EPOCHS epoch times (conv-ae: one epoch),
with the other processes' CPU use while they ran; a disturbed dense row is
run again after waiting for a quiet moment (see `timing.py`). Prints one
JSON object.

Usage: python3 train_step.py EPOCHS THREADS MODELS BATCHES [MNIST_IDX_GZ]
  MODELS, BATCHES: comma-separated (e.g. ae,vae 32,256,4096)
"""
import json
import sys
import time

import torch

from models import mnist, preset, table
from timing import BUSY_LIMIT, RETRIES, Probe, budget_left, quantile, wait_for_quiet

EPOCHS, THREADS = int(sys.argv[1]), int(sys.argv[2])
MODELS, BATCHES = sys.argv[3].split(","), [int(b) for b in sys.argv[4].split(",")]
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def epochs(model, opt, x, batch, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], batch):
            xb = x[perm[i:i + batch]]
            opt.zero_grad(set_to_none=True)
            model.loss(xb).backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return sorted(times)


def measure(name, x, batch):
    model = preset(name, x.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = 1 if name == "conv-ae" else EPOCHS
    best = None
    for attempt in range(1 + (0 if name == "conv-ae" else RETRIES)):
        if attempt > 0:
            if best["others_busy_cpus"] is None or best["others_busy_cpus"] <= BUSY_LIMIT or budget_left() <= 0:
                break
            wait_for_quiet(max_s=min(10.0, budget_left()))
        probe = Probe()
        times = epochs(model, opt, x, batch, n)
        s = {"median_s": quantile(times, 0.5), "min_s": times[0], "max_s": times[-1],
             "q1_s": quantile(times, 0.25), "q3_s": quantile(times, 0.75),
             "samples": len(times), "calls_per_sample": 1, "others_busy_cpus": probe.others()}
        if best is None or (s["others_busy_cpus"] or 0) < (best["others_busy_cpus"] or 0):
            best = s
    return best


out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": []}
data = table()
for name in MODELS:
    if name == "conv-ae":
        if len(sys.argv) < 6:
            continue
        x = mnist(sys.argv[5])
    else:
        x = data
    for batch in BATCHES:
        s = measure(name, x, batch)
        out["rows"].append({"model": name, "batch": batch, "rows": x.shape[0], "stats": s})
        print(name, batch, s["median_s"], file=sys.stderr)
print(json.dumps(out))
