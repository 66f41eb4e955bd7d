//! `recon train`: fit an autoencoder preset on the normal rows of a file and
//! write a run folder (see `run_dir.rs`). `--resume DIR` continues a run from
//! its last checkpoint with the flags it was started with.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use recon_detect::Threshold;
use recon_nn::optim::OptimizerKind;
use recon_nn::saved;
use recon_nn::score::ErrorMetric;
use recon_nn::tensorboard::EventWriter;
use recon_nn::train::{fit, EpochLog, FitConfig, Monitor};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::Backend;
use serde::{Deserialize, Serialize};

use crate::device::{self, Device};
use crate::error::{CliError, Result};
use crate::prepare::{prepare, DataOptions};
use crate::run_dir;

#[derive(Args, Debug, Clone, Serialize, Deserialize)]
pub struct TrainArgs {
    /// CSV file (with a header) or IDX images file (MNIST format, labels file beside it).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// ae | sparse-ae | deep-ae | conv-ae | denoising-ae | vae
    #[arg(long, default_value = "ae")]
    pub model: String,
    /// Column holding the class of each row.
    #[arg(long)]
    pub label_col: Option<String>,
    /// The label of normal rows; all other rows are anomalies.
    #[arg(long)]
    pub normal_label: Option<String>,
    /// Columns to ignore, comma-separated (e.g. --drop Time).
    #[arg(long, value_delimiter = ',')]
    pub drop: Vec<String>,
    /// Time series: train on sliding windows of this many time points (rows).
    #[arg(long)]
    pub window: Option<usize>,
    /// Time points between consecutive windows.
    #[arg(long, default_value_t = 1)]
    pub stride: usize,
    /// Epochs to train [default: 20].
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// adam | rmsprop | sgd
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.0)]
    pub momentum: f64,
    /// Clip gradients to this global L2 norm.
    #[arg(long)]
    pub clip_norm: Option<f64>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// cpu | cuda
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// The run folder to write.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Hidden layer widths of the encoder, comma-separated (the decoder mirrors them).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Width of the code / latent space.
    #[arg(long)]
    pub latent: Option<usize>,
    /// Weight of the VAE's KL term (beta-VAE).
    #[arg(long)]
    pub beta: Option<f64>,
    /// Input noise of the denoising autoencoder (standard deviation).
    #[arg(long)]
    pub noise: Option<f64>,
    /// L1 activity penalty on the code (sparse autoencoder).
    #[arg(long)]
    pub l1: Option<f64>,
    /// VAE decoder that predicts a variance per feature too.
    #[arg(long)]
    pub gaussian_decoder: bool,
    /// Stop when the validation loss has not improved for this many epochs.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Share of rows held out for testing (stratified by class).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Share of the training normals held out for validation.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Continue the run in this folder from its last checkpoint.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// No progress bar or per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

impl TrainArgs {
    pub fn data_options(&self) -> Result<DataOptions> {
        let path = self.data.clone().ok_or_else(|| CliError::input("train needs --data PATH"))?;
        Ok(DataOptions {
            path,
            label_col: self.label_col.clone(),
            normal_label: self.normal_label.clone(),
            drop: self.drop.clone(),
            window: self.window,
            stride: self.stride,
        })
    }

    /// The preset for the data's row shape, with the size flags applied.
    pub fn model_config(&self, row_shape: &[usize]) -> Result<ModelConfig> {
        let kind = Kind::parse(&self.model).ok_or_else(|| {
            let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
            CliError::input(format!("unknown model '{}'; choose one of {}", self.model, names.join(", ")))
        })?;
        let mut c = ModelConfig::preset(kind, row_shape)?;
        if let Some(h) = &self.hidden {
            c.hidden = h.clone();
        }
        if let Some(l) = self.latent {
            c.latent = l;
        }
        if let Some(b) = self.beta {
            c.beta = b;
        }
        if let Some(n) = self.noise {
            c.noise = n;
        }
        if let Some(l1) = self.l1 {
            c.activity_l1 = l1;
        }
        c.gaussian_decoder |= self.gaussian_decoder;
        c.validate()?;
        Ok(c)
    }

    pub fn optimizer_config(&self) -> Result<OptimizerConfig> {
        let kind = OptimizerKind::parse(&self.optimizer)
            .ok_or_else(|| CliError::input(format!("unknown optimizer '{}'; choose adam, rmsprop or sgd", self.optimizer)))?;
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(CliError::input(format!("--lr must be a positive number, got {}", self.lr)));
        }
        Ok(OptimizerConfig { kind, lr: self.lr, momentum: self.momentum, clip_norm: self.clip_norm, ..Default::default() })
    }

    pub fn fit_config(&self) -> Result<FitConfig> {
        if self.batch_size == 0 {
            return Err(CliError::input("--batch-size must be positive"));
        }
        Ok(FitConfig { epochs: self.epochs.unwrap_or(20), batch_size: self.batch_size, seed: self.seed, patience: self.patience })
    }
}

