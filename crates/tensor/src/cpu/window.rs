//! Sliding-window kernels on the CPU: im2col, its adjoint col2im, and max
//! pooling with its backward. Each batch item (or channel plane) is independent
//! and handled by one thread, so the sums in col2im keep a fixed order.

use super::buffer::Buffer;
use super::parallel::for_each_row;
use crate::element::{DType, Element};
use crate::window::Window2d;

pub fn im2col<E: Element>(x: &[E], w: &Window2d) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut cols = Buffer::for_overwrite(w.batch * plen * olen); // `im2col_item` writes every entry
    for_each_row(&mut cols, plen * olen, |n, cols| im2col_item(&x[n * in_len..(n + 1) * in_len], w, cols));
    cols
}

/// The im2col matrix `[patch_len, out_len]` of one batch item `x` (`[c, h, w]`),
/// written into `cols`: every entry, the ones that read the padding as zeros,
/// so `cols` may hold anything before.
pub fn im2col_item<E: Element>(x: &[E], w: &Window2d, cols: &mut [E]) {
    let olen = w.out_len();
    let plane_len = w.height * w.width;
    // Stride 1 with the output as wide as the input (a "same" convolution):
    // row `oy` of kernel offset (i, j) is input row `oy + i - pad_top` moved
    // by `j - pad_left`, so all the valid rows form one contiguous run in
    // both `x` and `cols`. One copy replaces a copy per row (rows are 4 to 28
    // values here, so the per-row overhead was most of the cost).
    let runs = w.stride == 1 && w.out_w == w.width;
    for c in 0..w.channels {
        let plane = &x[c * plane_len..(c + 1) * plane_len];
        for i in 0..w.kernel_h {
            let (y_lo, y_hi) = w.valid_y(i);
            for j in 0..w.kernel_w {
                let dst = &mut cols[((c * w.kernel_h + i) * w.kernel_w + j) * olen..][..olen];
                let (lo, hi) = w.valid_x(j);
                if lo == hi || y_lo == y_hi {
                    dst.fill(E::ZERO); // this kernel offset only ever sees padding
                    continue;
                }
                let first = lo * w.stride + j - w.pad_left; // input column of output column lo
                if runs {
                    let width = w.width;
                    let (start, end) = (y_lo * width + lo, (y_hi - 1) * width + hi);
                    let src = (y_lo + i - w.pad_top) * width + first;
                    dst[start..end].copy_from_slice(&plane[src..src + end - start]);
                    zero(&mut dst[..start]);
                    zero(&mut dst[end..]);
                    // The run also copied values from the neighbouring input
                    // rows into the columns outside lo..hi of the rows between
                    // the first and the last; those entries read the padding
                    // (one value per row for a 3 x 3 kernel).
                    let rows = &mut dst[y_lo * width..y_hi * width];
                    if lo > 0 {
                        rows.chunks_exact_mut(width).skip(1).for_each(|row| zero(&mut row[..lo]));
                    }
                    if hi < width {
                        rows.chunks_exact_mut(width).rev().skip(1).for_each(|row| zero(&mut row[hi..]));
                    }
                    continue;
                }
                dst[..y_lo * w.out_w].fill(E::ZERO);
                dst[y_hi * w.out_w..].fill(E::ZERO);
                for oy in y_lo..y_hi {
                    let y = oy * w.stride + i - w.pad_top;
                    let src = &plane[y * w.width..(y + 1) * w.width];
                    let row = &mut dst[oy * w.out_w..(oy + 1) * w.out_w];
                    row[..lo].fill(E::ZERO);
                    row[hi..].fill(E::ZERO);
                    let row = &mut row[lo..hi];
                    if w.stride == 1 {
                        row.copy_from_slice(&src[first..first + row.len()]);
                    } else {
                        for (k, d) in row.iter_mut().enumerate() {
                            *d = src[first + k * w.stride];
                        }
                    }
                }
            }
        }
    }
}

