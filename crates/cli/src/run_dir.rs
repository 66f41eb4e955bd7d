//! The run folder `train --out DIR` writes:
//!
//! | file | what |
//! |---|---|
//! | `model.safetensors` | the weights after the last finished epoch, the optimizer state, the configuration, the scaler and the data options (its metadata) |
//! | `best.safetensors`  | the same, at the epoch with the lowest validation loss |
//! | `metrics.jsonl`     | one JSON object per epoch: epoch, loss, val_loss, seconds, lr |
//! | `config.json`       | the configuration, readable |
//! | `threshold.json`    | the score above which `recon score` flags a row, and how it was chosen |
//! | `tensorboard/`      | the loss curves as TensorBoard event files |
//!
//! Every file is replaced atomically (written beside, then renamed), so an
//! interrupted run never leaves half a file where a good one was.

use std::path::{Path, PathBuf};

use recon_nn::checkpoint::write_atomic;

use crate::error::{CliError, Result};

pub const MODEL: &str = "model.safetensors";
pub const BEST: &str = "best.safetensors";
pub const METRICS: &str = "metrics.jsonl";
pub const CONFIG: &str = "config.json";
pub const TENSORBOARD: &str = "tensorboard";
pub const THRESHOLD: &str = "threshold.json";

pub fn create(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::input(format!("cannot create the output folder {}: {e}", dir.display())))
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir.join(name);
    write_atomic(&path, bytes).map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// The model file of a run folder, or a clear error if there is none.
pub fn model_path(dir: &Path) -> Result<PathBuf> {
    let p = dir.join(MODEL);
    if !dir.is_dir() {
        return Err(CliError::input(format!("{} is not a run folder (no such folder)", dir.display())));
    }
    if !p.is_file() {
        return Err(CliError::input(format!("{} holds no {MODEL}: train a model into it with `recon train --out`", dir.display())));
    }
    Ok(p)
}

/// Fails early (before any work) when `path`'s folder does not exist, so a
/// long computation never ends in a write that cannot happen.
pub fn check_writable(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(CliError::input(format!("cannot write {}: the folder {} does not exist", path.display(), parent.display())));
    }
    if path.is_dir() {
        return Err(CliError::input(format!("cannot write {}: it is a folder", path.display())));
    }
    Ok(())
}

/// Writes `text` to standard output; a closed pipe (`recon score | head`) is
/// not an error, any other write failure is.
pub fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failure(format!("cannot write to standard output: {e}"))),
        _ => Ok(()),
    }
}
