//! Sliding-window operations on NCHW tensors: convolution, transposed
//! convolution, max pooling and nearest upsampling.
//!
//! Convolution is im2col + GEMM: unfold every window into a column, then one
//! matrix product with the weights does all the multiply-adds. Transposed
//! convolution is the adjoint of convolution (GEMM, then col2im). The backend
//! provides both, and the weight gradient, as three primitives
//! (`Backend::conv2d*`) whose defaults compose im2col, matmul and col2im and
//! which the CPU backend fuses per batch item. Upsampling is a reshape and a
//! broadcast. `recon-autograd` builds the gradients from these.

use std::sync::Arc;

use smallvec::smallvec;

use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::window::{Padding, Window2d};

/// The result of max pooling: the pooled tensor and, for the backward pass,
/// where each maximum came from.
pub struct Pooled<B: Backend> {
    pub out: Tensor<B>,
    pub argmax: Arc<B::Indices>,
    pub window: Window2d,
}

impl<B: Backend> Tensor<B> {
    /// The im2col matrix of this NCHW tensor, `[n, patch_len, out_len]`.
    pub fn im2col(&self, w: &Window2d) -> Result<Self> {
        if self.shape() != w.input_shape() {
            return Err(TensorError::shape("im2col", self.shape(), &w.input_shape(), "input is not the window's input shape"));
        }
        let data = self.backend().im2col(self.storage(), w)?;
        Ok(self.wrap(smallvec![w.batch, w.patch_len(), w.out_len()], data))
    }

    /// The adjoint of `im2col`: folds `[n, patch_len, out_len]` back to NCHW, summing overlaps.
    pub fn col2im(&self, w: &Window2d) -> Result<Self> {
        let expect = [w.batch, w.patch_len(), w.out_len()];
        if self.shape() != expect {
            return Err(TensorError::shape("col2im", self.shape(), &expect, "columns do not match the window"));
        }
        let data = self.backend().col2im(self.storage(), w)?;
        Ok(self.wrap(Shape::from_slice(&w.input_shape()), data))
    }