/// Zeroes a slice that is usually one or two values long (the padding of a
/// row), with plain stores: a `fill` becomes a `memset` call, which costs
/// more than the stores themselves at these lengths.
#[inline(always)]
fn zero<E: Element>(x: &mut [E]) {
    match x {
        [] => {}
        [a] => *a = E::ZERO,
        [a, b] => (*a, *b) = (E::ZERO, E::ZERO),
        _ => x.fill(E::ZERO),
    }
}

pub fn col2im<E: Element>(cols: &[E], w: &Window2d) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut x = Buffer::zeroed(w.batch * in_len);
    for_each_row(&mut x, in_len, |n, x| col2im_item(&cols[n * plen * olen..(n + 1) * plen * olen], w, x));
    x
}

/// Adds the columns `cols` (`[patch_len, out_len]`) of one batch item back
/// onto `x` (`[c, h, w]`), in a fixed order: channel, kernel row, kernel
/// column, output row.
pub fn col2im_item<E: Element>(cols: &[E], w: &Window2d, x: &mut [E]) {
    let olen = w.out_len();
    for c in 0..w.channels {
        for i in 0..w.kernel_h {
            for j in 0..w.kernel_w {
                let row = ((c * w.kernel_h + i) * w.kernel_w + j) * olen;
                let (lo, hi) = w.valid_x(j);
                if lo == hi {
                    continue; // this kernel column only ever sees padding
                }
                for oy in 0..w.out_h {
                    let Some(y) = w.in_y(oy, i) else { continue };
                    let dst = &mut x[(c * w.height + y) * w.width..(c * w.height + y + 1) * w.width];
                    let src = &cols[row + oy * w.out_w + lo..row + oy * w.out_w + hi];
                    let first = lo * w.stride + j - w.pad_left;
                    if w.stride == 1 {
                        dst[first..first + src.len()].iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                    } else {
                        for (k, &s) in src.iter().enumerate() {
                            dst[first + k * w.stride] += s;
                        }
                    }
                }
            }
        }
    }
}

