//! The autoencoder: an encoder to a small code and a decoder back, trained to
//! reproduce its input. Normal data is reproduced well; an anomaly, unlike
//! anything seen in training, is not, and the reconstruction error says so.
//!
//! One struct serves all six presets; the differences are in the config:
//! - `ae`, `deep-ae`, `conv-ae`: `L = recon(decoder(encoder(x)), x)`;
//! - `sparse-ae`: plus the L1 activity penalty of the code layer;
//! - `denoising-ae`: the encoder sees `clip(x + noise * N(0, 1))`, the loss
//!   compares with the clean `x`;
//! - `vae`: the encoder gives `mu` and `logvar` of `q(z|x)`; the decoder sees
//!   `z = mu + exp(logvar / 2) * eps`, `eps ~ N(0, I)` (the reparameterisation
//!   trick: the randomness is an input, so gradients flow through `mu` and
//!   `logvar`); `L = recon + beta * KL(q(z|x) || N(0, I))`.

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_autograd::loss::{binary_cross_entropy, gaussian_nll, kl_diag_gaussian, mse};
use recon_autograd::{Tape, Var};
use recon_tensor::{Backend, Tensor};

use super::build::{build, Built};
use super::config::{Kind, ModelConfig, ReconLoss};
use crate::error::{NnError, Result};
use crate::layers::{Ctx, Dense, Layer};
use crate::params::Params;

/// The range log-variances are clamped to (the VAE's `logvar` of `q(z|x)`
/// and the Gaussian decoder's). Unclamped, an untrained model on inputs far
/// from its initial outputs can give `logvar = -100`, and `exp(-logvar)`
/// overflows float32 (whose largest exponent is about 88.7): the loss and
/// the scores become infinite. `e^-30` to `e^20` (standard deviations from
/// 3e-7 to 2e4) leaves room for any standardised data; outside the range the
/// gradient is zero, as for any clamp.
pub const LOGVAR_RANGE: (f64, f64) = (-30.0, 20.0);

pub struct Autoencoder<B: Backend> {
    pub config: ModelConfig,
    pub params: Params<B>,
    built: Built<B>,
}

/// The parts of a training loss, for logging.
pub struct Loss<'t, B: Backend> {
    pub total: Var<'t, B>,
    pub recon: Var<'t, B>,
    /// The KL term of a VAE (before `beta`).
    pub kl: Option<Var<'t, B>>,
}

impl<B: Backend> Autoencoder<B> {
    /// A freshly initialised model; the same seed gives the same weights.
    pub fn new(config: ModelConfig, backend: &B, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut params = Params::new(backend);
        let mut rng = StdRng::seed_from_u64(seed);
        let built = build(&config, &mut params, &mut rng)?;
        Ok(Autoencoder { config, params, built })
    }

    /// The layers, one per line, and the parameter count.
    pub fn summary(&self) -> String {
        let mut s = format!("{} on input {:?}\n", self.config.kind.name(), self.config.input);
        for l in self.built.encoder.describe() {
            s += &format!("  encoder  {l}\n");
        }
        if let Some((mu, lv)) = &self.built.heads {
            s += &format!("  mu       {}\n  logvar   {}\n", Layer::<B>::describe(mu), Layer::<B>::describe(lv));
        }
        for l in self.built.decoder.describe() {
            s += &format!("  decoder  {l}\n");
        }
        s + &format!("  {} parameters", self.params.count())
    }

    /// The dense layers from the input to the reconstruction, in order (the
    /// VAE's `mu` head in the middle), when the model is nothing but such a
    /// chain: every preset but conv-ae. `reconstruct` is then this chain
    /// applied to the input, which `crate::infer` runs without a tape.
    pub(crate) fn dense_chain(&self) -> Option<Vec<&Dense>> {
        let mut chain = Vec::new();
        for l in &self.built.encoder.layers {
            chain.push(l.as_dense()?);
        }
        if let Some((mu, _)) = &self.built.heads {
            chain.push(mu);
        }
        for l in &self.built.decoder.layers {
            chain.push(l.as_dense()?);
        }
        Some(chain)
    }

    pub(crate) fn check_input(&self, x: &Tensor<B>) -> Result<()> {
        let d = self.config.features();
        if x.rank() != 2 || x.shape()[1] != d {
            return Err(NnError::Config(format!("the model expects rows of {d} features, the data has shape {:?}", x.shape())));
        }
        Ok(())
    }

