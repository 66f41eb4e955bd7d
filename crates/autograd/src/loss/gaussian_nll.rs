//! The negative log-likelihood of a Gaussian with a predicted variance: the
//! reconstruction loss of a VAE whose decoder outputs a mean and a variance.

use recon_tensor::{Backend, Result};

use super::same_shape;
use crate::tape::Var;

/// `L = (1/N) sum_i 0.5 [ln 2 pi + logvar_i + (x_i - mu_i)^2 e^-logvar_i]`
/// over all `N` elements (PyTorch's `GaussianNLLLoss(full=True)` with
/// `var = e^logvar`; predicting the log-variance keeps the variance positive).
/// `dL/dmu = (mu - x) e^-logvar / N`,
/// `dL/dlogvar = 0.5 (1 - (x - mu)^2 e^-logvar) / N`.
pub fn gaussian_nll<'t, B: Backend>(x: &Var<'t, B>, mu: &Var<'t, B>, logvar: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("gaussian_nll", x, mu)?;
    same_shape("gaussian_nll", x, logvar)?;
    let sq = x.sub(mu)?.square()?.mul(&logvar.neg()?.exp()?)?;
    let per = logvar.add(&sq)?.add_scalar((2.0 * std::f64::consts::PI).ln())?;
    per.mean_all()?.mul_scalar(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, shape};
    use crate::Tape;
    use proptest::prelude::*;
    use recon_tensor::{Cpu64, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(s in shape(), seed in 0u64..1000) {
            check(&[s.clone(), s.clone(), s], seed, |v| gaussian_nll(&v[0], &v[1], &v[2]));
        }
    }

    #[test]
    fn standard_normal_density_at_zero() {
        let cpu = Cpu64::new();
        let tape = Tape::new();
        let z = tape.constant(&Tensor::zeros(&cpu, &[1]).unwrap());
        let nll = gaussian_nll(&z, &z, &z).unwrap().value().item().unwrap();
        assert!((nll - 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
    }
}