/// Max over each window, and the flat input index of the (first) maximum.
/// Each channel plane is independent: one parallel task per plane writes that
/// plane's outputs and indices. The window's rows and columns inside the input
/// are found once per output row and column, so the inner loops test nothing.
pub fn max_pool2d<E: Element>(x: &[E], w: &Window2d) -> (Buffer<E>, Vec<u32>) {
    use rayon::prelude::*;
    let plane_in = w.height * w.width;
    let plane_out = w.out_len();
    let planes = w.batch * w.channels;
    let mut out = Buffer::for_overwrite(planes * plane_out);
    let mut idx = vec![0u32; planes * plane_out];
    // Input range `lo..hi` covered by output position `o` along one axis.
    let span = |o: usize, pad: usize, len: usize, k: usize| {
        let start = o * w.stride;
        (start.max(pad) - pad, (start + k).min(len + pad) - pad)
    };
    let cols: Vec<(usize, usize)> = (0..w.out_w).map(|ox| span(ox, w.pad_left, w.width, w.kernel_w)).collect();
    // 2 x 2 windows moved by 2 (the usual pooling): every window of an output
    // row whose two input rows are inside reads columns (2ox, 2ox + 1) of
    // those rows, so the row is a zip over pairs, without index arithmetic.
    let pairs = w.kernel_h == 2 && w.kernel_w == 2 && w.stride == 2 && w.pad_left == 0;
    #[cfg(target_arch = "x86_64")]
    if pairs
        && w.pad_top == 0
        && w.height.is_multiple_of(2)
        && w.width.is_multiple_of(2)
        && x.len() <= u32::MAX as usize
        && E::DTYPE == DType::F32
        && std::is_x86_feature_detected!("avx512f")
    {
        // Every window is a whole 2 x 2 block, so the output rows of all
        // planes are one regular sequence: output row r reads input rows
        // 2r and 2r + 1. One call for all (a call per row cost as much as
        // the pooling at batch 1), in parallel groups when large.
        let group = (4096 / w.out_w.max(1)).max(1);
        let rows = |g: usize, out: &mut [E], idx: &mut [u32]| {
            let r0 = g * group;
            let x: &[f32] = bytemuck::cast_slice(&x[2 * r0 * w.width..][..2 * (out.len() / w.out_w) * w.width]);
            // SAFETY: the CPU has AVX-512F; `x` holds the two input rows of
            // each output row of `out` and `idx`; indices fit in `u32`.
            unsafe { avx512::pool_rows(x, w.width, (2 * r0 * w.width) as u32, bytemuck::cast_slice_mut(out), idx) };
        };
        let (chunk, oc) = (group * w.out_w, (&mut out[..], &mut idx[..]));
        if x.len() < super::parallel::PAR_MIN_ELEMS {
            oc.0.chunks_mut(chunk).zip(oc.1.chunks_mut(chunk)).enumerate().for_each(|(g, (o, i))| rows(g, o, i));
        } else {
            oc.0.par_chunks_mut(chunk).zip(oc.1.par_chunks_mut(chunk)).enumerate().for_each(|(g, (o, i))| rows(g, o, i));
        }
        return (out, idx);
    }
    let plane = |p: usize, out: &mut [E], idx: &mut [u32]| {
        let base = p * plane_in;
        for oy in 0..w.out_h {
            let (y0, y1) = span(oy, w.pad_top, w.height, w.kernel_h);
            let (out, idx) = (&mut out[oy * w.out_w..(oy + 1) * w.out_w], &mut idx[oy * w.out_w..(oy + 1) * w.out_w]);
            let mut done = 0;
            if pairs && y1 - y0 == 2 {
                let a0 = base + y0 * w.width;
                let (r0, r1) = (&x[a0..a0 + w.width], &x[a0 + w.width..a0 + 2 * w.width]);
                let pairs_out = w.width / 2;
                #[cfg(target_arch = "x86_64")]
                if E::DTYPE == DType::F32 && a0 + 2 * w.width <= u32::MAX as usize && std::is_x86_feature_detected!("avx512f") {
                    let (r0, r1): (&[f32], &[f32]) = (bytemuck::cast_slice(r0), bytemuck::cast_slice(r1));
                    let out: &mut [f32] = bytemuck::cast_slice_mut(&mut out[..pairs_out]);
                    // SAFETY: the CPU has AVX-512F; the rows hold 2
                    // `pairs_out` values, `out` and `idx` at least
                    // `pairs_out`, and the indices fit in `u32` (checked).
                    unsafe { avx512::pool_pairs(r0, r1, a0 as u32, out, &mut idx[..pairs_out]) };
                    done = pairs_out;
                }
                for (ox, (((o, i), t), b)) in
                    out.iter_mut().zip(idx.iter_mut()).zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)).enumerate().skip(done)
                {
                    // Row-major window order, strict `>`: the first maximum
                    // wins. Selects, not branches: which value is largest is
                    // a coin toss on real data, and mispredicted branches
                    // cost more than the comparisons.
                    let a = a0 + 2 * ox;
                    let (mut best, mut at) = (t[0], a);
                    for (v, at_v) in [(t[1], a + 1), (b[0], a + w.width), (b[1], a + w.width + 1)] {
                        let more = v > best;
                        best = if more { v } else { best };
                        at = if more { at_v } else { at };
                    }
                    (*o, *i) = (best, at as u32);
                }
                done = pairs_out; // an odd last column is a partial window
            }
            for ox in done..w.out_w {
                let (x0, x1) = cols[ox];
                // Strict `>` keeps the first maximum in row-major window order;
                // the first element always replaces the -inf start (every
                // window overlaps the input), NaN included.
                let (mut best, mut at) = (E::NEG_INFINITY, usize::MAX);
                for y in y0..y1 {
                    let row = base + y * w.width;
                    for (a, &v) in x[row + x0..row + x1].iter().enumerate() {
                        if v > best || at == usize::MAX {
                            (best, at) = (v, row + x0 + a);
                        }
                    }
                }
                out[ox] = best;
                idx[ox] = at as u32;
            }
        }
    };
    if plane_out == 0 {
        return (out, idx);
    }
    if x.len() < super::parallel::PAR_MIN_ELEMS {
        out.chunks_mut(plane_out).zip(idx.chunks_mut(plane_out)).enumerate().for_each(|(p, (o, i))| plane(p, o, i));
    } else {
        out.par_chunks_mut(plane_out).zip(idx.par_chunks_mut(plane_out)).enumerate().for_each(|(p, (o, i))| plane(p, o, i));
    }
    (out, idx)
}

