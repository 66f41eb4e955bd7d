//! Nearest-neighbour upsampling as a layer (Keras' `UpSampling2D`).

use recon_autograd::Var;
use recon_tensor::{Backend, Result};

use super::{Ctx, Layer};

pub struct UpSampling2d {
    pub factor: usize,
}

impl<B: Backend> Layer<B> for UpSampling2d {
    fn describe(&self) -> String {
        format!("upsample({}x)", self.factor)
    }
    fn forward<'t>(&self, x: &Var<'t, B>, _: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        x.upsample_nearest2d(self.factor)
    }
}
