#!/usr/bin/env python3
"""Checks Recon's checkpoints with the reference safetensors reader/writer.

Used by crates/nn/tests/checkpoint.rs; needs `pip install safetensors numpy`.

    read_safetensors.py FILE             load FILE, print a JSON summary
    read_safetensors.py --write FILE     write a known F32 file for Rust to load
    read_safetensors.py --write-f64 FILE write an F64 file (Recon must refuse it)

The summary maps each tensor name to its dtype, shape, float64 sum (null if
not finite) and the raw uint32 bit patterns of its values (so the Rust side
can check the values bit for bit, NaN payloads and -0.0 included), plus the
`__metadata__` map.
"""
import json
import math
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def known_arrays():
    # Keep in sync with `python_written_file_loads_in_rust` in checkpoint.rs.
    return {
        "encoder.weight": (np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5)),
        "encoder.bias": np.array([-1.5, 0.25], dtype=np.float32),
        "scalar": np.array(3.0, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def summarize(path):
    arrays = load_file(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata() or {}
    tensors = {}
    for name, a in arrays.items():
        total = float(a.astype(np.float64).sum())
        tensors[name] = {
            "dtype": str(a.dtype),
            "shape": list(a.shape),
            # JSON has no NaN/inf: report a non-finite sum as null.
            "sum": total if math.isfinite(total) else None,
            "bits": a.reshape(-1).view(np.uint32).tolist(),
        }
    return {"tensors": tensors, "metadata": metadata}


def main(argv):
    if len(argv) == 3 and argv[1] == "--write":
        save_file(known_arrays(), argv[2], metadata={"config": '{"latent": 2}', "note": "from python"})
    elif len(argv) == 3 and argv[1] == "--write-f64":
        save_file({"w": np.ones((2, 2), dtype=np.float64)}, argv[2])
    elif len(argv) == 2:
        print(json.dumps(summarize(argv[1]), allow_nan=False))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
