//! Kernel timings of the CPU backend (`Cpu<f32>`) next to the machine's
//! ceilings, measured in the same run.
//!
//! `cargo run --release -p recon-benches --bin ops`
//!
//! Prints three Markdown tables (ceilings, kernels, GEMM kernels side by
//! side) and writes them to `benches/results/cpu-ops.md` and `.json`. See
//! `benches/README.md`.
//!
//! `cargo run --release -p recon-benches --bin ops -- --gemm` times only the
//! GEMM kernels side by side, prints that table and writes nothing.

use std::hint::black_box;

use recon_benches::ceilings::{self, NumpyError, NumpyGemm};
use recon_benches::report::{stats_json, write_result, Json, Machine, Table};
use recon_benches::timing::{
    bench, bench_once, fmt_time, load_note, retry_budget, retry_waited, sig3, start_wait, wait_for_quiet, Config, CpuProbe, Stats,
};
use recon_tensor::cpu::matmul::{gemm, Kernel};
use recon_tensor::{Cpu32, Matmul, Padding, Tensor};

type T = Tensor<Cpu32>;

/// Deterministic values in `[-1, 1)` (xorshift64*), so no RNG crate is needed.
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40; // 24 bits
            r as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn tensor(cpu: &Cpu32, shape: &[usize], seed: u64) -> T {
    Tensor::from_vec(cpu, values(shape.iter().product(), seed), shape).unwrap()
}

