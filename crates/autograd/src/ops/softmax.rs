//! Softmax and log-softmax along the last axis (computed stably by the
//! backend, by subtracting the row maximum first).

use recon_tensor::{smallvec, Backend, Result};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y_i = e^(x_i) / sum_j e^(x_j)` per row.
    /// Jacobian `dy_i/dx_j = y_i ([i = j] - y_j)`, so `dx = y * (g - sum_j g_j y_j)`.
    pub fn softmax(&self) -> Result<Var<'t, B>> {
        let y = self.value().softmax()?;
        let y_ = y.clone();
        let last = self.shape().len().saturating_sub(1);
        self.tape().record("softmax", &[self], y, move |g, _| {
            let dot = g.mul(&y_)?.sum_axis(last, true)?;
            Ok(smallvec![Some(y_.mul(&g.sub(&dot)?)?)])
        })
    }

    /// `y_i = x_i - ln sum_j e^(x_j)` per row.
    /// `dy_i/dx_j = [i = j] - softmax(x)_j`, so `dx = g - softmax(x) * sum_j g_j`
    /// with `softmax(x) = e^y`.
    pub fn log_softmax(&self) -> Result<Var<'t, B>> {
        let y = self.value().log_softmax()?;
        let y_ = y.clone();
        let last = self.shape().len().saturating_sub(1);
        self.tape().record("log_softmax", &[self], y, move |g, _| {
            let total = g.sum_axis(last, true)?;
            Ok(smallvec![Some(g.sub(&y_.exp()?.mul(&total)?)?)])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, shape};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn softmaxes(s in shape(), seed in 0u64..1000) {
            check(std::slice::from_ref(&s), seed, |v| v[0].softmax());
            check(&[s], seed, |v| v[0].log_softmax());
        }
    }
}
