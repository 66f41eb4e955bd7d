//! Binary cross-entropy, for outputs in [0, 1] (images; the conv autoencoder).

use recon_tensor::{Backend, Result};

use super::same_shape;
use crate::tape::Var;

/// Keras' clamping constant: probabilities are kept in `[EPS, 1 - EPS]` so
/// that `ln` never sees 0.
pub const EPS: f64 = 1e-7;

/// From probabilities `p` (a sigmoid output):
/// `L = -(1/N) sum_i [t_i ln p_i + (1 - t_i) ln(1 - p_i)]`, with `p` clamped to
/// `[EPS, 1 - EPS]`. `dL/dp_i = (p_i - t_i) / (p_i (1 - p_i) N)` inside the clamp.
pub fn binary_cross_entropy<'t, B: Backend>(p: &Var<'t, B>, target: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("binary_cross_entropy", p, target)?;
    let p = p.clamp(EPS, 1.0 - EPS)?;
    let one_minus_t = target.neg()?.add_scalar(1.0)?;
    let pos = target.mul(&p.log()?)?;
    let neg = one_minus_t.mul(&p.neg()?.add_scalar(1.0)?.log()?)?;
    pos.add(&neg)?.mean_all()?.neg()
}

/// From logits `z` (before the sigmoid), stable for any `z`:
/// `L = (1/N) sum_i [max(z_i, 0) - z_i t_i + ln(1 + e^-|z_i|)]`, which equals
/// the cross-entropy of `sigmoid(z)` without ever forming `ln 0`.
/// `dL/dz_i = (sigmoid(z_i) - t_i) / N`.
pub fn binary_cross_entropy_with_logits<'t, B: Backend>(z: &Var<'t, B>, target: &Var<'t, B>) -> Result<Var<'t, B>> {
    same_shape("binary_cross_entropy_with_logits", z, target)?;
    let softplus_neg_abs = z.abs()?.neg()?.softplus()?;
    z.relu()?.sub(&z.mul(target)?)?.add(&softplus_neg_abs)?.mean_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check_tensors, inputs, shape};
    use crate::Tape;
    use proptest::prelude::*;
    use recon_tensor::{Cpu64, Tensor};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gradients(s in shape(), seed in 0u64..1000) {
            // Probabilities in (0.02, 0.98), targets in [0, 1].
            let mut xs = inputs(&[s.clone(), s.clone()], seed, true);
            xs[0] = xs[0].mul_scalar(0.96).unwrap();
            check_tensors(xs.clone(), seed, |v| binary_cross_entropy(&v[0], &v[1]));
            let z = inputs(&[s], seed + 1, false)[0].mul_scalar(4.0).unwrap();
            check_tensors(vec![z, xs[1].clone()], seed, |v| binary_cross_entropy_with_logits(&v[0], &v[1]));
        }
    }

    #[test]
    fn logits_form_agrees_with_probability_form_and_is_stable() {
        let cpu = Cpu64::new();
        let tape = Tape::new();
        let z = Tensor::from_f64s(&cpu, &[-3.0, -0.5, 0.5, 2.0], &[2, 2]).unwrap();
        let t = tape.constant(&Tensor::from_f64s(&cpu, &[0.0, 1.0, 0.3, 1.0], &[2, 2]).unwrap());
        let a = binary_cross_entropy_with_logits(&tape.constant(&z), &t).unwrap().value().item().unwrap();
        let b = binary_cross_entropy(&tape.constant(&z.sigmoid().unwrap()), &t).unwrap().value().item().unwrap();
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        // Logits of +-1000: the probability form would need ln(0).
        let big = tape.constant(&Tensor::from_f64s(&cpu, &[1000.0, -1000.0], &[2]).unwrap());
        let t = tape.constant(&Tensor::from_f64s(&cpu, &[0.0, 1.0], &[2]).unwrap());
        let l = binary_cross_entropy_with_logits(&big, &t).unwrap().value().item().unwrap();
        assert!((l - 1000.0).abs() < 1e-9, "{l}");
    }
}
