//! 2-D max pooling. The forward pass remembers where each maximum came from;
//! the backward pass sends each output gradient there and nowhere else:
//! `dy/dx = 1` for the winning element of a window, `0` for the others.

use recon_tensor::{smallvec, Backend, Padding, Result};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, c, oy, ox] = max_{i, j} x[n, c, oy*s + i - pad, ox*s + j - pad]`.
    /// `dx[argmax] += g`.
    pub fn max_pool2d(&self, kernel: usize, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        let pooled = self.value().max_pool2d(kernel, stride, padding)?;
        let (argmax, window) = (pooled.argmax, pooled.window);
        self.tape().record("max_pool2d", &[self], pooled.out, move |g, _| Ok(smallvec![Some(g.max_pool2d_backward(&argmax, &window)?)]))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check_tensors;
    use proptest::prelude::*;
    use rand::seq::SliceRandom;
    use rand::{rngs::StdRng, SeedableRng};
    use recon_tensor::{Cpu64, Padding, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn max_pool2d_strides_and_paddings(n in 1usize..3, c in 1usize..3, h in 2usize..8, w in 2usize..8,
                                           k in 1usize..4, stride in 1usize..4, same in any::<bool>(), seed in 0u64..1000) {
            prop_assume!(same || (h >= k && w >= k));
            let padding = if same { Padding::Same } else { Padding::Valid };
            // Distinct values a fixed step apart: no ties, and no two within
            // eps of each other, so the maximum is the same under +-eps.
            let len = n * c * h * w;
            let mut v: Vec<f64> = (0..len).map(|i| i as f64 / len as f64 - 0.5).collect();
            v.shuffle(&mut StdRng::seed_from_u64(seed));
            let x = Tensor::from_f64s(&Cpu64::new(), &v, &[n, c, h, w]).unwrap();
            check_tensors(vec![x], seed, |v| v[0].max_pool2d(k, stride, padding));
        }
    }
}