    /// 2-D convolution (cross-correlation, as every framework computes it):
    /// `y[n, o, oy, ox] = sum_{c, i, j} w[o, c, i, j] * x[n, c, oy*s + i - pad, ox*s + j - pad]`,
    /// with `x` `[n, c, h, w]` and weights `[out_channels, c, kh, kw]`. No bias.
    pub fn conv2d(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Self> {
        let g = self.conv2d_window(weight, stride, padding)?;
        self.conv2d_in(weight, None, &g)
    }

    /// The window a convolution of this input with `weight` uses.
    pub fn conv2d_window(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Window2d> {
        let ws = weight.shape();
        if ws.len() != 4 || self.rank() != 4 || ws[1] != self.shape()[1] {
            return Err(TensorError::shape("conv2d", self.shape(), ws, "expects input [n, c, h, w] and weight [out, c, kh, kw]"));
        }
        Window2d::forward("conv2d", self.shape(), (ws[2], ws[3]), stride, padding)
    }

    /// `conv2d` over the window `w` (from `conv2d_window`), plus `bias[o]`
    /// (`[out_channels]`) at every output position when given. `weight` is
    /// `[out_channels, c, kh, kw]` or already flat, `[out_channels, c * kh * kw]`.
    pub fn conv2d_in(&self, weight: &Self, bias: Option<&Self>, w: &Window2d) -> Result<Self> {
        let oc = self.check_conv("conv2d", weight, w)?;
        if let Some(b) = bias {
            if b.numel() != oc {
                return Err(TensorError::shape("conv2d", b.shape(), &[oc], "the bias needs one value per output channel"));
            }
        }
        let data = self.backend().conv2d(self.storage(), weight.storage(), bias.map(|b| b.storage()), w, oc)?;
        Ok(self.wrap(smallvec![w.batch, oc, w.out_h, w.out_w], data))
    }

    /// The gradient of `conv2d_in` with respect to its input: this tensor is
    /// `g = dL/dy` (`[n, out_channels, out_h, out_w]`); the result has the
    /// window's input shape. `dx_n = col2im(W^T g_n)`.
    pub fn conv2d_backward_input(&self, weight: &Self, w: &Window2d) -> Result<Self> {
        let oc = weight.shape().first().copied().unwrap_or(0);
        if self.shape() != [w.batch, oc, w.out_h, w.out_w] {
            return Err(TensorError::shape(
                "conv2d_backward_input",
                self.shape(),
                &[w.batch, oc, w.out_h, w.out_w],
                "the gradient is not the convolution's output shape",
            ));
        }
        if weight.numel() != oc * w.patch_len() {
            return Err(TensorError::shape(
                "conv2d_backward_input",
                weight.shape(),
                &[oc, w.patch_len()],
                "weight does not match the window",
            ));
        }
        let data = self.backend().conv2d_backward_input(self.storage(), weight.storage(), w, oc)?;
        Ok(self.wrap(Shape::from_slice(&w.input_shape()), data))
    }

    /// The gradient of `conv2d_in` with respect to its weight: this tensor is
    /// the input `x`, `g = dL/dy`; the result is `[out_channels, patch_len]`.
    /// `dW = sum_n g_n im2col(x_n)^T`.
    pub fn conv2d_backward_weight(&self, g: &Self, w: &Window2d) -> Result<Self> {
        if self.shape() != w.input_shape() || g.rank() != 4 || g.shape()[0] != w.batch || g.shape()[2..] != [w.out_h, w.out_w] {
            return Err(TensorError::shape(
                "conv2d_backward_weight",
                self.shape(),
                g.shape(),
                "input or gradient does not match the window",
            ));
        }
        let oc = g.shape()[1];
        let data = self.backend().conv2d_backward_weight(self.storage(), g.storage(), w, oc)?;
        Ok(self.wrap(smallvec![oc, w.patch_len()], data))
    }

    /// Checks this input and `weight` against the window; returns the output channels.
    fn check_conv(&self, op: &'static str, weight: &Self, w: &Window2d) -> Result<usize> {
        if self.shape() != w.input_shape() {
            return Err(TensorError::shape(op, self.shape(), &w.input_shape(), "input is not the window's input shape"));
        }
        let oc = weight.shape().first().copied().unwrap_or(0);
        if weight.numel() != oc * w.patch_len() {
            return Err(TensorError::shape(op, weight.shape(), &[oc, w.patch_len()], "weight does not match the window"));
        }
        Ok(oc)
    }

    /// 2-D transposed convolution, the adjoint of `conv2d` (PyTorch's
    /// `ConvTranspose2d`, Keras' `Conv2DTranspose`): every input pixel scatters
    /// `x[n, c, y, x] * w[c, o, i, j]` into output `[n, o, y*s + i - pad, x*s + j - pad]`.
    /// Input `[n, c, h, w]`, weight `[c, out_channels, kh, kw]`; output size per
    /// `Window2d::transposed`. It is the input gradient of the convolution
    /// over that window: `y_n = col2im(W^T x_n)`.
    pub fn conv_transpose2d(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Self> {
        let g = self.conv_transpose2d_window(weight, stride, padding)?;
        self.conv2d_backward_input(weight, &g)
    }

    /// The window of the convolution whose adjoint `conv_transpose2d` computes.
    pub fn conv_transpose2d_window(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Window2d> {
        let ws = weight.shape();
        if ws.len() != 4 || self.rank() != 4 || ws[0] != self.shape()[1] {
            return Err(TensorError::shape("conv_transpose2d", self.shape(), ws, "expects input [n, c, h, w] and weight [c, out, kh, kw]"));
        }
        Window2d::transposed("conv_transpose2d", self.shape(), ws[1], (ws[2], ws[3]), stride, padding)
    }

    /// Max pooling over `kernel x kernel` windows moved by `stride`:
    /// `y[n, c, oy, ox] = max_{i, j} x[n, c, oy*s + i - pad, ox*s + j - pad]`.
    pub fn max_pool2d(&self, kernel: usize, stride: usize, padding: Padding) -> Result<Pooled<B>> {
        let g = Window2d::forward("max_pool2d", self.shape(), (kernel, kernel), stride, padding)?;
        let (data, argmax) = self.backend().max_pool2d(self.storage(), &g)?;
        let out = self.wrap(smallvec![g.batch, g.channels, g.out_h, g.out_w], data);
        Ok(Pooled { out, argmax: Arc::new(argmax), window: g })
    }

    /// `max_pool2d`'s values without the positions of the maxima: for a
    /// pass that will not go backward.
    pub fn max_pool2d_values(&self, kernel: usize, stride: usize, padding: Padding) -> Result<Self> {
        let g = Window2d::forward("max_pool2d", self.shape(), (kernel, kernel), stride, padding)?;
        let data = self.backend().max_pool2d_values(self.storage(), &g)?;
        Ok(self.wrap(smallvec![g.batch, g.channels, g.out_h, g.out_w], data))
    }

    /// The gradient of max pooling: this tensor (`dy`, the pooled shape) routed
    /// back to the positions the maxima came from, `dx[argmax[o]] += dy[o]`.
    pub fn max_pool2d_backward(&self, argmax: &B::Indices, w: &Window2d) -> Result<Self> {
        let expect = [w.batch, w.channels, w.out_h, w.out_w];
        if self.shape() != expect {
            return Err(TensorError::shape("max_pool2d_backward", self.shape(), &expect, "gradient is not the pooled shape"));
        }
        let data = self.backend().max_pool2d_backward(self.storage(), argmax, w)?;
        Ok(self.wrap(Shape::from_slice(&w.input_shape()), data))
    }

    /// Nearest-neighbour upsampling by an integer factor:
    /// `y[n, c, y, x] = x[n, c, y / s, x / s]` (`Backend::upsample_nearest2d`;
    /// the composed form is a reshape to `[n, c, h, 1, w, 1]`, a broadcast to
    /// `[n, c, h, s, w, s]` and a reshape).
    pub fn upsample_nearest2d(&self, factor: usize) -> Result<Self> {
        let shape = self.upsample_shape("upsample_nearest2d", factor)?;
        let [n, c, h, w] = shape;
        let data = self.backend().upsample_nearest2d(self.storage(), shape, factor)?;
        Ok(self.wrap(smallvec![n, c, h * factor, w * factor], data))
    }

    /// The adjoint of `upsample_nearest2d`: this tensor (`[n, c, h*s, w*s]`)
    /// with each `s x s` block summed, `[n, c, h, w]`.
    pub fn upsample_nearest2d_backward(&self, factor: usize) -> Result<Self> {
        let [n, c, hs, ws] = self.upsample_shape("upsample_nearest2d_backward", factor)?;
        if hs % factor != 0 || ws % factor != 0 {
            return Err(TensorError::invalid(
                "upsample_nearest2d_backward",
                format!("the spatial size {hs}x{ws} is not a multiple of the factor {factor}"),
            ));
        }
        let shape = [n, c, hs / factor, ws / factor];
        let data = self.backend().upsample_nearest2d_backward(self.storage(), shape, factor)?;
        Ok(self.wrap(Shape::from_slice(&shape), data))
    }

    fn upsample_shape(&self, op: &'static str, factor: usize) -> Result<[usize; 4]> {
        match *self.shape() {
            [n, c, h, w] if factor > 0 => Ok([n, c, h, w]),
            _ => Err(TensorError::invalid(op, format!("expects NCHW and a positive factor, got {:?} and {factor}", self.shape()))),
        }
    }
}
