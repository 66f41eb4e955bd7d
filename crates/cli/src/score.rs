//! `recon score`: one anomaly score per input row (the reconstruction error,
//! in the scaled feature space the model was trained in), the 0/1 flag from the
//! threshold saved at training, and with `--per-feature` the squared error of
//! every feature plus, for each flagged row, the features that contribute most.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use recon_nn::score::ErrorMetric;
use recon_tensor::Cpu32;

use crate::error::{CliError, Result};
use crate::model::TrainedModel;
use crate::run_dir;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The run folder `recon train --out` wrote.
    #[arg(long)]
    pub model: PathBuf,
    /// CSV or IDX file with the same features as the training data.
    #[arg(long)]
    pub data: PathBuf,
    /// Write the CSV here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Add each feature's squared error and the top contributing features.
    #[arg(long)]
    pub per_feature: bool,
    /// mse | mae
    #[arg(long, default_value = "mse")]
    pub metric: String,
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// How many features to name per flagged row.
const TOP: usize = 3;

pub fn parse_metric(s: &str) -> Result<ErrorMetric> {
    match s {
        "mse" => Ok(ErrorMetric::Mse),
        "mae" => Ok(ErrorMetric::Mae),
        _ => Err(CliError::input(format!("unknown metric '{s}'; choose mse or mae"))),
    }
}

pub fn run(args: ScoreArgs) -> Result<()> {
    crate::train::check_device(&args.device)?;
    let metric = parse_metric(&args.metric)?;
    if let Some(out) = &args.out {
        run_dir::check_writable(out)?;
    }
    let trained = TrainedModel::load(&args.model)?;
    let rows = trained.rows(&args.data, false)?;
    let all: Vec<usize> = (0..rows.data.n_rows).collect();
    let x = rows.data.to_matrix(&Cpu32::new(), &all)?;
    let mut scores = trained.model.score(&x, metric)?;
    let mut per_feature = if args.per_feature { Some(trained.model.per_feature_errors(&x)?.to_f64_vec()?) } else { None };
    if let Some(p) = &rows.points {
        // A time series: one score per time point, the highest of the windows
        // that cover it. Per-feature errors are per window, so they are left out.
        scores = to_points(&scores, p)?;
        per_feature = None;
    }
    let threshold = trained.threshold.as_ref().map(|t| t.value);

    let mut csv = String::from("row,score");
    if threshold.is_some() {
        csv += ",is_anomaly";
    }
    let names = &rows.data.feature_names;
    if per_feature.is_some() {
        csv += ",top_features";
        for n in names {
            csv += &format!(",err_{}", n.replace([',', '"'], "_"));
        }
    }
    csv += "\n";
    let d = rows.data.row_len();
    for (i, s) in scores.iter().enumerate() {
        let flagged = threshold.map(|t| *s > t);
        let _ = write!(csv, "{i},{s}");
        if let Some(f) = flagged {
            let _ = write!(csv, ",{}", u8::from(f));
        }
        if let Some(errs) = &per_feature {
            let row = &errs[i * d..(i + 1) * d];
            let top = if flagged.unwrap_or(true) { top_features(row, names, TOP) } else { String::new() };
            let _ = write!(csv, ",\"{top}\"");
            for e in row {
                let _ = write!(csv, ",{e}");
            }
        }
        csv += "\n";
    }
    match &args.out {
        Some(path) => {
            recon_nn::checkpoint::write_atomic(path, csv.as_bytes())
                .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {} scores to {}", scores.len(), path.display());
        }
        None => crate::run_dir::print_stdout(&csv)?,
    }
    Ok(())
}

/// `name:error` of the `k` largest errors of a row, largest first.
pub fn top_features(row: &[f64], names: &[String], k: usize) -> String {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
    idx.iter().take(k).map(|&j| format!("{}:{:.4}", names[j], row[j])).collect::<Vec<_>>().join(";")
}

/// Window scores to time-point scores (the maximum over covering windows).
pub fn to_points(window_scores: &[f64], p: &crate::prepare::PointMap) -> Result<Vec<f64>> {
    let w: Vec<f32> = window_scores.iter().map(|&s| s as f32).collect();
    Ok(recon_data::scores_to_points(&w, &p.starts, p.window, p.n_points)?.into_iter().map(f64::from).collect())
}
