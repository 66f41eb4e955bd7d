//! The 2-D convolution layer.

use rand::rngs::StdRng;
use recon_autograd::Var;
use recon_tensor::{Backend, Padding, Result, Tensor};

use super::{Activation, Ctx, Layer};
use crate::init::glorot_uniform;
use crate::params::{ParamId, Params};

/// `y = act(conv2d(x, W) + b)` for NCHW `x`; `W` is `[out, in, k, k]`
/// (PyTorch's `Conv2d` layout), `b` is `[out]`, added to every position.
pub struct Conv2d {
    pub weight: ParamId,
    pub bias: ParamId,
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: Padding,
    pub activation: Activation,
}

impl Conv2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        params: &mut Params<B>,
        name: &str,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        padding: Padding,
        activation: Activation,
        rng: &mut StdRng,
    ) -> Result<Self> {
        let area = kernel * kernel;
        let w =
            glorot_uniform(params.backend(), &[out_channels, in_channels, kernel, kernel], in_channels * area, out_channels * area, rng)?;
        let b = Tensor::zeros(params.backend(), &[out_channels])?;
        Ok(Conv2d {
            weight: params.add(format!("{name}.weight"), w),
            bias: params.add(format!("{name}.bias"), b),
            in_channels,
            out_channels,
            kernel,
            stride: 1,
            padding,
            activation,
        })
    }
}

impl<B: Backend> Layer<B> for Conv2d {
    fn describe(&self) -> String {
        format!(
            "conv2d({} -> {}, {k}x{k}, stride {}, {:?}, {})",
            self.in_channels,
            self.out_channels,
            self.stride,
            self.padding,
            self.activation.name(),
            k = self.kernel
        )
    }
    fn forward<'t>(&self, x: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        let (w, b) = (ctx.param(self.weight), ctx.param(self.bias));
        self.activation.apply(&x.conv2d_bias(&w, Some(&b), self.stride, self.padding)?)
    }
}
