//! Mean squared and mean absolute error, the reconstruction losses of the
//! tabular autoencoders.

use recon_tensor::{Backend, Result};

use super::same_shape;
use crate::tape::Var;

/// `L = (1/N) sum_i (p_i - t_i)^2` over all `N` elements.
/// `dL/dp_i = 2 (p_i - t_i) / N`.
pub fn mse<'t, B: Backend>(pred: &Var<'t, B>, target: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("mse", pred, target)?;
    pred.sub(target)?.square()?.mean_all()
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
    use recon_tensor::{Cpu64, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(s in shape(), seed in 0u64..1000) {
            check(&[s.clone(), s.clone()], seed, |v| mse(&v[0], &v[1]));
            check(&[s.clone(), s], seed, |v| mae(&v[0], &v[1]));
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
