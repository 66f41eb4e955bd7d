//! 2-D max pooling. The forward pass remembers where each maximum came from;
//! the backward pass sends each output gradient there and nowhere else:
//! `dy/dx = 1` for the winning element of a window, `0` for the others.

use recon_tensor::{smallvec, Backend, Padding, Result};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y[n, c, oy, ox] = max_{i, j} x[n, c, oy*s + i - pad, ox*s + j - pad]`.
    /// `dx[argmax] += g`. Where no gradient will flow back (`x` needs none:
    /// a no-grad tape, or a constant), the positions are not kept.
    pub fn max_pool2d(&self, kernel: usize, stride: usize, padding: Padding) -> Result<Var<'t, B>> {
        if !self.requires_grad() {
            let y = self.value().max_pool2d_values(kernel, stride, padding)?;
            return self.tape().record("max_pool2d", &[self], y, |_, _| Ok(smallvec![None]));
        }
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

    /// The conv autoencoder pools before its relu (`recon-nn`'s `build.rs`):
    /// the same values and input gradients, bit for bit, as relu then
    /// pooling. Values on a coarse grid, so windows have ties, and windows
    /// that are all negative or all zero.
    #[test]
    fn relu_then_pooling_equals_pooling_then_relu() {
        use crate::Tape;
        let mut r = StdRng::seed_from_u64(7);
        for padding in [Padding::Same, Padding::Valid] {
            let shape = [2, 3, 7, 6];
            let len: usize = shape.iter().product();
            let grid: Vec<f64> = (0..len).map(|i| ((i * 7919) % 9) as f64 / 4.0 - 1.0).collect();
            let mut v = grid.clone();
            v.shuffle(&mut r);
            let backend = Cpu64::new();
            let x = Tensor::from_f64s(&backend, &v, &shape).unwrap();
            let run = |pool_first: bool| {
                let tape = Tape::new();
                let xv = tape.param(&x);
                let y =
                    if pool_first { xv.max_pool2d(2, 2, padding).unwrap().relu() } else { xv.relu().unwrap().max_pool2d(2, 2, padding) }
                        .unwrap();
                // A loss that weighs every output differently.
                let n = y.value().numel();
                let weights = tape.constant(
                    &Tensor::from_f64s(&backend, &(0..n).map(|i| i as f64 + 1.0).collect::<Vec<_>>(), y.value().shape()).unwrap(),
                );
                let grads = tape.backward(&y.mul(&weights).unwrap().sum_all().unwrap()).unwrap();
                (y.value().to_vec().unwrap(), grads.get(&xv).unwrap().to_vec().unwrap())
            };
            let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let ((y1, g1), (y2, g2)) = (run(true), run(false));
            assert_eq!(bits(&y1), bits(&y2), "values, {padding:?}");
            assert_eq!(bits(&g1), bits(&g2), "gradients, {padding:?}");
            assert!(g1.iter().any(|&g| g != 0.0) && y1.contains(&0.0), "the case has both kinds of windows");
        }
    }
}
