//! The 2-D transposed convolution layer (a learned upsampling).

use rand::rngs::StdRng;
use recon_autograd::Var;
use recon_tensor::{Backend, Padding, Result, Tensor};

use super::{Activation, Ctx, Layer};
use crate::init::glorot_uniform;
use crate::params::{ParamId, Params};

/// `y = act(conv_transpose2d(x, W) + b)`; `W` is `[in, out, k, k]` (PyTorch's
/// `ConvTranspose2d` layout). With `stride` 2 and `same` padding it doubles
/// the height and width, like Keras' `Conv2DTranspose`.
pub struct ConvTranspose2d {
    pub weight: ParamId,
    pub bias: ParamId,
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: Padding,
    pub activation: Activation,
}

impl ConvTranspose2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        params: &mut Params<B>,
        name: &str,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: Padding,
        activation: Activation,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let area = kernel * kernel;
        let w =
            glorot_uniform(params.backend(), &[in_channels, out_channels, kernel, kernel], in_channels * area, out_channels * area, rng)?;
        let b = Tensor::zeros(params.backend(), &[out_channels])?;
        Ok(ConvTranspose2d {
            weight: params.add(format!("{name}.weight"), w),
            bias: params.add(format!("{name}.bias"), b),
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            activation,
        })
    }
}

impl<B: Backend> Layer<B> for ConvTranspose2d {
    fn describe(&self) -> String {
        format!(
            "conv_transpose2d({} -> {}, {k}x{k}, stride {}, {:?}, {})",
            self.in_channels,
            self.out_channels,
            self.stride,
            self.padding,
            self.activation.name(),
            k = self.kernel
        )
    }
    fn forward<'t>(&self, x: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        let y = x.conv_transpose2d(&ctx.param(self.weight), self.stride, self.padding)?;
        let b = ctx.param(self.bias).reshape(&[self.out_channels, 1, 1])?;
        self.activation.apply(&y.add(&b)?)
    }
}
