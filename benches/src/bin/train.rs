//! Whole-model training speed: seconds per epoch for every preset at batch
//! 32, 256 and 4096: `ae`, `sparse-ae`, `deep-ae`, `denoising-ae` and `vae`
//! on a credit-card-sized table (16,000 x 29), `conv-ae` on the 10,000
//! bundled MNIST digits; next to the same models in PyTorch on the same
//! machine in the same run (`benches/torch/train_step.py`, when `import
//! torch` works; otherwise that column says why it is empty).
//!
//! Run: `cargo run --release -p recon-benches --bin train [-- [--models LIST] [--batches LIST] [--epochs N] [--rounds N]]`
//! (defaults: all six presets, 32,256,4096, 3 epochs, 3 rounds; conv-ae
//! always runs one epoch per batch size). Each round measures every row in
//! Recon, then in PyTorch; a row's speed-up is the median of its rounds'
//! ratios. Writes `benches/results/train.md` and `train.json`.

use std::time::Duration;

use recon_benches::report::{write_result, Json, Machine, Table};
use recon_benches::rounds::Paired;
use recon_benches::timing::{bench, load_note, start_wait, wait_for_quiet, Config, CpuProbe, Stats};
use recon_benches::torch;
use recon_nn::train::{fit, FitConfig, Silent};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::{Cpu32, Tensor};

/// One model at one batch size, measured in every round.
struct Row {
    model: &'static str,
    rows: usize,
    batch: usize,
    m: Paired,
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
    let rounds: usize = list(&args, "--rounds").and_then(|v: Vec<usize>| v.first().copied()).unwrap_or(3).max(1);
    let cfg = Config::default();
    let machine = Machine::detect();
    let quiet = wait_for_quiet(cfg.busy_limit, start_wait());
    let run_probe = CpuProbe::now();
    let cpu = Cpu32::new();
    let table = recon_benches::table(&cpu);
    let images = if models.contains(&Kind::ConvAe) { Some(recon_benches::mnist_images(&cpu)) } else { None };

    let mut rows: Vec<Row> = Vec::new();
    let mut torch = Err("not run".to_string());
    for round in 1..=rounds {
        // Recon's rows, then PyTorch's: each round's pair is measured within
        // a minute or two, so a slow spell of this shared machine (the same
        // binary has read 45% slower for minutes at a time) tends to hit both
        // sides of a ratio, or neither.
        let mut i = 0;
        for &kind in &models {
            let (x, input, n) = match kind {
                Kind::ConvAe => (images.as_ref().expect("loaded above"), vec![1, 28, 28], 1),
                _ => (&table, vec![29], epochs),
            };
            for &batch in &batches {
                let s = recon_epochs(kind, x, &input, batch, n);
                eprintln!("round {round}: recon {:<13} batch {batch:>4}: {:.4} s per epoch", kind.name(), s.median);
                if round == 1 {
                    rows.push(Row { model: kind.name(), rows: x.shape()[0], batch, m: Paired::default() });
                }
                rows[i].m.recon.push(s);
                i += 1;
            }
        }
        eprintln!("round {round}: running the PyTorch side (benches/torch/train_step.py) ...");
        let names: Vec<&str> = models.iter().map(|k| k.name()).collect();
        let batch_list: Vec<String> = batches.iter().map(usize::to_string).collect();
        torch = torch::run(
            "train_step.py",
            &[&epochs.to_string(), &torch::threads().to_string(), &names.join(","), &batch_list.join(","), recon_benches::MNIST],
        );
        for r in &mut rows {
            r.m.torch.push(torch.as_ref().ok().and_then(|t| torch::row_stats(t, r.model, r.batch)));
        }
    }
    let run_busy = run_probe.and_then(|p| p.others_since());
    let mut t = Table::new(
        &["Model", "Rows", "Batch", "Recon s/epoch", "Recon us/step", "PyTorch s/epoch", "PyTorch us/step", "Speed-up", "Rounds' range"],
        1,
    );
    for r in &rows {
        let steps = r.rows.div_ceil(r.batch) as f64;
        let (rmark, tmark) = r.m.marks(&cfg);
        let (ts, tstep, ratio, range) = match (r.m.torch_s(), r.m.speedup(), r.m.range()) {
            (Some(ts), Some(x), Some(range)) => (format!("{ts:.4}{tmark}"), format!("{:.1}", ts / steps * 1e6), format!("{x:.2}x"), range),
            _ => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let recon = r.m.recon_s();
        t.row(vec![
            r.model.into(),
            r.rows.to_string(),
            r.batch.to_string(),
            format!("{recon:.4}{rmark}"),
            format!("{:.1}", recon / steps * 1e6),
            ts,
            tstep,
            ratio,
            range,
        ]);
    }
    let (targets, targets_json) = targets(&rows);
    let md = format!(
        "# Training speed: Recon against PyTorch\n\n{machine}\n\
         Command: `cargo run --release -p recon-benches --bin train`. Seconds per epoch of `fit` with Adam \
         (shuffle, gather each batch, forward, backward, update), measured in {rounds} rounds, each Recon's rows \
         and then PyTorch's: per round the median of {epochs} epochs (conv-ae: one epoch); in the table the \
         median over the rounds. \
         Dense presets on a synthetic 16,000 x 29 table (the credit-card data's width), conv-ae on the 10,000 \
         bundled MNIST digits. PyTorch: the same architectures (`benches/torch/models.py`) and a lean loop \
         (`benches/torch/train_step.py`: randperm, slicing, `zero_grad`, `backward`, `Adam.step`). Speed-up: \
         PyTorch time / Recon time in each round, the median over the rounds, with their range beside it. {load}\n\n{torch_note}\n\n{t}\n## CPU targets\n\n{targets}\n",
        machine = machine.markdown(),
        load = load_note(&cfg, quiet, run_busy, rows.iter().flat_map(|r| &r.m.recon)),
        torch_note = torch::note(&torch),
    );
    println!("{md}");
    write_result("train.md", &md);
    let json = Json::obj(vec![
        ("benchmark", Json::str("train")),
        ("machine", machine.json()),
        ("torch", torch::json(&torch)),
        ("epochs", Json::num(epochs as f64)),
        ("rounds", Json::num(rounds as f64)),
        ("targets", targets_json),
        (
            "rows",
            Json::Arr(
                rows.iter()
                    .map(|r| {
                        let mut fields =
                            vec![("model", Json::str(r.model)), ("rows", Json::num(r.rows as f64)), ("batch", Json::num(r.batch as f64))];
                        fields.extend(r.m.json());
                        Json::obj(fields)
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
        let ratio = r.m.speedup();
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
