//! The GPU half of the suite: Recon's CUDA backend against the GPU's
//! ceilings and against PyTorch on the same GPU.
//!
//! Run: `cargo run --release -p recon-benches --features cuda --bin gpu`
//! (`cargo xtask bench` does). Writes `benches/results/gpu.md` and `gpu.json`.
//!
//! Where there is no GPU (no driver, no device, or a build without the
//! `cuda` feature) it writes only why, and exits with 0: the report then
//! says that the GPU half is empty and why, and the CPU half stands alone.
//!
//! With a GPU, every time is the GPU's, taken with CUDA events on the
//! backend's stream around 20 calls after 3 warm-up calls (training steps:
//! the wall time of a whole epoch after a warm-up epoch, synchronised at
//! both ends, divided by its steps: a step's launches are part of its cost):
//! - ceilings: a device-to-device copy of 256 MiB (`cuMemcpyDtoD`; bytes
//!   read + written per second), and, from `torch/gpu.py`, PyTorch's copy
//!   and cuBLAS's SGEMM at 4096^3 with TF32 off;
//! - GEMM: every variant (`recon_cuda::GemmVariant`) and layout at 4096^3
//!   and at training shapes, in GFLOP/s and as a share of cuBLAS. Target:
//!   the best variant at 90% of cuBLAS at 4096^3;
//! - element-wise and reduction kernels on 2^26 values, in GB/s and as a
//!   share of the copy. Target: 85%;
//! - a training step of `vae` and `conv-ae` at batch 32 and 1024, next to
//!   PyTorch eager on the same GPU. Target: 3x faster at batch 32.
//!
//! This binary was written on a machine without a GPU: only its no-GPU path
//! has run. The first session with a GPU runs it and commits the results.

use recon_benches::report::{write_result, Json, Machine};

fn main() {
    let machine = Machine::detect();
    match gpu::run(&machine) {
        Ok(()) => {}
        Err(why) => {
            let md = format!(
                "# The GPU half: not measured\n\n{}\n**No GPU half in this run**: {why}. It fills in when `cargo xtask bench` \
                 runs on a machine with an NVIDIA GPU and its driver (`cargo run --release -p recon-benches --features cuda \
                 --bin gpu`).\n",
                machine.markdown()
            );
            print!("{md}");
            write_result("gpu.md", &md);
            write_result("gpu.json", &Json::obj(vec![("machine", machine.json()), ("skipped", Json::str(why))]).to_string());
        }
    }
}

#[cfg(not(feature = "cuda"))]
mod gpu {
    use recon_benches::report::Machine;

    /// Without the `cuda` feature there is nothing to run.
    pub fn run(_: &Machine) -> Result<(), String> {
        Err("this build has no CUDA backend (build with `--features cuda`)".into())
    }
}

#[cfg(feature = "cuda")]
mod gpu {
    use std::time::Instant;

    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use recon_benches::report::{write_result, Json, Machine, Table};
    use recon_benches::{mnist_images, table, torch, MNIST};
    use recon_cuda::{CudaBackend, GemmVariant};
    use recon_nn::train::{fit, FitConfig, Silent};
    use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
    use recon_tensor::{Backend, Cpu32, Matmul, Tensor};

    const ITERS: usize = 20;
    /// Values in the element-wise and reduction rows (256 MiB of `f32`).
    const N: usize = 1 << 26;

