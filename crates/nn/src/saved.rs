//! A trained model on disk: its weights, its optimizer's state and everything
//! needed to rebuild and resume it, in one safetensors file.
//!
//! Arrays: each parameter under its own name (`encoder.0.weight`, PyTorch's
//! layouts), and each optimizer slot as `optimizer.<param>.<slot>`.
//! Metadata (strings): `config` (the model configuration, JSON), `optimizer`
//! (hyper-parameters and step count, JSON), `epoch` (epochs completed), plus
//! whatever the caller adds (the scaler, the data options).

use std::collections::BTreeMap;
use std::path::Path;

use recon_tensor::{Backend, Tensor};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, NamedArray};
use crate::error::{NnError, Result};
use crate::models::{Autoencoder, ModelConfig};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::params::ParamId;

#[derive(Serialize, Deserialize)]
struct OptimizerMeta {
    config: OptimizerConfig,
    step: u64,
}

fn array<B: Backend>(name: String, t: &Tensor<B>) -> Result<NamedArray> {
    let data = t.to_f64_vec()?.into_iter().map(|v| v as f32).collect();
    Ok(NamedArray { name, shape: t.shape().to_vec(), data })
}

/// Writes `path` atomically (a crash never leaves half a file in its place).
pub fn save<B: Backend>(
    path: &Path,
    model: &Autoencoder<B>,
    opt: Option<&Optimizer<B>>,
    epoch: usize,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let mut arrays = Vec::new();
    for (name, t) in model.params.iter() {
        arrays.push(array(name.to_string(), t)?);
    }
    let mut meta = extra.clone();
    meta.insert("config".into(), model.config.to_json());
    meta.insert("epoch".into(), epoch.to_string());
    meta.insert("format".into(), "recon-checkpoint-1".into());
    if let Some(opt) = opt {
        for (name, slots) in model.params.names().iter().zip(&opt.slots) {
            for (i, s) in slots.iter().enumerate() {
                arrays.push(array(format!("optimizer.{name}.{i}"), s)?);
            }
        }
        let m = OptimizerMeta { config: opt.config, step: opt.step };
        meta.insert("optimizer".into(), serde_json::to_string(&m).map_err(|e| NnError::Io(e.to_string()))?);
    }
    checkpoint::save(path, &arrays, &meta).map_err(|e| NnError::Io(e.to_string()))
}

/// What `load` gives back.
pub struct Loaded<B: Backend> {
    pub model: Autoencoder<B>,
    /// `None` when the file holds no optimizer state.
    pub optimizer: Option<Optimizer<B>>,
    pub epoch: usize,
    pub metadata: BTreeMap<String, String>,
}

/// Rebuilds the model (and optimizer) saved in `path` on `backend`. Every
/// array must be present with the shape the configuration implies.
pub fn load<B: Backend>(path: &Path, backend: &B) -> Result<Loaded<B>> {
    let file = checkpoint::load(path).map_err(|e| NnError::Io(e.to_string()))?;
    rebuild(path, file, backend)
}

/// [`load`] of a whole file held in memory; `path` only names it in errors.
/// Never panics, whatever the bytes are.
pub fn from_bytes<B: Backend>(path: &Path, bytes: &[u8], backend: &B) -> Result<Loaded<B>> {
    let file = checkpoint::from_bytes(path, bytes).map_err(|e| NnError::Io(e.to_string()))?;
    rebuild(path, file, backend)
}

/// The model and optimizer from a checkpoint's arrays and metadata.
fn rebuild<B: Backend>(path: &Path, file: (Vec<NamedArray>, BTreeMap<String, String>), backend: &B) -> Result<Loaded<B>> {
    let bad = |why: String| NnError::Io(format!("checkpoint {}: {why}", path.display()));
    let (arrays, metadata) = file;
    let config_json =
        metadata.get("config").ok_or_else(|| bad("no model configuration in its metadata (not a Recon checkpoint?)".into()))?;
    let config = ModelConfig::from_json(config_json).map_err(|e| bad(e.to_string()))?;
    // The sizes in the configuration come from the file: check that the file
    // holds at least that many values before building (allocating) the model,
    // so a small file cannot ask for gigabytes.
    let stored: usize = arrays.iter().map(|a| a.data.len()).sum();
    let needed = config.param_count().unwrap_or(usize::MAX);
    if needed > stored {
        return Err(bad(format!("its configuration needs {needed} parameters but the file holds only {stored} values")));
    }
    let epoch = metadata.get("epoch").and_then(|e| e.parse().ok()).unwrap_or(0);
    let mut by_name: BTreeMap<&str, &NamedArray> = arrays.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut take = |name: &str, like: &Tensor<B>| -> Result<Tensor<B>> {
        let a = by_name.remove(name).ok_or_else(|| bad(format!("the array '{name}' is missing")))?;
        if a.shape != like.shape() {
            return Err(bad(format!("'{name}' has shape {:?}, the model needs {:?}", a.shape, like.shape())));
        }
        let v: Vec<f64> = a.data.iter().map(|&x| x as f64).collect();
        Ok(Tensor::from_f64s(backend, &v, &a.shape)?)
    };
    let mut model = Autoencoder::new(config, backend, 0)?;
    let names: Vec<String> = model.params.names().to_vec();
    for (i, name) in names.iter().enumerate() {
        let t = take(name, model.params.get(ParamId(i)))?;
        model.params.set(ParamId(i), t);
    }
    let optimizer = match metadata.get("optimizer") {
        None => None,
        Some(json) => {
            let m: OptimizerMeta = serde_json::from_str(json).map_err(|e| bad(format!("unreadable optimizer state: {e}")))?;
            let mut opt = Optimizer::new(m.config, &model.params)?;
            opt.step = m.step;
            for (p, name) in names.iter().enumerate() {
                for i in 0..opt.slots[p].len() {
                    let like = opt.slots[p][i].clone();
                    opt.slots[p][i] = take(&format!("optimizer.{name}.{i}"), &like)?;
                }
            }
            Some(opt)
        }
    };
    Ok(Loaded { model, optimizer, epoch, metadata })
}
