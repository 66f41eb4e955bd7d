//! Blocks of short rows moved between two row strides: widened with zeros
//! (the padded planes of a convolution, `padded.rs`) or narrowed, with a
//! value added (its output grid, widened by `kw - 1` columns, back to the
//! output's width, plus the bias).
//!
//! The rows are 4 to 30 values long and there are hundreds of them per
//! convolution, so the per-row costs dominate: a `copy_from_slice` is a
//! `memcpy` call with its size dispatch, and a loop of unknown length has a
//! set-up and a tail. On AVX-512 (`f32`) each row is one or two masked
//! 16-lane loads and stores. Elsewhere rows go by `map_row`: blocks of 8 as
//! fixed-size arrays, and the tail as the last 8 again, overlapping.
//!
//! Both write every value of `dst`, so it may hold anything before.

use crate::element::{DType, Element};

/// `dst` as rows of `stride`: row `r` is `at` zeros, row `r` of `src` (rows
/// of `width`), then zeros. Panics unless `at + width <= stride` and `dst`
/// has room for every row of `src`.
pub fn widen<E: Element>(src: &[E], width: usize, dst: &mut [E], stride: usize, at: usize) {
    let rows = src.len().checked_div(width).unwrap_or(0);
    assert!(at + width <= stride && src.len() == rows * width && dst.len() == rows * stride, "widen: sizes do not fit");
    if rows == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if E::DTYPE == DType::F32 && std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F, `E` is `f32`, and the sizes are
        // checked above.
        return unsafe { avx512::widen(bytemuck::cast_slice(src), width, bytemuck::cast_slice_mut(dst), stride, at) };
    }
    for (d, s) in dst.chunks_exact_mut(stride).zip(src.chunks_exact(width)) {
        d[..at].fill(E::ZERO);
        map_row(&mut d[at..at + width], s, |v| v);
        d[at + width..].fill(E::ZERO);
    }
}

/// `dst` as rows of `width`: row `r` is the first `width` values of row `r`
/// of `src` (rows of `stride`), plus `add`. Panics unless `width <= stride`
/// and `src` holds every row `dst` asks for.
pub fn narrow<E: Element>(src: &[E], stride: usize, dst: &mut [E], width: usize, add: E) {
    let rows = dst.len().checked_div(width).unwrap_or(0);
    assert!(
        width <= stride && dst.len() == rows * width && (rows == 0 || src.len() >= (rows - 1) * stride + width),
        "narrow: sizes do not fit"
    );
    if rows == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if E::DTYPE == DType::F32 && std::is_x86_feature_detected!("avx512f") {
        // Exact: `E` is `f32`.
        let add = add.to_f64() as f32;
        // SAFETY: the CPU has AVX-512F, `E` is `f32`, and the sizes are
        // checked above.
        return unsafe { avx512::narrow(bytemuck::cast_slice(src), stride, bytemuck::cast_slice_mut(dst), width, add) };
    }
    for (r, d) in dst.chunks_exact_mut(width).enumerate() {
        map_row(d, &src[r * stride..r * stride + width], |v| v + add);
    }
}

/// `dst[i] = f(src[i])` for a short row, in blocks of 8 (fixed-size, so
/// each is a few vector instructions); a tail of 1 to 7 values is the last 8
/// done again, overlapping, when the row has 8.
#[inline(always)]
pub fn map_row<E: Element>(dst: &mut [E], src: &[E], f: impl Fn(E) -> E) {
    let n = dst.len();
    assert_eq!(n, src.len(), "map_row: lengths differ");
    let block = |d: &mut [E; 8], s: &[E; 8]| *d = s.map(&f);
    if n < 8 {
        dst.iter_mut().zip(src).for_each(|(d, &s)| *d = f(s));
        return;
    }
    for (d, s) in dst.as_chunks_mut::<8>().0.iter_mut().zip(src.as_chunks::<8>().0) {
        block(d, s);
    }
    if !n.is_multiple_of(8) {
        block((&mut dst[n - 8..]).try_into().unwrap(), src[n - 8..].try_into().unwrap());
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// The lanes below `count` (of 16) set.
    fn mask(count: usize) -> __mmask16 {
        ((1u32 << count.min(16)) - 1) as __mmask16
    }

    /// `super::widen` for `f32`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `at + width <= stride`, `src.len() ==
    /// rows width` and `dst.len() == rows stride` for some `rows`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn widen(src: &[f32], width: usize, dst: &mut [f32], stride: usize, at: usize) {
        let (zero, (s, d)) = (_mm512_setzero_ps(), (src.as_ptr(), dst.as_mut_ptr()));
        for r in 0..dst.len() / stride {
            // SAFETY: the unmasked lanes are dst[r stride ..][.. stride] and
            // src[r width ..][.. width] (the caller's sizes).
            unsafe {
                let (d, s) = (d.add(r * stride), s.add(r * width));
                for j in (0..stride).step_by(16) {
                    _mm512_mask_storeu_ps(d.add(j), mask(stride - j), zero);
                }
                for j in (0..width).step_by(16) {
                    let m = mask(width - j);
                    _mm512_mask_storeu_ps(d.add(at + j), m, _mm512_maskz_loadu_ps(m, s.add(j)));
                }
            }
        }
    }

    /// `super::narrow` for `f32`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `width <= stride`, `dst.len() == rows
    /// width` and `src.len() >= (rows - 1) stride + width` for some `rows`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn narrow(src: &[f32], stride: usize, dst: &mut [f32], width: usize, add: f32) {
        let (add, (s, d)) = (_mm512_set1_ps(add), (src.as_ptr(), dst.as_mut_ptr()));
        for r in 0..dst.len() / width {
            // SAFETY: the unmasked lanes are src[r stride ..][.. width] and
            // dst[r width ..][.. width] (the caller's sizes).
            unsafe {
                let (d, s) = (d.add(r * width), s.add(r * stride));
                for j in (0..width).step_by(16) {
                    let m = mask(width - j);
                    _mm512_mask_storeu_ps(d.add(j), m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, s.add(j)), add));
                }
            }
        }
    }
}
