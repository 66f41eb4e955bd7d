//! Anomaly scores: how badly a trained model reconstructs each row.
//!
//! For every model: the reconstruction error per row, `(1/d) sum_j (x_j - r_j)^2`
//! (MSE, the default) or `(1/d) sum_j |x_j - r_j|` (MAE), and the squared
//! error per feature, which says *which* features a flagged row gets wrong.
//!
//! For the VAE, five scores side by side (`vae_scores`), over `L` samples
//! `z_l = mu + sigma * eps_l` of `q(z|x)`:
//! - `recon_mean`: the reconstruction error of the mean code `z = mu`;
//! - `recon_mc`: the reconstruction error averaged over the `L` samples;
//! - `neg_elbo`: `-ELBO = E_q[-log p(x|z)] + KL(q(z|x) || N(0, I))`, the
//!   training loss of that row;
//! - `recon_prob`: minus the reconstruction probability of An & Cho (2015),
//!   `-(1/L) sum_l log p(x | z_l)`, with `p(x|z)` the decoder's Gaussian
//!   (unit variance unless the decoder predicts one);
//! - `latent_kl`: `KL(q(z|x) || N(0, I))` alone: how unusual the code is.
//!
//! Rows are scored in batches, so any number of rows fits in memory.

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_tensor::{Backend, Tensor};

use crate::error::{NnError, Result};
use crate::models::Autoencoder;

/// Rows per batch when scoring.
pub const SCORE_BATCH: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorMetric {
    Mse,
    Mae,
}

/// Calls `f` on consecutive row batches of `x`, concatenating the per-row results.
fn batched<B: Backend>(x: &Tensor<B>, mut f: impl FnMut(&Tensor<B>) -> Result<Vec<f64>>) -> Result<Vec<f64>> {
    let n = x.shape().first().copied().unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(SCORE_BATCH) {
        out.extend(f(&x.slice_rows(start, (start + SCORE_BATCH).min(n))?)?);
    }
    Ok(out)
}

/// Mean over the feature axis of each row.
fn row_means<B: Backend>(t: &Tensor<B>) -> Result<Vec<f64>> {
    Ok(t.mean_axis(1, false)?.to_f64_vec()?)
}

impl<B: Backend> Autoencoder<B> {
    /// One score per row of `x` (`[rows, features]`, scaled like the training data).
    ///
    /// Dense models take the tape-free path of `crate::infer`, which gives
    /// the same numbers as `score_with_tape` to the last bit, faster.
    pub fn score(&self, x: &Tensor<B>, metric: ErrorMetric) -> Result<Vec<f64>> {
        match self.dense_chain() {
            Some(chain) => {
                self.check_input(x)?;
                crate::infer::score_dense(&self.params, &chain, x, metric)
            }
            None => self.score_with_tape(x, metric),
        }
    }

    /// `score` written with `reconstruct` and tensor arithmetic (a no-grad
    /// tape): the reference the lean path is tested against, and the path
    /// of the conv models.
    pub fn score_with_tape(&self, x: &Tensor<B>, metric: ErrorMetric) -> Result<Vec<f64>> {
        batched(x, |xb| {
            let diff = xb.sub(&self.reconstruct(xb)?)?;
            row_means(&match metric {
                ErrorMetric::Mse => diff.square()?,
                ErrorMetric::Mae => diff.abs()?,
            })
        })
    }

    /// `(x_j - r_j)^2` for every row and feature, `[rows, features]`.
    pub fn per_feature_errors(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        Ok(x.sub(&self.reconstruct(x)?)?.square()?)
    }

    /// The VAE's five scores (see the module comment), with `samples` draws
    /// per row from a generator seeded with `seed`.
    pub fn vae_scores(&self, x: &Tensor<B>, samples: usize, seed: u64) -> Result<VaeScores> {
        let not_vae = || NnError::Config(format!("{} is not a VAE; its only score is the reconstruction error", self.config.kind.name()));
        let samples = samples.max(1);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut all = VaeScores::default();
        let n = x.shape()[0];
        for start in (0..n).step_by(SCORE_BATCH) {
            let xb = x.slice_rows(start, (start + SCORE_BATCH).min(n))?;
            let (mu, lv) = self.latent_distribution(&xb)?.ok_or_else(not_vae)?;
            // KL per row: -1/2 sum_j (1 + lv - mu^2 - e^lv).
            let kl = lv.add_scalar(1.0)?.sub(&mu.square()?)?.sub(&lv.exp()?)?.sum_axis(1, false)?.mul_scalar(-0.5)?;
            let (mean_out, _) = self.decode_codes(&mu)?;
            all.recon_mean.extend(row_means(&xb.sub(&mean_out)?.square()?)?);
            let rows = xb.shape()[0];
            let (mut mc, mut nll) = (vec![0.0; rows], vec![0.0; rows]);
            for _ in 0..samples {
                let eps = Tensor::rand_normal(x.backend(), mu.shape(), 0.0, 1.0, &mut rng)?;
                let z = mu.add(&lv.mul_scalar(0.5)?.exp()?.mul(&eps)?)?;
                let (out, out_lv) = self.decode_codes(&z)?;
                let sq = xb.sub(&out)?.square()?;
                // -log N(x; out, var) per feature = 1/2 (ln 2 pi + ln var + (x - out)^2 / var).
                let per = match out_lv {
                    Some(olv) => olv.add(&sq.mul(&olv.neg()?.exp()?)?)?,
                    None => sq.clone(),
                }
                .add_scalar((2.0 * std::f64::consts::PI).ln())?
                .mul_scalar(0.5)?;
                for (acc, v) in mc.iter_mut().zip(row_means(&sq)?) {
                    *acc += v / samples as f64;
                }
                for (acc, v) in nll.iter_mut().zip(per.sum_axis(1, false)?.to_f64_vec()?) {
                    *acc += v / samples as f64;
                }
            }
            let kl = kl.to_f64_vec()?;
            all.neg_elbo.extend(nll.iter().zip(&kl).map(|(a, b)| a + b));
            all.recon_prob.extend(nll);
            all.recon_mc.extend(mc);
            all.latent_kl.extend(kl);
        }
        Ok(all)
    }
}

/// The VAE's scores per row; higher is more anomalous for each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VaeScores {
    pub recon_mean: Vec<f64>,
    pub recon_mc: Vec<f64>,
    pub neg_elbo: Vec<f64>,
    pub recon_prob: Vec<f64>,
    pub latent_kl: Vec<f64>,
}

impl VaeScores {
    /// `(name, scores)` pairs, in a fixed order.
    pub fn named(&self) -> [(&'static str, &[f64]); 5] {
        [
            ("recon_mean", &self.recon_mean),
            ("recon_mc", &self.recon_mc),
            ("neg_elbo", &self.neg_elbo),
            ("recon_prob", &self.recon_prob),
            ("latent_kl", &self.latent_kl),
        ]
    }
}
