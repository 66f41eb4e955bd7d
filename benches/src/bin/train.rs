//! Whole-model training speed: seconds per epoch for every preset at batch
//! 32, 256 and 4096: `ae`, `sparse-ae`, `deep-ae`, `denoising-ae` and `vae`
//! on a credit-card-sized table (16,000 x 29), `conv-ae` on the 10,000
//! bundled MNIST digits; next to the same models in PyTorch on the same
//! machine in the same run (`benches/torch/train_step.py`, when `import
//! torch` works; otherwise that column says why it is empty).
//!
//! Run: `cargo run --release -p recon-benches --bin train [-- [--models LIST] [--batches LIST] [--epochs N]]`
//! (defaults: all six presets, 32,256,4096, 3 epochs; conv-ae always runs
//! one epoch per batch size). Writes `benches/results/train.md` and `train.json`.

use std::time::Duration;

use recon_benches::report::{stats_json, write_result, Json, Machine, Table};
use recon_benches::timing::{bench, load_note, start_wait, wait_for_quiet, Config, CpuProbe, Stats};
use recon_benches::torch;
use recon_nn::train::{fit, FitConfig, Silent};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::{Cpu32, Tensor};

struct Row {
    model: &'static str,
    rows: usize,
    batch: usize,
    stats: Stats,
    torch: Option<Stats>,
}

/// Epoch times of `kind` on `x` at `batch`: `epochs` epochs, each one sample
/// (no warm-up epoch: the median of three leaves out the cold first one).
/// A disturbed dense row is measured again, as `bench` does; conv-ae's
/// epochs take many seconds, so its row is kept (and marked) instead.
fn recon_epochs(kind: Kind, x: &Tensor<Cpu32>, input: &[usize], batch: usize, epochs: usize) -> Stats {
    let cpu = Cpu32::new();
    let mut model = Autoencoder::new(ModelConfig::preset(kind, input).expect("preset"), &cpu, 1).expect("model");
    let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).expect("optimizer");
    let cfg = Config {
        target: Duration::ZERO,
        min_samples: epochs,
        max_samples: epochs,
        sample_min: Duration::ZERO,
        warmup: Duration::ZERO,
        warmup_calls: 0,
        retries: if kind == Kind::ConvAe { 0 } else { Config::default().retries },
        ..Config::default()
    };
    let mut e = 0;
    bench(&cfg, || {
        let fc = FitConfig { epochs: e + 1, batch_size: batch, seed: 1, patience: None };
        fit(&mut model, &mut opt, x, None, &fc, e, &mut Silent).expect("training");
        e += 1;
    })
}