    fn err(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    /// Mean milliseconds per call of `f` over `ITERS` calls after 3 warm-up
    /// calls, by CUDA events (`CudaBackend::time_ms`).
    fn time_ms(gpu: &CudaBackend, mut f: impl FnMut() -> recon_tensor::Result<()>) -> Result<f64, String> {
        for _ in 0..3 {
            f().map_err(err)?;
        }
        gpu.time_ms(ITERS, f).map_err(err)
    }

    /// `len` values in [-1, 1), seeded.
    fn values(len: usize, seed: u64) -> Vec<f32> {
        Tensor::rand_uniform(&Cpu32::new(), &[len], -1.0, 1.0, &mut StdRng::seed_from_u64(seed)).and_then(|t| t.to_vec()).expect("values")
    }

    /// Bytes read + written per second by a device-to-device copy of `N` floats.
    fn copy_gb_s(gpu: &CudaBackend) -> Result<f64, String> {
        let stream = gpu.stream();
        let src = stream.alloc_zeros::<f32>(N).map_err(err)?;
        let mut dst = stream.alloc_zeros::<f32>(N).map_err(err)?;
        let ms = time_ms(gpu, || stream.memcpy_dtod(&src, &mut dst).map_err(|e| recon_tensor::TensorError::Backend(e.to_string())))?;
        Ok(2.0 * 4.0 * N as f64 / (ms * 1e-3) / 1e9)
    }

    /// The GEMM table: every variant and layout at each shape (`MxKxN`).
    fn gemm_rows(gpu: &CudaBackend, cublas: Option<f64>, best_4096: &mut f64) -> Result<(Table, Vec<Json>), String> {
        let shapes = [(4096, 4096, 4096), (32, 29, 12), (32, 784, 128), (1024, 784, 16), (1024, 16, 784)];
        let mut t = Table::new(&["M x K x N", "layout", "variant", "time", "GFLOP/s", "of cuBLAS"], 3);
        let mut json = Vec::new();
        for (m, k, n) in shapes {
            let (a, b) = (gpu.upload(values(m * k, 1)).map_err(err)?, gpu.upload(values(k * n, 2)).map_err(err)?);
            for (trans_a, trans_b) in [(false, false), (false, true), (true, false), (true, true)] {
                let spec = Matmul { batch: 1, m, k, n, trans_a, trans_b, a_batch_stride: m * k, b_batch_stride: k * n };
                let layout = format!("{}{}", if trans_a { 't' } else { 'n' }, if trans_b { 't' } else { 'n' });
                for v in GemmVariant::ALL.into_iter().filter(|v| v.fits(&spec)) {
                    let ms = time_ms(gpu, || gpu.matmul_with(v, &a, &b, &spec).map(drop))?;
                    let gflops = spec.flops() / (ms * 1e-3) / 1e9;
                    if m == 4096 {
                        *best_4096 = best_4096.max(gflops);
                    }
                    let share = cublas.map(|c| gflops / c);
                    t.row(vec![
                        format!("{m} x {k} x {n}"),
                        layout.clone(),
                        format!("{} {}", v.number(), v.name()),
                        format!("{:.3} ms", ms),
                        format!("{gflops:.0}"),
                        share.map_or("-".into(), |s| format!("{:.0}%", 100.0 * s)),
                    ]);
                    json.push(Json::obj(vec![
                        ("shape", Json::str(format!("{m}x{k}x{n}"))),
                        ("layout", Json::str(layout.clone())),
                        ("variant", Json::str(v.name())),
                        ("ms", Json::num(ms)),
                        ("gflop_s", Json::num(gflops)),
                        ("of_cublas", Json::opt(share)),
                    ]));
                }
            }
        }
        Ok((t, json))
    }

    /// Element-wise and reduction kernels on `N` values: (name, bytes moved, op).
    fn memory_rows(gpu: &CudaBackend, copy: f64, worst: &mut f64) -> Result<(Table, Vec<Json>), String> {
        let x = Tensor::from_vec(gpu, values(N, 3), &[N]).map_err(err)?;
        let y = Tensor::from_vec(gpu, values(N, 4), &[N]).map_err(err)?;
        let rows = x.reshape(&[4096, N / 4096]).map_err(err)?;
        let f4 = 4.0 * N as f64;
        type Op<'a> = Box<dyn Fn() -> recon_tensor::Result<()> + 'a>;
        let ops: Vec<(&str, f64, Op)> = vec![
            ("relu (x)", 2.0 * f4, Box::new(|| x.relu().map(drop))),
            ("sigmoid (x)", 2.0 * f4, Box::new(|| x.sigmoid().map(drop))),
            ("add (x + y)", 3.0 * f4, Box::new(|| x.add(&y).map(drop))),
            ("sum over rows ([4096, 16384] -> [16384])", f4, Box::new(|| rows.sum_axis(0, false).map(drop))),
            ("sum along rows ([4096, 16384] -> [4096])", f4, Box::new(|| rows.sum_axis(1, false).map(drop))),
            ("row softmax ([4096, 16384])", 2.0 * f4, Box::new(|| rows.softmax().map(drop))),
        ];
        let mut t = Table::new(&["kernel", "time", "GB/s", "of the copy"], 1);
        let mut json = Vec::new();
        for (name, bytes, op) in ops {
            let ms = time_ms(gpu, &op)?;
            let gb_s = bytes / (ms * 1e-3) / 1e9;
            *worst = worst.min(gb_s / copy);
            t.row(vec![name.into(), format!("{ms:.3} ms"), format!("{gb_s:.0}"), format!("{:.0}%", 100.0 * gb_s / copy)]);
            json.push(Json::obj(vec![
                ("kernel", Json::str(name)),
                ("ms", Json::num(ms)),
                ("gb_s", Json::num(gb_s)),
                ("of_copy", Json::num(gb_s / copy)),
            ]));
        }
        Ok((t, json))
    }

    /// Seconds per training step of `kind` on `x` at `batch`: one warm-up
    /// epoch, then one timed epoch divided by its steps.
    fn step_s(gpu: &CudaBackend, kind: Kind, x: &Tensor<CudaBackend>, input: &[usize], batch: usize) -> Result<f64, String> {
        let mut model = Autoencoder::new(ModelConfig::preset(kind, input).map_err(err)?, gpu, 1).map_err(err)?;
        let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).map_err(err)?;
        let mut epoch = |e: usize| {
            let fc = FitConfig { epochs: e + 1, batch_size: batch, seed: 1, patience: None };
            fit(&mut model, &mut opt, x, None, &fc, e, &mut Silent).map(drop).map_err(err)
        };
        epoch(0)?;
        gpu.synchronize().map_err(err)?;
        let t = Instant::now();
        epoch(1)?;
        gpu.synchronize().map_err(err)?;
        Ok(t.elapsed().as_secs_f64() / x.shape()[0].div_ceil(batch) as f64)
    }

