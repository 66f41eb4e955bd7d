//! Mean squared and mean absolute error, the reconstruction losses of the
//! tabular autoencoders.

use recon_tensor::{smallvec, Backend, Result};

use super::same_shape;
use crate::ops::when;
use crate::tape::Var;

/// `L = (1/N) sum_i (p_i - t_i)^2` over all `N` elements.
/// `dL/dp_i = 2 (p_i - t_i) / N`, `dL/dt_i = -dL/dp_i`.
///
/// One node on the tape rather than the four of `sub`, `square` and
/// `mean_all` (`sum_all`, `mul_scalar`), with the same value and the same
/// gradient bits: theirs is `(g / N) * (2 (p - t))`, broadcast from the
/// scalar, and so is this one.
pub fn mse<'t, B: Backend>(pred: &Var<'t, B>, target: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("mse", pred, target)?;
    let diff = pred.value().sub(target.value())?;
    let value = diff.square()?.mean_all()?;
    let n = diff.numel() as f64;
    pred.tape().record("mse", &[pred, target], value, move |g, need| {
        let dp = diff.mul_scalar(2.0)?.mul(&g.mul_scalar(1.0 / n)?)?;
        Ok(smallvec![when(need[0], || Ok(dp.clone()))?, when(need[1], || dp.neg())?])
    })
}

/// `L = (1/N) sum_i |p_i - t_i|`. `dL/dp_i = sign(p_i - t_i) / N`.
pub fn mae<'t, B: Backend>(pred: &Var<'t, B>, target: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("mae", pred, target)?;
    pred.sub(target)?.abs()?.mean_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, shape};
    use crate::Tape;
    use proptest::prelude::*;
    use recon_tensor::{Cpu32, Cpu64, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(s in shape(), seed in 0u64..1000) {
            check(&[s.clone(), s.clone()], seed, |v| mse(&v[0], &v[1]));
            check(&[s.clone(), s], seed, |v| mae(&v[0], &v[1]));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// `mse` gives the bits of the ops it stands for, value and both
        /// gradients, in f32.
        #[test]
        fn same_bits_as_sub_square_mean(s in shape(), seed in 0u64..1000) {
            let xs: Vec<_> = crate::testing::inputs(&[s.clone(), s], seed, false)
                .iter()
                .map(|x| x.to_backend(&Cpu32::new()).unwrap())
                .collect();
            let run = |fused: bool| {
                let tape = Tape::new();
                let (p, t) = (tape.param(&xs[0]), tape.param(&xs[1]));
                let l = if fused { mse(&p, &t) } else { p.sub(&t).and_then(|d| d.square()).and_then(|d| d.mean_all()) }.unwrap();
                // A scale other than 1, so the incoming gradient matters.
                let l = l.mul_scalar(3.7).unwrap();
                let g = tape.backward(&l).unwrap();
                let grad = |v| g.get(v).unwrap().to_f64_vec().unwrap();
                (l.value().item().unwrap(), grad(&p), grad(&t))
            };
            prop_assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn values_and_shape_errors() {
        let cpu = Cpu64::new();
        let tape = Tape::new();
        let p = tape.param(&Tensor::from_f64s(&cpu, &[1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
        let t = tape.constant(&Tensor::from_f64s(&cpu, &[1.0, 0.0, 3.0, 1.0], &[2, 2]).unwrap());
        assert_eq!(mse(&p, &t).unwrap().value().item().unwrap(), (4.0 + 9.0) / 4.0);
        assert_eq!(mae(&p, &t).unwrap().value().item().unwrap(), (2.0 + 3.0) / 4.0);
        let bad = tape.constant(&Tensor::zeros(&cpu, &[2]).unwrap());
        let e = mse(&p, &bad).unwrap_err().to_string();
        assert!(e.contains("[2, 2]") && e.contains("[2]"), "{e}");
    }
}
