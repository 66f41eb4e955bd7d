//! `recon eval`: score labelled rows with a trained model and report how well
//! the scores separate normals from anomalies: ROC AUC, PR AUC, and per
//! threshold the classification report and the confusion matrix. `--json`
//! prints the same numbers as one JSON object; `--out DIR` also writes
//! `DIR/report.html` (plots) and `DIR/eval.json`.
//!
//! Evaluated on the file the model was trained on, only the rows held out for
//! testing are used (the same stratified split, from the stored seed), so the
//! numbers never include rows the model was fitted to. `--all-rows` overrides.

use std::path::{Path, PathBuf};

use clap::Args;
use recon_data::stratified_split;
use recon_detect::{evaluate, precision_recall_curve, roc_curve, Evaluation, Threshold};
use recon_nn::score::ErrorMetric;
use recon_nn::{Autoencoder, Kind};
use recon_report::{EpochPoint, ImageSet, ReportData, ThresholdRow};
use recon_tensor::{Backend, Tensor};

use crate::device::{self, Device};
use crate::error::{CliError, Result};
use crate::latent::pca2;
use crate::model::TrainedModel;
use crate::run_dir;
use crate::score::top_features;

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// The run folder `recon train --out` wrote.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled CSV or IDX file with the training data's features.
    #[arg(long)]
    pub data: PathBuf,
    /// Label column [default: the one used in training].
    #[arg(long)]
    pub label_col: Option<String>,
    /// Label of normal rows [default: the one used in training].
    #[arg(long)]
    pub normal_label: Option<String>,
    /// Extra fixed thresholds to report, comma-separated (the articles try 1,5,10,15).
    #[arg(long, value_delimiter = ',')]
    pub thresholds: Vec<f64>,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// Write report.html and eval.json into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Use every row of the file, even when it is the training file.
    #[arg(long)]
    pub all_rows: bool,
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// How many images and flagged rows the report shows.
const SHOWN: usize = 8;

pub fn run(args: EvalArgs) -> Result<()> {
    match device::open(&args.device)? {
        Device::Cpu(cpu) => run_on(&args, &cpu),
        Device::Cuda(gpu) => run_on(&args, &gpu),
    }
}