fn shape_str(s: &[usize]) -> String {
    format!("[{}]", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
}

fn pct(x: f64) -> String {
    if x >= 0.1 {
        format!("{:.0}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

// ---- ceilings ------------------------------------------------------------------

/// One measured ceiling.
struct Ceiling {
    name: String,
    threads: usize,
    stats: Stats,
    /// Bytes or flops per call.
    work: f64,
    unit: &'static str,
    note: String,
}

impl Ceiling {
    fn rate(&self) -> f64 {
        self.stats.giga_per_s(self.work)
    }
}

struct Ceilings {
    rows: Vec<Ceiling>,
    read_all: f64,
    copy_all: f64,
    triad_all: f64,
    fma_all: f64,
    numpy: Result<NumpyGemm, NumpyError>,
}

impl Ceilings {
    fn numpy_gflops(&self) -> Option<f64> {
        self.numpy.as_ref().ok().map(|g| 2.0 * (g.n as f64).powi(3) / median(&g.times) / 1e9)
    }
}

fn median(sorted: &[f64]) -> f64 {
    recon_benches::timing::quantile(sorted, 0.5)
}

/// Runs `f` inside `pool`, or on the calling thread (default pool) for `None`.
fn in_pool<R: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

fn measure_ceilings(cfg: &Config) -> Ceilings {
    let threads = rayon::current_num_threads();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread rayon pool");
    let mut rows = Vec::new();

    // Memory: arrays of 1e8 bytes, far beyond the caches.
    const LEN: usize = 25_000_000;
    let b = values(LEN, 1);
    let c = values(LEN, 2);
    let mut a = vec![0.0f32; LEN];
    let copy_bytes = 2.0 * 4.0 * LEN as f64;
    let triad_bytes = 3.0 * 4.0 * LEN as f64;
    let arr = "3 arrays of 1e8 B (25e6 f32)";
    for (t, pool) in [(1, Some(&one)), (threads, None)] {
        let s = in_pool(pool, || bench(cfg, || ceilings::read(&b)));
        rows.push(Ceiling {
            name: "read (sum)".into(),
            threads: t,
            stats: s,
            work: 4.0 * LEN as f64,
            unit: "GB/s",
            note: "sum of 1e8 B; 4 B/elem counted".into(),
        });
        let s = in_pool(pool, || bench(cfg, || ceilings::copy(&mut a, &b)));
        rows.push(Ceiling {
            name: "STREAM copy".into(),
            threads: t,
            stats: s,
            work: copy_bytes,
            unit: "GB/s",
            note: format!("{arr}; 8 B/elem counted"),
        });
        let s = in_pool(pool, || bench(cfg, || ceilings::triad(&mut a, &b, &c, 3.0)));
        rows.push(Ceiling {
            name: "STREAM triad".into(),
            threads: t,
            stats: s,
            work: triad_bytes,
            unit: "GB/s",
            note: "12 B/elem counted".into(),
        });
        let s = in_pool(pool, || bench(cfg, || ceilings::copy_fresh(&b)));
        rows.push(Ceiling {
            name: "copy into fresh buffer".into(),
            threads: t,
            stats: s,
            work: copy_bytes,
            unit: "GB/s",
            note: "a new calloc'd output each call (page faults included): what an op would pay without recon's buffer pool".into(),
        });
    }
    black_box(&a);
    drop((a, b, c));

    // Arithmetic: independent FMA chains, calibrated to ~10 ms per call.
    let iters = 5_000_000u64;
    let flops = ceilings::fma_flops_per_iter() * iters as f64;
    let s = bench(cfg, || ceilings::fma_loop(black_box(iters)));
    rows.push(Ceiling { name: "FMA peak".into(), threads: 1, stats: s, work: flops, unit: "GFLOP/s", note: ceilings::fma_kind().into() });
    let s = bench(cfg, || ceilings::on_threads(threads, || ceilings::fma_loop(black_box(iters))));
    rows.push(Ceiling {
        name: "FMA peak".into(),
        threads,
        stats: s,
        work: flops * threads as f64,
        unit: "GFLOP/s",
        note: format!("{threads} OS threads, one loop each"),
    });

    // numpy's GEMM, 1024^3 float32, in a subprocess; retried like a `bench`
    // row while other processes disturb it (the child's own CPU time is ours).
    let mut numpy = Err(NumpyError::Failed("not run".into()));
    let mut numpy_busy: Option<f64> = None;
    for attempt in 0..=cfg.retries {
        if attempt > 0 {
            let left = retry_budget().saturating_sub(retry_waited());
            if numpy_busy.is_none_or(|b| b <= cfg.busy_limit) || left.is_zero() {
                break;
            }
            wait_for_quiet(cfg.busy_limit, cfg.retry_wait.min(left));
        }
        let probe = CpuProbe::now();
        let r = ceilings::numpy_gemm(1024, cfg.target.as_secs_f64().max(0.5));
        let busy = probe.and_then(|p| p.others_since());
        if r.is_err() {
            numpy = r;
            break;
        }
        if attempt == 0 || busy.unwrap_or(0.0) < numpy_busy.unwrap_or(f64::INFINITY) {
            (numpy, numpy_busy) = (r, busy);
        }
    }
    if let Ok(g) = &numpy {
        let st = Stats {
            median: median(&g.times),
            min: g.times[0],
            max: g.times[g.times.len() - 1],
            q1: recon_benches::timing::quantile(&g.times, 0.25),
            q3: recon_benches::timing::quantile(&g.times, 0.75),
            samples: g.times.len(),
            iters: 1,
            total: g.times.iter().sum(),
            others_busy: numpy_busy,
            cpu_wait: None,
        };
        let mut note = format!("numpy {}; {}; runtime: {}", g.numpy, g.blas, g.runtime);
        if !g.env_removed.is_empty() {
            note += &format!("; removed from its env: {}", g.env_removed.join(", "));
        }
        rows.push(Ceiling {
            name: "numpy matmul 1024^3 f32".into(),
            threads: 0,
            stats: st,
            work: 2.0 * 1024f64.powi(3),
            unit: "GFLOP/s",
            note,
        });
    }

    let find = |name: &str, t: usize| rows.iter().find(|r| r.name == name && r.threads == t).map_or(f64::NAN, Ceiling::rate);
    Ceilings {
        read_all: find("read (sum)", threads),
        copy_all: find("STREAM copy", threads),
        triad_all: find("STREAM triad", threads),
        fma_all: find("FMA peak", threads),
        rows,
        numpy,
    }
}

// ---- kernels ---------------------------------------------------------------------

/// How a memory-bound kernel touches memory.
#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    /// Reads its input, writes (almost) nothing: a reduction.
    Read,
    /// Reads one array, writes one: a unary op.
    Copy,
    /// Reads two arrays, writes one: a binary op.
    Triad,
}

/// The ceiling a kernel is compared with.
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    /// Small: fits in cache or is dominated by overheads; no share printed.
    None,
    /// Memory-bound: GB/s against the bandwidth of the loop with the same
    /// access pattern.
    Memory(Pattern),
    /// Compute-bound: GFLOP/s against numpy's GEMM (and the FMA peak).
    Compute,
}

struct Row {
    group: &'static str,
    name: String,
    shape: String,
    stats: Stats,
    flops: Option<f64>,
    bytes: Option<f64>,
    bound: Bound,
}

impl Row {
    fn gflops(&self) -> Option<f64> {
        self.flops.map(|f| self.stats.giga_per_s(f))
    }
    fn gbps(&self) -> Option<f64> {
        self.bytes.map(|b| self.stats.giga_per_s(b))
    }
    /// `(ceiling name, share)` pairs.
    fn shares(&self, c: &Ceilings) -> Vec<(&'static str, f64)> {
        match self.bound {
            Bound::None => vec![],
            Bound::Memory(p) => {
                let g = self.gbps().unwrap_or(f64::NAN);
                match p {
                    Pattern::Read => vec![("read", g / c.read_all)],
                    Pattern::Copy => vec![("copy", g / c.copy_all)],
                    Pattern::Triad => vec![("triad", g / c.triad_all)],
                }
            }
            Bound::Compute => {
                let g = self.gflops().unwrap_or(f64::NAN);
                let mut v = Vec::new();
                if let Some(n) = c.numpy_gflops() {
                    v.push(("numpy GEMM", g / n));
                }
                v.push(("FMA peak", g / c.fma_all));
                v
            }
        }
    }
}

fn measure_kernels(cfg: &Config) -> Vec<Row> {
    let cpu = Cpu32::new();
    let mut rows = Vec::new();
    let mut push = |group, name: &str, shape: String, stats, flops, bytes, bound| {
        let r = Row { group, name: name.into(), shape, stats, flops, bytes, bound };
        eprintln!("  {:<22} {:<22} {:>10}", r.name, r.shape, fmt_time(r.stats.median));
        rows.push(r);
    };

    // Matrix products.
    for (m, k, n) in [(32, 29, 12), (256, 256, 256), (1024, 1024, 1024)] {
        let a = tensor(&cpu, &[m, k], 10);
        let b = tensor(&cpu, &[k, n], 11);
        let s = bench(cfg, || a.matmul(&b).unwrap());
        let bound = if m >= 256 { Bound::Compute } else { Bound::None };
        push(
            "matmul",
            "matmul",
            format!("{m}x{k}x{n}"),
            s,
            Some(2.0 * (m * k * n) as f64),
            Some(4.0 * (m * k + k * n + m * n) as f64),
            bound,
        );
    }

    // Elementwise and reductions at 1e3 and 1e7 elements.
    for (n, rc) in [(1_000usize, [25usize, 40usize]), (10_000_000, [2_500, 4_000])] {
        let big = |p| if n >= 1_000_000 { Bound::Memory(p) } else { Bound::None };
        let x = tensor(&cpu, &[n], 20);
        let y = tensor(&cpu, &[n], 21);
        let nb = 4.0 * n as f64;
        let s = bench(cfg, || x.add(&y).unwrap());
        push("elementwise", "add", shape_str(&[n]), s, Some(n as f64), Some(3.0 * nb), big(Pattern::Triad));
        let s = bench(cfg, || x.relu().unwrap());
        push("elementwise", "relu", shape_str(&[n]), s, Some(n as f64), Some(2.0 * nb), big(Pattern::Copy));
        let s = bench(cfg, || x.sum_all().unwrap());
        push("reduction", "sum_all", shape_str(&[n]), s, Some(n as f64), Some(nb + 4.0), big(Pattern::Read));
        let x2 = x.reshape(&rc).unwrap();
        for axis in [0, 1] {
            let s = bench(cfg, || x2.sum_axis(axis, false).unwrap());
            let out = rc[1 - axis] as f64;
            push("reduction", &format!("sum_axis({axis})"), shape_str(&rc), s, Some(n as f64), Some(nb + 4.0 * out), big(Pattern::Read));
        }
    }

    // conv2d at MNIST shapes, forward and the backward autograd will compose.
    let x = tensor(&cpu, &[32, 1, 28, 28], 30);
    let w = tensor(&cpu, &[16, 1, 3, 3], 31);
    let g = x.conv2d_window(&w, 1, Padding::Same).unwrap();
    let dy = tensor(&cpu, &[32, 16, g.out_len()], 32);
    let fwd_flops = 2.0 * (g.batch * 16 * g.patch_len() * g.out_len()) as f64;
    // Compulsory traffic: forward reads x and w and writes y; backward reads
    // x, w and dy and writes dW and dx.
    let fwd_bytes = 4.0 * (x.numel() + w.numel() + dy.numel()) as f64;
    let bwd_bytes = 4.0 * (2 * x.numel() + 2 * w.numel() + dy.numel()) as f64;
    let conv_shape = "x [32,1,28,28], w [16,1,3,3]".to_string();
    let s = bench(cfg, || x.conv2d(&w, 1, Padding::Same).unwrap());
    push("conv2d", "conv2d forward", conv_shape.clone(), s, Some(fwd_flops), Some(fwd_bytes), Bound::Compute);
    let backward = || {
        let g = x.conv2d_window(&w, 1, Padding::Same).unwrap();
        let cols = x.im2col(&g).unwrap();
        let dw = dy.matmul_t(&cols, false, true).unwrap().sum_axis(0, false).unwrap();
        let dcols = w.reshape(&[16, 9]).unwrap().matmul_t(&dy, true, false).unwrap();
        let dx = dcols.col2im(&g).unwrap();
        (dw, dx)
    };
    let s = bench(cfg, backward);
    push("conv2d", "conv2d backward", conv_shape, s, Some(2.0 * fwd_flops), Some(bwd_bytes), Bound::Compute);
    // The pieces of the backward pass.
    let cols = x.im2col(&g).unwrap();
    let dwb = dy.matmul_t(&cols, false, true).unwrap();
    let dcols = w.reshape(&[16, 9]).unwrap().matmul_t(&dy, true, false).unwrap();
    let s = bench(cfg, || x.im2col(&g).unwrap());
    push(
        "conv2d backward parts",
        "  im2col",
        shape_str(&[32, 9, 784]),
        s,
        None,
        Some(4.0 * (x.numel() + cols.numel()) as f64),
        Bound::None,
    );
    let s = bench(cfg, || dy.matmul_t(&cols, false, true).unwrap());
    push(
        "conv2d backward parts",
        "  dW = dy cols^T",
        "32 x (16x784x9)".into(),
        s,
        Some(fwd_flops),
        Some(4.0 * (dy.numel() + cols.numel() + dwb.numel()) as f64),
        Bound::None,
    );
    let s = bench(cfg, || dwb.sum_axis(0, false).unwrap());
    push(
        "conv2d backward parts",
        "  dW sum over batch",
        shape_str(&[32, 16, 9]),
        s,
        None,
        Some(4.0 * (dwb.numel() + 144) as f64),
        Bound::None,
    );
    let s = bench(cfg, || w.reshape(&[16, 9]).unwrap().matmul_t(&dy, true, false).unwrap());
    push(
        "conv2d backward parts",
        "  dcols = W^T dy",
        "32 x (9x16x784)".into(),
        s,
        Some(fwd_flops),
        Some(4.0 * (144 + dy.numel() + dcols.numel()) as f64),
        Bound::None,
    );
    let s = bench(cfg, || dcols.col2im(&g).unwrap());
    push(
        "conv2d backward parts",
        "  col2im",
        shape_str(&[32, 9, 784]),
        s,
        None,
        Some(4.0 * (dcols.numel() + x.numel()) as f64),
        Bound::None,
    );
    rows
}

// ---- GEMM kernels side by side --------------------------------------------------

/// One product timed with both CPU GEMM kernels (`f32`, the calling thread).
struct GemmRow {
    what: String,
    spec: Matmul,
    /// Median time per call of `Kernel::Small` and `Kernel::Packed`.
    small: f64,
    packed: f64,
}

fn product(m: usize, k: usize, n: usize, trans_a: bool, trans_b: bool) -> Matmul {
    Matmul { batch: 1, m, k, n, trans_a, trans_b, a_batch_stride: 0, b_batch_stride: 0 }
}

/// The products of one dense training step at batch 32, per model: a dense
/// layer `in -> out` computes `y = x W^T` (`W` stored `out x in`), and its
/// backward `dx = dy W` (not for the first layer) and `dW = dy^T x`. Then
/// cubes around the size threshold.
fn gemm_products() -> Vec<(String, Matmul)> {
    const B: usize = 32;
    let mut v: Vec<(String, Matmul)> = Vec::new();
    for (model, widths) in [("ae 29-12-29", &[29, 12, 29][..]), ("vae 29-64-12-64-29", &[29, 64, 12, 64, 29][..])] {
        for (l, w) in widths.windows(2).enumerate() {
            let (i, o) = (w[0], w[1]);
            let mut layer = vec![("y = x W^T", product(B, i, o, false, true)), ("dW = dy^T x", product(o, B, i, true, false))];
            if l > 0 {
                layer.push(("dx = dy W", product(B, o, i, false, false)));
            }
            for (what, spec) in layer {
                if !v.iter().any(|(_, s)| *s == spec) {
                    v.push((format!("{model}: {what}"), spec));
                }
            }
        }
    }
    for d in [32, 48, 64, 80, 96, 128] {
        v.push((format!("cube {d}"), product(d, d, d, false, false)));
    }
    v.push(("cube 64, B transposed".into(), product(64, 64, 64, false, true)));
    v
}

/// Times both kernels on each product, alternating them `ROUNDS` times so
/// that a burst of load elsewhere hits both; keeps the median per kernel.
fn measure_gemm_kernels(cfg: &Config) -> Vec<GemmRow> {
    const ROUNDS: usize = 5;
    let cfg = Config { target: cfg.target / ROUNDS as u32, ..*cfg };
    gemm_products()
        .into_iter()
        .map(|(what, spec)| {
            let a = values(spec.m * spec.k, 40);
            let b = values(spec.k * spec.n, 41);
            let mut c = vec![0.0f32; spec.m * spec.n];
            let mut time = |kernel| bench_once(&cfg, || gemm(kernel, &spec, &a, &b, black_box(&mut c))).median;
            let (mut small, mut packed) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                small.push(time(Kernel::Small));
                packed.push(time(Kernel::Packed));
            }
            small.sort_by(f64::total_cmp);
            packed.sort_by(f64::total_cmp);
            let row = GemmRow { what, spec, small: median(&small), packed: median(&packed) };
            eprintln!("  {:<40} {:>10} {:>10}", row.what, fmt_time(row.small), fmt_time(row.packed));
            row
        })
        .collect()
}

fn gemm_table(rows: &[GemmRow]) -> Table {
    let mut t = Table::new(&["Product", "m x k x n", "op", "small", "matrixmultiply", "matrixmultiply / small", "matmul uses"], 1);
    for r in rows {
        let s = &r.spec;
        let op = format!("{}{}", if s.trans_a { "T" } else { "N" }, if s.trans_b { "T" } else { "N" });
        t.row(vec![
            r.what.clone(),
            format!("{}x{}x{}", s.m, s.k, s.n),
            op,
            format!("{:.0} ns", 1e9 * r.small),
            format!("{:.0} ns", 1e9 * r.packed),
            format!("{:.2}", r.packed / r.small),
            format!("{:?}", Kernel::for_size(s.m, s.k, s.n)).to_lowercase(),
        ]);
    }
    t
}

const GEMM_NOTE: &str = "Both kernels on the calling thread, `f32`, each product's operands reused (they fit in L1/L2). \
    Per call: the median over 5 alternating rounds of each kernel's median. `small` is `cpu::small_gemm` \
    (no packing, no allocation); `matrixmultiply` packs both operands into a buffer it allocates per call. \
    op: N or T for each operand as stored. `matmul uses`: the kernel `Kernel::for_size` picks.";

// ---- output ----------------------------------------------------------------------

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), sig3)
}

