//! The CPU backend: `Vec<E>` storage, `matrixmultiply` for GEMM, rayon threads
//! above a size threshold, and loops written so the compiler can vectorise
//! them. `Cpu<f32>` is the default engine; `Cpu<f64>` runs gradient checks.
//!
//! Each family of kernels has its own file; this one only plugs them into the
//! `Backend` trait.

pub mod buffer;
mod conv;
mod direct;
mod elementwise;
mod exp;
mod layout;
pub mod matmul;
mod optim;
mod padded;
pub mod parallel;
mod reduce;
mod rows;
mod small_gemm;
mod strided_rows;
mod upsample;
mod window;

use std::marker::PhantomData;
use std::sync::Arc;

use rayon::prelude::*;

use self::buffer::Buffer;
use crate::backend::{Backend, Binary, Matmul, Reduce, Unary, Update};
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::window::Window2d;

/// The CPU backend for element type `E`.
pub struct Cpu<E>(PhantomData<E>);

impl<E> Cpu<E> {
    pub const fn new() -> Self {
        Cpu(PhantomData)
    }
}
impl<E> Default for Cpu<E> {
    fn default() -> Self {
        Self::new()
    }
}
impl<E> Clone for Cpu<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Cpu<E> {}
impl<E: Element> std::fmt::Debug for Cpu<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cpu<{:?}>", E::DTYPE)
    }
}

impl<E: Element> Backend for Cpu<E> {
    type Elem = E;
    type Storage = Buffer<E>;
    type Indices = Vec<u32>;

    fn name(&self) -> String {
        format!("cpu-{:?}", E::DTYPE).to_lowercase()
    }

    fn upload(&self, data: Vec<E>) -> Result<Buffer<E>> {
        Ok(Buffer::from_vec(data))
    }
    fn generate(&self, len: usize, chunk: usize, fill: impl Fn(usize, &mut [E]) + Sync) -> Result<Buffer<E>> {
        let mut b = Buffer::for_overwrite(len);
        if len >= parallel::PAR_MIN_ELEMS {
            b.par_chunks_mut(chunk.max(1)).enumerate().for_each(|(i, c)| fill(i, c));
        } else {
            b.chunks_mut(chunk.max(1)).enumerate().for_each(|(i, c)| fill(i, c));
        }
        Ok(b)
    }
    fn share(&self, storage: Buffer<E>) -> Arc<Buffer<E>> {
        buffer::share(storage)
    }
    fn release(&self, storage: Arc<Buffer<E>>) {
        buffer::release(storage)
    }
    fn to_vec(&self, x: &Buffer<E>) -> Result<Vec<E>> {
        Ok(x.to_vec())
    }
    fn read(&self, x: &Buffer<E>, i: usize) -> Result<E> {
        x.get(i).copied().ok_or_else(|| TensorError::invalid("read", format!("element {i} of a buffer of {}", x.len())))
    }
    fn full(&self, len: usize, value: E) -> Result<Buffer<E>> {
        Ok(Buffer::filled(len, value))
    }

    fn permute(&self, x: &Buffer<E>, shape: &[usize], axes: &[usize]) -> Result<Buffer<E>> {
        Ok(layout::permute(x, shape, axes))
    }
    fn broadcast_to(&self, x: &Buffer<E>, from: &[usize], to: &[usize]) -> Result<Buffer<E>> {
        Ok(layout::broadcast_to(x, from, to))
    }
    fn gather_rows(&self, x: &Buffer<E>, row_len: usize, rows: &[usize]) -> Result<Buffer<E>> {
        Ok(layout::gather_rows(x, row_len, rows))
    }

    fn unary(&self, op: Unary, x: &Buffer<E>) -> Result<Buffer<E>> {
        Ok(elementwise::unary(op, x))
    }
    fn binary(
        &self,
        op: Binary,
        a: &Buffer<E>,
        a_shape: &[usize],
        b: &Buffer<E>,
        b_shape: &[usize],
        out_shape: &[usize],
    ) -> Result<Buffer<E>> {
        Ok(elementwise::binary(op, a, a_shape, b, b_shape, out_shape))
    }

