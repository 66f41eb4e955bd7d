//! Wall-clock timing with `std::time::Instant`.
//!
//! One measurement is: warm-up calls (at least `warmup_calls`, and until
//! `warmup` has passed), then samples until at least `target` time has been
//! spent and at least `min_samples` samples were taken. A sample times a batch
//! of `iters` back-to-back calls (calibrated so that a sample lasts at least
//! `sample_min`, which keeps the clock's resolution out of sub-microsecond
//! numbers) and records the time per call. Every result passes through
//! `std::hint::black_box` so the optimiser cannot drop the work.
//!
//! The machine may be shared. `CpuProbe` reads `/proc` to see how much CPU
//! *other* processes used while a row was sampled (the CPU times in every
//! other `/proc/<pid>/stat`, plus the hypervisor's steal time). `bench` waits for a quiet moment and measures a
//! disturbed row again (up to `retries` times, within a total waiting budget
//! for the whole run), keeping the least disturbed attempt. It also records
//! how long this process's threads sat runnable but not running
//! (`/proc/self/task/*/schedstat`); that includes the latency of waking an
//! idle CPU, so it is informative, not a test of disturbance.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Minimum total time spent sampling one row.
    pub target: Duration,
    /// Minimum number of samples, however long a call takes.
    pub min_samples: usize,
    /// Stop after this many samples even if `target` has not passed.
    pub max_samples: usize,
    /// Minimum duration of one sample (a batch of calls).
    pub sample_min: Duration,
    /// Minimum warm-up time before sampling.
    pub warmup: Duration,
    /// Minimum number of warm-up calls.
    pub warmup_calls: usize,
    /// A row during which other processes kept more than this many CPUs busy
    /// (on average) counts as disturbed, and is measured again...
    pub busy_limit: f64,
    /// ... at most this many times; the least disturbed attempt is kept.
    pub retries: usize,
    /// Before a retry, wait up to this long for the machine to become quiet.
    pub retry_wait: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            target: Duration::from_millis(250),
            min_samples: 7,
            max_samples: 2000,
            sample_min: Duration::from_millis(1),
            warmup: Duration::from_millis(30),
            warmup_calls: 2,
            busy_limit: 0.15,
            retries: 4,
            retry_wait: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The default with another total sampling time.
    pub fn with_target(ms: u64) -> Self {
        Config { target: Duration::from_millis(ms), ..Config::default() }
    }
}

/// Per-call times of one measurement, in seconds.
#[derive(Debug, Clone)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// First and third quartiles.
    pub q1: f64,
    pub q3: f64,
    pub samples: usize,
    /// Calls per sample.
    pub iters: u64,
    /// Time spent sampling (without warm-up), seconds.
    pub total: f64,
    /// CPUs kept busy by other processes while sampling, on average (`None`
    /// where `/proc` cannot be read).
    pub others_busy: Option<f64>,
    /// Time this process's threads were runnable but not running while
    /// sampling, per second of wall time: CPU taken by others plus the
    /// latency of waking idle CPUs (`None` where `/proc` cannot be read).
    pub cpu_wait: Option<f64>,
}

impl Stats {
    /// Interquartile range relative to the median, in percent.
    pub fn iqr_pct(&self) -> f64 {
        100.0 * (self.q3 - self.q1) / self.median
    }
    /// `work / median` (work in flops or bytes), in units of 1e9 per second.
    pub fn giga_per_s(&self, work: f64) -> f64 {
        work / self.median / 1e9
    }
    /// Did other processes keep more than `cfg.busy_limit` CPUs busy while
    /// this row was sampled?
    pub fn disturbed(&self, cfg: &Config) -> bool {
        self.others_busy.is_some_and(|b| b > cfg.busy_limit)
    }
    fn badness(&self) -> f64 {
        self.others_busy.unwrap_or(0.0)
    }
}

/// A reading of the CPU time used by every other process on the machine.
#[derive(Debug, Clone, Copy)]
pub struct CpuProbe {
    /// Ticks used by all other processes (user + system, their waited-for
    /// children included), plus the ticks the hypervisor gave to other guests
    /// (`steal` in `/proc/stat`).
    others: u64,
    /// Nanoseconds this process's live threads have waited on a run queue.
    run_delay: Option<u64>,
    at: Instant,
}

/// Clock ticks per second of `/proc` (`USER_HZ`; 100 on Linux).
const TICKS: f64 = 100.0;

