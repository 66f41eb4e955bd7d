//! 2-D convolution as im2col + GEMM, and its gradients from the same pieces.
//!
//! Forward, per batch item `n`: `cols_n = im2col(x_n)` (`[C*kh*kw, OH*OW]`),
//! `Y_n = W cols_n` with `W` the weights as a `[OC, C*kh*kw]` matrix.
//! Backward, from `G_n = dL/dY_n`:
//! - `dW = sum_n G_n cols_n^T` (the weight is shared by every item and position);
//! - `dcols_n = W^T G_n`, and `dx_n = col2im(dcols_n)`, because col2im is the
//!   adjoint (transpose) of the linear map im2col.

use recon_tensor::{Backend, Padding, Result};

use super::when;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, o, oy, ox] = sum_{c, i, j} w[o, c, i, j] x[n, c, oy*s + i - pad, ox*s + j - pad]`;
    /// `x` is `[n, c, h, w]`, `w` is `[out, c, kh, kw]`. Add a bias separately.
    pub fn conv2d(&self, w: &Var<'t, B>, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        let win = self.value().conv2d_window(w.value(), stride, padding)?;
        let ws = w.shape().to_vec();
        let cols = self.value().im2col(&win)?;
        let wm = w.value().reshape(&[ws[0], win.patch_len()])?;
        let y = wm.matmul(&cols)?.reshape(&[win.batch, ws[0], win.out_h, win.out_w])?;
        self.tape().record("conv2d", &[self, w], y, move |g, need| {
            let g = g.reshape(&[win.batch, ws[0], win.out_len()])?;
            Ok(vec![
                when(need[0], || wm.matmul_t(&g, true, false)?.col2im(&win))?,
                when(need[1], || g.matmul_t(&cols, false, true)?.sum_axis(0, false)?.reshape(&ws))?,
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
        fn conv2d_strides_and_paddings(n in 1usize..3, c in 1usize..3, oc in 1usize..3, h in 3usize..7, w in 3usize..7,
                                       kh in 1usize..4, kw in 1usize..4, stride in 1usize..3, same in any::<bool>(), seed in 0u64..1000) {
            let padding = if same { Padding::Same } else { Padding::Valid };
            check(&[vec![n, c, h, w], vec![oc, c, kh, kw]], seed, |v| v[0].conv2d(&v[1], stride, padding));
        }
    }

    #[test]
    fn mnist_like_first_layer() {
        check(&[vec![2, 1, 8, 8], vec![4, 1, 3, 3]], 3, |v| v[0].conv2d(&v[1], 1, Padding::Same));
    }
}
