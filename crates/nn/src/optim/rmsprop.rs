//! RMSprop (Hinton's lecture 6e, in Keras' form): divide the step by a running
//! root-mean-square of recent gradients, so every weight moves at a similar rate.
//! `s <- rho * s + (1 - rho) * g^2`, `w <- w - lr * g / (sqrt(s) + eps)`.

use recon_tensor::{Backend, Result, Tensor};

use super::OptimizerConfig;

pub fn update<B: Backend>(c: &OptimizerConfig, w: &Tensor<B>, g: &Tensor<B>, slots: &mut [Tensor<B>]) -> Result<Tensor<B>> {
    let s = &mut slots[0];
    *s = s.mul_scalar(c.rho)?.add(&g.square()?.mul_scalar(1.0 - c.rho)?)?;
    let step = g.div(&s.sqrt()?.add_scalar(c.epsilon)?)?.mul_scalar(c.lr)?;
    w.sub(&step)
}
