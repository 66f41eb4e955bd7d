//! The machine's ceilings, measured in the same run as the kernels so that a
//! kernel's speed can be read as a share of what the hardware does:
//!
//! - memory bandwidth: a read-only `sum`, STREAM-like `copy` (`a[i] = b[i]`)
//!   and `triad` (`a[i] = b[i] + s * c[i]`) over arrays far larger than the
//!   caches;
//! - arithmetic peak: a loop of independent fused multiply-add chains;
//! - the best GEMM at hand: numpy's `matmul` (a tuned BLAS) in a subprocess.

use std::process::Command;

use rayon::prelude::*;

// ---- memory bandwidth --------------------------------------------------------

/// Splits `len` into one contiguous piece per thread of the current rayon pool.
fn piece(len: usize) -> usize {
    len.div_ceil(rayon::current_num_threads()).max(1)
}

/// Sum of a slice with 8 independent accumulators (the library's
/// `reduce::lane_sum`, so the loop is the one `sum_all` runs).
pub fn lane_sum(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &t in tail {
        s += t;
    }
    s
}

/// Read bandwidth: the sum of `x`, one piece per thread of the current pool.
/// Counted as `4 * len` bytes.
pub fn read(x: &[f32]) -> f32 {
    x.par_chunks(piece(x.len())).map(lane_sum).sum()
}

/// STREAM copy: `dst[i] = src[i]`, one piece per thread of the current pool.
/// Counted as `2 * 4 * len` bytes (read + write, as STREAM counts).
pub fn copy(dst: &mut [f32], src: &[f32]) {
    let p = piece(dst.len());
    dst.par_chunks_mut(p).zip(src.par_chunks(p)).for_each(|(d, s)| d.copy_from_slice(s));
}

/// STREAM triad: `a[i] = b[i] + s * c[i]`. Counted as `3 * 4 * len` bytes.
pub fn triad(a: &mut [f32], b: &[f32], c: &[f32], s: f32) {
    let p = piece(a.len());
    a.par_chunks_mut(p).zip(b.par_chunks(p).zip(c.par_chunks(p))).for_each(|(a, (b, c))| {
        for ((a, &b), &c) in a.iter_mut().zip(b).zip(c) {
            *a = b + s * c;
        }
    });
}

/// Copy into a freshly allocated (calloc'd, so not yet touched) buffer, the
/// way every Recon op writes its output: includes the page faults of the
/// first touch. Counted like `copy`.
pub fn copy_fresh(src: &[f32]) -> Vec<f32> {
    let mut dst = vec![0.0f32; src.len()];
    copy(&mut dst, src);
    dst
}

// ---- arithmetic peak -----------------------------------------------------------

/// Independent accumulator chains in the FMA loop: enough to cover the FMA
/// latency (4 cycles) times the FMA ports (2) of current x86 cores, while all
/// chains and the two constants still fit in the 16 vector registers.
pub const FMA_CHAINS: usize = 12;

/// Which loop `fma_loop` runs on this CPU: the widest vectors it has
/// (matrixmultiply, Recon's GEMM, also picks AVX-512 where there is one).
pub fn fma_kind() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            return "AVX-512 FMA (vfmadd, f32x16), 12 chains";
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return "AVX2 FMA (vfmadd, f32x8), 12 chains";
        }
    }
    "portable mul+add (f32x8 arrays, no FMA), 12 chains"
}

/// Floating-point operations per iteration of `fma_loop` (a fused
/// multiply-add counts as 2; 16 lanes with AVX-512, else 8).
pub fn fma_flops_per_iter() -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            return (FMA_CHAINS * 16 * 2) as f64;
        }
    }
    (FMA_CHAINS * 8 * 2) as f64
}

/// `iters` rounds of `acc = acc * a + b` on `FMA_CHAINS` independent 8-lane
/// accumulators. Returns a value depending on all of them.
pub fn fma_loop(iters: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { fma_avx512(iters) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { fma_avx2(iters) };
        }
    }
    fma_portable(iters)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_avx2(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm256_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm256_set1_ps(std::hint::black_box(1e-7));
    let mut acc = [_mm256_set1_ps(1.0); FMA_CHAINS];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut s = _mm256_setzero_ps();
    for x in acc {
        s = _mm256_add_ps(s, x);
    }
    let mut lanes = [0.0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), s);
    lanes.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_avx512(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm512_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm512_set1_ps(std::hint::black_box(1e-7));
    let mut acc = [_mm512_set1_ps(1.0); FMA_CHAINS];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let mut s = _mm512_setzero_ps();
    for x in acc {
        s = _mm512_add_ps(s, x);
    }
    _mm512_reduce_add_ps(s)
}

