//! Whole-model training speed: seconds per epoch at batch 32 for `ae`,
//! `deep-ae` and `vae` on a credit-card-sized table (16,000 x 29), and for
//! `conv-ae` on the 10,000 bundled MNIST digits, next to the same models in
//! PyTorch on the same machine in the same run (`benches/torch/train_step.py`,
//! when `import torch` works; otherwise that column says why it is empty).
//!
//! Run: `cargo run --release -p recon-benches --bin train [-- EPOCHS]`
//! Writes `benches/results/train.md` and `train.json`.

use std::process::Command;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_nn::train::{fit, FitConfig, Silent};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::{Cpu32, Tensor};

/// The median of `epochs` epoch times of `kind` on `x` (rows) with input shape `input`.
fn recon_epoch(kind: Kind, x: &Tensor<Cpu32>, input: &[usize], epochs: usize) -> f64 {
    let cpu = Cpu32::new();
    let model_cfg = ModelConfig::preset(kind, input).expect("preset");
    let mut model = Autoencoder::new(model_cfg, &cpu, 1).expect("model");
    let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).expect("optimizer");
    let mut times = Vec::new();
    for e in 0..epochs {
        let cfg = FitConfig { epochs: e + 1, batch_size: 32, seed: 1, patience: None };
        let t = Instant::now();
        fit(&mut model, &mut opt, x, None, &cfg, e, &mut Silent).expect("training");
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn torch_epochs(epochs: usize, mnist: &str) -> Result<serde_json::Value, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/torch/train_step.py");
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).to_string();
    let out = Command::new("python3")
        .args([script, &epochs.to_string(), &threads, mnist])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        return Err(if last.contains("No module named 'torch'") { "torch not installed (pip install torch)".into() } else { last });
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable output from the PyTorch script: {e}"))
}

fn main() {
    let epochs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let cpu = Cpu32::new();
    let mut rng = StdRng::seed_from_u64(0);
    let codes = Tensor::rand_normal(&cpu, &[16000, 3], 0.0, 1.0, &mut rng).unwrap();
    let mix = Tensor::rand_normal(&cpu, &[3, 29], 0.0, 0.6, &mut rng).unwrap();
    let table = codes.matmul(&mix).unwrap().add(&Tensor::rand_normal(&cpu, &[16000, 29], 0.0, 0.05, &mut rng).unwrap()).unwrap();
    let mnist_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist-10k-images-idx3-ubyte.gz");
    let mnist = recon_data::load_mnist(mnist_path).expect("bundled MNIST");
    let all: Vec<usize> = (0..mnist.n_rows).collect();
    let images = mnist.to_matrix(&cpu, &all).unwrap();

    let mut rows = Vec::new();
    for (kind, x, input, n) in [
        (Kind::Ae, &table, vec![29], epochs),
        (Kind::DeepAe, &table, vec![29], epochs),
        (Kind::Vae, &table, vec![29], epochs),
        (Kind::ConvAe, &images, vec![1, 28, 28], 1),
    ] {
        let s = recon_epoch(kind, x, &input, n);
        eprintln!("recon {:<8} {:.3} s per epoch", kind.name(), s);
        rows.push((kind.name(), s, x.shape()[0]));
    }
    eprintln!("running the PyTorch side (benches/torch/train_step.py) ...");
    let torch = torch_epochs(epochs, mnist_path);

    let mut md =
        String::from("| model | rows | recon s/epoch | recon us/step | PyTorch s/epoch | speed-up |\n|---|---:|---:|---:|---:|---:|\n");
    let mut json = Vec::new();
    for (name, s, n) in &rows {
        let steps = n.div_ceil(32) as f64;
        let t = torch.as_ref().ok().and_then(|v| v[*name].as_f64());
        let (tcol, ratio) = match t {
            Some(t) => (format!("{t:.3}"), format!("{:.1}x", t / s)),
            None => ("-".into(), "-".into()),
        };
        md += &format!("| {name} | {n} | {s:.3} | {:.1} | {tcol} | {ratio} |\n", s / steps * 1e6);
        json.push(serde_json::json!({"model": name, "rows": n, "recon_s_per_epoch": s, "torch_s_per_epoch": t}));
    }
    match &torch {
        Ok(v) => md += &format!("\nPyTorch {} with {} threads, same machine, same run.\n", v["torch"], v["threads"]),
        Err(e) => md += &format!("\nPyTorch column empty: {e}\n"),
    }
    print!("{md}");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/results");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(format!("{dir}/train.md"), &md);
    let _ = std::fs::write(format!("{dir}/train.json"), serde_json::to_string_pretty(&json).unwrap_or_default());
}
