//! A dense layer as one op: matrix product, bias and activation.

use recon_tensor::{smallvec, Backend, Result, Tensor, TensorError, Unary};

use super::pointwise::{sigmoid_slope, tanh_slope};
use super::when;
use crate::tape::Var;

/// `g act'(z)` at the pre-activation `z`, written with the output `y =
/// act(z)` (which the forward pass keeps anyway): relu `g [y > 0]`, sigmoid
/// `g y (1 - y)`, tanh `g (1 - y^2)`, with the slopes `sigmoid` and `tanh`
/// use for their own gradients.
fn through_activation<B: Backend>(g: &Tensor<B>, y: &Tensor<B>, act: Option<Unary>) -> Result<Tensor<B>> {
    match act {
        None => Ok(g.clone()),
        Some(Unary::Relu) => g.relu_backward(y), // y > 0 exactly where z > 0
        Some(Unary::Sigmoid) => g.mul(&sigmoid_slope(y)?),
        Some(Unary::Tanh) => g.mul(&tanh_slope(y)?),
        Some(op) => Err(not_fusable(op)),
    }
}

fn not_fusable(op: Unary) -> TensorError {
    TensorError::invalid("dense", format!("{op:?} is not an activation a dense layer can fuse (relu, sigmoid, tanh)"))
}

impl<'t, B: Backend> Var<'t, B> {
    /// `y = act(x W^T + b)` for `x` (this) `[rows, in]`, `W` `[out, in]`, `b`
    /// `[out]`, `act` one of relu, sigmoid or tanh, or `None` for none.
    /// With `dz = g act'(z)` at `z = x W^T + b`:
    ///
    /// `dx = dz W`, `dW = dz^T x`, `db = sum over rows of dz`.
    ///
    /// The values and gradients are those of `matmul_t`, `add` and the
    /// activation recorded one by one, to the last bit; as one node, a layer
    /// costs one tape entry and one output buffer instead of three of each
    /// (a dense model's step at batch 32 is mostly such bookkeeping).
    pub fn dense(&self, w: &Var<'t, B>, b: &Var<'t, B>, act: Option<Unary>) -> Result<Var<'t, B>> {
        // Refused here, not in the backward pass, where it would surface late.
        if let Some(op) = act.filter(|op| !matches!(op, Unary::Relu | Unary::Sigmoid | Unary::Tanh)) {
            return Err(not_fusable(op));
        }
        let y = self.value().dense(w.value(), b.value(), act)?;
        let (x_, w_, y_) = (self.value().clone(), w.value().clone(), y.clone());
        self.tape().record("dense", &[self, w, b], y, move |g, need| {
            let dz = through_activation(g, &y_, act)?;
            Ok(smallvec![
                when(need[0], || dz.matmul_t(&w_, false, false))?,
                when(need[1], || dz.matmul_t(&x_, true, false))?,
                when(need[2], || dz.sum_axis(0, false))?,
            ])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;
    use crate::Tape;
    use proptest::prelude::*;
    use recon_tensor::{Cpu64, Tensor, Unary};

    const ACTS: [Option<Unary>; 4] = [None, Some(Unary::Relu), Some(Unary::Sigmoid), Some(Unary::Tanh)];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(rows in 1usize..6, inputs in 1usize..6, outputs in 1usize..6, seed in 0u64..1000) {
            for act in ACTS {
                check(&[vec![rows, inputs], vec![outputs, inputs], vec![outputs]], seed, |v| v[0].dense(&v[1], &v[2], act));
            }
        }

        /// The same values and gradients, bit for bit, as the three ops it
        /// stands for.
        #[test]
        fn same_bits_as_matmul_add_activation(rows in 1usize..40, inputs in 1usize..70, outputs in 1usize..70, seed in 0u64..1000) {
            let xs = crate::testing::inputs(&[vec![rows, inputs], vec![outputs, inputs], vec![outputs]], seed, false);
            for act in ACTS {
                let grads = |fused: bool| {
                    let tape = Tape::new();
                    let v: Vec<_> = xs.iter().map(|x| tape.param(x)).collect();
                    let y = if fused {
                        v[0].dense(&v[1], &v[2], act).unwrap()
                    } else {
                        let z = v[0].matmul_t(&v[1], false, true).unwrap().add(&v[2]).unwrap();
                        match act {
                            None => z,
                            Some(Unary::Relu) => z.relu().unwrap(),
                            Some(Unary::Sigmoid) => z.sigmoid().unwrap(),
                            _ => z.tanh().unwrap(),
                        }
                    };
                    let out = y.value().to_f64_vec().unwrap();
                    // A loss that weighs every output differently.
                    let wts: Vec<f64> = (0..out.len()).map(|i| (i % 7) as f64 - 3.0).collect();
                    let wts = tape.constant(&Tensor::from_f64s(&Cpu64::new(), &wts, y.shape()).unwrap());
                    let g = tape.backward(&y.mul(&wts).unwrap().sum_all().unwrap()).unwrap();
                    let d: Vec<Vec<f64>> = v.iter().map(|p| g.get(p).unwrap().to_f64_vec().unwrap()).collect();
                    (out, d)
                };
                let (fused, composed) = (grads(true), grads(false));
                prop_assert!(fused == composed, "{act:?}: fused {fused:?}, composed {composed:?}");
            }
        }
    }

    #[test]
    fn refuses_what_it_cannot_fuse() {
        let cpu = Cpu64::new();
        let tape = Tape::new();
        let x = tape.param(&Tensor::zeros(&cpu, &[2, 3]).unwrap());
        let w = tape.param(&Tensor::zeros(&cpu, &[4, 3]).unwrap());
        let b = tape.param(&Tensor::zeros(&cpu, &[4]).unwrap());
        let e = x.dense(&w, &b, Some(Unary::Exp)).err().unwrap().to_string();
        assert!(e.contains("not an activation"), "{e}");
        let e = x.dense(&w, &tape.param(&Tensor::zeros(&cpu, &[3]).unwrap()), None).err().unwrap().to_string();
        assert!(e.contains("b [out]"), "{e}");
    }
}