fn main() {
    let cfg = Config::default();
    if std::env::args().any(|a| a == "--gemm") {
        eprintln!("measuring GEMM kernels side by side...");
        let rows = measure_gemm_kernels(&cfg);
        println!("{}\n{GEMM_NOTE}", gemm_table(&rows));
        return;
    }
    let machine = Machine::detect();
    let quiet = wait_for_quiet(cfg.busy_limit, start_wait());
    let run_probe = CpuProbe::now();
    eprintln!("measuring ceilings...");
    let ceil = measure_ceilings(&cfg);
    eprintln!("measuring kernels...");
    let rows = measure_kernels(&cfg);
    eprintln!("measuring GEMM kernels side by side...");
    let gemm_rows = measure_gemm_kernels(&cfg);
    let run_busy = run_probe.and_then(|p| p.others_since());
    let mark = |s: &Stats| if s.disturbed(&cfg) { " *" } else { "" };

    let mut ct = Table::new(&["Ceiling", "Threads", "Median", "Min", "Max", "Rate", "Notes"], 1);
    for c in &ceil.rows {
        let threads = if c.threads == 0 { "BLAS".to_string() } else { c.threads.to_string() };
        ct.row(vec![
            c.name.clone(),
            threads,
            format!("{}{}", fmt_time(c.stats.median), mark(&c.stats)),
            fmt_time(c.stats.min),
            fmt_time(c.stats.max),
            format!("{} {}", sig3(c.rate()), c.unit),
            c.note.clone(),
        ]);
    }
    let numpy_note = match &ceil.numpy {
        Ok(_) => String::new(),
        Err(NumpyError::NotInstalled) => {
            "\n**numpy not installed: pip install numpy** (the numpy GEMM ceiling and the shares against it are skipped)\n".to_string()
        }
        Err(NumpyError::Failed(e)) => format!("\n**numpy GEMM not measured**: {e}\n"),
    };
    if !numpy_note.is_empty() {
        eprintln!("{}", numpy_note.trim());
    }

    let mut kt = Table::new(&["Kernel", "Shape", "Median", "Min", "Max", "IQR", "GFLOP/s", "GB/s", "Share of ceiling"], 2);
    for r in &rows {
        let share = r.shares(&ceil).iter().map(|(n, s)| format!("{} of {n}", pct(*s))).collect::<Vec<_>>().join(", ");
        kt.row(vec![
            r.name.clone(),
            r.shape.clone(),
            format!("{}{}", fmt_time(r.stats.median), mark(&r.stats)),
            fmt_time(r.stats.min),
            fmt_time(r.stats.max),
            format!("{:.1}%", r.stats.iqr_pct()),
            opt(r.gflops()),
            opt(r.gbps()),
            if share.is_empty() { "-".into() } else { share },
        ]);
    }

    let md = format!(
        "# Recon CPU kernels (`Cpu<f32>`) and this machine's ceilings\n\n\
         {machine}\n\
         Command: `cargo run --release -p recon-benches --bin ops`. Times are per call: the median over \
         samples (each sample a batch of back-to-back calls lasting >= {sm:?}), min/max over samples, IQR \
         relative to the median; >= {target:?} and >= {mins} samples per row after warm-up. \
         {load}\n\n\
         ## Ceilings\n\n{ct}{numpy_note}\n\
         ## Kernels (default rayon pool, {threads} threads)\n\n{kt}\n\
         GB/s counts bytes read + written once (STREAM's convention, no write-allocate); for matmul and conv2d it \
         is the compulsory traffic (each operand read once, the result written once). GFLOP/s = 2mkn / t for \
         matmul; for conv2d, forward = 2 N OC C kh kw OH OW and backward = twice that (the im2col, sum and col2im \
         time is included, their flops are not); elementwise ops and sums count one flop per element (for the \
         roofline). Shares (large kernels only): memory-bound rows against the all-thread \
         ceiling with the same access pattern (reductions: read; relu: copy; add: triad); compute-bound rows against \
         numpy's 1024^3 GEMM and the all-core FMA peak. Outputs come from recon's per-thread buffer pool, so after \
         the warm-up a large op reuses memory instead of faulting in fresh pages (compare the fresh-buffer copy).\n\n\
         ## GEMM kernels side by side\n\n{gt}\n{GEMM_NOTE}\n",
        gt = gemm_table(&gemm_rows),
        machine = machine.markdown(),
        sm = cfg.sample_min,
        target = cfg.target,
        mins = cfg.min_samples,
        threads = machine.rayon_threads,
        load = load_note(&cfg, quiet, run_busy, rows.iter().map(|r| &r.stats).chain(ceil.rows.iter().map(|c| &c.stats))),
    );
    println!("{md}");
    write_result("cpu-ops.md", &md);

    let json = Json::obj(vec![
        ("benchmark", Json::str("ops")),
        ("machine", machine.json()),
        (
            "config",
            Json::obj(vec![
                ("target_s", Json::num(cfg.target.as_secs_f64())),
                ("min_samples", Json::num(cfg.min_samples as f64)),
                ("sample_min_s", Json::num(cfg.sample_min.as_secs_f64())),
            ]),
        ),
        (
            "ceilings",
            Json::Arr(
                ceil.rows
                    .iter()
                    .map(|c| {
                        Json::obj(vec![
                            ("name", Json::str(&c.name)),
                            ("threads", if c.threads == 0 { Json::str("blas") } else { Json::num(c.threads as f64) }),
                            ("stats", stats_json(&c.stats)),
                            ("work_per_call", Json::num(c.work)),
                            ("rate", Json::num(c.rate())),
                            ("unit", Json::str(c.unit)),
                            ("note", Json::str(&c.note)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "numpy",
            match &ceil.numpy {
                Ok(g) => Json::obj(vec![
                    ("numpy", Json::str(&g.numpy)),
                    ("blas", Json::str(&g.blas)),
                    ("runtime", Json::str(&g.runtime)),
                    ("env_removed", Json::Arr(g.env_removed.iter().map(Json::str).collect())),
                    ("gflops", Json::opt(ceil.numpy_gflops())),
                ]),
                Err(NumpyError::NotInstalled) => Json::obj(vec![("error", Json::str("numpy not installed: pip install numpy"))]),
                Err(NumpyError::Failed(e)) => Json::obj(vec![("error", Json::str(e))]),
            },
        ),
        (
            "kernels",
            Json::Arr(
                rows.iter()
                    .map(|r| {
                        Json::obj(vec![
                            ("group", Json::str(r.group)),
                            ("name", Json::str(r.name.trim())),
                            ("shape", Json::str(&r.shape)),
                            ("stats", stats_json(&r.stats)),
                            ("flops_per_call", Json::opt(r.flops)),
                            ("bytes_per_call", Json::opt(r.bytes)),
                            ("gflops", Json::opt(r.gflops())),
                            ("gbps", Json::opt(r.gbps())),
                            ("shares", Json::Obj(r.shares(&ceil).into_iter().map(|(n, s)| (n.to_string(), Json::num(s))).collect())),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "gemm_kernels",
            Json::Arr(
                gemm_rows
                    .iter()
                    .map(|r| {
                        let s = &r.spec;
                        Json::obj(vec![
                            ("product", Json::str(&r.what)),
                            ("m", Json::num(s.m as f64)),
                            ("k", Json::num(s.k as f64)),
                            ("n", Json::num(s.n as f64)),
                            ("trans_a", Json::Bool(s.trans_a)),
                            ("trans_b", Json::Bool(s.trans_b)),
                            ("small_s", Json::num(r.small)),
                            ("matrixmultiply_s", Json::num(r.packed)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    write_result("cpu-ops.json", &format!("{json}\n"));
}