fn run_on<B: Backend<Elem = f32>>(args: &EvalArgs, backend: &B) -> Result<()> {
    if let Some(out) = &args.out {
        if out.exists() && !out.is_dir() {
            return Err(CliError::input(format!("--out {} exists and is not a folder", out.display())));
        }
    }
    let mut trained = TrainedModel::load(&args.model, backend)?;
    if args.label_col.is_some() {
        trained.data.label_col = args.label_col.clone();
    }
    if args.normal_label.is_some() {
        trained.data.normal_label = args.normal_label.clone();
    }
    if trained.data.label_col.is_none() && !is_idx(&args.data) {
        return Err(CliError::input("eval needs labels: give --label-col and --normal-label"));
    }
    let rows = trained.rows(&args.data, true)?;
    let is_anomaly_all = rows.is_anomaly.clone().ok_or_else(|| {
        CliError::input(format!(
            "{}: no labels found (label column {:?}, normal label {:?})",
            args.data.display(),
            trained.data.label_col,
            trained.data.normal_label
        ))
    })?;
    if !is_anomaly_all.iter().any(|a| !a) {
        return Err(CliError::input(format!(
            "{}: no row has the normal label '{}', so there is nothing to tell anomalies from",
            args.data.display(),
            trained.data.normal_label.as_deref().unwrap_or("")
        )));
    }
    let (selected, which) = if rows.points.is_some() {
        let all: Vec<usize> = (0..rows.data.n_rows).collect();
        (all, "every time point of the series (scored by the windows covering it)".to_string())
    } else {
        select_rows(&trained, args, &is_anomaly_all)?
    };
    let x = rows.data.to_matrix(backend, &selected)?;
    let mut is_anomaly: Vec<bool> = selected.iter().map(|&r| is_anomaly_all[r]).collect();
    let mut scores = trained.model.score(&x, ErrorMetric::Mse)?;
    if let Some(p) = &rows.points {
        scores = crate::score::to_points(&scores, p)?;
        is_anomaly = p.point_is_anomaly.clone().unwrap_or_default();
    }

    let mut thresholds = Vec::new();
    if let Some(t) = &trained.threshold {
        thresholds.push(t.clone());
    }
    if let Ok(t) = Threshold::best_f1(&scores, &is_anomaly) {
        thresholds.push(Threshold::new(t.value, "best F1 on these labels (optimistic: chosen on the test rows)"));
    }
    thresholds.extend(Threshold::fixed(&args.thresholds).map_err(|e| CliError::input(e.to_string()))?);
    let evaluation = evaluate(&scores, &is_anomaly, &thresholds).map_err(|e| CliError::input(e.to_string()))?;
    let title = format!("{} on {}", trained.model.config.kind.name(), file_name(&args.data));
    let vae = vae_comparison(&trained.model, &x, &is_anomaly)?;

    if args.json {
        let mut v = evaluation.to_json_value();
        v["rows"] = serde_json::json!(which);
        if !vae.is_empty() {
            v["vae_scores"] = serde_json::json!(vae.iter().map(|(n, a)| serde_json::json!({"score": n, "roc_auc": a})).collect::<Vec<_>>());
        }
        run_dir::print_stdout(&(v.to_string() + "\n"))?;
    } else {
        let mut text = format!("== {title}: {which} ==\n{}", evaluation.to_text());
        if !vae.is_empty() {
            text += "\nVAE scores compared (ROC AUC on these rows):\n";
            for (name, auc) in &vae {
                text += &format!("  {name:<11} {}\n", auc.map_or("undefined".into(), |a| format!("{a:.4}")));
            }
        }
        run_dir::print_stdout(&text)?;
    }
    if let (Some(out), true) = (&args.out, rows.points.is_none()) {
        run_dir::create(out)?;
        run_dir::write(out, "eval.json", evaluation.to_json().as_bytes())?;
        let data = report_data(&trained, &args.model, &x, &scores, &is_anomaly, &evaluation, title, &rows.data.feature_names, &selected)?;
        let path = recon_report::write_report(out, &data)
            .map_err(|e| CliError::failure(format!("cannot write the report in {}: {e}", out.display())))?;
        if !args.json {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}

/// Whether `path` is an IDX images file (sniffed from its first bytes); an
/// unreadable file counts as not, and its reader names the problem later.
pub fn is_idx(path: &Path) -> bool {
    recon_data::is_idx(path).unwrap_or(false)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The rows to evaluate: the held-out test rows when `data` is the training
/// file, else all rows. Returns them and a phrase saying which they are.
fn select_rows<B: Backend>(trained: &TrainedModel<B>, args: &EvalArgs, is_anomaly: &[bool]) -> Result<(Vec<usize>, String)> {
    let all: Vec<usize> = (0..is_anomaly.len()).collect();
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
    if args.all_rows || !same(&args.data, &trained.data.path) || trained.train_args.is_none() {
        return Ok((all, format!("all {} rows", is_anomaly.len())));
    }
    let (seed, fraction) = trained.train_args.unwrap_or((42, 0.2));
    // The training split was stratified on "is normal"; is_anomaly is its negation.
    let is_normal: Vec<bool> = is_anomaly.iter().map(|a| !a).collect();
    let test = stratified_split(&is_normal, fraction, seed)?.test;
    let n = test.len();
    Ok((test, format!("the {n} test rows held out in training (--all-rows for every row)")))
}

/// For a VAE: the ROC AUC of each of its five scores on these rows.
fn vae_comparison<B: Backend>(model: &Autoencoder<B>, x: &Tensor<B>, is_anomaly: &[bool]) -> Result<Vec<(&'static str, Option<f64>)>> {
    if model.config.kind != Kind::Vae {
        return Ok(Vec::new());
    }
    let s = model.vae_scores(x, 16, 7)?;
    Ok(s.named().iter().map(|(name, v)| (*name, recon_detect::roc_auc(v, is_anomaly).ok())).collect())
}

/// Everything the HTML report shows.
#[allow(clippy::too_many_arguments)]
fn report_data<B: Backend<Elem = f32>>(
    trained: &TrainedModel<B>,
    run: &Path,
    x: &Tensor<B>,
    scores: &[f64],
    is_anomaly: &[bool],
    ev: &Evaluation,
    title: String,
    names: &[String],
    selected: &[usize],
) -> Result<ReportData> {
    let model = &trained.model;
    let thresholds: Vec<ThresholdRow> = ev
        .thresholds
        .iter()
        .map(|t| {
            let c = &t.report.confusion;
            ThresholdRow {
                value: t.threshold.value,
                rule: t.threshold.rule.clone(),
                precision: t.report.anomaly.precision,
                recall: t.report.anomaly.recall,
                f1: t.report.anomaly.f1,
                accuracy: t.report.accuracy,
                confusion: [[c.tn as u64, c.fp as u64], [c.fn_ as u64, c.tp as u64]],
            }
        })
        .collect();
    let (roc, pr) = match (roc_curve(scores, is_anomaly), precision_recall_curve(scores, is_anomaly)) {
        (Ok(r), Ok(p)) => (r.fpr.into_iter().zip(r.tpr).collect(), p.recall.into_iter().zip(p.precision).collect()),
        _ => (Vec::new(), Vec::new()),
    };
    let codes = model.encode(x)?;
    let k = codes.numel() / codes.shape()[0].max(1);
    let latent = Some(pca2(&codes.to_f64_vec()?, k));
    let chosen_value = thresholds.first().map_or(f64::INFINITY, |t| t.value);
    let images = if model.config.input.len() == 3 { Some(images(model, x, scores)?) } else { None };
    let top = if images.is_none() {
        let errs = model.per_feature_errors(x)?.to_f64_vec()?;
        let d = names.len();
        let mut flagged: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > chosen_value).collect();
        flagged.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        flagged
            .iter()
            .take(SHOWN)
            .map(|&i| {
                let row = &errs[i * d..(i + 1) * d];
                let parsed = top_features(row, names, 3)
                    .split(';')
                    .filter_map(|p| p.rsplit_once(':'))
                    .map(|(n, v)| (n.to_string(), v.parse().unwrap_or(0.0)))
                    .collect();
                (selected[i], parsed)
            })
            .collect()
    } else {
        Vec::new()
    };
    let epochs = read_epochs(run);
    let mut notes =
        vec![format!("Scores are the mean squared reconstruction error per row, in the scaled feature space the model was trained in.")];
    if let Some(t) = thresholds.first() {
        notes.push(format!("The line and the headline numbers use the threshold {:.4}: {}.", t.value, t.rule));
    }
    Ok(ReportData {
        title,
        model_summary: model.summary(),
        epochs,
        scores: scores.to_vec(),
        is_anomaly: is_anomaly.to_vec(),
        score_name: "reconstruction MSE".into(),
        thresholds,
        chosen: 0,
        roc,
        roc_auc: ev.roc_auc.unwrap_or(f64::NAN),
        pr,
        pr_auc: ev.pr_auc.unwrap_or(f64::NAN),
        latent,
        images,
        top_features: top,
        notes,
    })
}

/// Inputs and reconstructions of the first test images, noisy versions for a
/// denoising model, and the most anomalous images.
fn images<B: Backend<Elem = f32>>(model: &Autoencoder<B>, x: &Tensor<B>, scores: &[f64]) -> Result<ImageSet> {
    let (h, w) = (model.config.input[1], model.config.input[2]);
    let d = h * w * model.config.input[0];
    let n = x.shape()[0].min(SHOWN);
    let first = x.slice_rows(0, n)?;
    let rows = |t: &Tensor<B>| -> Result<Vec<Vec<f32>>> { Ok(t.to_vec()?.chunks(d).map(|c| c.to_vec()).collect()) };
    let (shown_in, noisy) = if model.config.noise > 0.0 {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
        let noise = Tensor::rand_normal(x.backend(), first.shape(), 0.0, model.config.noise, &mut rng)?;
        let (lo, hi) = model.config.noise_clip.unwrap_or((0.0, 1.0));
        let noisy = first.add(&noise)?.unary(recon_tensor::Unary::Clamp(lo, hi))?;
        (noisy.clone(), Some(rows(&noisy)?))
    } else {
        (first.clone(), None)
    };
    let recon = model.reconstruct(&shown_in)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let all = x.to_vec()?;
    let most = order.iter().take(SHOWN).map(|&i| (all[i * d..(i + 1) * d].to_vec(), scores[i])).collect();
    Ok(ImageSet { width: w, height: h, inputs: rows(&first)?, reconstructions: rows(&recon)?, noisy, most_anomalous: most })
}

/// The loss curve from the run folder's metrics.jsonl (empty if unreadable).
fn read_epochs(run: &Path) -> Vec<EpochPoint> {
    let Ok(text) = std::fs::read_to_string(run.join(run_dir::METRICS)) else { return Vec::new() };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some(EpochPoint { epoch: v["epoch"].as_u64()? as usize, loss: v["loss"].as_f64()?, val_loss: v["val_loss"].as_f64() })
        })
        .collect()
}
