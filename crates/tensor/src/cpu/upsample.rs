//! Nearest-neighbour upsampling on the CPU and its adjoint, in one pass over
//! memory each. (The composed version, a 6-axis broadcast and two reductions,
//! computed an index per element and cost ten times as much.) Factor 2, the
//! one autoencoders use, gets its own instance of each loop, with the block
//! size a constant the compiler unrolls.

use super::buffer::Buffer;
use super::parallel::for_each_row;
use super::strided_rows::map_row;
use crate::element::Element;

/// `y[n, c, y, x] = x[n, c, y / s, x / s]`. Each input row becomes a block of
/// `s` output rows: the first is written value by value, the others copy it.
pub fn upsample_nearest2d<E: Element>(x: &[E], shape: [usize; 4], s: usize) -> Buffer<E> {
    let [n, c, h, w] = shape;
    let ow = w * s;
    let mut y = Buffer::for_overwrite(n * c * h * s * ow); // every element is written
    for_each_row(&mut y, s * ow, |r, block| {
        let (first, rest) = block.split_at_mut(ow);
        let src = &x[r * w..(r + 1) * w];
        match s {
            2 => repeat::<E, 2>(src, first),
            _ => first.chunks_exact_mut(s).zip(src).for_each(|(d, &v)| d.fill(v)),
        }
        for row in rest.chunks_exact_mut(ow) {
            map_row(row, first, |v| v); // a copy, without a memcpy call per short row
        }
    });
    y
}

/// `dst[i * S + b] = src[i]`.
fn repeat<E: Element, const S: usize>(src: &[E], dst: &mut [E]) {
    for (d, &v) in dst.chunks_exact_mut(S).zip(src) {
        d.iter_mut().for_each(|d| *d = v);
    }
}

/// `dx[n, c, y, x] = sum_a (sum_b g[n, c, y*s + a, x*s + b])`: the sum within
/// each of the block's rows first, then over its rows in order (the order of
/// the trait's composed default). Each output row is built from its `s` input
/// rows, one row at a time, so the loops run over contiguous memory.
pub fn upsample_nearest2d_backward<E: Element>(g: &[E], shape: [usize; 4], s: usize) -> Buffer<E> {
    let [n, c, h, w] = shape;
    let ow = w * s;
    let mut dx = Buffer::for_overwrite(n * c * h * w); // every element is written
    for_each_row(&mut dx, w, |r, out| {
        out.fill(E::ZERO);
        for row in g[r * s * ow..(r + 1) * s * ow].chunks_exact(ow) {
            match s {
                2 => add_block_sums::<E, 2>(row, out),
                _ => add_block_sums_dyn(row, s, out),
            }
        }
    });
    dx
}

/// `out[i] += sum_b row[i * S + b]`, the inner sum from zero in order.
fn add_block_sums<E: Element, const S: usize>(row: &[E], out: &mut [E]) {
    for (o, block) in out.iter_mut().zip(row.chunks_exact(S)) {
        let mut sum = E::ZERO;
        for &v in block {
            sum += v;
        }
        *o += sum;
    }
}

fn add_block_sums_dyn<E: Element>(row: &[E], s: usize, out: &mut [E]) {
    for (o, block) in out.iter_mut().zip(row.chunks_exact(s)) {
        *o += block.iter().fold(E::ZERO, |acc, &v| acc + v);
    }
}
