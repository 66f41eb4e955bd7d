//! Data movement on the CPU: permute, broadcast and row gathering. All three
//! walk the output row by row and read the input through strides.

use super::buffer::Buffer;
use super::elementwise::row_offset;
use super::parallel::for_each_row;
use crate::element::Element;
use crate::shape::{broadcast_strides, numel, strides};

/// Output axis `i` is input axis `axes[i]`.
pub fn permute<E: Element>(x: &[E], shape: &[usize], axes: &[usize]) -> Buffer<E> {
    let in_strides = strides(shape);
    let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let read: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    gather_strided(x, &out_shape, &read)
}

pub fn broadcast_to<E: Element>(x: &[E], from: &[usize], to: &[usize]) -> Buffer<E> {
    gather_strided(x, to, &broadcast_strides(from, to))
}

/// `out[idx] = x[sum_i idx[i] * read[i]]` for every index of `out_shape`.
fn gather_strided<E: Element>(x: &[E], out_shape: &[usize], read: &[usize]) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(numel(out_shape));
    if out_shape.is_empty() {
        out[0] = x[0];
        return out;
    }
    let last = out_shape[out_shape.len() - 1];
    let step = read[read.len() - 1];
    for_each_row(&mut out, last, |r, row| {
        let base = row_offset(r, out_shape, read);
        for (i, o) in row.iter_mut().enumerate() {
            *o = x[base + i * step];
        }
    });
    out
}

pub fn gather_rows<E: Element>(x: &[E], row_len: usize, rows: &[usize]) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(rows.len() * row_len);
    // Consecutive rows (`slice_rows`: a block of a batch) are one run.
    if let Some(&first) = rows.first().filter(|&&f| rows.iter().enumerate().all(|(i, &r)| r == f + i)) {
        out.copy_from_slice(&x[first * row_len..(first + rows.len()) * row_len]);
        return out;
    }
    for (dst, &r) in out.chunks_mut(row_len.max(1)).zip(rows) {
        dst.copy_from_slice(&x[r * row_len..(r + 1) * row_len]);
    }
    out
}
