//! Weight initialisation, as Keras does it by default.

use rand::rngs::StdRng;
use recon_tensor::{Backend, Result, Tensor};

/// Glorot (Xavier) uniform: `U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`,
/// which keeps the variance of activations and of gradients about equal from
/// layer to layer (Glorot & Bengio, 2010). For a convolution both fans are
/// multiplied by the kernel area.
pub fn glorot_uniform<B: Backend>(backend: &B, shape: &[usize], fan_in: usize, fan_out: usize, rng: &mut StdRng) -> Result<Tensor<B>> {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    Tensor::rand_uniform(backend, shape, -a, a, rng)
}
