//! Operations that move or regroup values without arithmetic: reshape,
//! permute/transpose, broadcast and its adjoint `sum_to_shape`, and row
//! selection for mini-batches.

use crate::backend::{Backend, Reduce};
use crate::error::{Result, TensorError};
use smallvec::{smallvec, SmallVec};

use crate::shape::{broadcast_shape, numel, Shape, INLINE_RANK};
use crate::tensor::Tensor;

impl<B: Backend> Tensor<B> {
    /// The same values under a new shape with as many elements (no copy).
    pub fn reshape(&self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.numel() {
            return Err(TensorError::shape("reshape", self.shape(), shape, "element counts differ"));
        }
        Ok(self.with_shape(Shape::from_slice(shape)))
    }

    /// Reorders axes: output axis `i` is input axis `axes[i]` (`axes` is a permutation).
    pub fn permute(&self, axes: &[usize]) -> Result<Self> {
        let mut seen: SmallVec<[bool; INLINE_RANK]> = smallvec![false; self.rank()];
        for &a in axes {
            if a >= self.rank() || seen[a] {
                return Err(TensorError::invalid("permute", format!("{axes:?} is not a permutation of the axes of {:?}", self.shape())));
            }
            seen[a] = true;
        }
        if axes.len() != self.rank() {
            return Err(TensorError::invalid("permute", format!("{axes:?} is not a permutation of the axes of {:?}", self.shape())));
        }
        let out_shape: Shape = axes.iter().map(|&a| self.shape()[a]).collect();
        let data = self.backend().permute(self.storage(), self.shape(), axes)?;
        Ok(self.wrap(out_shape, data))
    }

    /// Swaps the last two axes (a matrix transpose, batched over leading axes).
    pub fn transpose(&self) -> Result<Self> {
        let r = self.rank();
        if r < 2 {
            return Err(TensorError::invalid("transpose", format!("needs at least 2 axes, shape is {:?}", self.shape())));
        }
        let mut axes: Shape = (0..r).collect();
        axes.swap(r - 2, r - 1);
        self.permute(&axes)
    }

    /// Materialises the broadcast of this tensor to `shape` (numpy's rules).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self> {
        let out = broadcast_shape("broadcast_to", self.shape(), shape)?;
        if out.as_slice() != shape {
            return Err(TensorError::shape("broadcast_to", self.shape(), shape, "the first does not broadcast to the second"));
        }
        if out.as_slice() == self.shape() {
            return Ok(self.clone());
        }
        let data = self.backend().broadcast_to(self.storage(), self.shape(), shape)?;
        Ok(self.wrap(Shape::from_slice(shape), data))
    }

    /// The adjoint of `broadcast_to`: sums over every axis that broadcasting
    /// from `shape` would have stretched, giving a tensor of `shape`. This is
    /// how the gradient of a broadcast operand (a bias over a batch) is formed.
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Self> {
        if broadcast_shape("sum_to_shape", shape, self.shape())?.as_slice() != self.shape() {
            return Err(TensorError::shape("sum_to_shape", self.shape(), shape, "the second does not broadcast to the first"));
        }
        let lead = self.rank() - shape.len();
        let mut x = self.clone();
        if lead > 0 {
            let rest = numel(&self.shape()[lead..]);
            let outer = numel(&self.shape()[..lead]);
            let data = self.backend().reduce(Reduce::Sum, x.storage(), 1, outer, rest)?;
            x = x.wrap(Shape::from_slice(&self.shape()[lead..]), data);
        }
        for (axis, &target) in shape.iter().enumerate() {
            if target == 1 && x.shape()[axis] != 1 {
                x = x.sum_axis(axis, true)?;
            }
        }
        x.reshape(shape)
    }

    /// Rows `rows` of the first axis, in that order (a mini-batch).
    pub fn gather_rows(&self, rows: &[usize]) -> Result<Self> {
        if self.rank() == 0 {
            return Err(TensorError::invalid("gather_rows", "a scalar has no rows"));
        }
        let n = self.shape()[0];
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(TensorError::invalid("gather_rows", format!("row {bad} is out of range for shape {:?}", self.shape())));
        }
        let row_len = numel(&self.shape()[1..]);
        let data = self.backend().gather_rows(self.storage(), row_len, rows)?;
        let mut shape = Shape::from_slice(self.shape());
        shape[0] = rows.len();
        Ok(self.wrap(shape, data))
    }

    /// Rows `start..end` of the first axis.
    pub fn slice_rows(&self, start: usize, end: usize) -> Result<Self> {
        if start > end || self.rank() == 0 || end > self.shape()[0] {
            return Err(TensorError::invalid("slice_rows", format!("rows {start}..{end} do not fit shape {:?}", self.shape())));
        }
        let rows: Vec<usize> = (start..end).collect();
        self.gather_rows(&rows)
    }
}
