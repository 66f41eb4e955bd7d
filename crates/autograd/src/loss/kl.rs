//! The KL divergence of the VAE's encoder distribution from the prior.

use recon_tensor::{smallvec, Backend, Result};

use super::same_shape;
use crate::ops::when;
use crate::tape::Var;

/// `KL(N(mu, diag(e^logvar)) || N(0, I))`, summed over the latent dimensions
/// and averaged over the batch (first axis):
/// `L = -(1/(2 B)) sum_{b, j} (1 + logvar_bj - mu_bj^2 - e^logvar_bj)`.
/// `dL/dmu = mu / B`, `dL/dlogvar = (e^logvar - 1) / (2 B)`.
///
/// One node on the tape, with that gradient, rather than the seven
/// element-wise ops of the formula and their chain of backward rules: a
/// VAE's training step at batch 32 is mostly such small ops.
pub fn kl_diag_gaussian<'t, B: Backend>(mu: &Var<'t, B>, logvar: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("kl_diag_gaussian", mu, logvar)?;
    let batch = mu.shape().first().copied().unwrap_or(1).max(1) as f64;
    let (m, lv) = (mu.value(), logvar.value());
    let e = lv.exp()?;
    let inner = lv.add_scalar(1.0)?.sub(&m.square()?)?.sub(&e)?;
    let value = inner.sum_all()?.mul_scalar(-0.5 / batch)?;
    let m = m.clone();
    mu.tape().record("kl_diag_gaussian", &[mu, logvar], value, move |g, need| {
        Ok(smallvec![
            when(need[0], || m.mul_scalar(1.0 / batch)?.mul(g))?,
            when(need[1], || e.add_scalar(-1.0)?.mul_scalar(0.5 / batch)?.mul(g))?,
        ])
    })
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
            check(&[s.clone(), s], seed, |v| kl_diag_gaussian(&v[0], &v[1]));
        }
    }

    #[test]
    fn zero_at_the_prior_and_known_value() {
        let cpu = Cpu64::new();
        let tape = Tape::new();
        let zeros = tape.constant(&Tensor::zeros(&cpu, &[3, 2]).unwrap());
        assert_eq!(kl_diag_gaussian(&zeros, &zeros).unwrap().value().item().unwrap(), 0.0);
        // One row, one dim: mu = 1, var = e: KL = 0.5 (e + 1 - 1 - 1) = (e - 1) / 2.
        let mu = tape.constant(&Tensor::from_f64s(&cpu, &[1.0], &[1, 1]).unwrap());
        let lv = tape.constant(&Tensor::from_f64s(&cpu, &[1.0], &[1, 1]).unwrap());
        let kl = kl_diag_gaussian(&mu, &lv).unwrap().value().item().unwrap();
        assert!((kl - (std::f64::consts::E - 1.0) / 2.0).abs() < 1e-12);
    }
}
