//! GEMM variants side by side on the GPU (needs the `cuda` feature and a GPU).
//!
//! ```text
//! cargo run --release -p recon-cuda --features cuda --example gemm_bench -- \
//!     [--variants 1,2,3,4] [--shapes 4096x4096x4096,32x29x12,1024x784x16] \
//!     [--iters 20] [--ceiling GFLOPS]
//! ```
//!
//! Shapes are `MxKxN` (C is M x N, the sum runs over K; a `t` suffix on M or
//! N, e.g. `1024x784x16tn`, is not supported: every layout is timed). For
//! each shape, layout (nn, nt, tn, tt) and variant the product is first
//! checked against an f64 dot product at 64 sampled outputs, then timed with
//! CUDA events around `--iters` launches (after 3 warm-up launches); the
//! events sit on the backend's stream, so the time is the GPU's, not the
//! host's. Prints milliseconds and GFLOP/s (2 M N K flops per product), and
//! the share of `--ceiling` (e.g. cuBLAS's SGEMM rate measured with PyTorch,
//! TF32 off) when given. Inputs are not rotated: products of the training
//! shapes sit in L2 in a real step too, and 4096^3 is compute-bound.

use std::process::exit;

use recon_cuda::{CudaBackend, GemmVariant};
use recon_tensor::{Backend, Matmul};

struct Args {
    variants: Vec<GemmVariant>,
    shapes: Vec<(usize, usize, usize)>,
    iters: usize,
    ceiling: Option<f64>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        variants: GemmVariant::ALL.to_vec(),
        shapes: vec![(4096, 4096, 4096), (32, 29, 12), (1024, 784, 16), (1024, 16, 784), (32, 784, 128)],
        iters: 20,
        ceiling: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--variants" => {
                a.variants = val
                    .split(',')
                    .map(|v| v.parse().ok().and_then(GemmVariant::from_number).ok_or(format!("no GEMM variant {v}")))
                    .collect::<Result<_, _>>()?
            }
            "--shapes" => {
                a.shapes = val
                    .split(',')
                    .map(|s| {
                        let d: Vec<usize> = s.split('x').filter_map(|x| x.parse().ok()).collect();
                        match d.as_slice() {
                            [m, k, n] => Ok((*m, *k, *n)),
                            _ => Err(format!("shape {s} is not MxKxN")),
                        }
                    })
                    .collect::<Result<_, _>>()?
            }
            "--iters" => a.iters = val.parse().map_err(|_| format!("--iters {val}"))?,
            "--ceiling" => a.ceiling = Some(val.parse().map_err(|_| format!("--ceiling {val}"))?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

/// Deterministic values in [-1, 1).
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Checks 64 sampled outputs of `c` against f64 dot products.
fn check(a: &[f32], b: &[f32], c: &[f32], spec: &Matmul) -> Result<(), String> {
    let (m, k, n) = (spec.m, spec.k, spec.n);
    let at = |i: usize, p: usize| if spec.trans_a { a[p * m + i] } else { a[i * k + p] } as f64;
    let bt = |p: usize, j: usize| if spec.trans_b { b[j * k + p] } else { b[p * n + j] } as f64;
    for s in 0..64usize {
        let (i, j) = ((s * 7919) % m, (s * 104_729) % n);
        let (mut want, mut mag) = (0.0, 0.0);
        for p in 0..k {
            want += at(i, p) * bt(p, j);
            mag += (at(i, p) * bt(p, j)).abs();
        }
        let got = c[i * n + j] as f64;
        if !got.is_finite() || (got - want).abs() > 1e-5 * mag + 1e-6 {
            return Err(format!("C[{i}][{j}] = {got}, expected {want}"));
        }
    }
    Ok(())
}

fn main() {
    let args = parse().unwrap_or_else(|e| {
        eprintln!("gemm_bench: {e}");
        exit(2)
    });
    let gpu = CudaBackend::new(0).unwrap_or_else(|e| {
        eprintln!("gemm_bench: {e}");
        exit(1)
    });
    if let Err(e) = run(&gpu, &args) {
        eprintln!("gemm_bench: {e}");
        exit(1);
    }
}

fn run(gpu: &CudaBackend, args: &Args) -> Result<(), String> {
    gpu.preload().map_err(|e| e.to_string())?;
    println!("# {gpu:?}");
    println!("{:>18} {:>6} {:>12} {:>10} {:>10} {:>8}", "MxKxN", "layout", "variant", "ms", "GFLOP/s", "ceiling");
    for &(m, k, n) in &args.shapes {
        let (ha, hb) = (values(m * k, 1), values(k * n, 2));
        let (da, db) = (gpu.upload(ha.clone()).map_err(|e| e.to_string())?, gpu.upload(hb.clone()).map_err(|e| e.to_string())?);
        for (trans_a, trans_b) in [(false, false), (false, true), (true, false), (true, true)] {
            let spec = Matmul { batch: 1, m, k, n, trans_a, trans_b, a_batch_stride: m * k, b_batch_stride: k * n };
            let layout = format!("{}{}", if trans_a { 't' } else { 'n' }, if trans_b { 't' } else { 'n' });
            for &v in &args.variants {
                if !v.fits(&spec) {
                    continue;
                }
                let c = gpu.matmul_with(v, &da, &db, &spec).map_err(|e| e.to_string())?;
                let hc = gpu.to_vec(&c).map_err(|e| e.to_string())?;
                check(&ha, &hb, &hc, &spec).map_err(|e| format!("{m}x{k}x{n} {layout} variant {}: {e}", v.number()))?;
                for _ in 0..3 {
                    gpu.matmul_with(v, &da, &db, &spec).map_err(|e| e.to_string())?;
                }
                let ms = gpu.time_ms(args.iters, || gpu.matmul_with(v, &da, &db, &spec).map(drop)).map_err(|e| e.to_string())?;
                let gflops = spec.flops() / (ms * 1e-3) / 1e9;
                let share = args.ceiling.map_or(String::new(), |c| format!("{:.0}%", 100.0 * gflops / c));
                println!(
                    "{:>18} {:>6} {:>12} {:>10.4} {:>10.1} {:>8}",
                    format!("{m}x{k}x{n}"),
                    layout,
                    format!("{} {}", v.number(), v.name()),
                    ms,
                    gflops,
                    share
                );
            }
        }
    }
    Ok(())
}
