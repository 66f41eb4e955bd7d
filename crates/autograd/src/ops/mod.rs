//! The differentiable operations, one family per file. Each op is a method on
//! `Var` that computes its value with a `Tensor` op and records, right beside
//! it, its backward rule, with the derivative in the doc comment.
//! Gradients are written with forward ops (composition), so every backend that
//! implements the primitives gets them.
//!
//! A rule is stored inline in its tape node: it returns `smallvec![...]` (an
//! `InputGrads`, no heap `Vec`) and captures only what fits in `RULE_SPACE`
//! bytes (saved tensors, shapes as `Shape`, small numbers); `Tape::record`
//! refuses at compile time a closure that would not fit.
//!
//! Notation in the doc comments: `g = dL/dy` is the incoming gradient;
//! `unbroadcast(t, shape)` sums `t` over the axes broadcasting stretched
//! (`Tensor::sum_to_shape`).

mod arith;
mod conv2d;
mod conv_transpose2d;
mod dense;
mod matmul;
mod max_pool2d;
mod pointwise;
mod reduce;
mod reparameterize;
mod shape;
mod softmax;
mod upsample;

use recon_tensor::{Backend, Result, Tensor};

/// Computes an input's gradient only if that input needs one.
pub(crate) fn when<B: Backend>(need: bool, f: impl FnOnce() -> Result<Tensor<B>>) -> Result<Option<Tensor<B>>> {
    if need {
        f().map(Some)
    } else {
        Ok(None)
    }
}