/// `utime + stime + cutime + cstime` of one `/proc/<pid>/stat` (fields 14 to 17).
fn process_ticks(stat: &str) -> Option<u64> {
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    (11..15).map(|i| rest.get(i).and_then(|v| v.parse::<u64>().ok())).sum()
}

impl CpuProbe {
    /// Sums the CPU time of every process but this one. Per-process times
    /// are used rather than `/proc/stat`'s busy total minus our own, because
    /// the kernel accounts the two differently for short bursts (a woken
    /// rayon worker), which would count our own thread wake-ups as "others".
    /// A process that exits in between moves its time into its parent's
    /// `cutime`, so it is counted once.
    pub fn now() -> Option<CpuProbe> {
        let me = std::process::id().to_string();
        let mut others = 0;
        for e in std::fs::read_dir("/proc").ok()? {
            let Ok(e) = e else { continue };
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if name == me || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) {
                others += process_ticks(&stat).unwrap_or(0);
            }
        }
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        // cpu user nice system idle iowait irq softirq steal ...
        others += stat.lines().next()?.split_whitespace().nth(8).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Some(CpuProbe { others, run_delay: run_delay(), at: Instant::now() })
    }

    /// Seconds this process's threads waited for a CPU since this reading,
    /// per second of wall time (threads that ended in between are not counted).
    pub fn wait_since(&self) -> Option<f64> {
        let now = CpuProbe::now()?;
        let secs = now.at.duration_since(self.at).as_secs_f64();
        let d = now.run_delay?.saturating_sub(self.run_delay?);
        (secs > 0.0).then(|| d as f64 * 1e-9 / secs)
    }

    /// CPUs kept busy by other processes since this reading, on average.
    pub fn others_since(&self) -> Option<f64> {
        let now = CpuProbe::now()?;
        let secs = now.at.duration_since(self.at).as_secs_f64();
        (secs > 0.0).then(|| now.others.saturating_sub(self.others) as f64 / TICKS / secs)
    }
}

/// The summed run-queue delay of this process's threads (second field of
/// `/proc/self/task/*/schedstat`, nanoseconds).
fn run_delay() -> Option<u64> {
    let mut total = 0;
    for t in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(t) = t else { continue };
        if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
            total += s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    Some(total)
}

fn env_secs(name: &str, default: f64) -> Duration {
    let s = std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(default);
    Duration::from_secs_f64(s.max(0.0))
}

/// How long a binary waits for a quiet machine before it starts:
/// `RECON_BENCH_WAIT_S` seconds, 60 by default.
pub fn start_wait() -> Duration {
    env_secs("RECON_BENCH_WAIT_S", 60.0)
}

/// Milliseconds spent waiting before retries so far in this process.
static RETRY_WAITED_MS: AtomicU64 = AtomicU64::new(0);

/// The total time a binary may spend waiting before retries:
/// `RECON_BENCH_RETRY_BUDGET_S` seconds, 60 by default. Once it is spent,
/// disturbed rows are kept (and marked) without retrying.
pub fn retry_budget() -> Duration {
    env_secs("RECON_BENCH_RETRY_BUDGET_S", 60.0)
}

/// Time spent so far waiting before retries.
pub fn retry_waited() -> Duration {
    Duration::from_millis(RETRY_WAITED_MS.load(Ordering::Relaxed))
}

/// Waits (up to `max`) until other processes use less than `limit` CPUs over
/// a 0.5 s window. Returns the last load seen (`None` without `/proc`).
pub fn wait_for_quiet(limit: f64, max: Duration) -> Option<f64> {
    let start = Instant::now();
    loop {
        let p = CpuProbe::now()?;
        std::thread::sleep(Duration::from_millis(500).min(max.max(Duration::from_millis(100))));
        let busy = p.others_since()?;
        if busy <= limit || start.elapsed() >= max {
            return Some(busy);
        }
    }
}

/// The `p`-quantile (0..=1) of sorted values, by linear interpolation.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Times `f` as described in the module docs, retrying while other
/// processes disturb the measurement.
pub fn bench<R>(cfg: &Config, mut f: impl FnMut() -> R) -> Stats {
    let mut best = bench_once(cfg, &mut f);
    for _ in 0..cfg.retries {
        let left = retry_budget().saturating_sub(retry_waited());
        if !best.disturbed(cfg) || left.is_zero() {
            break;
        }
        // Give a burst of background work (a compiler, say) time to pass.
        let t = Instant::now();
        wait_for_quiet(cfg.busy_limit, cfg.retry_wait.min(left));
        RETRY_WAITED_MS.fetch_add(t.elapsed().as_millis() as u64, Ordering::Relaxed);
        let s = bench_once(cfg, &mut f);
        if s.badness() < best.badness() {
            best = s;
        }
    }
    best
}

