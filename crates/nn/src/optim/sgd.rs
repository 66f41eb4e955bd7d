//! Stochastic gradient descent with momentum (Keras' form):
//! `v <- momentum * v - lr * g`, `w <- w + v`; without momentum `w <- w - lr * g`.

use recon_tensor::{Backend, Result, Tensor};

use super::OptimizerConfig;

pub fn update<B: Backend>(c: &OptimizerConfig, w: &Tensor<B>, g: &Tensor<B>, slots: &mut [Tensor<B>]) -> Result<Tensor<B>> {
    match slots.first_mut() {
        None => w.sub(&g.mul_scalar(c.lr)?),
        Some(v) => {
            *v = v.mul_scalar(c.momentum)?.sub(&g.mul_scalar(c.lr)?)?;
            w.add(v)
        }
    }
}