    /// A CPU tensor moved to the GPU.
    fn to_gpu(gpu: &CudaBackend, x: Tensor<Cpu32>) -> Result<Tensor<CudaBackend>, String> {
        Tensor::from_vec(gpu, x.to_vec().map_err(err)?, x.shape()).map_err(err)
    }

    pub fn run(machine: &Machine) -> Result<(), String> {
        let gpu = CudaBackend::new(0).map_err(err)?;
        gpu.preload().map_err(err)?;
        eprintln!("GPU: {gpu:?}; running the PyTorch side (benches/torch/gpu.py) ...");
        let torch_run = torch::run("gpu.py", &[MNIST]);
        let (torch_obj, torch_note) = match &torch_run {
            Ok(t) => (
                Some(t.object.clone()),
                format!("PyTorch {} on {}, eager mode, TF32 off, same run.", t.version, t.object["device"].as_str().unwrap_or("?")),
            ),
            Err(e) => (None, format!("**No PyTorch column**: {e}.")),
        };
        let field = |k: &str| torch_obj.as_ref().and_then(|o| o[k].as_f64());
        let (cublas, torch_copy) = (field("sgemm_gflop_s"), field("copy_gb_s"));
        let copy = copy_gb_s(&gpu)?;
        eprintln!("copy: {copy:.0} GB/s; GEMM ...");
        let mut best_4096 = 0.0f64;
        let (gemm, gemm_json) = gemm_rows(&gpu, cublas, &mut best_4096)?;
        eprintln!("element-wise and reductions ...");
        let mut worst_mem = f64::INFINITY;
        let (mem, mem_json) = memory_rows(&gpu, copy, &mut worst_mem)?;

        eprintln!("training steps ...");
        let cpu = Cpu32::new();
        let data = [(Kind::Vae, to_gpu(&gpu, table(&cpu))?, vec![29]), (Kind::ConvAe, to_gpu(&gpu, mnist_images(&cpu))?, vec![1, 28, 28])];
        let mut train = Table::new(&["model", "batch", "Recon per step", "PyTorch per step", "speed-up"], 1);
        let (mut train_json, mut speedups_32) = (Vec::new(), Vec::new());
        for (kind, x, input) in &data {
            for batch in [32, 1024] {
                let ours = step_s(&gpu, *kind, x, input, batch)?;
                let theirs = torch_obj.as_ref().and_then(|o| {
                    o["rows"].as_array()?.iter().find(|r| r["model"] == kind.name() && r["batch"] == batch)?["step_s"].as_f64()
                });
                let speedup = theirs.map(|t| t / ours);
                if batch == 32 {
                    speedups_32.push((kind.name(), speedup));
                }
                let us = |s: f64| format!("{:.1} us", s * 1e6);
                train.row(vec![
                    kind.name().into(),
                    batch.to_string(),
                    us(ours),
                    theirs.map_or("-".into(), us),
                    speedup.map_or("-".into(), |s| format!("{s:.2}x")),
                ]);
                train_json.push(Json::obj(vec![
                    ("model", Json::str(kind.name())),
                    ("batch", Json::num(batch as f64)),
                    ("recon_step_s", Json::num(ours)),
                    ("torch_step_s", Json::opt(theirs)),
                ]));
            }
        }

        let met = |ok: Option<bool>| match ok {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "no reference",
        };
        let mut targets = Table::new(&["target", "measured", "met?"], 2);
        targets.row(vec![
            "best GEMM variant at 4096^3: >= 90% of cuBLAS".into(),
            cublas
                .map_or(format!("{best_4096:.0} GFLOP/s"), |c| format!("{:.0}% ({best_4096:.0} of {c:.0} GFLOP/s)", 100.0 * best_4096 / c)),
            met(cublas.map(|c| best_4096 >= 0.9 * c)).into(),
        ]);
        targets.row(vec![
            "element-wise and reductions: >= 85% of the copy".into(),
            format!("{:.0}% (the slowest row)", 100.0 * worst_mem),
            met(Some(worst_mem >= 0.85)).into(),
        ]);
        for (name, s) in &speedups_32 {
            targets.row(vec![
                format!("{name} training step at batch 32: >= 3x PyTorch eager"),
                s.map_or("-".into(), |s| format!("{s:.2}x")),
                met(s.map(|s| s >= 3.0)).into(),
            ]);
        }

        let md = format!(
            "# The GPU half: Recon's CUDA backend against the GPU's ceilings and PyTorch\n\n{}- GPU: {gpu:?}\n\n\
             Command: `cargo run --release -p recon-benches --features cuda --bin gpu`. Kernel times: CUDA events around {ITERS} \
             calls after 3 warm-up calls. Training: one warm-up epoch, then one epoch's wall time (synchronised) per step; vae on \
             the 16,000 x 29 table, conv-ae on the 10,000 bundled digits. {torch_note}\n\n\
             Ceilings: device-to-device copy {copy:.0} GB/s (bytes read + written){}; cuBLAS SGEMM at 4096^3 (TF32 off): {}.\n\n\
             ## Targets\n\n{targets}\n## GEMM variants\n\n{gemm}\n## Element-wise and reductions (2^26 values)\n\n{mem}\n\
             ## Training steps\n\n{train}",
            machine.markdown(),
            torch_copy.map_or(String::new(), |c| format!(" (PyTorch's copy: {c:.0} GB/s)")),
            cublas.map_or("not measured".into(), |c| format!("{c:.0} GFLOP/s")),
        );
        print!("{md}");
        write_result("gpu.md", &md);
        let json = Json::obj(vec![
            ("machine", machine.json()),
            ("gpu", Json::str(format!("{gpu:?}"))),
            ("copy_gb_s", Json::num(copy)),
            ("cublas_gflop_s", Json::opt(cublas)),
            ("gemm", Json::Arr(gemm_json)),
            ("memory", Json::Arr(mem_json)),
            ("train", Json::Arr(train_json)),
        ]);
        write_result("gpu.json", &json.to_string());
        Ok(())
    }
}