    /// Decoder output, and the Gaussian decoder's log-variance when it has one.
    fn decode<'t>(&self, z: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<(Var<'t, B>, Option<Var<'t, B>>)> {
        let layers = &self.built.decoder.layers;
        let mut h = z.clone();
        for l in &layers[..layers.len() - 1] {
            h = l.forward(&h, ctx)?;
        }
        let out = layers[layers.len() - 1].forward(&h, ctx)?;
        let lv = match &self.built.logvar_out {
            Some(head) => Some(head.forward(&h, ctx)?.clamp(LOGVAR_RANGE.0, LOGVAR_RANGE.1)?),
            None => None,
        };
        Ok((out, lv))
    }

    /// The training loss on a batch of rows `[batch, features]`.
    pub fn loss<'t>(&self, ctx: &mut Ctx<'t, B>, x: &Tensor<B>) -> Result<Loss<'t, B>> {
        self.check_input(x)?;
        let target = ctx.tape.constant(x);
        let d = self.config.features() as f64;
        if let Some((mu_head, lv_head)) = &self.built.heads {
            let h = self.built.encoder.forward(&target, ctx)?;
            let mu = mu_head.forward(&h, ctx)?;
            let logvar = lv_head.forward(&h, ctx)?.clamp(LOGVAR_RANGE.0, LOGVAR_RANGE.1)?;
            let eps = Tensor::rand_normal(x.backend(), mu.shape(), 0.0, 1.0, &mut ctx.rng)?;
            let z = mu.reparameterize(&logvar, &eps)?; // mu + e^(logvar / 2) eps
            let (out, out_lv) = self.decode(&z, ctx)?;
            // Per-row sums over features (mean over the batch), so the
            // reconstruction and the KL (a sum over latent dimensions) are on
            // the same scale, as in the Keras VAE example.
            let recon = match (out_lv, self.config.loss) {
                (Some(lv), _) => gaussian_nll(&target, &out, &lv)?,
                (None, ReconLoss::Mse) => mse(&out, &target)?,
                (None, ReconLoss::Bce) => binary_cross_entropy(&out, &target)?,
            }
            .mul_scalar(d)?;
            let kl = kl_diag_gaussian(&mu, &logvar)?;
            let total = recon.add(&kl.mul_scalar(self.config.beta)?)?;
            return Ok(Loss { total, recon, kl: Some(kl) });
        }
        let input = if self.config.noise > 0.0 {
            let noise = Tensor::rand_normal(x.backend(), x.shape(), 0.0, self.config.noise, &mut ctx.rng)?;
            let mut noisy = x.add(&noise)?;
            if let Some((lo, hi)) = self.config.noise_clip {
                noisy = noisy.unary(recon_tensor::Unary::Clamp(lo, hi))?;
            }
            ctx.tape.constant(&noisy)
        } else {
            target.clone()
        };
        let code = self.built.encoder.forward(&input, ctx)?;
        let (out, _) = self.decode(&code, ctx)?;
        let recon = match self.config.loss {
            ReconLoss::Mse => mse(&out, &target)?,
            ReconLoss::Bce => binary_cross_entropy(&out, &target)?,
        };
        let mut total = recon.clone();
        for p in std::mem::take(&mut ctx.penalties) {
            total = total.add(&p)?;
        }
        Ok(Loss { total, recon, kl: None })
    }

    /// The code of each row (the VAE's mean `mu`), without recording.
    pub fn encode(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        self.check_input(x)?;
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &self.params, StdRng::seed_from_u64(0));
        let h = self.built.encoder.forward(&tape.constant(x), &mut ctx)?;
        let code = match &self.built.heads {
            Some((mu, _)) => mu.forward(&h, &mut ctx)?,
            None => h,
        };
        Ok(code.value().clone())
    }

    /// The reconstruction of each row, deterministic: no input noise, and the
    /// VAE decodes its mean `z = mu`.
    pub fn reconstruct(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        let code = self.encode(x)?;
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &self.params, StdRng::seed_from_u64(0));
        let (out, _) = self.decode(&tape.constant(&code), &mut ctx)?;
        let out = out.value().clone();
        Ok(out.reshape(&[x.shape()[0], self.config.features()])?)
    }

    /// The VAE's `mu` and `logvar` of `q(z|x)`, or `None` for other models.
    pub fn latent_distribution(&self, x: &Tensor<B>) -> Result<Option<(Tensor<B>, Tensor<B>)>> {
        let Some((mu, lv)) = &self.built.heads else { return Ok(None) };
        self.check_input(x)?;
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &self.params, StdRng::seed_from_u64(0));
        let h = self.built.encoder.forward(&tape.constant(x), &mut ctx)?;
        Ok(Some((
            mu.forward(&h, &mut ctx)?.value().clone(),
            lv.forward(&h, &mut ctx)?.clamp(LOGVAR_RANGE.0, LOGVAR_RANGE.1)?.value().clone(),
        )))
    }

    /// Decodes codes `z` to `[batch, features]` rows, with the Gaussian
    /// decoder's per-feature log-variance when the model has one.
    pub fn decode_codes(&self, z: &Tensor<B>) -> Result<(Tensor<B>, Option<Tensor<B>>)> {
        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &self.params, StdRng::seed_from_u64(0));
        let (out, lv) = self.decode(&tape.constant(z), &mut ctx)?;
        let rows = [z.shape()[0], self.config.features()];
        Ok((out.value().reshape(&rows)?, lv.map(|v| v.value().reshape(&rows)).transpose()?))
    }

    pub fn kind(&self) -> Kind {
        self.config.kind
    }
}
