//! Gradient checking: compares the tape's gradients with central finite
//! differences, in float64.
//!
//! For `f` with output `y`, we check the scalar `L(x) = sum(y * R)` where `R` is
//! a fixed random tensor. Projecting onto a random `R` (rather than summing
//! `y`) gives every output element a different weight, so a gradient routed to
//! the wrong element, summed over the wrong axis or missing a transpose gives
//! a wrong number instead of a coincidentally right one.
//!
//! Numeric derivative of each input element: `(L(x + eps) - L(x - eps)) / 2 eps`,
//! whose error is `O(eps^2)`; with `eps = 1e-6` in float64 the rounding error
//! is about `1e-10 / eps`, so agreement to ~1e-6 is expected and a factor of
//! two is caught at once.

use std::fmt;

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_tensor::{Cpu64, Result, Tensor};

use crate::tape::{Tape, Var};

#[derive(Debug, Clone, Copy)]
pub struct GradcheckConfig {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
    /// Seed of the projection `R`.
    pub seed: u64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        GradcheckConfig { eps: 1e-6, atol: 1e-6, rtol: 1e-5, seed: 0 }
    }
}

/// The first element whose analytic and numeric gradients disagree.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub input: usize,
    pub index: usize,
    pub shape: Vec<usize>,
    pub analytic: f64,
    pub numeric: f64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient of input {} (shape {:?}) at flat index {}: analytic {:.9}, finite difference {:.9}",
            self.input, self.shape, self.index, self.analytic, self.numeric
        )
    }
}

/// Outcome of a check: `Ok(Ok(()))` agrees, `Ok(Err(m))` disagrees, `Err` the
/// function itself failed.
pub fn gradcheck<F>(inputs: &[Tensor<Cpu64>], f: F, cfg: GradcheckConfig) -> Result<std::result::Result<(), Mismatch>>
where
    F: for<'t> Fn(&[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    let cpu = Cpu64::new();
    // The projection R, shaped like the output.
    let out_shape = {
        let tape = Tape::no_grad();
        let vars: Vec<_> = inputs.iter().map(|x| tape.constant(x)).collect();
        f(&vars)?.shape().to_vec()
    };
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let r = Tensor::rand_uniform(&cpu, &out_shape, -1.0, 1.0, &mut rng)?;

    let loss = |xs: &[Tensor<Cpu64>]| -> Result<f64> {
        let tape = Tape::no_grad();
        let vars: Vec<_> = xs.iter().map(|x| tape.constant(x)).collect();
        f(&vars)?.value().mul(&r)?.sum_all()?.item()
    };

    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.param(x)).collect();
    let l = f(&vars)?.mul(&tape.constant(&r))?.sum_all()?;
    let grads = tape.backward(&l)?;

    for (i, x) in inputs.iter().enumerate() {
        let analytic = match grads.get(&vars[i]) {
            Some(g) => g.to_f64_vec()?,
            None => vec![0.0; x.numel()], // L does not depend on this input
        };
        let base = x.to_f64_vec()?;
        for j in 0..base.len() {
            let mut xs = inputs.to_vec();
            let mut v = base.clone();
            v[j] = base[j] + cfg.eps;
            xs[i] = Tensor::from_f64s(&cpu, &v, x.shape())?;
            let up = loss(&xs)?;
            v[j] = base[j] - cfg.eps;
            xs[i] = Tensor::from_f64s(&cpu, &v, x.shape())?;
            let down = loss(&xs)?;
            let numeric = (up - down) / (2.0 * cfg.eps);
            let a = analytic[j];
            if (a - numeric).abs() > cfg.atol + cfg.rtol * a.abs().max(numeric.abs()) || !a.is_finite() {
                return Ok(Err(Mismatch { input: i, index: j, shape: x.shape().to_vec(), analytic: a, numeric }));
            }
        }
    }
    Ok(Ok(()))
}
