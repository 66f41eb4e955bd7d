//! Nearest-neighbour upsampling, by composition: reshape `[n, c, h, w]` to
//! `[n, c, h, 1, w, 1]`, broadcast to `[n, c, h, s, w, s]`, reshape to
//! `[n, c, h*s, w*s]`. Its gradient comes from those three ops: the
//! broadcast's rule sums each `s x s` block of `g` back onto its source pixel.

use recon_tensor::{Backend, Result, TensorError};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, c, y, x] = x[n, c, y / s, x / s]`. `dx[n, c, y, x] = sum of g over its s x s block`.
    pub fn upsample_nearest2d(&self, factor: usize) -> Result<Var<'t, B>> {
        let &[n, c, h, w] = self.shape() else {
            return Err(TensorError::invalid("upsample_nearest2d", format!("expects NCHW, got {:?}", self.shape())));
        };
        if factor == 0 {
            return Err(TensorError::invalid("upsample_nearest2d", "the factor must be positive"));
        }
        self.reshape(&[n, c, h, 1, w, 1])?.broadcast_to(&[n, c, h, factor, w, factor])?.reshape(&[n, c, h * factor, w * factor])
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
