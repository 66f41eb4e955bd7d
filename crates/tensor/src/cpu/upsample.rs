//! Nearest-neighbour upsampling on the CPU and its adjoint, in one pass over
//! memory each. (The composed version, a 6-axis broadcast and two reductions,
//! computed an index per element and cost ten times as much.) Factor 2, the
//! one autoencoders use, gets its own instance of each loop, with the block
//! size a constant the compiler unrolls.

use super::buffer::Buffer;
use super::parallel::for_each_row;
use super::strided_rows::map_row;
use crate::element::{DType, Element};

/// `y[n, c, y, x] = x[n, c, y / s, x / s]`. Each input row becomes a block of
/// `s` output rows: the first is written value by value, the others copy it.
pub fn upsample_nearest2d<E: Element>(x: &[E], shape: [usize; 4], s: usize) -> Buffer<E> {
    let [n, c, h, w] = shape;
    let ow = w * s;
    let mut y = Buffer::for_overwrite(n * c * h * s * ow); // every element is written
    #[cfg(target_arch = "x86_64")]
    if s == 2 && ow > 0 && E::DTYPE == DType::F32 && std::is_x86_feature_detected!("avx512f") {
        // Groups of input rows (about 4096 outputs each), one call per group:
        // at batch 1 the rows are 4 to 14 values, and a call per row cost
        // more than its copying.
        let group = (4096 / (2 * ow)).max(1);
        for_each_row(&mut y, group * 2 * ow, |g, block| {
            let src: &[f32] = bytemuck::cast_slice(&x[g * group * w..][..block.len() / 4]);
            // SAFETY: the CPU has AVX-512F; `block` holds 2 output rows of
            // 2 w for each of the `src` rows of w.
            unsafe { avx512::upsample2(src, w, bytemuck::cast_slice_mut(block)) };
        });
        return y;
    }
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

/// Factor-2 upsampling of `f32` rows on AVX-512: each group of 8 input
/// values becomes 16 (a lane permutation repeating each), stored into both
/// output rows with masked stores.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// `y` as pairs of rows of `2 w`: both rows of pair `r` are row `r` of
    /// `x` (rows of `w`) with every value repeated.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `x.len()` is a multiple of `w` and
    /// `y.len() == 4 x.len()`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn upsample2(x: &[f32], w: usize, y: &mut [f32]) {
        assert!(w > 0 && x.len().is_multiple_of(w) && y.len() == 4 * x.len());
        let twice = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        for r in 0..x.len() / w {
            // SAFETY: the unmasked lanes read x[r w + j ..] and write the
            // two rows y[(2 r + a) 2 w + 2 j ..], all inside the slices.
            unsafe {
                let (src, dst) = (x.as_ptr().add(r * w), y.as_mut_ptr().add(4 * r * w));
                for j in (0..w).step_by(8) {
                    let count = (w - j).min(8);
                    let v = _mm512_permutexvar_ps(twice, _mm512_maskz_loadu_ps(((1u32 << count) - 1) as __mmask16, src.add(j)));
                    let m = ((1u32 << (2 * count)) - 1) as __mmask16;
                    _mm512_mask_storeu_ps(dst.add(2 * j), m, v);
                    _mm512_mask_storeu_ps(dst.add(2 * w + 2 * j), m, v);
                }
            }
        }
    }
}