fn fma_portable(iters: u64) -> f32 {
    let a = std::hint::black_box(0.999_999f32);
    let b = std::hint::black_box(1e-7f32);
    let mut acc = [[1.0f32; 8]; FMA_CHAINS];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            for l in x.iter_mut() {
                *l = *l * a + b;
            }
        }
    }
    acc.iter().flatten().sum()
}

/// Runs `f` once on each of `threads` OS threads at the same time.
pub fn on_threads<R: Send>(threads: usize, f: impl Fn() -> R + Sync) -> Vec<R> {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(&f)).collect();
        hs.into_iter().map(|h| h.join().expect("benchmark thread panicked")).collect()
    })
}

// ---- numpy's GEMM ----------------------------------------------------------------

/// Environment variables that tune OpenBLAS; removed from numpy's environment
/// so that it picks its own kernels for this CPU.
pub const OPENBLAS_ENV: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/// One timing of `a @ b` (float32, `n x n`) by numpy.
#[derive(Debug, Clone)]
pub struct NumpyGemm {
    pub n: usize,
    pub numpy: String,
    /// The BLAS numpy was built against (`numpy.show_config`).
    pub blas: String,
    /// What the BLAS library reports at run time (OpenBLAS core type, threads).
    pub runtime: String,
    /// Per-call seconds, sorted.
    pub times: Vec<f64>,
    /// The variables in `OPENBLAS_ENV` that were set here, and removed for numpy.
    pub env_removed: Vec<String>,
}

/// Why numpy's GEMM could not be measured.
#[derive(Debug, Clone)]
pub enum NumpyError {
    /// `python3` runs but `import numpy` fails.
    NotInstalled,
    Failed(String),
}

const NUMPY_SCRIPT: &str = r#"
import sys, time
try:
    import numpy as np
except Exception:
    print("error=numpy-missing"); sys.exit(0)
n = int(sys.argv[1]); budget = float(sys.argv[2])
print("numpy=" + np.__version__)
try:
    b = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print("blas=" + " | ".join(str(b.get(k)) for k in ("name", "version", "openblas configuration") if b.get(k)))
except Exception as e:
    print("blas=unknown (" + type(e).__name__ + ")")
rt = []
try:
    from threadpoolctl import threadpool_info
    for d in threadpool_info():
        rt.append("%s %s: %s threads, core %s" % (d.get("internal_api"), d.get("version"), d.get("num_threads"), d.get("architecture")))
except Exception:
    # No threadpoolctl: ask a loaded OpenBLAS directly through ctypes.
    try:
        import ctypes
        libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l.lower() and ".so" in l})
        for path in libs:
            lib = ctypes.CDLL(path)
            def call(base, restype):
                for pre in ("", "scipy_"):
                    for suf in ("", "64_", "_64"):
                        f = getattr(lib, pre + base + suf, None)
                        if f is not None:
                            f.restype = restype
                            return f()
            core = call("openblas_get_corename", ctypes.c_char_p)
            thr = call("openblas_get_num_threads", ctypes.c_int)
            rt.append("%s: %s threads, core %s" % (path.rsplit("/", 1)[-1], thr, core.decode() if core else "?"))
    except Exception as e:
        rt.append("unknown (" + type(e).__name__ + ")")
print("runtime=" + ("; ".join(rt) if rt else "unknown"))
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
for _ in range(3):
    c = a @ b
times = []
t_end = time.perf_counter() + budget
while len(times) < 7 or (time.perf_counter() < t_end and len(times) < 500):
    t = time.perf_counter(); c = a @ b; times.append(time.perf_counter() - t)
print("times=" + ",".join(repr(t) for t in times))
"#;

/// Times numpy's float32 `n x n` matmul for about `budget_s` seconds in a
/// `python3` subprocess, with `OPENBLAS_ENV` removed from its environment.
pub fn numpy_gemm(n: usize, budget_s: f64) -> Result<NumpyGemm, NumpyError> {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(NUMPY_SCRIPT).arg(n.to_string()).arg(budget_s.to_string());
    let mut env_removed = Vec::new();
    for v in OPENBLAS_ENV {
        if let Ok(val) = std::env::var(v) {
            env_removed.push(format!("{v}={val}"));
        }
        cmd.env_remove(v);
    }
    let out = cmd.output().map_err(|e| NumpyError::Failed(format!("could not run python3: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map(str::to_string);
    if get("error").as_deref() == Some("numpy-missing") {
        return Err(NumpyError::NotInstalled);
    }
    let mut times: Vec<f64> = get("times").unwrap_or_default().split(',').filter_map(|t| t.trim().parse().ok()).collect();
    if times.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(NumpyError::Failed(format!("python3 exited with {}: {}", out.status, err.lines().last().unwrap_or(""))));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(NumpyGemm {
        n,
        numpy: get("numpy").unwrap_or_default(),
        blas: get("blas").unwrap_or_default(),
        runtime: get("runtime").unwrap_or_default(),
        times,
        env_removed,
    })
}