fn list<T: std::str::FromStr>(args: &[String], flag: &str) -> Option<Vec<T>> {
    let i = args.iter().position(|a| a == flag)?;
    let v = args.get(i + 1).unwrap_or_else(|| {
        eprintln!("{flag} needs a value");
        std::process::exit(2)
    });
    Some(v.split(',').map(|s| s.trim().parse().unwrap_or_else(|_| panic!("bad value '{s}' for {flag}"))).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let models = recon_benches::models_arg(args.iter().position(|a| a == "--models").and_then(|i| args.get(i + 1)).map(String::as_str));
    let batches: Vec<usize> = list(&args, "--batches").unwrap_or_else(|| vec![32, 256, 4096]);
    let epochs: usize = list(&args, "--epochs").and_then(|v: Vec<usize>| v.first().copied()).unwrap_or(3);
    let cfg = Config::default();
    let machine = Machine::detect();
    let quiet = wait_for_quiet(cfg.busy_limit, start_wait());
    let run_probe = CpuProbe::now();
    let cpu = Cpu32::new();
    let table = recon_benches::table(&cpu);
    let images = if models.contains(&Kind::ConvAe) { Some(recon_benches::mnist_images(&cpu)) } else { None };

    let mut rows = Vec::new();
    for &kind in &models {
        let (x, input, n) = match kind {
            Kind::ConvAe => (images.as_ref().expect("loaded above"), vec![1, 28, 28], 1),
            _ => (&table, vec![29], epochs),
        };
        for &batch in &batches {
            let s = recon_epochs(kind, x, &input, batch, n);
            eprintln!("recon {:<13} batch {batch:>4}: {:.4} s per epoch", kind.name(), s.median);
            rows.push(Row { model: kind.name(), rows: x.shape()[0], batch, stats: s, torch: None });
        }
    }
    eprintln!("running the PyTorch side (benches/torch/train_step.py) ...");
    let names: Vec<&str> = models.iter().map(|k| k.name()).collect();
    let batch_list: Vec<String> = batches.iter().map(usize::to_string).collect();
    let torch = torch::run(
        "train_step.py",
        &[&epochs.to_string(), &torch::threads().to_string(), &names.join(","), &batch_list.join(","), recon_benches::MNIST],
    );
    if let Ok(t) = &torch {
        for r in &mut rows {
            r.torch = t.rows.iter().find(|v| v["model"] == r.model && v["batch"].as_u64() == Some(r.batch as u64)).and_then(torch::stats);
        }
    }
    let run_busy = run_probe.and_then(|p| p.others_since());
    let mark = |s: &Stats| if s.disturbed(&cfg) { " *" } else { "" };

    let mut t =
        Table::new(&["Model", "Rows", "Batch", "Recon s/epoch", "Recon us/step", "PyTorch s/epoch", "PyTorch us/step", "Speed-up"], 1);
    for r in &rows {
        let steps = r.rows.div_ceil(r.batch) as f64;
        let (ts, tstep, ratio) = match &r.torch {
            Some(ts) => (
                format!("{:.4}{}", ts.median, mark(ts)),
                format!("{:.1}", ts.median / steps * 1e6),
                format!("{:.2}x", ts.median / r.stats.median),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        t.row(vec![
            r.model.into(),
            r.rows.to_string(),
            r.batch.to_string(),
            format!("{:.4}{}", r.stats.median, mark(&r.stats)),
            format!("{:.1}", r.stats.median / steps * 1e6),
            ts,
            tstep,
            ratio,
        ]);
    }
    let (targets, targets_json) = targets(&rows);
    let md = format!(
        "# Training speed: Recon against PyTorch\n\n{machine}\n\
         Command: `cargo run --release -p recon-benches --bin train`. Seconds per epoch (the median of {epochs} \
         epochs; conv-ae: one epoch) of `fit` with Adam: shuffle, gather each batch, forward, backward, update. \
         Dense presets on a synthetic 16,000 x 29 table (the credit-card data's width), conv-ae on the 10,000 \
         bundled MNIST digits. PyTorch: the same architectures (`benches/torch/models.py`) and a lean loop \
         (`benches/torch/train_step.py`: randperm, slicing, `zero_grad`, `backward`, `Adam.step`). Speed-up = \
         PyTorch time / Recon time. {load}\n\n{torch_note}\n\n{t}\n## CPU targets\n\n{targets}\n",
        machine = machine.markdown(),
        load = load_note(&cfg, quiet, run_busy, rows.iter().map(|r| &r.stats)),
        torch_note = torch::note(&torch),
    );
    println!("{md}");
    write_result("train.md", &md);
    let json = Json::obj(vec![
        ("benchmark", Json::str("train")),
        ("machine", machine.json()),
        ("torch", torch::json(&torch)),
        ("epochs", Json::num(epochs as f64)),
        ("targets", targets_json),
        (
            "rows",
            Json::Arr(
                rows.iter()
                    .map(|r| {
                        Json::obj(vec![
                            ("model", Json::str(r.model)),
                            ("rows", Json::num(r.rows as f64)),
                            ("batch", Json::num(r.batch as f64)),
                            ("recon", stats_json(&r.stats)),
                            ("torch", r.torch.as_ref().map_or(Json::Null, stats_json)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    write_result("train.json", &format!("{json}\n"));
}

/// The CPU targets for training, per epoch at batch 32: `ae`,
/// `deep-ae` and `vae` at least 20x PyTorch's speed, `conv-ae` at least 1x.
fn targets(rows: &[Row]) -> (Table, Json) {
    let mut t = Table::new(&["Model", "Target", "Speed-up", "Met?"], 2);
    let mut j = Vec::new();
    for r in rows.iter().filter(|r| r.batch == 32) {
        let need = match r.model {
            "ae" | "deep-ae" | "vae" => 20.0,
            "conv-ae" => 1.0,
            _ => continue,
        };
        let ratio = r.torch.as_ref().map(|ts| ts.median / r.stats.median);
        let verdict = match ratio {
            Some(x) if x >= need => "met".to_string(),
            Some(_) => "**missed**".to_string(),
            None => "not checked (no PyTorch)".to_string(),
        };
        let target = format!("batch 32: >= {need}x PyTorch");
        t.row(vec![r.model.into(), target.clone(), ratio.map_or("-".into(), |x| format!("{x:.2}x")), verdict]);
        j.push(Json::obj(vec![
            ("model", Json::str(r.model)),
            ("target", Json::str(target)),
            ("met", ratio.map_or(Json::Null, |x| Json::Bool(x >= need))),
        ]));
    }
    (t, Json::Arr(j))
}
