//! # recon-nn
//!
//! Layers, optimizers, the autoencoder models of the source articles, the
//! training loop and checkpoints, on top of `recon-autograd`.
//!
//! Files: `params.rs` (named parameters), `init.rs` (Glorot), `layers/` (one
//! layer per file), `models/` (the six presets), `optim/` (SGD, RMSprop,
//! Adam), `train.rs` (the `fit` loop), `score.rs` (anomaly scores),
//! `infer.rs` (the tape-free path that computes them for dense models),
//! `checkpoint.rs` (safetensors, atomic writes), `tensorboard.rs` (event
//! files).

pub mod atomic;
pub mod checkpoint;
pub mod error;
pub mod infer;
pub mod init;
pub mod layers;
pub mod models;
pub mod optim;
pub mod params;
pub mod saved;
pub mod score;
pub mod tensorboard;
pub mod train;

pub use error::{NnError, Result};
pub use models::{Autoencoder, Kind, ModelConfig, ReconLoss};
pub use optim::{Optimizer, OptimizerConfig, OptimizerKind};
pub use params::{ParamId, Params};
pub use train::{fit, EpochLog, FitConfig, Monitor, Silent};
