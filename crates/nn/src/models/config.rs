//! A model's configuration: which preset, its sizes, and its regularisers.
//! Saved as JSON with every checkpoint, so a model can be rebuilt from disk.

use serde::{Deserialize, Serialize};

use crate::error::{NnError, Result};

/// The source articles' six autoencoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Ae,
    SparseAe,
    DeepAe,
    ConvAe,
    DenoisingAe,
    Vae,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Ae, Kind::SparseAe, Kind::DeepAe, Kind::ConvAe, Kind::DenoisingAe, Kind::Vae];
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ae => "ae",
            Kind::SparseAe => "sparse-ae",
            Kind::DeepAe => "deep-ae",
            Kind::ConvAe => "conv-ae",
            Kind::DenoisingAe => "denoising-ae",
            Kind::Vae => "vae",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// The reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconLoss {
    /// Mean squared error: tables (standardised features, any real value).
    Mse,
    /// Binary cross-entropy: images with pixels in [0, 1].
    Bce,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub kind: Kind,
    /// Shape of one input row: `[features]`, or `[channels, height, width]` for images.
    pub input: Vec<usize>,
    /// Widths of the dense encoder's hidden layers (the decoder mirrors them).
    pub hidden: Vec<usize>,
    /// Width of the code (the bottleneck) or of the VAE's latent space.
    pub latent: usize,
    pub loss: ReconLoss,
    /// L1 activity penalty on the code (sparse-ae).
    pub activity_l1: f64,
    /// Standard deviation of the Gaussian input noise (denoising-ae).
    pub noise: f64,
    /// Range noisy inputs are clipped to, set from the training data.
    pub noise_clip: Option<(f64, f64)>,
    /// Weight of the KL term (vae; 1 is the plain VAE, other values a beta-VAE).
    pub beta: f64,
    /// The VAE decoder predicts a per-feature variance too (Gaussian NLL loss).
    pub gaussian_decoder: bool,
}

impl ModelConfig {
    /// The preset of the source articles for inputs of shape `input`.
    ///
    /// Tables get a linear output layer and MSE. The articles end the tabular
    /// decoder with a softmax, which forces the 29 reconstructed features to be
    /// positive and sum to 1: it cannot reproduce standardised features, so its
    /// errors measure the softmax more than the anomaly. Images get a sigmoid
    /// output and binary cross-entropy, as the articles do.
    pub fn preset(kind: Kind, input: &[usize]) -> Result<Self> {
        let images = input.len() == 3;
        let mut c = ModelConfig {
            kind,
            input: input.to_vec(),
            hidden: vec![],
            latent: 12,
            loss: if images { ReconLoss::Bce } else { ReconLoss::Mse },
            activity_l1: 0.0,
            noise: 0.0,
            noise_clip: None,
            beta: 1.0,
            gaussian_decoder: false,
        };
        match kind {
            Kind::Ae => {}
            Kind::SparseAe => c.activity_l1 = 1e-5,
            Kind::DeepAe => {
                c.hidden = vec![16, 8];
                c.latent = 4;
            }
            Kind::ConvAe => {
                if !images {
                    return Err(NnError::Config(
                        "conv-ae needs image input ([channels, height, width]); use ae or deep-ae for tables".into(),
                    ));
                }
            }
            Kind::DenoisingAe => c.noise = 0.5,
            Kind::Vae => c.hidden = vec![if images { 256 } else { 64 }],
        }
        c.validate()?;
        Ok(c)
    }

    pub fn features(&self) -> usize {
        self.input.iter().product()
    }

    /// Conv architectures: conv-ae, and denoising-ae on images.
    pub fn is_conv(&self) -> bool {
        self.input.len() == 3 && matches!(self.kind, Kind::ConvAe | Kind::DenoisingAe)
    }

    /// The number of scalar parameters the model has, worked out from the
    /// sizes alone (nothing is allocated), or `None` when it overflows.
    pub fn param_count(&self) -> Option<usize> {
        super::build::param_count(self)
    }

    pub fn validate(&self) -> Result<()> {
        if self.input.is_empty() || self.input.contains(&0) {
            return Err(NnError::Config(format!("input shape {:?} has no features", self.input)));
        }
        // The sizes may come from a file: products that overflow would panic
        // (debug) or wrap (release) in `features()` and the layer shapes.
        if self.input.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s)).is_none() || self.param_count().is_none() {
            let why = format!("sizes too large: input {:?}, hidden {:?}, latent {}", self.input, self.hidden, self.latent);
            return Err(NnError::Config(why));
        }
        if self.latent == 0 || self.hidden.contains(&0) {
            return Err(NnError::Config(format!("layer sizes must be positive: hidden {:?}, latent {}", self.hidden, self.latent)));
        }
        if self.noise < 0.0 || self.beta < 0.0 || self.activity_l1 < 0.0 {
            return Err(NnError::Config("noise, beta and activity_l1 must not be negative".into()));
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a config always serialises")
    }
    pub fn from_json(s: &str) -> Result<Self> {
        let c: ModelConfig = serde_json::from_str(s).map_err(|e| NnError::Config(format!("unreadable model configuration: {e}")))?;
        c.validate()?;
        Ok(c)
    }
}
