"""Timing for the PyTorch side, the same way `benches/src/timing.rs` times Recon.

`bench(f)`: warm-up (>= 2 calls and 30 ms), calibration (a sample is a batch
of back-to-back calls lasting >= 1 ms), samples until >= 250 ms and >= 7
samples; the median per-call time, min, max and quartiles. While a row is
sampled, the CPU time of every *other* process (their /proc/<pid>/stat, plus
the hypervisor's steal time) is measured; a row during which they kept more
than 0.15 CPUs busy is measured again after waiting for a quiet moment (up to
4 times, within a budget of RECON_BENCH_RETRY_BUDGET_S seconds for the whole
script, 60 by default), keeping the least disturbed attempt.
"""
import os
import time

BUSY_LIMIT = 0.15
RETRIES = 4
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_waited = [0.0]


def _others_ticks():
    me = str(os.getpid())
    total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    for name in names:
        if not name.isdigit() or name == me:
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                rest = f.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in rest[11:15])
        except (OSError, IndexError, ValueError):
            pass
    try:
        with open("/proc/stat") as f:
            total += int(f.readline().split()[8])
    except (OSError, IndexError, ValueError):
        pass
    return total


class Probe:
    """CPUs kept busy by other processes since this probe was made."""

    def __init__(self):
        self.ticks, self.at = _others_ticks(), time.perf_counter()

    def others(self):
        now, at = _others_ticks(), time.perf_counter()
        if self.ticks is None or now is None or at <= self.at:
            return None
        return (now - self.ticks) / TICKS / (at - self.at)


def budget_left():
    return float(os.environ.get("RECON_BENCH_RETRY_BUDGET_S", "60")) - _waited[0]


def wait_for_quiet(limit=BUSY_LIMIT, max_s=10.0):
    start = time.perf_counter()
    while True:
        p = Probe()
        time.sleep(0.5)
        busy = p.others()
        if busy is None or busy <= limit or time.perf_counter() - start >= max_s:
            _waited[0] += time.perf_counter() - start
            return busy


def quantile(v, p):
    pos = p * (len(v) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def _once(f, target, min_samples, warmup, warmup_calls, sample_min):
    start, calls, last = time.perf_counter(), 0, 0.0
    while calls < warmup_calls or time.perf_counter() - start < warmup:
        t = time.perf_counter()
        f()
        last = time.perf_counter() - t
        calls += 1
    iters = max(1, int(-(-sample_min // max(last, 1e-9))))
    times = []
    probe = Probe()
    t0 = time.perf_counter()
    while len(times) < min_samples or time.perf_counter() - t0 < target:
        t = time.perf_counter()
        for _ in range(iters):
            f()
        times.append((time.perf_counter() - t) / iters)
    busy = probe.others()
    times.sort()
    return {"median_s": quantile(times, 0.5), "min_s": times[0], "max_s": times[-1],
            "q1_s": quantile(times, 0.25), "q3_s": quantile(times, 0.75),
            "samples": len(times), "calls_per_sample": iters, "others_busy_cpus": busy}


def bench(f, target=0.25, min_samples=7, warmup=0.03, warmup_calls=2, sample_min=0.001):
    """Times `f()` as described in the module docs; returns a dict of statistics."""
    best = _once(f, target, min_samples, warmup, warmup_calls, sample_min)
    for _ in range(RETRIES):
        busy = best["others_busy_cpus"]
        if busy is None or busy <= BUSY_LIMIT or budget_left() <= 0:
            break
        wait_for_quiet(max_s=min(10.0, budget_left()))
        s = _once(f, target, min_samples, warmup, warmup_calls, sample_min)
        if (s["others_busy_cpus"] or 0) < busy:
            best = s
    return best
