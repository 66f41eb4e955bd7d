//! Ops that only move values: reshape, permute/transpose, broadcast.
//! Their gradients move the values back.

use recon_tensor::{smallvec, Backend, Result, Shape, TensorError};

use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// Same values, new shape. `dx = reshape(g, shape of x)`.
    pub fn reshape(&self, shape: &[usize]) -> Result<Var<'t, B>> {
        let y = self.value().reshape(shape)?;
        let s = Shape::from_slice(self.shape());
        self.tape().record("reshape", &[self], y, move |g, _| Ok(smallvec![Some(g.reshape(&s)?)]))
    }

    /// Output axis `i` is input axis `axes[i]`. `dx = permute(g, inverse(axes))`.
    pub fn permute(&self, axes: &[usize]) -> Result<Var<'t, B>> {
        let y = self.value().permute(axes)?;
        let mut inverse: Shape = smallvec![0; axes.len()];
        for (i, &a) in axes.iter().enumerate() {
            inverse[a] = i;
        }
        self.tape().record("permute", &[self], y, move |g, _| Ok(smallvec![Some(g.permute(&inverse)?)]))
    }

    /// Swaps the last two axes. `dx = transpose(g)`.
    pub fn transpose(&self) -> Result<Var<'t, B>> {
        let r = self.shape().len();
        if r < 2 {
            return Err(TensorError::invalid("transpose", format!("needs at least 2 axes, shape is {:?}", self.shape())));
        }
        let mut axes: Shape = (0..r).collect();
        axes.swap(r - 2, r - 1);
        self.permute(&axes)
    }

    /// Repeats values along stretched axes. `dx = unbroadcast(g)`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Var<'t, B>> {
        let y = self.value().broadcast_to(shape)?;
        let s = Shape::from_slice(self.shape());
        self.tape().record("broadcast_to", &[self], y, move |g, _| Ok(smallvec![Some(g.sum_to_shape(&s)?)]))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn moves(a in 1usize..5, b in 1usize..5, c in 1usize..5, seed in 0u64..1000) {
            check(&[vec![a, b, c]], seed, |v| v[0].reshape(&[a * b, c]));
            check(&[vec![a, b, c]], seed, |v| v[0].permute(&[2, 0, 1]));
            check(&[vec![a, b, c]], seed, |v| v[0].permute(&[1, 2, 0]));
            check(&[vec![a, b]], seed, |v| v[0].transpose());
            check(&[vec![a, 1, c]], seed, |v| v[0].broadcast_to(&[b, a, 3, c]));
        }
    }
}
