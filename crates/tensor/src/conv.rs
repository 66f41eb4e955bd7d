//! Sliding-window operations on NCHW tensors: convolution, transposed
//! convolution, max pooling and nearest upsampling.
//!
//! Convolution is im2col + GEMM: unfold every window into a column, then one
//! matrix product with the weights does all the multiply-adds. Transposed
//! convolution is the adjoint of convolution (GEMM, then col2im). Upsampling is
//! a reshape and a broadcast. Their gradients are built from the same pieces in
//! `recon-autograd`.

use std::sync::Arc;

use crate::backend::Backend;
use crate::error::{Result, TensorError};
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
        Ok(self.wrap(vec![w.batch, w.patch_len(), w.out_len()], data))
    }

    /// The adjoint of `im2col`: folds `[n, patch_len, out_len]` back to NCHW, summing overlaps.
    pub fn col2im(&self, w: &Window2d) -> Result<Self> {
        let expect = [w.batch, w.patch_len(), w.out_len()];
        if self.shape() != expect {
            return Err(TensorError::shape("col2im", self.shape(), &expect, "columns do not match the window"));
        }
        let data = self.backend().col2im(self.storage(), w)?;
        Ok(self.wrap(w.input_shape().to_vec(), data))
    }

    /// 2-D convolution (cross-correlation, as every framework computes it):
    /// `y[n, o, oy, ox] = sum_{c, i, j} w[o, c, i, j] * x[n, c, oy*s + i - pad, ox*s + j - pad]`,
    /// with `x` `[n, c, h, w]` and weights `[out_channels, c, kh, kw]`. No bias.
    pub fn conv2d(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Self> {
        let ws = weight.shape();
        if ws.len() != 4 || self.rank() != 4 || ws[1] != self.shape()[1] {
            return Err(TensorError::shape("conv2d", self.shape(), ws, "expects input [n, c, h, w] and weight [out, c, kh, kw]"));
        }
        let g = Window2d::forward("conv2d", self.shape(), (ws[2], ws[3]), stride, padding)?;
        let cols = self.im2col(&g)?;
        let wm = weight.reshape(&[ws[0], g.patch_len()])?;
        wm.matmul(&cols)?.reshape(&[g.batch, ws[0], g.out_h, g.out_w])
    }

    /// The window a convolution of this input with `weight` uses.
    pub fn conv2d_window(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Window2d> {
        let ws = weight.shape();
        if ws.len() != 4 {
            return Err(TensorError::shape("conv2d", self.shape(), ws, "weight must be [out, c, kh, kw]"));
        }
        Window2d::forward("conv2d", self.shape(), (ws[2], ws[3]), stride, padding)
    }

    /// 2-D transposed convolution, the adjoint of `conv2d` (PyTorch's
    /// `ConvTranspose2d`, Keras' `Conv2DTranspose`): every input pixel scatters
    /// `x[n, c, y, x] * w[c, o, i, j]` into output `[n, o, y*s + i - pad, x*s + j - pad]`.
    /// Input `[n, c, h, w]`, weight `[c, out_channels, kh, kw]`; output size per
    /// `Window2d::transposed`.
    pub fn conv_transpose2d(&self, weight: &Self, stride: usize, padding: Padding) -> Result<Self> {
        let g = self.conv_transpose2d_window(weight, stride, padding)?;
        let x = self.reshape(&[g.batch, self.shape()[1], g.out_len()])?;
        let wm = weight.reshape(&[self.shape()[1], g.patch_len()])?;
        wm.matmul_t(&x, true, false)?.col2im(&g)
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
        let out = self.wrap(vec![g.batch, g.channels, g.out_h, g.out_w], data);
        Ok(Pooled { out, argmax: Arc::new(argmax), window: g })
    }

    /// The gradient of max pooling: this tensor (`dy`, the pooled shape) routed
    /// back to the positions the maxima came from, `dx[argmax[o]] += dy[o]`.
    pub fn max_pool2d_backward(&self, argmax: &B::Indices, w: &Window2d) -> Result<Self> {
        let expect = [w.batch, w.channels, w.out_h, w.out_w];
        if self.shape() != expect {
            return Err(TensorError::shape("max_pool2d_backward", self.shape(), &expect, "gradient is not the pooled shape"));
        }
        let data = self.backend().max_pool2d_backward(self.storage(), argmax, w)?;
        Ok(self.wrap(w.input_shape().to_vec(), data))
    }

    /// Nearest-neighbour upsampling by an integer factor:
    /// `y[n, c, y, x] = x[n, c, y / s, x / s]`. Built as reshape to
    /// `[n, c, h, 1, w, 1]`, broadcast to `[n, c, h, s, w, s]`, reshape.
    pub fn upsample_nearest2d(&self, factor: usize) -> Result<Self> {
        if self.rank() != 4 || factor == 0 {
            return Err(TensorError::invalid(
                "upsample_nearest2d",
                format!("expects NCHW and a positive factor, got {:?} and {factor}", self.shape()),
            ));
        }
        let [n, c, h, w] = [self.shape()[0], self.shape()[1], self.shape()[2], self.shape()[3]];
        self.reshape(&[n, c, h, 1, w, 1])?.broadcast_to(&[n, c, h, factor, w, factor])?.reshape(&[n, c, h * factor, w * factor])
    }
}
