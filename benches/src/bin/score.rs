//! Scoring speed: how fast a model turns rows into anomaly scores
//! (`Autoencoder::score`, the mean squared reconstruction error per row), for
//! every preset, at batch 4096 (rows per second) and at batch 1 (microseconds
//! per row), next to the same models in PyTorch on the same machine in the
//! same run (`benches/torch/score.py`: eager mode, `torch.inference_mode()`,
//! the same thread count), when `import torch` works; otherwise that column
//! says why it is empty.
//!
//! Run: `cargo run --release -p recon-benches --bin score [-- MODELS]`
//! (MODELS: comma-separated preset names, all six by default).
//! Writes `benches/results/score.md` and `score.json`.

use recon_benches::report::{write_result, Json, Machine, Table};
use recon_benches::timing::{bench, fmt_time, load_note, sig3, start_wait, wait_for_quiet, Config, CpuProbe, Stats};
use recon_benches::torch;
use recon_nn::score::ErrorMetric;
use recon_nn::{Autoencoder, Kind, ModelConfig};
use recon_tensor::Cpu32;

const BATCHES: [usize; 2] = [4096, 1];

struct Row {
    model: &'static str,
    batch: usize,
    stats: Stats,
    torch: Option<Stats>,
}

/// The timing configuration of one row: a conv-ae batch of 4096 takes
/// seconds, so it gets one warm-up call and 3 samples.
fn config(kind: Kind, batch: usize) -> Config {
    let cfg = Config::default();
    if kind == Kind::ConvAe && batch > 1 {
        Config { target: std::time::Duration::ZERO, min_samples: 3, warmup: std::time::Duration::ZERO, warmup_calls: 1, ..cfg }
    } else {
        cfg
    }
}

