//! `recon score`: one anomaly score per input row (the reconstruction error,
//! in the scaled feature space the model was trained in), the 0/1 flag from the
//! threshold saved at training, and with `--per-feature` the squared error of
//! every feature plus, for each flagged row, the features that contribute most.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use recon_data::{CsvOptions, CsvStream};
use recon_nn::atomic::AtomicFile;
use recon_nn::score::ErrorMetric;
use recon_tensor::{Backend, Tensor};

use crate::device::{self, Device};
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
    match device::open(&args.device)? {
        Device::Cpu(cpu) => run_on(&args, &cpu),
        Device::Cuda(gpu) => run_on(&args, &gpu),
    }
}

fn run_on<B: Backend<Elem = f32>>(args: &ScoreArgs, backend: &B) -> Result<()> {
    let metric = parse_metric(&args.metric)?;
    if let Some(out) = &args.out {
        run_dir::check_writable(out)?;
    }
    let trained = TrainedModel::load(&args.model, backend)?;
    // The output goes to a temporary file beside `--out` and takes its name
    // only once every row is scored: an error midway leaves the old file.
    let sink = match &args.out {
        Some(path) => Sink::File(AtomicFile::create(path).map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?),
        None => Sink::Stdout(BufWriter::new(std::io::stdout().lock())),
    };
    let mut w =
        ScoreWriter { out: sink, threshold: trained.threshold.as_ref().map(|t| t.value), names: Vec::new(), rows: 0, closed: false };
    if !crate::eval::is_idx(&args.data) && trained.data.window.is_none() {
        score_stream(&trained, args, metric, &mut w)?;
    } else {
        score_whole(&trained, args, metric, &mut w)?;
    }
    let rows = w.rows;
    w.finish()?;
    if let Some(path) = &args.out {
        eprintln!("wrote {rows} scores to {}", path.display());
    }
    Ok(())
}

/// Rows per chunk of a streamed CSV file: large enough for fast batched
/// scoring, small enough that memory stays flat whatever the file's size.
const CHUNK_ROWS: usize = 4096;

/// A CSV table, read, scaled and scored a chunk at a time, so a file larger
/// than memory is scored in constant memory.
fn score_stream<B: Backend<Elem = f32>>(
    trained: &TrainedModel<B>,
    args: &ScoreArgs,
    metric: ErrorMetric,
    w: &mut ScoreWriter,
) -> Result<()> {
    let opts = CsvOptions { label_col: trained.label_col_in(&args.data), drop: trained.data.drop.clone(), ..Default::default() };
    let mut stream = CsvStream::open(&args.data, &opts)?;
    let names = stream.feature_names();
    trained.check_features(&args.data, &names, names.len(), false)?;
    w.header(&names, args.per_feature)?;
    let backend = trained.model.params.backend();
    let mut any = false;
    while let Some(chunk) = stream.next_chunk(CHUNK_ROWS)? {
        any = true;
        let x = Tensor::from_vec(backend, trained.scale(chunk.features)?, &[chunk.n_rows, names.len()])?;
        let scores = trained.model.score(&x, metric)?;
        let per_feature = if args.per_feature { Some(trained.model.per_feature_errors(&x)?.to_f64_vec()?) } else { None };
        w.rows(&scores, per_feature.as_deref())?;
        if w.closed {
            break; // `recon score ... | head`: nobody reads the rest
        }
    }
    if !any {
        return Err(CliError::input(format!("{}: the file has a header line but no data rows", args.data.display())));
    }
    Ok(())
}

/// Files read whole: IDX images, and time series (windows span chunk borders).
fn score_whole<B: Backend<Elem = f32>>(
    trained: &TrainedModel<B>,
    args: &ScoreArgs,
    metric: ErrorMetric,
    w: &mut ScoreWriter,
) -> Result<()> {
    let rows = trained.rows(&args.data, false)?;
    let all: Vec<usize> = (0..rows.data.n_rows).collect();
    let x = rows.data.to_matrix(trained.model.params.backend(), &all)?;
    let mut scores = trained.model.score(&x, metric)?;
    let mut per_feature = if args.per_feature { Some(trained.model.per_feature_errors(&x)?.to_f64_vec()?) } else { None };
    if let Some(p) = &rows.points {
        // A time series: one score per time point, the highest of the windows
        // that cover it. Per-feature errors are per window, so they are left out.
        scores = to_points(&scores, p)?;
        per_feature = None;
    }
    w.header(&rows.data.feature_names, per_feature.is_some())?;
    w.rows(&scores, per_feature.as_deref())
}

/// Where the scores go.
enum Sink {
    File(AtomicFile),
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
}

/// Writes the score CSV: a header, then one line per row as rows are scored.
struct ScoreWriter {
    out: Sink,
    threshold: Option<f64>,
    /// The feature names, when per-feature errors are written.
    names: Vec<String>,
    /// Rows written so far (the next row's number).
    rows: usize,
    /// Standard output was closed by the reader (`| head`): stop quietly.
    closed: bool,
}

impl ScoreWriter {
    fn header(&mut self, names: &[String], per_feature: bool) -> Result<()> {
        let mut line = String::from("row,score");
        if self.threshold.is_some() {
            line += ",is_anomaly";
        }
        if per_feature {
            self.names = names.to_vec();
            line += ",top_features";
            for n in names {
                line += &format!(",err_{}", n.replace([',', '"'], "_"));
            }
        }
        line += "\n";
        self.write(&line)
    }

    /// One line per score; `per_feature` holds `scores.len() x names.len()` errors.
    fn rows(&mut self, scores: &[f64], per_feature: Option<&[f64]>) -> Result<()> {
        let d = self.names.len();
        let mut text = String::new();
        for (i, s) in scores.iter().enumerate() {
            let flagged = self.threshold.map(|t| *s > t);
            let _ = write!(text, "{},{s}", self.rows + i);
            if let Some(f) = flagged {
                let _ = write!(text, ",{}", u8::from(f));
            }
            if let Some(errs) = per_feature {
                let row = &errs[i * d..(i + 1) * d];
                let top = if flagged.unwrap_or(true) { top_features(row, &self.names, TOP) } else { String::new() };
                let _ = write!(text, ",\"{top}\"");
                for e in row {
                    let _ = write!(text, ",{e}");
                }
            }
            text += "\n";
        }
        self.rows += scores.len();
        self.write(&text)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = match &mut self.out {
            Sink::File(f) => f.write_all(text.as_bytes()),
            Sink::Stdout(s) => s.write_all(text.as_bytes()),
        };
        self.check(result)
    }

    fn check(&mut self, result: std::io::Result<()>) -> Result<()> {
        match (result, &self.out) {
            (Ok(()), _) => Ok(()),
            (Err(e), Sink::Stdout(_)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            (Err(e), Sink::Stdout(_)) => Err(CliError::failure(format!("cannot write to standard output: {e}"))),
            (Err(e), Sink::File(_)) => Err(CliError::failure(format!("cannot write the scores: {e}"))),
        }
    }

    /// Flushes standard output, or puts the file in place under its name.
    fn finish(mut self) -> Result<()> {
        match self.out {
            Sink::File(f) => f.commit().map_err(|e| CliError::failure(format!("cannot write the scores: {e}"))),
            Sink::Stdout(ref mut s) => {
                let r = s.flush();
                self.check(r)
            }
        }
    }
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
