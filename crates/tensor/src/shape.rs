//! Shapes (row-major, last axis fastest) and the rules on them: element
//! counts, strides and numpy's broadcasting.
//!
//! A [`Shape`] keeps up to `INLINE_RANK` axes inline, in the value itself,
//! and only a longer one on the heap. Every op makes a shape for its output
//! (and its gradient rule saves the input's), so a heap `Vec` here meant
//! several `malloc`/`free` pairs per op: a third of the allocations of a
//! training step before shapes went inline.

use smallvec::SmallVec;

use crate::error::{Result, TensorError};

/// Axes a [`Shape`] holds without allocating; real tensors have at most 4.
pub const INLINE_RANK: usize = 6;

/// A tensor's shape (or a list of strides): a slice of sizes, stored inline
/// up to `INLINE_RANK` axes. Build one with `Shape::from_slice(&[2, 3])` or
/// `smallvec![2, 3]`; it derefs to `&[usize]`.
pub type Shape = SmallVec<[usize; INLINE_RANK]>;

/// Number of elements of a shape; the empty shape `[]` is a scalar with one.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides: `strides[i] = prod(shape[i+1..])`.
pub fn strides(shape: &[usize]) -> Shape {
    let mut s: Shape = smallvec::smallvec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The shape two operands broadcast to, by numpy's rule: align the shapes at
/// the right; each pair of axes must be equal or one of them 1.
///
/// `[32, 12] + [12] -> [32, 12]`, `[4, 1, 3] + [5, 1] -> [4, 5, 3]`.
pub fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let rank = a.len().max(b.len());
    let mut out: Shape = smallvec::smallvec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() { 1 } else { a[i - (rank - a.len())] };
        let db = if i < rank - b.len() { 1 } else { b[i - (rank - b.len())] };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(TensorError::shape(op, a, b, format!("axis {i} of the broadcast result has sizes {da} and {db}"))),
        };
    }
    Ok(out)
}

/// Strides to read an operand of shape `from` as if it had the (broadcast)
/// shape `to`: axes of size 1 that are stretched, and missing leading axes, get
/// stride 0. The caller has checked that `from` broadcasts to `to`.
pub fn broadcast_strides(from: &[usize], to: &[usize]) -> Shape {
    let own = strides(from);
    let lead = to.len() - from.len();
    (0..to.len()).map(|i| if i < lead || from[i - lead] == 1 && to[i] != 1 { 0 } else { own[i - lead] }).collect()
}

/// Checks an axis index against a rank.
pub fn check_axis(op: &'static str, shape: &[usize], axis: usize) -> Result<()> {
    if axis < shape.len() {
        Ok(())
    } else {
        Err(TensorError::invalid(op, format!("axis {axis} does not exist in shape {shape:?}")))
    }
}

/// Splits a shape around `axis` into `(outer, len, inner)` so that a reduction
/// along the axis reads `x[o * len * inner + a * inner + i]`.
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (numel(&shape[..axis]), shape[axis], numel(&shape[axis + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shape("t", &[32, 12], &[12]).unwrap().as_slice(), [32, 12]);
        assert_eq!(broadcast_shape("t", &[4, 1, 3], &[5, 1]).unwrap().as_slice(), [4, 5, 3]);
        assert_eq!(broadcast_shape("t", &[], &[2, 2]).unwrap().as_slice(), [2, 2]);
        let err = broadcast_shape("add", &[3, 4], &[5]).unwrap_err().to_string();
        assert!(err.contains("[3, 4]") && err.contains("[5]"), "{err}");
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(strides(&[2, 3, 4]).as_slice(), [12, 4, 1]);
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 4]).as_slice(), [0, 1, 0]);
    }
}