/// `max_pool2d`'s values without the indices, for passes that will not go
/// backward (`Backend::max_pool2d_values`). 2 x 2 windows moved by 2 with
/// no leading padding (Keras' pooling, odd sizes included) take a kernel
/// that keeps no indices, on AVX-512: a third of the work, and no index
/// buffer. `None` for other windows (the caller pools with indices and
/// drops them).
pub fn max_pool2d_values<E: Element>(x: &[E], w: &Window2d) -> Option<Buffer<E>> {
    #[cfg(target_arch = "x86_64")]
    if w.kernel_h == 2
        && w.kernel_w == 2
        && w.stride == 2
        && w.pad_top == 0
        && w.pad_left == 0
        && E::DTYPE == DType::F32
        && std::is_x86_feature_detected!("avx512f")
    {
        let (plane_in, plane_out) = (w.height * w.width, w.out_len());
        let mut out = Buffer::for_overwrite(w.batch * w.channels * plane_out);
        for_each_row(&mut out, plane_out, |p, out| {
            let x: &[f32] = bytemuck::cast_slice(&x[p * plane_in..(p + 1) * plane_in]);
            // SAFETY: the CPU has AVX-512F; `x` is one input plane and
            // `out` its output plane, of the window's sizes.
            unsafe { avx512::pool_plane(x, w.width, w.out_w, bytemuck::cast_slice_mut(out)) };
        });
        return Some(out);
    }
    None
}

/// `dx[idx[o]] += dy[o]`, plane by plane (an argmax never leaves its plane).
pub fn max_pool2d_backward<E: Element>(dy: &[E], idx: &[u32], w: &Window2d) -> Buffer<E> {
    let plane_in = w.height * w.width;
    let plane_out = w.out_len();
    let mut dx = Buffer::zeroed(w.batch * w.channels * plane_in);
    for_each_row(&mut dx, plane_in, |p, dx| {
        for o in p * plane_out..(p + 1) * plane_out {
            dx[idx[o] as usize - p * plane_in] += dy[o];
        }
    });
    dx
}