fn main() {
    let models = recon_benches::models_arg(std::env::args().nth(1).as_deref());
    let cfg = Config::default();
    let machine = Machine::detect();
    let quiet = wait_for_quiet(cfg.busy_limit, start_wait());
    let run_probe = CpuProbe::now();
    let cpu = Cpu32::new();
    let table = recon_benches::table(&cpu);
    let images = recon_benches::mnist_images(&cpu);

    let mut rows = Vec::new();
    for &kind in &models {
        let (x, input) = match kind {
            Kind::ConvAe => (&images, vec![1, 28, 28]),
            _ => (&table, vec![29]),
        };
        let model = Autoencoder::new(ModelConfig::preset(kind, &input).expect("preset"), &cpu, 1).expect("model");
        for batch in BATCHES {
            let xb = x.slice_rows(0, batch).unwrap();
            let s = bench(&config(kind, batch), || model.score(&xb, ErrorMetric::Mse).unwrap());
            eprintln!("recon {:<13} batch {batch:>4}: {}", kind.name(), fmt_time(s.median));
            rows.push(Row { model: kind.name(), batch, stats: s, torch: None });
        }
    }
    eprintln!("running the PyTorch side (benches/torch/score.py) ...");
    let names: Vec<&str> = models.iter().map(|k| k.name()).collect();
    let torch = torch::run("score.py", &[&torch::threads().to_string(), &names.join(","), recon_benches::MNIST]);
    if let Ok(t) = &torch {
        for r in &mut rows {
            r.torch = t.rows.iter().find(|v| v["model"] == r.model && v["batch"].as_u64() == Some(r.batch as u64)).and_then(torch::stats);
        }
    }
    let run_busy = run_probe.and_then(|p| p.others_since());
    let mark = |s: &Stats| if s.disturbed(&cfg) { " *" } else { "" };

    let mut t = Table::new(&["Model", "Batch", "Recon per call", "IQR", "Recon", "PyTorch per call", "PyTorch", "Speed-up"], 1);
    for r in &rows {
        // Rows per second at batch 4096, microseconds per row at batch 1.
        let per = |s: &Stats| {
            if r.batch > 1 {
                format!("{} rows/s", si(r.batch as f64 / s.median))
            } else {
                format!("{} us/row", sig3(s.median * 1e6))
            }
        };
        let (tcall, tper, ratio) = match &r.torch {
            Some(ts) => (format!("{}{}", fmt_time(ts.median), mark(ts)), per(ts), format!("{:.2}x", ts.median / r.stats.median)),
            None => ("-".into(), "-".into(), "-".into()),
        };
        t.row(vec![
            r.model.into(),
            r.batch.to_string(),
            format!("{}{}", fmt_time(r.stats.median), mark(&r.stats)),
            format!("{:.1}%", r.stats.iqr_pct()),
            per(&r.stats),
            tcall,
            tper,
            ratio,
        ]);
    }
    let torch_note = torch::note(&torch);
    let (targets, targets_json) = targets(&rows);
    let md = format!(
        "# Scoring speed: Recon against PyTorch\n\n{machine}\n\
         Command: `cargo run --release -p recon-benches --bin score`. One call scores `batch` rows of the synthetic \
         16,000 x 29 table (conv-ae: the bundled MNIST digits) with a freshly initialised model: `model.score(&x, \
         Mse)`, the mean squared reconstruction error of each row, returned as a `Vec<f64>`. PyTorch: the same \
         architecture (`benches/torch/models.py`), `((x - model.reconstruct(x)) ** 2).mean(1)` under \
         `torch.inference_mode()`, eager, result left as a tensor. Times are the median per call over samples \
         (timed as in `ops`); speed-up = PyTorch time / Recon time. {load}\n\n{torch_note}\n\n{t}\n## CPU targets\n\n{targets}\n",
        machine = machine.markdown(),
        load = load_note(&cfg, quiet, run_busy, rows.iter().map(|r| &r.stats)),
    );
    println!("{md}");
    write_result("score.md", &md);
    let json = Json::obj(vec![
        ("benchmark", Json::str("score")),
        ("machine", machine.json()),
        ("torch", torch::json(&torch)),
        ("targets", targets_json),
        (
            "rows",
            Json::Arr(
                rows.iter()
                    .map(|r| {
                        Json::obj(vec![
                            ("model", Json::str(r.model)),
                            ("batch", Json::num(r.batch as f64)),
                            ("recon", recon_benches::report::stats_json(&r.stats)),
                            ("torch", r.torch.as_ref().map_or(Json::Null, recon_benches::report::stats_json)),
                            ("recon_rows_per_s", Json::num(r.batch as f64 / r.stats.median)),
                            ("torch_rows_per_s", Json::opt(r.torch.as_ref().map(|s| r.batch as f64 / s.median))),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    write_result("score.json", &format!("{json}\n"));
}

/// The CPU targets for scoring: at batch 1 at most a tenth of
/// PyTorch's time per row, at batch 4096 at least PyTorch's rows per second.
fn targets(rows: &[Row]) -> (Table, Json) {
    let mut t = Table::new(&["Model", "Target", "Recon", "PyTorch", "Met?"], 2);
    let mut j = Vec::new();
    for r in rows {
        let (target, recon, torch, met) = match (&r.torch, r.batch) {
            (Some(ts), 1) => {
                let limit = ts.median / 10.0;
                (
                    format!("batch 1: <= {} us/row (PyTorch / 10)", sig3(limit * 1e6)),
                    format!("{} us/row", sig3(r.stats.median * 1e6)),
                    format!("{} us/row", sig3(ts.median * 1e6)),
                    Some(r.stats.median <= limit),
                )
            }
            (Some(ts), b) => (
                format!("batch {b}: >= PyTorch's rows/s"),
                format!("{} rows/s", si(b as f64 / r.stats.median)),
                format!("{} rows/s", si(b as f64 / ts.median)),
                Some(r.stats.median <= ts.median),
            ),
            (None, b) => (format!("batch {b}"), fmt_time(r.stats.median), "-".into(), None),
        };
        let verdict = match met {
            Some(true) => "met".to_string(),
            Some(false) => "**missed**".to_string(),
            None => "not checked (no PyTorch)".to_string(),
        };
        t.row(vec![r.model.into(), target.clone(), recon, torch, verdict]);
        j.push(Json::obj(vec![("model", Json::str(r.model)), ("target", Json::str(target)), ("met", met.map_or(Json::Null, Json::Bool))]));
    }
    (t, Json::Arr(j))
}

/// `12.3M`, `456k`: three significant digits with an SI suffix.
fn si(x: f64) -> String {
    if x >= 1e6 {
        format!("{}M", sig3(x / 1e6))
    } else if x >= 1e3 {
        format!("{}k", sig3(x / 1e3))
    } else {
        sig3(x)
    }
}
