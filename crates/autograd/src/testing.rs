//! Helpers for the gradient-check tests in `ops/` and `loss/`: random inputs
//! of given shapes, a one-line `check`, and proptest strategies for shapes.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recon_tensor::{Cpu64, Result, Tensor};

use crate::gradcheck::{gradcheck, GradcheckConfig};
use crate::tape::Var;

/// Uniform values in `[-1, 1]` kept at least 0.02 away from 0 (the kink of
/// relu and abs), so that finite differences never straddle it.
pub fn inputs(shapes: &[Vec<usize>], seed: u64, positive: bool) -> Vec<Tensor<Cpu64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    shapes
        .iter()
        .map(|s| {
            let n: usize = s.iter().product();
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    let m = 0.02 + 0.98 * rng.random::<f64>();
                    if positive || rng.random::<bool>() {
                        m
                    } else {
                        -m
                    }
                })
                .collect();
            Tensor::from_f64s(&Cpu64::new(), &v, s).unwrap()
        })
        .collect()
}

fn run<F>(xs: Vec<Tensor<Cpu64>>, seed: u64, f: F)
where
    F: for<'t> Fn(&[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    let shapes: Vec<_> = xs.iter().map(|x| x.shape().to_vec()).collect();
    let cfg = GradcheckConfig { seed, ..Default::default() };
    match gradcheck(&xs, f, cfg) {
        Ok(Ok(())) => {}
        Ok(Err(m)) => panic!("gradient check failed for inputs {shapes:?}: {m}"),
        Err(e) => panic!("function failed on inputs {shapes:?}: {e}"),
    }
}

/// Gradient-checks `f` on random inputs of `shapes` in `[-1, 1]`.
pub fn check<F>(shapes: &[Vec<usize>], seed: u64, f: F)
where
    F: for<'t> Fn(&[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    run(inputs(shapes, seed, false), seed, f)
}

/// Like `check`, with inputs in `[0.02, 1]` (for log, sqrt, powers).
pub fn check_positive<F>(shapes: &[Vec<usize>], seed: u64, f: F)
where
    F: for<'t> Fn(&[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    run(inputs(shapes, seed, true), seed, f)
}

/// Like `check`, with given input tensors.
pub fn check_tensors<F>(xs: Vec<Tensor<Cpu64>>, seed: u64, f: F)
where
    F: for<'t> Fn(&[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>>,
{
    run(xs, seed, f)
}

/// A random shape of rank 1 to 3 with small axes.
pub fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..5, 1..=3)
}

/// Two shapes that broadcast together: a base shape and a second one made by
/// dropping leading axes and setting some axes to 1 (in either order).
pub fn shapes_broadcasting() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (prop::collection::vec(1usize..5, 1..=3), any::<u8>(), 0usize..3, any::<bool>()).prop_map(|(base, mask, drop, swap)| {
        let drop = drop.min(base.len() - 1);
        let other: Vec<usize> = base[drop..].iter().enumerate().map(|(i, &d)| if mask >> i & 1 == 1 { 1 } else { d }).collect();
        if swap {
            (other, base)
        } else {
            (base, other)
        }
    })
}
