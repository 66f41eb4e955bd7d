//! The VAE's reparameterization trick as one op: a sample of `N(mu,
//! diag(e^logvar))` written as a function of `mu` and `logvar`, so that
//! gradients reach both (the noise is drawn outside, a constant).

use recon_tensor::{smallvec, Backend, Result, Tensor, TensorError};

use super::when;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `z = mu + e^(logvar / 2) eps`, with `self` as `mu` and `eps` (the
    /// standard normal noise) the same shape. `dz/dmu = 1`, `dz/dlogvar =
    /// e^(logvar / 2) eps / 2`. One node on the tape instead of the four of
    /// the formula (a VAE's step at batch 32 is mostly such small ops).
    pub fn reparameterize(&self, logvar: &Var<'t, B>, eps: &Tensor<B>) -> Result<Var<'t, B>> {
        if self.shape() != logvar.shape() || self.shape() != eps.shape() {
            return Err(TensorError::shape("reparameterize", logvar.shape(), eps.shape(), "mu, logvar and eps must have one shape"));
        }
        let spread = logvar.value().mul_scalar(0.5)?.exp()?.mul(eps)?; // e^(logvar / 2) eps
        let z = self.value().add(&spread)?;
        self.tape().record("reparameterize", &[self, logvar], z, move |g, need| {
            Ok(smallvec![when(need[0], || Ok(g.clone()))?, when(need[1], || g.mul(&spread)?.mul_scalar(0.5))?])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, shape};
    use proptest::prelude::*;
    use recon_tensor::{Cpu64, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(s in shape(), seed in 0u64..1000) {
            let n: usize = s.iter().product();
            let eps = Tensor::from_f64s(&Cpu64::new(), &(0..n).map(|i| ((i * 7 + seed as usize) % 11) as f64 / 5.0 - 1.0).collect::<Vec<_>>(), &s).unwrap();
            check(&[s.clone(), s], seed, |v| v[0].reparameterize(&v[1], &eps));
        }
    }

    #[test]
    fn shapes_must_agree() {
        let cpu = Cpu64::new();
        let tape = crate::Tape::new();
        let mu = tape.param(&Tensor::zeros(&cpu, &[2, 3]).unwrap());
        let lv = tape.param(&Tensor::zeros(&cpu, &[2, 3]).unwrap());
        let e = mu.reparameterize(&lv, &Tensor::zeros(&cpu, &[3, 2]).unwrap()).unwrap_err().to_string();
        assert!(e.contains("reparameterize"), "{e}");
    }
}
