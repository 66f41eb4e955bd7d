"""PyTorch side of `cargo run --release -p recon-benches --features cuda --bin gpu`.

On the GPU (`cuda:0`), in eager mode:
- the ceilings: a device-to-device copy of 256 MiB (`y.copy_(x)`; bytes
  read + written per second) and cuBLAS's SGEMM at 4096^3 with TF32 off
  (`a @ b`), each timed with CUDA events around 20 calls after 3 warm-up calls;
- a training step of `vae` (16,000 x 29 table) and `conv-ae` (the bundled
  MNIST digits) at batch 32 and 1024: one warm-up epoch, then the wall time
  of one epoch (synchronised at both ends) divided by its steps, the same
  loop as `train_step.py` (Adam, lr 1e-3, eps 1e-7).
Prints one JSON object; exits with 1 and a message when torch has no CUDA.

Usage: python3 gpu.py MNIST_IDX_GZ
"""
import json
import sys
import time

import torch

from models import mnist, preset, table

if not torch.cuda.is_available():
    print("torch.cuda.is_available() is False: no GPU for PyTorch", file=sys.stderr)
    sys.exit(1)
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)


def cuda_ms(f, iters=20):
    """Mean milliseconds per call of `f`, by CUDA events."""
    for _ in range(3):
        f()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        f()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iters


def step_s(name, x, batch):
    """Seconds per training step over one epoch, after a warm-up epoch."""
    model = preset(name, x.shape[1]).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def epoch():
        perm = torch.randperm(x.shape[0], device=dev)
        for i in range(0, x.shape[0], batch):
            xb = x[perm[i:i + batch]]
            opt.zero_grad(set_to_none=True)
            model.loss(xb).backward()
            opt.step()

    epoch()
    torch.cuda.synchronize()
    t = time.perf_counter()
    epoch()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / -(-x.shape[0] // batch)


n = 1 << 26
src, dst = torch.rand(n, device=dev), torch.empty(n, device=dev)
copy_ms = cuda_ms(lambda: dst.copy_(src))
a, b = torch.rand(4096, 4096, device=dev), torch.rand(4096, 4096, device=dev)
sgemm_ms = cuda_ms(lambda: a @ b)
del src, dst, a, b

out = {
    "torch": torch.__version__,
    "device": torch.cuda.get_device_name(0),
    "copy_gb_s": 2 * 4 * n / (copy_ms * 1e-3) / 1e9,
    "sgemm_gflop_s": 2 * 4096 ** 3 / (sgemm_ms * 1e-3) / 1e9,
    "rows": [],
}
data = {"vae": table().to(dev), "conv-ae": mnist(sys.argv[1]).to(dev)}
for name in ("vae", "conv-ae"):
    for batch in (32, 1024):
        out["rows"].append({"model": name, "batch": batch, "step_s": step_s(name, data[name], batch)})
        print(name, batch, out["rows"][-1]["step_s"], file=sys.stderr)
print(json.dumps(out))
