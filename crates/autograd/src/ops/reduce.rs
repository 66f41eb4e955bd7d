//! Reductions: sum and mean over everything or along one axis, and max along
//! an axis. The gradient of a reduction spreads `g` back over the reduced
//! elements (broadcast), weighted by `1/n` for a mean and routed to the
//! maximum for max.

use recon_tensor::{smallvec, Backend, Binary, Result, Shape, Tensor};

use crate::tape::Var;

/// The shape of a reduction's output with the reduced axis kept as size 1.
fn keep(shape: &[usize], axis: usize) -> Shape {
    let mut s = Shape::from_slice(shape);
    s[axis] = 1;
    s
}

impl<'t, B: Backend> Var<'t, B> {
    /// `y = sum_i x_i` (a scalar). `dx_i = g`.
    pub fn sum_all(&self) -> Result<Var<'t, B>> {
        let y = self.value().sum_all()?;
        let shape = Shape::from_slice(self.shape());
        self.tape().record("sum_all", &[self], y, move |g, _| Ok(smallvec![Some(g.broadcast_to(&shape)?)]))
    }

    /// `y = (1/n) sum_i x_i`. `dx_i = g / n`.
    pub fn mean_all(&self) -> Result<Var<'t, B>> {
        let n = self.value().numel() as f64;
        self.sum_all()?.mul_scalar(1.0 / n)
    }

    /// `y[.., ..] = sum_a x[.., a, ..]` along `axis`. `dx[.., a, ..] = g[.., ..]`.
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Result<Var<'t, B>> {
        let y = self.value().sum_axis(axis, keepdim)?;
        let shape = Shape::from_slice(self.shape());
        self.tape().record("sum_axis", &[self], y, move |g, _| Ok(smallvec![Some(g.reshape(&keep(&shape, axis))?.broadcast_to(&shape)?)]))
    }

    /// `y = (1/n) sum_a x[.., a, ..]` with `n` the axis length. `dx = g / n`.
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Result<Var<'t, B>> {
        let n = *self.shape().get(axis).unwrap_or(&1) as f64;
        self.sum_axis(axis, keepdim)?.mul_scalar(1.0 / n)
    }

    /// `y = max_a x[.., a, ..]`. The gradient goes to the maximal elements,
    /// split evenly on ties: `dx = g * [x == y] / count(x == y)`.
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Result<Var<'t, B>> {
        let y = self.value().max_axis(axis, keepdim)?;
        let x = self.value().clone();
        let y_keep = y.reshape(&keep(x.shape(), axis))?;
        self.tape().record("max_axis", &[self], y, move |g, _| {
            let hit: Tensor<B> = x.binary(Binary::Eq, &y_keep)?;
            let count = hit.sum_axis(axis, true)?;
            let g = g.reshape(y_keep.shape())?;
            Ok(smallvec![Some(hit.mul(&g.div(&count)?)?)])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, shape};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn reductions_along_every_axis(s in shape(), seed in 0u64..1000, keep in any::<bool>()) {
            check(std::slice::from_ref(&s), seed, |v| v[0].sum_all());
            check(std::slice::from_ref(&s), seed, |v| v[0].mean_all());
            for axis in 0..s.len() {
                check(std::slice::from_ref(&s), seed, |v| v[0].sum_axis(axis, keep));
                check(std::slice::from_ref(&s), seed, |v| v[0].mean_axis(axis, keep));
                check(std::slice::from_ref(&s), seed, |v| v[0].max_axis(axis, keep));
            }
        }
    }
}
