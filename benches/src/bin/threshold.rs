//! The sweep behind `recon_tensor::cpu::parallel::PAR_MIN_ELEMS`: below how
//! many elements should an elementwise op or a sum stay on the calling thread?
//!
//! `cargo run --release -p recon-benches --bin threshold`
//!
//! For `relu` (a map), `add` (a zip) and `sum_all` (a chunked fold) at
//! 2^8 ... 2^22 elements (and 384, a 32 x 12 batch) it times:
//!
//! - **1 thread**: the library op inside a one-thread rayon pool;
//! - **library**: the library op from the main thread with the default pool
//!   (serial below `PAR_MIN_ELEMS`, parallel above);
//! - **par CHUNK**: the same kernel always run in parallel, in the library's
//!   `CHUNK`-element pieces (what the library would do without a threshold);
//! - **par split**: always parallel, one piece per pool thread (the best a
//!   parallel map can do at small sizes; not usable for the sums, whose
//!   pieces must not depend on the thread count).
//!
//! The crossover is the smallest size from which an always-parallel variant
//! beats one thread at every larger size (one exception allowed, for noise). Writes `benches/results/threshold.md`
//! and `.json`.

use std::time::Duration;

use rayon::prelude::*;
use recon_benches::ceilings::lane_sum;
use recon_benches::report::{stats_json, write_result, Json, Machine, Table};
use recon_benches::timing::{bench, fmt_time, load_note, start_wait, wait_for_quiet, Config, CpuProbe, Stats};
use recon_tensor::cpu::buffer::Buffer;
use recon_tensor::cpu::parallel::{CHUNK, PAR_MIN_ELEMS};
use recon_tensor::{Cpu32, Tensor};

type T = Tensor<Cpu32>;

const OPS: [&str; 3] = ["relu", "add", "sum_all"];
const VARIANTS: [&str; 4] = ["1 thread", "library", "par CHUNK", "par split"];

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

// Always-parallel copies of the library's kernels (`cpu/parallel.rs` and
// `cpu/reduce.rs`), with the piece size as a parameter. Outputs come from the
// library's buffer pool (`Buffer::for_overwrite`, as `parallel::map` does),
// so large sizes pay the same allocation cost as the library op.

fn relu(v: f32) -> f32 {
    if v > 0.0 {
        v
    } else {
        0.0
    }
}

fn par_relu(x: &[f32], piece: usize) -> Buffer<f32> {
    let mut out = Buffer::for_overwrite(x.len());
    out.par_chunks_mut(piece).zip(x.par_chunks(piece)).for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &v)| *o = relu(v)));
    out
}

fn par_add(a: &[f32], b: &[f32], piece: usize) -> Buffer<f32> {
    let mut out = Buffer::for_overwrite(a.len());
    out.par_chunks_mut(piece).zip(a.par_chunks(piece).zip(b.par_chunks(piece))).for_each(|(o, (a, b))| {
        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
            *o = a + b;
        }
    });
    out
}

fn par_sum(x: &[f32], piece: usize) -> Buffer<f32> {
    let partials: Vec<f32> = x.par_chunks(piece).map(lane_sum).collect();
    Buffer::filled(1, partials.into_iter().fold(0.0, |a, b| a + b))
}

/// Rounds per size: the variants are timed in turn this many times (each
/// round with a third of the time budget) and each keeps its median round, so
/// a slow spell of the machine does not land on one variant only.
const ROUNDS: usize = 3;

/// The round whose median is the median of the rounds.
fn median_round(mut rounds: Vec<Stats>) -> Stats {
    rounds.sort_by(|a, b| a.median.total_cmp(&b.median));
    rounds.swap_remove(rounds.len() / 2)
}

/// Times one op at one size in all variants: `[1 thread, library, par CHUNK, par split]`.
fn measure(cfg: &Config, one: &rayon::ThreadPool, op: &str, x: &T, y: &T) -> [Stats; 4] {
    let (xs, ys): (&[f32], &[f32]) = (x.storage(), y.storage());
    let n = x.numel();
    let split = n.div_ceil(rayon::current_num_threads()).max(1);
    let lib = |x: &T, y: &T| match op {
        "relu" => x.relu().unwrap(),
        "add" => x.add(y).unwrap(),
        _ => x.sum_all().unwrap(),
    };
    let forced = |piece: usize| match op {
        "relu" => par_relu(xs, piece),
        "add" => par_add(xs, ys, piece),
        _ => par_sum(xs, piece),
    };
    let cfg = &Config { target: cfg.target / ROUNDS as u32, ..*cfg };
    let mut rounds: [Vec<Stats>; 4] = Default::default();
    for _ in 0..ROUNDS {
        rounds[0].push(one.install(|| bench(cfg, || lib(x, y))));
        rounds[1].push(bench(cfg, || lib(x, y)));
        rounds[2].push(bench(cfg, || forced(CHUNK)));
        rounds[3].push(bench(cfg, || forced(split)));
    }
    rounds.map(median_round)
}

