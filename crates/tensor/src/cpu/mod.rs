//! The CPU backend: `Vec<E>` storage, `matrixmultiply` for GEMM, rayon threads
//! above a size threshold, and loops written so the compiler can vectorise
//! them. `Cpu<f32>` is the default engine; `Cpu<f64>` runs gradient checks.
//!
//! Each family of kernels has its own file; this one only plugs them into the
//! `Backend` trait.

mod elementwise;
mod layout;
mod matmul;
pub mod parallel;
mod reduce;
mod window;

use std::marker::PhantomData;

use crate::backend::{Backend, Binary, Matmul, Reduce, Unary};
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
    type Storage = Vec<E>;
    type Indices = Vec<u32>;

    fn name(&self) -> String {
        format!("cpu-{:?}", E::DTYPE).to_lowercase()
    }

    fn upload(&self, data: Vec<E>) -> Result<Vec<E>> {
        Ok(data)
    }
    fn to_vec(&self, x: &Vec<E>) -> Result<Vec<E>> {
        Ok(x.clone())
    }
    fn full(&self, len: usize, value: E) -> Result<Vec<E>> {
        Ok(vec![value; len])
    }

    fn permute(&self, x: &Vec<E>, shape: &[usize], axes: &[usize]) -> Result<Vec<E>> {
        Ok(layout::permute(x, shape, axes))
    }
    fn broadcast_to(&self, x: &Vec<E>, from: &[usize], to: &[usize]) -> Result<Vec<E>> {
        Ok(layout::broadcast_to(x, from, to))
    }
    fn gather_rows(&self, x: &Vec<E>, row_len: usize, rows: &[usize]) -> Result<Vec<E>> {
        Ok(layout::gather_rows(x, row_len, rows))
    }

    fn unary(&self, op: Unary, x: &Vec<E>) -> Result<Vec<E>> {
        Ok(elementwise::unary(op, x))
    }
    fn binary(&self, op: Binary, a: &Vec<E>, a_shape: &[usize], b: &Vec<E>, b_shape: &[usize], out_shape: &[usize]) -> Result<Vec<E>> {
        Ok(elementwise::binary(op, a, a_shape, b, b_shape, out_shape))
    }

    fn reduce(&self, op: Reduce, x: &Vec<E>, outer: usize, len: usize, inner: usize) -> Result<Vec<E>> {
        Ok(reduce::reduce(op, x, outer, len, inner))
    }
    fn sum_all(&self, x: &Vec<E>) -> Result<Vec<E>> {
        Ok(vec![reduce::sum_all(x)])
    }
    fn softmax_rows(&self, x: &Vec<E>, rows: usize, cols: usize) -> Result<Vec<E>> {
        Ok(reduce::softmax_rows(x, rows, cols))
    }
    fn log_softmax_rows(&self, x: &Vec<E>, rows: usize, cols: usize) -> Result<Vec<E>> {
        Ok(reduce::log_softmax_rows(x, rows, cols))
    }

    fn matmul(&self, a: &Vec<E>, b: &Vec<E>, spec: &Matmul) -> Result<Vec<E>> {
        Ok(matmul::matmul(a, b, spec))
    }

    fn im2col(&self, x: &Vec<E>, w: &Window2d) -> Result<Vec<E>> {
        Ok(window::im2col(x, w))
    }
    fn col2im(&self, cols: &Vec<E>, w: &Window2d) -> Result<Vec<E>> {
        Ok(window::col2im(cols, w))
    }
    fn max_pool2d(&self, x: &Vec<E>, w: &Window2d) -> Result<(Vec<E>, Vec<u32>)> {
        if x.len() > u32::MAX as usize {
            return Err(TensorError::invalid("max_pool2d", "inputs over 2^32 elements are not supported"));
        }
        Ok(window::max_pool2d(x, w))
    }
    fn max_pool2d_backward(&self, dy: &Vec<E>, idx: &Vec<u32>, w: &Window2d) -> Result<Vec<E>> {
        Ok(window::max_pool2d_backward(dy, idx, w))
    }
}
