//! Losses, built from differentiable ops (so their gradients come from the
//! ops' rules and are checked like any other function).
//!
//! Every loss returns a scalar averaged over the batch, as Keras and PyTorch
//! do by default. The first axis is the batch.

mod bce;
mod gaussian_nll;
mod kl;
mod regression;

pub use bce::{binary_cross_entropy, binary_cross_entropy_with_logits};
pub use gaussian_nll::gaussian_nll;
pub use kl::kl_diag_gaussian;
pub use regression::{mae, mse};

use recon_tensor::{Backend, Result, TensorError};

use crate::tape::Var;

/// Losses compare equal shapes; broadcasting a target would silently compute
/// something else, so it is an error.
pub(crate) fn same_shape<B: Backend>(op: &'static str, a: &Var<'_, B>, b: &Var<'_, B>) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(TensorError::shape(op, a.shape(), b.shape(), "a loss needs two tensors of the same shape"));
    }
    if a.value().numel() == 0 {
        return Err(TensorError::invalid(op, "the inputs are empty"));
    }
    Ok(())
}
