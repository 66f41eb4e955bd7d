//! The four arithmetic operators, with numpy broadcasting.
//! Where an operand was broadcast, its gradient is summed back to its shape.

use recon_tensor::{smallvec, Backend, Result, Shape};

use super::when;
use crate::tape::Var;

impl<'t, B: Backend> Var<'t, B> {
    /// `y = a + b`. `da = unbroadcast(g)`, `db = unbroadcast(g)`.
    pub fn add(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        let y = self.value().add(b.value())?;
        let (sa, sb) = (Shape::from_slice(self.shape()), Shape::from_slice(b.shape()));
        self.tape().record("add", &[self, b], y, move |g, need| {
            Ok(smallvec![when(need[0], || g.sum_to_shape(&sa))?, when(need[1], || g.sum_to_shape(&sb))?])
        })
    }

    /// `y = a - b`. `da = unbroadcast(g)`, `db = -unbroadcast(g)`.
    pub fn sub(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        let y = self.value().sub(b.value())?;
        let (sa, sb) = (Shape::from_slice(self.shape()), Shape::from_slice(b.shape()));
        self.tape().record("sub", &[self, b], y, move |g, need| {
            Ok(smallvec![when(need[0], || g.sum_to_shape(&sa))?, when(need[1], || g.sum_to_shape(&sb)?.neg())?])
        })
    }

    /// `y = a * b`. `da = unbroadcast(g * b)`, `db = unbroadcast(g * a)`.
    pub fn mul(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        let y = self.value().mul(b.value())?;
        let (a, b_) = (self.value().clone(), b.value().clone());
        self.tape().record("mul", &[self, b], y, move |g, need| {
            Ok(smallvec![when(need[0], || g.mul(&b_)?.sum_to_shape(a.shape()))?, when(need[1], || g.mul(&a)?.sum_to_shape(b_.shape()))?])
        })
    }

    /// `y = a / b`. `da = unbroadcast(g / b)`, `db = unbroadcast(-g * a / b^2)`.
    pub fn div(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        let y = self.value().div(b.value())?;
        let (a, b_) = (self.value().clone(), b.value().clone());
        self.tape().record("div", &[self, b], y, move |g, need| {
            Ok(smallvec![
                when(need[0], || g.div(&b_)?.sum_to_shape(a.shape()))?,
                when(need[1], || g.mul(&a)?.div(&b_.square()?)?.neg()?.sum_to_shape(b_.shape()))?,
            ])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, shapes_broadcasting};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn add_sub_mul_div_with_broadcasting((a, b) in shapes_broadcasting(), seed in 0u64..1000) {
            check(&[a.clone(), b.clone()], seed, |v| v[0].add(&v[1]));
            check(&[a.clone(), b.clone()], seed, |v| v[0].sub(&v[1]));
            check(&[a.clone(), b.clone()], seed, |v| v[0].mul(&v[1]));
            // Keep the divisor away from 0: 2 + x^2 > 0.
            check(&[a, b], seed, |v| v[0].div(&v[1].square()?.add_scalar(2.0)?));
        }
    }

    #[test]
    fn bias_over_a_batch() {
        check(&[vec![32, 12], vec![12]], 7, |v| v[0].add(&v[1]));
        check(&[vec![5, 3], vec![5, 1]], 8, |v| v[0].mul(&v[1]));
        check(&[vec![4, 1, 3], vec![5, 1]], 9, |v| v[0].sub(&v[1]));
    }
}
