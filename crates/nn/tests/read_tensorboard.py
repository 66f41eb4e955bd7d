#!/usr/bin/env python3
"""Load a TensorBoard log directory with TensorBoard's own reader and print
its scalars as JSON on stdout.

Usage: python3 read_tensorboard.py <logdir>

Output:
    {"file_version": 2.0,
     "records": <records checked in all event files>,
     "scalars": {"<tag>": [[step, value], ...], ...}}

Used by crates/nn/tests/tensorboard.rs to check that recon-nn's hand-written
event-file writer produces files TensorBoard accepts. Needs
`pip install tensorboard` (TensorFlow itself is not required).
"""

import json
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c


def check_records(path):
    """Walk the TFRecord framing of one event file, verifying both masked
    CRC-32Cs of each record with TensorBoard's own implementation. (The
    EventAccumulator checks them too, but silently stops at a bad record.)"""
    count = 0
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            sys.exit(f"{path}: truncated header at byte {pos}")
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        if header_crc != masked_crc32c(header):
            sys.exit(f"{path}: length CRC mismatch at byte {pos}")
        pos += 12
        if len(data) - pos < length + 4:
            sys.exit(f"{path}: truncated record at byte {pos}")
        body = data[pos : pos + length]
        (body_crc,) = struct.unpack("<I", data[pos + length : pos + length + 4])
        if body_crc != masked_crc32c(body):
            sys.exit(f"{path}: data CRC mismatch at byte {pos}")
        pos += length + 4
        count += 1
    return count


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_tensorboard.py <logdir>")
    logdir = sys.argv[1]

    records = 0
    for name in sorted(os.listdir(logdir)):
        if "tfevents" in name:
            records += check_records(os.path.join(logdir, name))

    # size_guidance 0 = keep every event (the default samples 10,000 scalars).
    acc = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.SCALARS: 0}
    )
    acc.Reload()
    scalars = {
        tag: [[e.step, e.value] for e in acc.Scalars(tag)]
        for tag in acc.Tags()[event_accumulator.SCALARS]
    }
    json.dump(
        {"file_version": acc.file_version, "records": records, "scalars": scalars},
        sys.stdout,
        sort_keys=True,
    )
    print()


if __name__ == "__main__":
    main()