    fn relu_backward(&self, g: &Buffer<E>, x: &Buffer<E>, _len: usize) -> Result<Buffer<E>> {
        Ok(elementwise::relu_backward(g, x))
    }

    fn bias_act(&self, y: &Buffer<E>, _rows: usize, bias: &Buffer<E>, _cols: usize, act: Option<Unary>) -> Result<Buffer<E>> {
        Ok(elementwise::bias_act(y, bias, act))
    }

    fn reduce(&self, op: Reduce, x: &Buffer<E>, outer: usize, len: usize, inner: usize) -> Result<Buffer<E>> {
        Ok(reduce::reduce(op, x, outer, len, inner))
    }
    fn sum_all(&self, x: &Buffer<E>) -> Result<Buffer<E>> {
        Ok(Buffer::filled(1, reduce::sum_all(x)))
    }
    fn softmax_rows(&self, x: &Buffer<E>, rows: usize, cols: usize) -> Result<Buffer<E>> {
        Ok(reduce::softmax_rows(x, rows, cols))
    }
    fn log_softmax_rows(&self, x: &Buffer<E>, rows: usize, cols: usize) -> Result<Buffer<E>> {
        Ok(reduce::log_softmax_rows(x, rows, cols))
    }

    fn matmul(&self, a: &Buffer<E>, b: &Buffer<E>, spec: &Matmul) -> Result<Buffer<E>> {
        Ok(matmul::matmul(a, b, spec))
    }

    fn im2col(&self, x: &Buffer<E>, w: &Window2d) -> Result<Buffer<E>> {
        Ok(window::im2col(x, w))
    }
    fn col2im(&self, cols: &Buffer<E>, w: &Window2d) -> Result<Buffer<E>> {
        Ok(window::col2im(cols, w))
    }
    fn max_pool2d(&self, x: &Buffer<E>, w: &Window2d) -> Result<(Buffer<E>, Vec<u32>)> {
        if x.len() > u32::MAX as usize {
            return Err(TensorError::invalid("max_pool2d", "inputs over 2^32 elements are not supported"));
        }
        Ok(window::max_pool2d(x, w))
    }
    fn max_pool2d_values(&self, x: &Buffer<E>, w: &Window2d) -> Result<Buffer<E>> {
        match window::max_pool2d_values(x, w) {
            Some(y) => Ok(y),
            None => Ok(self.max_pool2d(x, w)?.0),
        }
    }
    fn max_pool2d_backward(&self, dy: &Buffer<E>, idx: &Vec<u32>, w: &Window2d) -> Result<Buffer<E>> {
        Ok(window::max_pool2d_backward(dy, idx, w))
    }

    fn conv2d(&self, x: &Buffer<E>, weight: &Buffer<E>, bias: Option<&Buffer<E>>, w: &Window2d, out_channels: usize) -> Result<Buffer<E>> {
        Ok(conv::conv2d(x, weight, bias.map(|b| &b[..]), w, out_channels))
    }
    fn conv2d_backward_input(&self, g: &Buffer<E>, weight: &Buffer<E>, w: &Window2d, out_channels: usize) -> Result<Buffer<E>> {
        Ok(conv::conv2d_backward_input(g, weight, w, out_channels))
    }
    fn conv2d_backward_weight(&self, x: &Buffer<E>, g: &Buffer<E>, w: &Window2d, out_channels: usize) -> Result<Buffer<E>> {
        Ok(conv::conv2d_backward_weight(x, g, w, out_channels))
    }

    fn upsample_nearest2d(&self, x: &Buffer<E>, shape: [usize; 4], factor: usize) -> Result<Buffer<E>> {
        Ok(upsample::upsample_nearest2d(x, shape, factor))
    }
    fn upsample_nearest2d_backward(&self, g: &Buffer<E>, shape: [usize; 4], factor: usize) -> Result<Buffer<E>> {
        Ok(upsample::upsample_nearest2d_backward(g, shape, factor))
    }

    fn update(&self, rule: &Update, w: &mut Buffer<E>, g: &Buffer<E>, slots: &mut [&mut Buffer<E>], _len: usize) -> Result<()> {
        optim::update(rule, w, g, slots);
        Ok(())
    }
}
