//! Optimizers: SGD with momentum, RMSprop and Adam, with Keras' defaults and
//! Keras' formulas, and gradient clipping by norm.
//!
//! - SGD: `w -= lr g`; with momentum `v = momentum v - lr g; w += v`.
//! - RMSprop (Hinton's lecture 6e): divide the step by a running root mean
//!   square of recent gradients, so every weight moves at a similar rate:
//!   `s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) + eps)`.
//! - Adam (Kingma & Ba, 2015): running averages of the gradient and of its
//!   square, `m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2`, with the bias
//!   correction folded into the step size, `lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`,
//!   and epsilon outside the root: `w -= lr_t m / (sqrt(v) + eps)`.
//!
//! The update itself is one backend primitive (`Backend::update`), fused into
//! a single pass per parameter. An optimizer keeps per-parameter state
//! ("slots": a velocity, running averages) that is saved with checkpoints so a
//! resumed run continues exactly.

mod clip;

pub use clip::clip_by_global_norm;

use recon_tensor::{Backend, Result, Tensor, TensorError, Update};
use serde::{Deserialize, Serialize};

use crate::params::{ParamId, Params};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    RmsProp,
    Adam,
}

impl OptimizerKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sgd" => Some(OptimizerKind::Sgd),
            "rmsprop" => Some(OptimizerKind::RmsProp),
            "adam" => Some(OptimizerKind::Adam),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::RmsProp => "rmsprop",
            OptimizerKind::Adam => "adam",
        }
    }
    /// Number of state tensors per parameter.
    fn slots(self, momentum: f64) -> usize {
        match self {
            OptimizerKind::Sgd if momentum == 0.0 => 0,
            OptimizerKind::Sgd | OptimizerKind::RmsProp => 1,
            OptimizerKind::Adam => 2,
        }
    }
}

/// Hyper-parameters. `Default` gives Keras' defaults for Adam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub kind: OptimizerKind,
    /// Learning rate (Keras: 1e-3 for all three; SGD's 1e-2 in Keras, but one
    /// default for all keeps the command line simple).
    pub lr: f64,
    /// SGD momentum (0 = plain SGD).
    pub momentum: f64,
    /// RMSprop's decay of the squared-gradient average.
    pub rho: f64,
    pub beta1: f64,
    pub beta2: f64,
    /// Added to the denominator, outside the square root (Keras' convention).
    pub epsilon: f64,
    /// Scale all gradients down together when their joint L2 norm exceeds this.
    pub clip_norm: Option<f64>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Adam,
            lr: 1e-3,
            momentum: 0.0,
            rho: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
            clip_norm: None,
        }
    }
}

pub struct Optimizer<B: Backend> {
    pub config: OptimizerConfig,
    /// Number of updates applied so far (Adam's `t`).
    pub step: u64,
    /// `slots[p]` holds the state tensors of parameter `p`.
    pub slots: Vec<Vec<Tensor<B>>>,
}

impl<B: Backend> Optimizer<B> {
    /// Zero state for every parameter of `params`.
    pub fn new(config: OptimizerConfig, params: &Params<B>) -> Result<Self> {
        let n = config.kind.slots(config.momentum);
        let slots = params
            .tensors()
            .iter()
            .map(|p| (0..n).map(|_| Tensor::zeros(p.backend(), p.shape())).collect::<Result<Vec<_>>>())
            .collect::<Result<Vec<_>>>()?;
        Ok(Optimizer { config, step: 0, slots })
    }

    /// Applies one update to every parameter from its gradient (`None`: the
    /// loss does not depend on it, so it is left alone).
    pub fn update(&mut self, params: &mut Params<B>, grads: &[Option<Tensor<B>>]) -> Result<()> {
        if grads.len() != params.len() || self.slots.len() != params.len() {
            return Err(TensorError::invalid("optimizer", "gradient, state and parameter counts differ"));
        }
        let clipped;
        let grads = match self.config.clip_norm {
            Some(max) => {
                clipped = clip_by_global_norm(grads, max)?;
                &clipped
            }
            None => grads,
        };
        self.step += 1;
        let rule = self.rule();
        for (i, g) in grads.iter().enumerate() {
            let Some(g) = g else { continue };
            params.get_mut(ParamId(i)).apply_update(&rule, g, &mut self.slots[i])?;
        }
        Ok(())
    }

    /// The update rule of the current step (Adam's step size depends on it).
    fn rule(&self) -> Update {
        let c = &self.config;
        match c.kind {
            OptimizerKind::Sgd if c.momentum == 0.0 => Update::Sgd { lr: c.lr },
            OptimizerKind::Sgd => Update::Momentum { lr: c.lr, momentum: c.momentum },
            OptimizerKind::RmsProp => Update::RmsProp { lr: c.lr, rho: c.rho, eps: c.epsilon },
            OptimizerKind::Adam => {
                let t = self.step.min(i32::MAX as u64) as i32;
                let lr_t = c.lr * (1.0 - c.beta2.powi(t)).sqrt() / (1.0 - c.beta1.powi(t));
                Update::Adam { lr_t, beta1: c.beta1, beta2: c.beta2, eps: c.epsilon }
            }
        }
    }
}
