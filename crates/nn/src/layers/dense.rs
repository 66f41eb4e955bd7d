//! The fully connected layer.

use rand::rngs::StdRng;
use recon_autograd::Var;
use recon_tensor::{Backend, Result, Tensor};

use super::{Activation, Ctx, Layer};
use crate::init::glorot_uniform;
use crate::params::{ParamId, Params};

/// `y = act(x W^T + b)` for `x` `[batch, in]`; `W` is `[out, in]` (PyTorch's
/// `Linear` layout, so checkpoints load there unchanged), `b` is `[out]`.
/// Optionally adds an L1 activity penalty `l1 * sum |y| / batch` to the loss
/// (Keras' `activity_regularizer=l1(...)`, the sparse autoencoder's).
pub struct Dense {
    pub weight: ParamId,
    pub bias: ParamId,
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    pub activity_l1: f64,
}

impl Dense {
    /// Glorot-uniform weights and zero bias, as Keras initialises them.
    pub fn new<B: Backend>(
        params: &mut Params<B>,
        name: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let b = Tensor::zeros(params.backend(), &[outputs])?;
        let w = glorot_uniform(params.backend(), &[outputs, inputs], inputs, outputs, rng)?;
        Ok(Dense {
            weight: params.add(format!("{name}.weight"), w),
            bias: params.add(format!("{name}.bias"), b),
            inputs,
            outputs,
            activation,
            activity_l1: 0.0,
        })
    }
}

impl<B: Backend> Layer<B> for Dense {
    fn describe(&self) -> String {
        let l1 = if self.activity_l1 > 0.0 { format!(", l1 {}", self.activity_l1) } else { String::new() };
        format!("dense({} -> {}, {}{l1})", self.inputs, self.outputs, self.activation.name())
    }
    fn forward<'t>(&self, x: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        let (w, b) = (ctx.param(self.weight), ctx.param(self.bias));
        let y = match self.activation.fusable() {
            Some(act) => x.dense(&w, &b, act)?,
            None => self.activation.apply(&x.dense(&w, &b, None)?)?, // softmax: its own op
        };
        if self.activity_l1 > 0.0 {
            let batch = y.shape()[0].max(1) as f64;
            ctx.penalties.push(y.abs()?.sum_all()?.mul_scalar(self.activity_l1 / batch)?);
        }
        Ok(y)
    }
    fn as_dense(&self) -> Option<&Dense> {
        Some(self)
    }
}
