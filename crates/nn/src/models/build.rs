//! Turns a `ModelConfig` into layers. Parameter names follow the layer's
//! position: `encoder.0.weight`, `decoder.2.bias`, `mu.weight`.

use rand::rngs::StdRng;
use recon_tensor::{Backend, Padding};

use super::config::{ModelConfig, ReconLoss};
use crate::error::{NnError, Result};
use crate::layers::{Activation, ActivationLayer, Conv2d, Dense, MaxPool2d, Reshape, Sequential, UpSampling2d};
use crate::params::Params;

pub struct Built<B: Backend> {
    pub encoder: Sequential<B>,
    pub decoder: Sequential<B>,
    /// The VAE's two heads on the encoder: the mean and the log-variance of q(z|x).
    pub heads: Option<(Dense, Dense)>,
    /// The Gaussian decoder's log-variance head (on the decoder's last hidden layer).
    pub logvar_out: Option<Dense>,
}

fn output_activation(c: &ModelConfig) -> Activation {
    match c.loss {
        ReconLoss::Bce => Activation::Sigmoid,
        ReconLoss::Mse => Activation::Linear,
    }
}

/// Dense encoder `d -> hidden... -> latent` and mirrored decoder.
fn dense<B: Backend>(c: &ModelConfig, params: &mut Params<B>, rng: &mut StdRng) -> Result<Built<B>> {
    let d = c.features();
    let mut encoder = Sequential::default();
    let mut widths = vec![d];
    widths.extend(&c.hidden);
    for (i, w) in widths.windows(2).enumerate() {
        encoder.push(Dense::new(params, &format!("encoder.{i}"), w[0], w[1], Activation::Relu, rng)?);
    }
    let last = *widths.last().unwrap_or(&d);
    let is_vae = c.kind == super::Kind::Vae;
    let heads = if is_vae {
        let mu = Dense::new(params, "mu", last, c.latent, Activation::Linear, rng)?;
        let lv = Dense::new(params, "logvar", last, c.latent, Activation::Linear, rng)?;
        Some((mu, lv))
    } else {
        let mut code = Dense::new(params, &format!("encoder.{}", c.hidden.len()), last, c.latent, Activation::Relu, rng)?;
        code.activity_l1 = c.activity_l1;
        encoder.push(code);
        None
    };
    let mut decoder = Sequential::default();
    let mut back: Vec<usize> = vec![c.latent];
    back.extend(c.hidden.iter().rev());
    for (i, w) in back.windows(2).enumerate() {
        decoder.push(Dense::new(params, &format!("decoder.{i}"), w[0], w[1], Activation::Relu, rng)?);
    }
    let top = *back.last().unwrap_or(&c.latent);
    decoder.push(Dense::new(params, &format!("decoder.{}", back.len() - 1), top, d, output_activation(c), rng)?);
    let logvar_out =
        if is_vae && c.gaussian_decoder { Some(Dense::new(params, "decoder_logvar", top, d, Activation::Linear, rng)?) } else { None };
    Ok(Built { encoder, decoder, heads, logvar_out })
}

/// The Keras blog's convolutional autoencoder for 28x28 images:
/// Conv(16)-Pool-Conv(8)-Pool-Conv(8)-Pool down to 4x4x8, then
/// Conv(8)-Up-Conv(8)-Up-Conv(16, valid)-Up-Conv(1, sigmoid) back to 28x28.
fn conv<B: Backend>(c: &ModelConfig, params: &mut Params<B>, rng: &mut StdRng) -> Result<Built<B>> {
    let [ch, h, w] = [c.input[0], c.input[1], c.input[2]];
    if h != 28 || w != 28 {
        return Err(NnError::Config(format!("conv-ae is the 28x28 architecture of the source article; the input is {h}x{w}")));
    }
    let (same, valid, relu) = (Padding::Same, Padding::Valid, Activation::Relu);
    let mut e = Sequential::default();
    e.push(Reshape { shape: c.input.clone() });
    // Keras applies relu in the convolution, then pools. Max pooling
    // commutes with relu (both keep order; a window whose maximum is <= 0
    // gets 0 and no gradient either way), so pooling first gives the same
    // values and gradients with relu on a quarter of the elements.
    for (name, from, to) in [("encoder.0", ch, 16), ("encoder.2", 16, 8), ("encoder.4", 8, 8)] {
        e.push(Conv2d::new(params, name, from, to, 3, same, Activation::Linear, rng)?);
        e.push(MaxPool2d { kernel: 2, padding: same });
        e.push(ActivationLayer(relu));
    }
    let mut d = Sequential::default();
    d.push(Conv2d::new(params, "decoder.0", 8, 8, 3, same, relu, rng)?);
    d.push(UpSampling2d { factor: 2 });
    d.push(Conv2d::new(params, "decoder.2", 8, 8, 3, same, relu, rng)?);
    d.push(UpSampling2d { factor: 2 });
    d.push(Conv2d::new(params, "decoder.4", 8, 16, 3, valid, relu, rng)?);
    d.push(UpSampling2d { factor: 2 });
    d.push(Conv2d::new(params, "decoder.6", 16, ch, 3, same, output_activation(c), rng)?);
    d.push(Reshape { shape: vec![c.features()] });
    Ok(Built { encoder: e, decoder: d, heads: None, logvar_out: None })
}

/// The number of scalar parameters [`build`] creates for `c`, worked out from
/// the sizes alone (nothing is allocated), or `None` when it overflows.
/// Mirrors `dense` and `conv` above; a test checks that it matches.
pub fn param_count(c: &ModelConfig) -> Option<usize> {
    // A layer of `weights` (a product of sizes) plus `bias` values.
    let layer = |sizes: &[usize], bias: usize| sizes.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s))?.checked_add(bias);
    let d = c.input.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s))?;
    let mut layers: Vec<Option<usize>> = Vec::new();
    if c.is_conv() {
        let ch = c.input[0];
        for (i, o) in [(ch, 16), (16, 8), (8, 8), (8, 8), (8, 8), (8, 16), (16, ch)] {
            layers.push(layer(&[o, i, 3, 3], o));
        }
    } else {
        let mut widths = vec![d];
        widths.extend(&c.hidden);
        let last = *widths.last().unwrap_or(&d);
        for w in widths.windows(2) {
            layers.push(layer(&[w[1], w[0]], w[1]));
        }
        let heads = if c.kind == super::Kind::Vae { 2 } else { 1 };
        for _ in 0..heads {
            layers.push(layer(&[c.latent, last], c.latent));
        }
        let mut back: Vec<usize> = vec![c.latent];
        back.extend(c.hidden.iter().rev());
        for w in back.windows(2) {
            layers.push(layer(&[w[1], w[0]], w[1]));
        }
        let top = *back.last().unwrap_or(&c.latent);
        let outputs = if c.kind == super::Kind::Vae && c.gaussian_decoder { 2 } else { 1 };
        for _ in 0..outputs {
            layers.push(layer(&[d, top], d));
        }
    }
    layers.into_iter().try_fold(0usize, |acc, n| acc.checked_add(n?))
}

pub fn build<B: Backend>(c: &ModelConfig, params: &mut Params<B>, rng: &mut StdRng) -> Result<Built<B>> {
    if c.is_conv() {
        conv(c, params, rng)
    } else {
        dense(c, params, rng)
    }
}