/// Smallest size at which `variant` beats one thread and keeps beating it at
/// every larger size but at most one (one noisy size does not move it).
fn crossover(sizes: &[usize], res: &[[Stats; 4]], variant: usize) -> Option<usize> {
    let wins: Vec<bool> = res.iter().map(|r| r[variant].median < r[0].median).collect();
    (0..sizes.len()).find(|&i| wins[i] && wins[i..].iter().filter(|&&w| !w).count() <= 1).map(|i| sizes[i])
}

fn size_label(n: usize) -> String {
    if n.is_power_of_two() {
        format!("2^{} = {n}", n.trailing_zeros())
    } else if n == 384 {
        "384 (32x12 batch)".into()
    } else {
        n.to_string()
    }
}

fn pow2(n: Option<usize>) -> String {
    match n {
        Some(n) if n.is_power_of_two() => format!("2^{} ({n})", n.trailing_zeros()),
        Some(n) => n.to_string(),
        None => "never (in this range)".into(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = Config { target: Duration::from_millis(100), warmup: Duration::from_millis(20), ..Config::default() };
    let machine = Machine::detect();
    let threads = rayon::current_num_threads();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut sizes: Vec<usize> = (8..=22).map(|p| 1usize << p).collect();
    sizes.insert(1, 384);

    let quiet = wait_for_quiet(cfg.busy_limit, start_wait());
    let run_probe = CpuProbe::now();
    let cpu = Cpu32::new();
    let mut results: Vec<Vec<[Stats; 4]>> = vec![Vec::new(); OPS.len()];
    for &n in &sizes {
        let x = Tensor::from_vec(&cpu, values(n, 1), &[n])?;
        let y = Tensor::from_vec(&cpu, values(n, 2), &[n])?;
        for (oi, op) in OPS.iter().enumerate() {
            let r = measure(&cfg, &one, op, &x, &y);
            // Progress: time, and the CPUs other processes used meanwhile.
            let w = |s: &Stats| s.others_busy.map_or("?".into(), |w| format!("{w:.2}"));
            eprintln!(
                "{op:>8} {n:>8}: 1T {:>9} ({})  lib {:>9} ({})  chunk {:>9} ({})  split {:>9} ({})",
                fmt_time(r[0].median),
                w(&r[0]),
                fmt_time(r[1].median),
                w(&r[1]),
                fmt_time(r[2].median),
                w(&r[2]),
                fmt_time(r[3].median),
                w(&r[3])
            );
            results[oi].push(r);
        }
    }
    let run_busy = run_probe.and_then(|p| p.others_since());

    // ---- report -------------------------------------------------------------
    let mark = |s: &Stats| if s.disturbed(&cfg) { " *" } else { "" };
    let mut md = format!(
        "# Parallel threshold sweep (`PAR_MIN_ELEMS` = {PAR_MIN_ELEMS}, `CHUNK` = {CHUNK})\n\n{}\n\
         Command: `cargo run --release -p recon-benches --bin threshold`. Median time per call (ns/us/ms); the four \
         variants of a size are timed in turn, {ROUNDS} rounds of >= {:?} / {ROUNDS} and >= {} samples each, and \
         each variant keeps its median round. `1 thread`: the library op inside a one-thread rayon pool. `library`: the \
         same op from the main thread with the default pool ({threads} threads): serial below `PAR_MIN_ELEMS`, \
         parallel above. `par CHUNK`: always parallel in `CHUNK` pieces (the library without a threshold). \
         `par split`: always parallel, one piece per thread. Speed-up = `1 thread` / `library`.\n",
        machine.markdown(),
        cfg.target,
        cfg.min_samples
    );
    md += &load_note(&cfg, quiet, run_busy, results.iter().flatten().flatten());
    md += "\n";

    let mut summary = Table::new(
        &[
            "Op",
            "library at 384",
            "1 thread at 384",
            "par split at 384",
            "crossover par CHUNK",
            "crossover par split",
            "library / 1 thread at 2^15",
            "at 2^16",
            "at 2^17",
            "at 2^18",
            "at 2^22",
        ],
        1,
    );
    let idx = |n: usize| sizes.iter().position(|&s| s == n).unwrap();
    let mut crossings = Vec::new();
    for (oi, op) in OPS.iter().enumerate() {
        let res = &results[oi];
        let mut t = Table::new(&["Elements", "1 thread", "library", "speed-up", "par CHUNK", "par split", "library path"], 1);
        for (i, &n) in sizes.iter().enumerate() {
            let r = &res[i];
            t.row(vec![
                size_label(n),
                format!("{}{}", fmt_time(r[0].median), mark(&r[0])),
                format!("{}{}", fmt_time(r[1].median), mark(&r[1])),
                format!("{:.2}x", r[0].median / r[1].median),
                format!("{}{}", fmt_time(r[2].median), mark(&r[2])),
                format!("{}{}", fmt_time(r[3].median), mark(&r[3])),
                if n >= PAR_MIN_ELEMS { "parallel".into() } else { "serial".into() },
            ]);
        }
        md += &format!("\n## {op}\n\n{t}");
        println!("## {op}\n\n{t}");
        let (cc, cs) = (crossover(&sizes, res, 2), crossover(&sizes, res, 3));
        let r384 = &res[idx(384)];
        let ratio = |n: usize| format!("{:.2}", res[idx(n)][1].median / res[idx(n)][0].median);
        summary.row(vec![
            op.to_string(),
            fmt_time(r384[1].median),
            fmt_time(r384[0].median),
            fmt_time(r384[3].median),
            pow2(cc),
            pow2(cs),
            ratio(1 << 15),
            ratio(1 << 16),
            ratio(1 << 17),
            ratio(1 << 18),
            ratio(1 << 22),
        ]);
        crossings.push((op, cc, cs));
    }
    md += &format!(
        "\n## Summary\n\n{summary}\n\
         Crossover: the smallest size at which the always-parallel variant is faster than one thread and stays \
         faster at every larger size but at most one (so that one noisy size does not decide it). `library / 1 thread` < 1 means the threshold's parallel path pays off at that size; > 1 \
         means it costs. At 384 elements `library` runs on the calling thread, so it should match `1 thread`; so \
         does `par CHUNK` (below 2 CHUNK elements there is one piece, and rayon runs a single piece on the calling \
         thread), while `par split` there shows what waking the pool costs.\n"
    );
    let verdict: Vec<String> = crossings
        .iter()
        .map(|(op, cc, cs)| {
            let best = match (cc, cs) {
                (Some(a), Some(b)) => Some((*a).min(*b)),
                (a, b) => a.or(*b),
            };
            match best {
                Some(c) => format!("{op}: parallel wins from {} = {:.2}x PAR_MIN_ELEMS", pow2(Some(c)), c as f64 / PAR_MIN_ELEMS as f64),
                None => format!("{op}: parallel never wins in 2^8..2^22"),
            }
        })
        .collect();
    md += &format!("\nCrossovers against `PAR_MIN_ELEMS` = {PAR_MIN_ELEMS}: {}.\n", verdict.join("; "));
    println!("## Summary\n\n{summary}");
    println!("Crossovers against PAR_MIN_ELEMS = {PAR_MIN_ELEMS}: {}.", verdict.join("; "));
    write_result("threshold.md", &md);

    let ops_json = OPS
        .iter()
        .enumerate()
        .map(|(oi, op)| {
            let rows = sizes
                .iter()
                .zip(&results[oi])
                .map(|(&n, r)| {
                    let mut f = vec![("elements", Json::num(n as f64))];
                    f.extend(VARIANTS.iter().zip(r).map(|(v, s)| (*v, stats_json(s))));
                    Json::obj(f)
                })
                .collect();
            let (_, cc, cs) = crossings[oi];
            (
                op.to_string(),
                Json::obj(vec![
                    ("crossover_par_chunk", Json::opt(cc.map(|c| c as f64))),
                    ("crossover_par_split", Json::opt(cs.map(|c| c as f64))),
                    ("sizes", Json::Arr(rows)),
                ]),
            )
        })
        .collect();
    let json = Json::obj(vec![
        ("benchmark", Json::str("threshold")),
        ("machine", machine.json()),
        ("par_min_elems", Json::num(PAR_MIN_ELEMS as f64)),
        ("chunk", Json::num(CHUNK as f64)),
        ("variants", Json::Arr(VARIANTS.iter().map(|v| Json::str(*v)).collect())),
        ("others_busy_cpus_before", Json::opt(quiet)),
        ("others_busy_cpus_during", Json::opt(run_busy)),
        ("ops", Json::Obj(ops_json)),
    ]);
    write_result("threshold.json", &format!("{json}\n"));
    Ok(())
}
