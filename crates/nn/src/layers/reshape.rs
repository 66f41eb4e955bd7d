//! Reshape every batch item (flatten images for a dense layer, and back).

use recon_autograd::Var;
use recon_tensor::{Backend, Result};

use super::{Ctx, Layer};

/// `[batch, ...] -> [batch, shape...]`.
pub struct Reshape {
    pub shape: Vec<usize>,
}

impl<B: Backend> Layer<B> for Reshape {
    fn describe(&self) -> String {
        format!("reshape({:?})", self.shape)
    }
    fn forward<'t>(&self, x: &Var<'t, B>, _: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        let mut s = vec![x.shape()[0]];
        s.extend_from_slice(&self.shape);
        x.reshape(&s)
    }
}
