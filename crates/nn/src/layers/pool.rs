//! Max pooling as a layer.

use recon_autograd::Var;
use recon_tensor::{Backend, Padding, Result};

use super::{Ctx, Layer};

/// `k x k` max pooling with stride `k` (Keras' `MaxPooling2D((k, k))`).
pub struct MaxPool2d {
    pub kernel: usize,
    pub padding: Padding,
}

impl<B: Backend> Layer<B> for MaxPool2d {
    fn describe(&self) -> String {
        format!("max_pool2d({k}x{k}, {:?})", self.padding, k = self.kernel)
    }
    fn forward<'t>(&self, x: &Var<'t, B>, _: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        x.max_pool2d(self.kernel, self.kernel, self.padding)
    }
}
