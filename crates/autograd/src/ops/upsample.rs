//! Nearest-neighbour upsampling: `y[n, c, y, x] = x[n, c, y / s, x / s]`.
//! Each input pixel is copied to an `s x s` block, so its gradient is the sum
//! of `g` over that block (the adjoint; `Tensor::upsample_nearest2d_backward`).

use recon_tensor::{smallvec, Backend, Result};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, c, y, x] = x[n, c, y / s, x / s]`. `dx[n, c, y, x] = sum of g over its s x s block`.
    pub fn upsample_nearest2d(&self, factor: usize) -> Result<Var<'t, B>> {
        let y = self.value().upsample_nearest2d(factor)?;
        self.tape().record("upsample_nearest2d", &[self], y, move |g, _| Ok(smallvec![Some(g.upsample_nearest2d_backward(factor)?)]))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn upsample(n in 1usize..3, c in 1usize..3, h in 1usize..5, w in 1usize..5, s in 1usize..4, seed in 0u64..1000) {
            check(&[vec![n, c, h, w]], seed, |v| v[0].upsample_nearest2d(s));
        }
    }
}
