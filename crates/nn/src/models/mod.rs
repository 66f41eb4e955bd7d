//! The autoencoder models: a configuration (`config.rs`), how each preset is
//! built from layers (`build.rs`), and the model with its losses
//! (`autoencoder.rs`).

mod autoencoder;
mod build;
mod config;

pub use autoencoder::Autoencoder;
pub use config::{Kind, ModelConfig, ReconLoss};