/// One measurement: warm-up, calibration, samples.
pub fn bench_once<R>(cfg: &Config, mut f: impl FnMut() -> R) -> Stats {
    // Warm-up; the last call's duration calibrates the batch size.
    let start = Instant::now();
    let mut calls = 0;
    let mut last = Duration::ZERO;
    while calls < cfg.warmup_calls || start.elapsed() < cfg.warmup {
        let t = Instant::now();
        black_box(f());
        last = t.elapsed();
        calls += 1;
    }
    let per_call = last.as_secs_f64().max(1e-9);
    let iters = ((cfg.sample_min.as_secs_f64() / per_call).ceil() as u64).max(1);

    let mut times = Vec::new();
    let probe = CpuProbe::now();
    let sampling = Instant::now();
    while times.len() < cfg.max_samples && (times.len() < cfg.min_samples || sampling.elapsed() < cfg.target) {
        let t = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        times.push(t.elapsed().as_secs_f64() / iters as f64);
    }
    let total = sampling.elapsed().as_secs_f64();
    let others_busy = probe.and_then(|p| p.others_since());
    let cpu_wait = probe.and_then(|p| p.wait_since());
    times.sort_by(|a, b| a.total_cmp(b));
    Stats {
        median: quantile(&times, 0.5),
        min: times[0],
        max: times[times.len() - 1],
        q1: quantile(&times, 0.25),
        q3: quantile(&times, 0.75),
        samples: times.len(),
        iters,
        total,
        others_busy,
        cpu_wait,
    }
}

/// A sentence for a report on how busy the machine was: other processes'
/// CPU use just before (`start`) and during (`run`) the run, the retries, and
/// how many of `stats` stayed disturbed (those rows are marked `*`).
pub fn load_note<'a>(cfg: &Config, start: Option<f64>, run: Option<f64>, stats: impl Iterator<Item = &'a Stats>) -> String {
    let (Some(start), Some(run)) = (start, run) else {
        return "(Other processes' CPU use could not be read from /proc.)".into();
    };
    let (mut n, mut bad) = (0, 0);
    for s in stats {
        n += 1;
        bad += usize::from(s.disturbed(cfg));
    }
    format!(
        "Other processes kept {start:.2} CPUs busy just before the run and {run:.2} on average during it. A row \
         during which they used more than {} CPUs was measured again after waiting for a quiet moment (up to {} \
         times; {:.0} s spent waiting in all); {bad} of {n} rows stayed disturbed and are marked `*`.",
        cfg.busy_limit,
        cfg.retries,
        retry_waited().as_secs_f64()
    )
}

/// A duration in seconds with a readable unit: `812 ns`, `3.41 us`, `12.6 ms`.
pub fn fmt_time(s: f64) -> String {
    let (v, unit) = if s < 1e-6 {
        (s * 1e9, "ns")
    } else if s < 1e-3 {
        (s * 1e6, "us")
    } else if s < 1.0 {
        (s * 1e3, "ms")
    } else {
        (s, "s")
    };
    format!("{} {unit}", sig3(v))
}

/// Three significant digits (no exponent) for values in `[0.001, 1e6)`.
pub fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
    }

    #[test]
    fn bench_takes_min_samples() {
        let cfg = Config {
            target: Duration::ZERO,
            min_samples: 5,
            sample_min: Duration::from_micros(10),
            warmup: Duration::ZERO,
            retries: 0,
            ..Config::default()
        };
        let s = bench(&cfg, || (0..100u64).sum::<u64>());
        assert!(s.samples >= 5 && s.min <= s.median && s.median <= s.max);
    }

    #[test]
    fn probe_reads_proc() {
        if let Some(p) = CpuProbe::now() {
            std::thread::sleep(Duration::from_millis(20));
            assert!(p.others_since().is_some_and(|b| b >= 0.0));
            assert!(p.wait_since().is_none_or(|w| w >= 0.0));
        }
    }

    #[test]
    fn times_format() {
        assert_eq!(fmt_time(812e-9), "812 ns");
        assert_eq!(fmt_time(3.414e-6), "3.41 us");
        assert_eq!(fmt_time(0.0126), "12.6 ms");
    }
}
