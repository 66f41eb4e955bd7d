//! Elementwise functions of one tensor. Rules that need the output (`exp`,
//! `sigmoid`, `tanh`, `sqrt`) save it; the others save the input.

use recon_tensor::{smallvec, Backend, Result, Tensor, Unary};

use crate::tape::Var;

/// The sigmoid's derivative from its output: `y (1 - y)` (also `Var::dense`'s).
pub(crate) fn sigmoid_slope<B: Backend>(y: &Tensor<B>) -> Result<Tensor<B>> {
    y.mul(&y.neg()?.add_scalar(1.0)?)
}

/// tanh's derivative from its output: `1 - y^2` (also `Var::dense`'s).
pub(crate) fn tanh_slope<B: Backend>(y: &Tensor<B>) -> Result<Tensor<B>> {
    y.square()?.neg()?.add_scalar(1.0)
}

impl<'t, B: Backend> Var<'t, B> {
    /// Records `y = f(x)` with the rule `dx = g * d(x, y)`.
    fn pointwise(
        &self,
        name: &'static str,
        op: Unary,
        d: impl Fn(&Tensor<B>, &Tensor<B>) -> Result<Tensor<B>> + Send + 'static,
    ) -> Result<Var<'t, B>> {
        let y = self.value().unary(op)?;
        let (x, y_) = (self.value().clone(), y.clone());
        self.tape().record(name, &[self], y, move |g, _| Ok(smallvec![Some(g.mul(&d(&x, &y_)?)?)]))
    }

    /// `y = -x`. `dx = -g`.
    pub fn neg(&self) -> Result<Var<'t, B>> {
        let y = self.value().neg()?;
        self.tape().record("neg", &[self], y, |g, _| Ok(smallvec![Some(g.neg()?)]))
    }
    /// `y = x + c`. `dx = g`.
    pub fn add_scalar(&self, c: f64) -> Result<Var<'t, B>> {
        let y = self.value().add_scalar(c)?;
        self.tape().record("add_scalar", &[self], y, |g, _| Ok(smallvec![Some(g.clone())]))
    }
    /// `y = c x`. `dx = c g`.
    pub fn mul_scalar(&self, c: f64) -> Result<Var<'t, B>> {
        let y = self.value().mul_scalar(c)?;
        self.tape().record("mul_scalar", &[self], y, move |g, _| Ok(smallvec![Some(g.mul_scalar(c)?)]))
    }
    /// `y = e^x`. `dx = g y`.
    pub fn exp(&self) -> Result<Var<'t, B>> {
        self.pointwise("exp", Unary::Exp, |_, y| Ok(y.clone()))
    }
    /// `y = ln x`. `dx = g / x`.
    pub fn log(&self) -> Result<Var<'t, B>> {
        self.pointwise("log", Unary::Log, |x, _| x.unary(Unary::Recip))
    }
    /// `y = sqrt x`. `dx = g / (2 y)`.
    pub fn sqrt(&self) -> Result<Var<'t, B>> {
        self.pointwise("sqrt", Unary::Sqrt, |_, y| y.mul_scalar(2.0)?.unary(Unary::Recip))
    }
    /// `y = x^2`. `dx = 2 x g`.
    pub fn square(&self) -> Result<Var<'t, B>> {
        self.pointwise("square", Unary::Square, |x, _| x.mul_scalar(2.0))
    }
    /// `y = x^p`. `dx = p x^(p-1) g`.
    pub fn powf(&self, p: f64) -> Result<Var<'t, B>> {
        self.pointwise("powf", Unary::Powf(p), move |x, _| x.unary(Unary::Powf(p - 1.0))?.mul_scalar(p))
    }
    /// `y = |x|`. `dx = sign(x) g` (0 at 0).
    pub fn abs(&self) -> Result<Var<'t, B>> {
        self.pointwise("abs", Unary::Abs, |x, _| x.unary(Unary::Sign))
    }
    /// `y = min(max(x, lo), hi)`. `dx = g` inside `[lo, hi]`, else 0.
    pub fn clamp(&self, lo: f64, hi: f64) -> Result<Var<'t, B>> {
        self.pointwise("clamp", Unary::Clamp(lo, hi), move |x, _| x.unary(Unary::InRange(lo, hi)))
    }
    /// `y = max(x, 0)`. `dx = g` where `x > 0`, else 0 (`g * step(x)`, one
    /// backend pass: relu follows every conv and dense layer).
    pub fn relu(&self) -> Result<Var<'t, B>> {
        let y = self.value().unary(Unary::Relu)?;
        let x = self.value().clone();
        self.tape().record("relu", &[self], y, move |g, _| Ok(smallvec![Some(g.relu_backward(&x)?)]))
    }
    /// `y = 1 / (1 + e^-x)`. `dx = g y (1 - y)`.
    pub fn sigmoid(&self) -> Result<Var<'t, B>> {
        self.pointwise("sigmoid", Unary::Sigmoid, |_, y| sigmoid_slope(y))
    }
    /// `y = tanh x`. `dx = g (1 - y^2)`.
    pub fn tanh(&self) -> Result<Var<'t, B>> {
        self.pointwise("tanh", Unary::Tanh, |_, y| tanh_slope(y))
    }
    /// `y = ln(1 + e^x)`. `dx = g sigmoid(x)`.
    pub fn softplus(&self) -> Result<Var<'t, B>> {
        self.pointwise("softplus", Unary::Softplus, |x, _| x.sigmoid())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, check_positive, shape};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn smooth_functions(s in shape(), seed in 0u64..1000) {
            let s = [s];
            check(&s, seed, |v| v[0].neg());
            check(&s, seed, |v| v[0].add_scalar(0.7));
            check(&s, seed, |v| v[0].mul_scalar(-1.5));
            check(&s, seed, |v| v[0].exp());
            check(&s, seed, |v| v[0].square());
            check(&s, seed, |v| v[0].sigmoid());
            check(&s, seed, |v| v[0].tanh());
            check(&s, seed, |v| v[0].softplus());
            check_positive(&s, seed, |v| v[0].log());
            check_positive(&s, seed, |v| v[0].sqrt());
            check_positive(&s, seed, |v| v[0].powf(1.7));
        }

        #[test]
        fn kinked_functions_away_from_the_kink(s in shape(), seed in 0u64..1000) {
            // Inputs are drawn away from 0 and from the clamp bounds, where
            // finite differences would straddle the kink.
            let s = [s];
            check(&s, seed, |v| v[0].relu());
            check(&s, seed, |v| v[0].abs());
            check(&s, seed, |v| v[0].clamp(-0.25, 0.3));
        }
    }
}
