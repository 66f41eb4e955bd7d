//! Scoring speed: how fast a model turns rows into anomaly scores
//! (`Autoencoder::score`, the mean squared reconstruction error per row), for
//! every preset, at batch 4096 (rows per second) and at batch 1 (microseconds
//! per row), next to the same models in PyTorch on the same machine in the
//! same run (`benches/torch/score.py`: eager mode, `torch.inference_mode()`,
//! the same thread count), when `import torch` works; otherwise that column
//! says why it is empty. Three rounds, each Recon's rows and then PyTorch's;
//! a row's speed-up is the median of its rounds' ratios (`rounds.rs`).
//!
//! Run: `cargo run --release -p recon-benches --bin score [-- MODELS]`
//! (MODELS: comma-separated preset names, all six by default).
//! Writes `benches/results/score.md` and `score.json`.

use recon_benches::report::{write_result, Json, Machine, Table};
use recon_benches::rounds::Paired;
use recon_benches::timing::{bench, fmt_time, load_note, sig3, start_wait, wait_for_quiet, Config, CpuProbe};
use recon_benches::torch;
use recon_nn::score::ErrorMetric;
use recon_nn::{Autoencoder, Kind, ModelConfig};
use recon_tensor::Cpu32;

const BATCHES: [usize; 2] = [4096, 1];
/// Rounds of Recon then PyTorch (`rounds.rs`).
const ROUNDS: usize = 3;

/// One model at one batch size, measured in every round.
struct Row {
    model: &'static str,
    batch: usize,
    m: Paired,
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

    let mut rows: Vec<Row> = Vec::new();
    let mut torch = Err("not run".to_string());
    // Rounds of Recon's rows then PyTorch's, as `rounds.rs` explains.
    for round in 1..=ROUNDS {
        let mut i = 0;
        for &kind in &models {
            let (x, input) = match kind {
                Kind::ConvAe => (&images, vec![1, 28, 28]),
                _ => (&table, vec![29]),
            };
            let model = Autoencoder::new(ModelConfig::preset(kind, &input).expect("preset"), &cpu, 1).expect("model");
            for batch in BATCHES {
                let xb = x.slice_rows(0, batch).unwrap();
                let s = bench(&config(kind, batch), || model.score(&xb, ErrorMetric::Mse).unwrap());
                eprintln!("round {round}: recon {:<13} batch {batch:>4}: {}", kind.name(), fmt_time(s.median));
                if round == 1 {
                    rows.push(Row { model: kind.name(), batch, m: Paired::default() });
                }
                rows[i].m.recon.push(s);
                i += 1;
            }
        }
        eprintln!("round {round}: running the PyTorch side (benches/torch/score.py) ...");
        let names: Vec<&str> = models.iter().map(|k| k.name()).collect();
        torch = torch::run("score.py", &[&torch::threads().to_string(), &names.join(","), recon_benches::MNIST]);
        for r in &mut rows {
            r.m.torch.push(torch.as_ref().ok().and_then(|t| torch::row_stats(t, r.model, r.batch)));
        }
    }
    let run_busy = run_probe.and_then(|p| p.others_since());

    let mut t = Table::new(&["Model", "Batch", "Recon per call", "Recon", "PyTorch per call", "PyTorch", "Speed-up", "Rounds' range"], 1);
    for r in &rows {
        // Rows per second at batch 4096, microseconds per row at batch 1.
        let per = |s: f64| {
            if r.batch > 1 {
                format!("{} rows/s", si(r.batch as f64 / s))
            } else {
                format!("{} us/row", sig3(s * 1e6))
            }
        };
        let (rmark, tmark) = r.m.marks(&cfg);
        let (tcall, tper, ratio, range) = match (r.m.torch_s(), r.m.speedup(), r.m.range()) {
            (Some(ts), Some(x), Some(range)) => (format!("{}{tmark}", fmt_time(ts)), per(ts), format!("{x:.2}x"), range),
            _ => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let recon = r.m.recon_s();
        t.row(vec![r.model.into(), r.batch.to_string(), format!("{}{rmark}", fmt_time(recon)), per(recon), tcall, tper, ratio, range]);
    }
    let torch_note = torch::note(&torch);
    let (targets, targets_json) = targets(&rows);
    let md = format!(
        "# Scoring speed: Recon against PyTorch\n\n{machine}\n\
         Command: `cargo run --release -p recon-benches --bin score`. One call scores `batch` rows of the synthetic \
         16,000 x 29 table (conv-ae: the bundled MNIST digits) with a freshly initialised model: `model.score(&x, \
         Mse)`, the mean squared reconstruction error of each row, returned as a `Vec<f64>`. PyTorch: the same \
         architecture (`benches/torch/models.py`), `((x - model.reconstruct(x)) ** 2).mean(1)` under \
         `torch.inference_mode()`, eager, result left as a tensor. Measured in {ROUNDS} rounds, each Recon's rows \
         and then PyTorch's; per round the median time per call over samples (timed as in `ops`), in the table \
         the median over the rounds. Speed-up: PyTorch time / Recon time in each round, the median over the \
         rounds, with their range beside it; the targets below judge that median. {load}\n\n{torch_note}\n\n{t}\n## CPU targets\n\n{targets}\n",
        machine = machine.markdown(),
        load = load_note(&cfg, quiet, run_busy, rows.iter().flat_map(|r| &r.m.recon)),
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
                        let mut fields = vec![("model", Json::str(r.model)), ("batch", Json::num(r.batch as f64))];
                        fields.extend(r.m.json());
                        fields.push(("recon_rows_per_s", Json::num(r.batch as f64 / r.m.recon_s())));
                        fields.push(("torch_rows_per_s", Json::opt(r.m.torch_s().map(|s| r.batch as f64 / s))));
                        Json::obj(fields)
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
    let mut t = Table::new(&["Model", "Target", "Recon", "PyTorch", "Speed-up", "Met?"], 2);
    let mut j = Vec::new();
    for r in rows {
        let recon_s = r.m.recon_s();
        let (target, recon, torch, met) = match (r.m.torch_s(), r.m.speedup(), r.batch) {
            (Some(ts), Some(x), 1) => (
                "batch 1: <= PyTorch's time per row / 10".to_string(),
                format!("{} us/row", sig3(recon_s * 1e6)),
                format!("{} us/row", sig3(ts * 1e6)),
                Some(x >= 10.0),
            ),
            (Some(ts), Some(x), b) => (
                format!("batch {b}: >= PyTorch's rows/s"),
                format!("{} rows/s", si(b as f64 / recon_s)),
                format!("{} rows/s", si(b as f64 / ts)),
                Some(x >= 1.0),
            ),
            (_, _, b) => (format!("batch {b}"), fmt_time(recon_s), "-".into(), None),
        };
        let verdict = match met {
            Some(true) => "met".to_string(),
            Some(false) => "**missed**".to_string(),
            None => "not checked (no PyTorch)".to_string(),
        };
        let speedup = r.m.speedup().map_or("-".into(), |x| format!("{x:.2}x"));
        t.row(vec![r.model.into(), target.clone(), recon, torch, speedup, verdict]);
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
