//! The PyTorch side of the whole-model benchmarks: runs a script of
//! `benches/torch/` in a `python3` subprocess and reads the JSON it prints.
//! Without torch the benchmarks still run; the PyTorch column is then empty
//! and the report says why.

use std::process::Command;

use crate::report::Json;
use crate::timing::Stats;

/// What a script printed: the torch version, its thread count, and its rows
/// (and the whole object, for scripts that print more).
pub struct TorchRun {
    pub version: String,
    pub threads: u64,
    pub rows: Vec<serde_json::Value>,
    pub object: serde_json::Value,
}

/// Threads for PyTorch: as many as rayon gives Recon.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `benches/torch/<script> args...`; `Err` says why there is no PyTorch column.
/// `RECON_BENCH_NO_TORCH=1` skips it (a quick Recon-only run).
pub fn run(script: &str, args: &[&str]) -> Result<TorchRun, String> {
    if std::env::var_os("RECON_BENCH_NO_TORCH").is_some_and(|v| !v.is_empty() && v != "0") {
        return Err("skipped because RECON_BENCH_NO_TORCH is set".into());
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/torch");
    let out = Command::new("python3")
        .arg(format!("{dir}/{script}"))
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        return Err(if last.contains("No module named 'torch'") {
            "torch is not installed (pip install torch)".into()
        } else {
            format!("`import torch` or the script failed: {last}")
        });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable output from {script}: {e}"))?;
    Ok(TorchRun {
        version: v["torch"].as_str().unwrap_or("?").to_string(),
        threads: v["threads"].as_u64().unwrap_or(0),
        rows: v["rows"].as_array().cloned().unwrap_or_default(),
        object: v,
    })
}

/// The stats of `model` at `batch` in a run's rows, if it has them.
pub fn row_stats(run: &TorchRun, model: &str, batch: usize) -> Option<Stats> {
    run.rows.iter().find(|v| v["model"] == model && v["batch"].as_u64() == Some(batch as u64)).and_then(stats)
}

/// The statistics of one row of a script's output (`timing.py`'s dict, under `stats`).
pub fn stats(row: &serde_json::Value) -> Option<Stats> {
    let s = &row["stats"];
    let f = |k: &str| s[k].as_f64();
    Some(Stats {
        median: f("median_s")?,
        min: f("min_s")?,
        max: f("max_s")?,
        q1: f("q1_s")?,
        q3: f("q3_s")?,
        samples: s["samples"].as_u64().unwrap_or(0) as usize,
        iters: s["calls_per_sample"].as_u64().unwrap_or(1),
        total: 0.0,
        others_busy: f("others_busy_cpus"),
        cpu_wait: None,
    })
}

/// A line for a report: which PyTorch was compared, or why none was.
pub fn note(run: &Result<TorchRun, String>) -> String {
    match run {
        Ok(t) => format!(
            "PyTorch {} on the CPU with {} threads (`torch.set_num_threads`), eager mode, same machine, same run.",
            t.version, t.threads
        ),
        Err(e) => format!("**No PyTorch column**: {e}. The Recon numbers stand alone."),
    }
}

/// The `torch` object of a result's JSON.
pub fn json(run: &Result<TorchRun, String>) -> Json {
    match run {
        Ok(t) => Json::obj(vec![("version", Json::str(&t.version)), ("threads", Json::num(t.threads as f64))]),
        Err(e) => Json::obj(vec![("error", Json::str(e))]),
    }
}
