//! 2-D transposed convolution: the adjoint of convolution, the decoder layer
//! of convolutional autoencoders.
//!
//! Forward, per batch item: `cols_n = W^T X_n` with `W` the weights as a
//! `[C_in, C_out*kh*kw]` matrix and `X_n` the input as `[C_in, H*W]`; then
//! `y_n = col2im(cols_n)` scatters every column into the (larger) output.
//! That is the input gradient of the convolution over the same window, so the
//! backend's convolution primitives compute all three parts. Backward, from
//! `G_n = dL/dy_n`, with `dcols_n = im2col(G_n)` (the adjoint of col2im):
//! - `dX_n = W dcols_n`: the convolution of `G` with `W`;
//! - `dW = sum_n X_n dcols_n^T`: the convolution's weight gradient with the
//!   roles of input (`G`) and output gradient (`X`) taken by these two.

use recon_tensor::{smallvec, Backend, Padding, Result};

use super::when;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, o, y*s + i - pad, x*s + j - pad] += x[n, c, y, x] w[c, o, i, j]`;
    /// `x` is `[n, c, h, w]`, `w` is `[c, out, kh, kw]` (PyTorch's layout).
    pub fn conv_transpose2d(&self, w: &Var<'t, B>, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        let win = self.value().conv_transpose2d_window(w.value(), stride, padding)?;
        let y = self.value().conv2d_backward_input(w.value(), &win)?;
        let (x, wv) = (self.value().clone(), w.value().clone());
        self.tape().record("conv_transpose2d", &[self, w], y, move |g, need| {
            Ok(smallvec![
                when(need[0], || g.conv2d_in(&wv, None, &win))?,
                when(need[1], || g.conv2d_backward_weight(&x, &win)?.reshape(wv.shape()))?
            ])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;
    use proptest::prelude::*;
    use recon_tensor::Padding;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn conv_transpose2d_strides_and_paddings(n in 1usize..3, c in 1usize..3, oc in 1usize..3, h in 1usize..5, w in 1usize..5,
                                                 kh in 1usize..4, kw in 1usize..4, stride in 1usize..4, same in any::<bool>(), seed in 0u64..1000) {
            let padding = if same { Padding::Same } else { Padding::Valid };
            check(&[vec![n, c, h, w], vec![c, oc, kh, kw]], seed, |v| v[0].conv_transpose2d(&v[1], stride, padding));
        }
    }
}