/// Progress bar, per-epoch line, metrics.jsonl, TensorBoard and checkpoints.
struct RunMonitor {
    dir: PathBuf,
    bar: Option<ProgressBar>,
    quiet: bool,
    lines: Vec<String>,
    tensorboard: Option<EventWriter>,
    best: f64,
    meta: BTreeMap<String, String>,
    epochs: usize,
}

/// Set by the first Ctrl-C; the training loop stops before its next batch.
static STOP: AtomicBool = AtomicBool::new(false);

/// Ctrl-C once: finish the batch, keep the last whole epoch's checkpoint, and
/// say how to resume. Ctrl-C twice: exit at once, which is also safe, since
/// every file is written atomically (at worst the epoch in progress is lost).
fn catch_ctrl_c() {
    let installed = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping after this batch (Ctrl-C again to stop now)");
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will stop training without a message ({e})");
    }
}

impl<B: Backend> Monitor<B> for RunMonitor {
    fn stop_requested(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }

    fn batch(&mut self, epoch: usize, batch: usize, batches: usize, loss: f64) {
        if self.quiet {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(batches as u64);
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        bar.set_prefix(format!("epoch {epoch}"));
        bar.set_position(batch as u64);
        bar.set_message(format!("loss {loss:.5}"));
    }

    fn epoch(&mut self, log: &EpochLog, model: &Autoencoder<B>, opt: &Optimizer<B>) -> recon_nn::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let val = log.val_loss.map_or("-".to_string(), |v| format!("{v:.5}"));
        if !self.quiet {
            println!("epoch {:>3}/{}  loss {:.5}  val_loss {val}  {:.2} s", log.epoch, self.epochs, log.loss, log.seconds);
        }
        let line =
            serde_json::json!({"epoch": log.epoch, "loss": log.loss, "val_loss": log.val_loss, "seconds": log.seconds, "lr": log.lr});
        self.lines.push(line.to_string());
        let io = |e: CliError| recon_nn::NnError::Io(e.message);
        run_dir::write(&self.dir, run_dir::METRICS, (self.lines.join("\n") + "\n").as_bytes()).map_err(io)?;
        if let Some(tb) = &mut self.tensorboard {
            let step = log.epoch as i64;
            let ok = tb.add_scalar("loss", log.loss as f32, step).is_ok()
                && log.val_loss.is_none_or(|v| tb.add_scalar("val_loss", v as f32, step).is_ok())
                && tb.flush().is_ok();
            if !ok {
                eprintln!("warning: could not write the TensorBoard log; training goes on");
                self.tensorboard = None;
            }
        }
        // model.safetensors last: `--resume` starts from its epoch, so whatever
        // a kill between these writes leaves newer (metrics, best) is redone,
        // with the same numbers, by the resumed run.
        let score = log.val_loss.unwrap_or(log.loss);
        if score < self.best {
            self.best = score;
            saved::save(&self.dir.join(run_dir::BEST), model, Some(opt), log.epoch, &self.meta)?;
        }
        saved::save(&self.dir.join(run_dir::MODEL), model, Some(opt), log.epoch, &self.meta)?;
        Ok(())
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    match device::open(&args.device)? {
        Device::Cpu(cpu) => run_on(args, &cpu),
        Device::Cuda(gpu) => run_on(args, &gpu),
    }
}

fn run_on<B: Backend<Elem = f32>>(mut args: TrainArgs, backend: &B) -> Result<()> {
    // A resumed run takes its flags from the checkpoint (a new --epochs may
    // extend it; the device is the one named now).
    let resumed = match &args.resume {
        Some(dir) => {
            let loaded = saved::load(&run_dir::model_path(dir)?, backend)?;
            let stored = loaded
                .metadata
                .get("train_args")
                .ok_or_else(|| CliError::input(format!("{}: the checkpoint has no training flags to resume with", dir.display())))?;
            let mut stored: TrainArgs =
                serde_json::from_str(stored).map_err(|e| CliError::input(format!("{}: unreadable training flags: {e}", dir.display())))?;
            stored.epochs = args.epochs.or(stored.epochs);
            stored.out = Some(dir.clone());
            stored.quiet = args.quiet;
            stored.device = args.device.clone();
            args = stored;
            Some(loaded)
        }
        None => None,
    };
    let out = args.out.clone().ok_or_else(|| CliError::input("train needs --out DIR (the run folder to write)"))?;
    if resumed.is_none() && out.join(run_dir::MODEL).exists() {
        return Err(CliError::input(format!(
            "{} already holds a trained model; continue it with --resume {0} or choose another --out",
            out.display()
        )));
    }
    // The data path is stored absolute, so eval and --resume find it from any folder.
    if let Some(p) = &args.data {
        args.data = Some(p.canonicalize().map_err(|e| CliError::input(format!("{}: {e}", p.display())))?);
    }
    let data_opts = args.data_options()?;
    let fit_cfg = args.fit_config()?;
    let prepared = prepare(&data_opts, args.seed, args.test_fraction, args.val_fraction)?;
    let data = &prepared.data;

    let (mut model, mut opt, start) = match resumed {
        Some(l) => {
            let opt = match l.optimizer {
                Some(o) => o,
                None => Optimizer::new(args.optimizer_config()?, &l.model.params)?,
            };
            (l.model, opt, l.epoch)
        }
        None => {
            let mut config = args.model_config(&data.row_shape)?;
            if config.noise > 0.0 {
                // Noisy inputs stay inside the range the training data spans.
                let rows = data.gather(&prepared.train_rows)?;
                let lo = rows.iter().fold(f32::INFINITY, |m, &v| m.min(v)) as f64;
                let hi = rows.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
                config.noise_clip = Some((lo, hi));
            }
            let model = Autoencoder::new(config, backend, args.seed)?;
            let opt = Optimizer::new(args.optimizer_config()?, &model.params)?;
            (model, opt, 0)
        }
    };

    run_dir::create(&out)?;
    let mut meta = BTreeMap::new();
    meta.insert("train_args".to_string(), serde_json::to_string(&args).map_err(|e| CliError::failure(e.to_string()))?);
    meta.insert("data".to_string(), serde_json::to_string(&data_opts).map_err(|e| CliError::failure(e.to_string()))?);
    meta.insert("feature_names".to_string(), serde_json::to_string(&data.feature_names).map_err(|e| CliError::failure(e.to_string()))?);
    if let Some(s) = &prepared.scaler {
        meta.insert("scaler".to_string(), s.to_json());
    }
    let readable = serde_json::json!({
        "model": serde_json::from_str::<serde_json::Value>(&model.config.to_json()).unwrap_or_default(),
        "train_args": &args,
        "feature_names": &data.feature_names,
        "rows": {"train": prepared.train_rows.len(), "validation": prepared.val_rows.len(), "test": prepared.test_rows.len()},
    });
    run_dir::write(&out, run_dir::CONFIG, serde_json::to_string_pretty(&readable).unwrap_or_default().as_bytes())?;
    if start == 0 {
        // An epoch-0 checkpoint: even a run that diverges at once leaves a loadable model.
        saved::save(&out.join(run_dir::MODEL), &model, Some(&opt), 0, &meta)?;
    }
    let lines = match std::fs::read_to_string(out.join(run_dir::METRICS)) {
        Ok(text) if start > 0 => text.lines().take(start).map(String::from).collect(),
        _ => Vec::new(),
    };

    if !args.quiet {
        println!("{}", model.summary());
        println!(
            "training on {} normal rows ({} for validation, {} held out for testing), {} epochs of batches of {}",
            prepared.train_rows.len(),
            prepared.val_rows.len(),
            prepared.test_rows.len(),
            fit_cfg.epochs,
            fit_cfg.batch_size
        );
    }
    let train = data.to_matrix(backend, &prepared.train_rows)?;
    let val = data.to_matrix(backend, &prepared.val_rows)?;
    let tensorboard = EventWriter::create(&out.join(run_dir::TENSORBOARD)).ok();
    // A resumed run keeps the best epoch it already had.
    let best = best_so_far(&lines);
    let mut monitor = RunMonitor { dir: out.clone(), bar: None, quiet: args.quiet, lines, tensorboard, best, meta, epochs: fit_cfg.epochs };
    catch_ctrl_c();
    let logs = match fit(&mut model, &mut opt, &train, Some(&val), &fit_cfg, start, &mut monitor) {
        Err(recon_nn::NnError::Interrupted { epoch, batch }) => {
            if let Some(bar) = monitor.bar.take() {
                bar.finish_and_clear();
            }
            return Err(CliError::interrupted(format!(
                "interrupted at epoch {epoch}, batch {batch}: {} holds the model after epoch {}; continue with: recon train --resume {0}",
                out.display(),
                epoch - 1
            )));
        }
        other => other?,
    };
    // The threshold `recon score` flags rows with: the 99th percentile of the
    // best model's scores on the training normals.
    let best = crate::model::TrainedModel::load(&out, backend)?;
    let scores = best.model.score(&train, ErrorMetric::Mse)?;
    let threshold = Threshold::percentile(&scores, 99.0).map_err(|e| CliError::failure(e.to_string()))?;
    run_dir::write(&out, run_dir::THRESHOLD, serde_json::to_string_pretty(&threshold).unwrap_or_default().as_bytes())?;
    if !args.quiet {
        println!("threshold {:.6} ({})", threshold.value, threshold.rule);
        match logs.last() {
            Some(l) => println!("done: loss {:.5} after epoch {}; model in {}", l.loss, l.epoch, out.join(run_dir::MODEL).display()),
            None => println!("nothing to do: the run already has {} epochs", start),
        }
    }
    Ok(())
}

/// The lowest validation loss (else training loss) among earlier epochs' lines.
fn best_so_far(lines: &[String]) -> f64 {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["val_loss"].as_f64().or_else(|| v["loss"].as_f64()))
        .fold(f64::INFINITY, f64::min)
}