/// The 2 x 2, stride-2 pooling of two input rows on AVX-512: 16 windows at
/// a time, their four values pulled apart into four registers (even and
/// odd columns of each row), then the scalar loop's comparisons as masked
/// selects, in the same order with the same strict `>`.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// `pool_pairs` for every output row of `out` (rows of `width / 2`),
    /// output row `r` reading rows `2r` and `2r + 1` of `x` (rows of
    /// `width`), whose first value has the flat index `a0`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `width` is even and positive, `x` holds
    /// `2 width` values per output row, `idx.len() == out.len()`, and every
    /// index fits in `u32`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pool_rows(x: &[f32], width: usize, a0: u32, out: &mut [f32], idx: &mut [u32]) {
        let ow = width / 2;
        assert!(ow > 0 && out.len().is_multiple_of(ow) && idx.len() == out.len() && x.len() == 4 * out.len());
        for (r, (out, idx)) in out.chunks_exact_mut(ow).zip(idx.chunks_exact_mut(ow)).enumerate() {
            let (r0, r1) = x[2 * r * width..][..2 * width].split_at(width);
            // SAFETY: as for this function, row by row.
            unsafe { pool_pairs(r0, r1, a0 + (2 * r * width) as u32, out, idx) };
        }
    }

    /// One plane of `super::max_pool2d_values`: output row `r` is the
    /// maximum over input rows `2r` and `2r + 1` (the last alone when the
    /// height is odd) and columns `2i`, `2i + 1` (likewise), compared in
    /// `pool_pairs`' order with its strict `>`. Missing values read as
    /// `-inf`, which never wins (the window's first value is always there).
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `x` holds rows of `width` values, `out`
    /// rows of `out_w >= 1` values, with `out_w <= ceil(width / 2)` and at
    /// most one output row per two input rows (rounded up): `same` padding
    /// pools the odd last row or column alone, `valid` drops it.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pool_plane(x: &[f32], width: usize, out_w: usize, out: &mut [f32]) {
        let height = x.len() / width;
        let out_h = out.len() / out_w;
        assert!(out_w <= width.div_ceil(2) && out.len() == out_h * out_w && out_h <= height.div_ceil(2) && x.len() == height * width);
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let even = _mm512_slli_epi32::<1>(lanes);
        let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        let none = _mm512_set1_ps(f32::NEG_INFINITY);
        for (r, out) in out.chunks_exact_mut(out_w).enumerate() {
            let top = x[2 * r * width..].as_ptr();
            let bottom = (2 * r + 1 < height).then(|| x[(2 * r + 1) * width..].as_ptr());
            for i in (0..out_w).step_by(16) {
                // Input columns 2i .. 2i + 32 that are inside the row.
                let (lo, hi) = (mask(width - 2 * i), mask(width.saturating_sub(2 * i + 16)));
                // SAFETY: the unmasked lanes are inside the row.
                let row = |p: *const f32| unsafe {
                    let (a, b) =
                        (_mm512_mask_loadu_ps(none, lo, p.wrapping_add(2 * i)), _mm512_mask_loadu_ps(none, hi, p.wrapping_add(2 * i + 16)));
                    (_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b))
                };
                let ((t0, t1), (b0, b1)) = (row(top), bottom.map_or((none, none), row));
                let mut best = t0;
                for v in [t1, b0, b1] {
                    best = _mm512_mask_mov_ps(best, _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best), v);
                }
                // SAFETY: the stored lanes are out[i .. min(i + 16, out_w)].
                unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr().add(i), mask(out_w - i), best) };
            }
        }
    }

    /// The lanes below `count` (of 16) set.
    fn mask(count: usize) -> __mmask16 {
        ((1u32 << count.min(16)) - 1) as __mmask16
    }

    /// `out[i]`, `idx[i]`: the maximum of `r0[2i], r0[2i+1], r1[2i],
    /// r1[2i+1]` (the first of equal maxima) and its flat index, `a0` being
    /// that of `r0[0]` and `r1` the next row, `r0.len()` values on.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `r0` and `r1` hold at least `2 out.len()`
    /// values, `idx` at least `out.len()`; every index fits in `u32`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn pool_pairs(r0: &[f32], r1: &[f32], a0: u32, out: &mut [f32], idx: &mut [u32]) {
        let n = out.len();
        assert!(r0.len() >= 2 * n && r1.len() >= 2 * n && idx.len() >= n);
        let width = r0.len() as i32;
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let even = _mm512_slli_epi32::<1>(lanes);
        let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        for i in (0..n).step_by(16) {
            let count = (n - i).min(16);
            let m = ((1u32 << count) - 1) as __mmask16;
            let (lo, hi) = (((1u64 << (2 * count).min(16)) - 1) as __mmask16, ((1u64 << (2 * count).saturating_sub(16)) - 1) as __mmask16);
            // SAFETY: the unmasked lanes read r0, r1 [2i .. 2i + 2 count]
            // and write out, idx [i .. i + count], inside the slices.
            unsafe {
                let row = |r: &[f32]| {
                    let p = r.as_ptr().add(2 * i);
                    let (a, b) = (_mm512_maskz_loadu_ps(lo, p), _mm512_maskz_loadu_ps(hi, p.add(16)));
                    (_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b))
                };
                let ((t0, t1), (b0, b1)) = (row(r0), row(r1));
                let first = _mm512_add_epi32(_mm512_set1_epi32((a0 as i32).wrapping_add(2 * i as i32)), even);
                let (mut best, mut at) = (t0, first);
                for (v, off) in [(t1, 1), (b0, width), (b1, width + 1)] {
                    let more = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best);
                    best = _mm512_mask_mov_ps(best, more, v);
                    at = _mm512_mask_mov_epi32(at, more, _mm512_add_epi32(first, _mm512_set1_epi32(off)));
                }
                _mm512_mask_storeu_ps(out.as_mut_ptr().add(i), m, best);
                _mm512_mask_storeu_epi32(idx.as_mut_ptr().add(i) as *mut i32, m, at);
            }
        }
    }
}
