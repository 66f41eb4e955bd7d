//! 2-D convolution, and its gradients from the backend's three convolution
//! primitives.
//!
//! Forward, per batch item `n`: `cols_n = im2col(x_n)` (`[C*kh*kw, OH*OW]`),
//! `Y_n = W cols_n + b` with `W` the weights as a `[OC, C*kh*kw]` matrix and
//! `b[o]` added at every position.
//! Backward, from `G_n = dL/dY_n`:
//! - `dW = sum_n G_n cols_n^T` (the weight is shared by every item and position);
//! - `dx_n = col2im(W^T G_n)`, because col2im is the adjoint (transpose) of
//!   the linear map im2col;
//! - `db[o] = sum_{n, p} G_n[o, p]` (the bias is added at every position).

use recon_tensor::{smallvec, Backend, Padding, Result};
use smallvec::SmallVec;

use super::when;
use crate::tape::{InputGrads, Var, MAX_INPUTS};

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, o, oy, ox] = sum_{c, i, j} w[o, c, i, j] x[n, c, oy*s + i - pad, ox*s + j - pad]`;
    /// `x` is `[n, c, h, w]`, `w` is `[out, c, kh, kw]`. No bias: see `conv2d_bias`.
    pub fn conv2d(&self, w: &Var<'t, B>, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        self.conv2d_bias(w, None, stride, padding)
    }

    /// `conv2d` plus `b[o]` (`b` is `[out]`) at every output position, in one
    /// pass over the output.
    pub fn conv2d_bias(&self, w: &Var<'t, B>, b: Option<&Var<'t, B>>, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        let win = self.value().conv2d_window(w.value(), stride, padding)?;
        let y = self.value().conv2d_in(w.value(), b.map(Var::value), &win)?;
        let (x, wv) = (self.value().clone(), w.value().clone());
        let inputs: SmallVec<[&Var<'t, B>; MAX_INPUTS]> = [self, w].into_iter().chain(b).collect();
        self.tape().record("conv2d", &inputs, y, move |g, need| {
            let mut grads: InputGrads<B> = smallvec![
                when(need[0], || g.conv2d_backward_input(&wv, &win))?,
                when(need[1], || x.conv2d_backward_weight(g, &win)?.reshape(wv.shape()))?,
            ];
            if need.len() > 2 {
                let per_channel = || g.reshape(&[win.batch, wv.shape()[0], win.out_len()])?.sum_axis(0, false)?.sum_axis(1, false);
                grads.push(when(need[2], per_channel)?);
            }
            Ok(grads)
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn conv2d_with_bias(n in 1usize..3, c in 1usize..3, oc in 1usize..4, h in 2usize..7, w in 2usize..7,
                            k in 1usize..4, stride in 1usize..3, same in any::<bool>(), seed in 0u64..1000) {
            prop_assume!(same || (h >= k && w >= k));
            let padding = if same { Padding::Same } else { Padding::Valid };
            check(&[vec![n, c, h, w], vec![oc, c, k, k], vec![oc]], seed, |v| v[0].conv2d_bias(&v[1], Some(&v[2]), stride, padding));
        }
    }

    #[test]
    fn mnist_like_first_layer() {
        check(&[vec![2, 1, 8, 8], vec![4, 1, 3, 3]], 3, |v| v[0].conv2d(&v[1], 1, Padding::Same));
    }
}
