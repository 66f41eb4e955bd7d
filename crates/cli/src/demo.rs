//! `recon demo`: the source articles' walk-through on the bundled data.
//!
//! 1. `ae` on the breast cancer table (benign = normal; a tabular stand-in for
//!    the credit-card fraud file the articles use);
//! 2. `vae` on the same table, with its five anomaly scores compared;
//! 3. `conv-ae` on one-class MNIST: one digit is normal, the other nine are
//!    anomalies.
//!
//! Each model is trained with `recon train` and evaluated with `recon eval`
//! on the rows held out from training; the reports go to `--out`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser};

use crate::error::{CliError, Result};
use crate::eval::{self, EvalArgs};
use crate::train::{self, TrainArgs};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder for the run folders and reports.
    #[arg(long, default_value = "recon-demo")]
    pub out: PathBuf,
    /// Folder holding the bundled data [default: the repository's data/].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Epochs per model (the articles train 20).
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// The MNIST digit taken as normal.
    #[arg(long, default_value = "0")]
    pub digit: String,
}

#[derive(Parser)]
struct TrainCommand {
    #[command(flatten)]
    args: TrainArgs,
}

/// The bundled data: `--data-dir`, else `./data`, else the repository's.
fn data_dir(arg: &Option<PathBuf>) -> Result<PathBuf> {
    let candidates = match arg {
        Some(d) => vec![d.clone()],
        None => vec![PathBuf::from("data"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")],
    };
    candidates
        .into_iter()
        .find(|d| d.join("breast_cancer.csv").is_file())
        .ok_or_else(|| CliError::input("cannot find the bundled data (data/breast_cancer.csv); run from the repository or pass --data-dir"))
}

pub fn run(args: DemoArgs) -> Result<()> {
    let data = data_dir(&args.data_dir)?;
    let table = data.join("breast_cancer.csv");
    let mnist = data.join("mnist-10k-images-idx3-ubyte.gz");
    let epochs = args.epochs.to_string();
    let table_flags = ["--data", &table.to_string_lossy(), "--label-col", "target", "--normal-label", "1"].map(String::from);
    let mnist_flags = ["--data", &mnist.to_string_lossy(), "--normal-label", &args.digit].map(String::from);
    let runs: [(&str, &[String], String); 3] = [
        ("ae", &table_flags, "breast cancer table, benign = normal".to_string()),
        ("vae", &table_flags, "breast cancer table, benign = normal".to_string()),
        ("conv-ae", &mnist_flags, format!("one-class MNIST, digit {} = normal", args.digit)),
    ];
    let started = Instant::now();
    let mut reports = Vec::new();
    for (model, flags, what) in runs {
        let dir = args.out.join(model);
        if dir.join(crate::run_dir::MODEL).is_file() {
            // The demo's own run folder from an earlier demo: start it afresh.
            std::fs::remove_dir_all(&dir).map_err(|e| CliError::failure(format!("cannot clear {}: {e}", dir.display())))?;
        }
        println!("\n#### {model}: {what}");
        let mut argv = vec!["train".to_string(), "--model".into(), model.into(), "--epochs".into(), epochs.clone(), "--quiet".into()];
        argv.extend(flags.iter().cloned());
        argv.extend(["--out".to_string(), dir.to_string_lossy().into_owned()]);
        let cmd = TrainCommand::try_parse_from(&argv).map_err(|e| CliError::failure(format!("demo: bad training flags: {e}")))?;
        let t = Instant::now();
        train::run(cmd.args)?;
        println!("trained in {:.1} s; run folder {}", t.elapsed().as_secs_f64(), dir.display());
        let report = dir.join("report");
        let eval_args = EvalArgs {
            model: dir.clone(),
            data: flags[1].clone().into(),
            label_col: None,
            normal_label: None,
            thresholds: Vec::new(),
            json: false,
            out: Some(report.clone()),
            all_rows: false,
            device: "cpu".into(),
        };
        eval::run(eval_args)?;
        reports.push(report.join("report.html"));
    }
    println!("\ndemo finished in {:.1} s. Reports:", started.elapsed().as_secs_f64());
    for r in reports {
        println!("  {}", r.display());
    }
    Ok(())
}
