//! Stride-1 convolution with the output no wider than the input, read in
//! place: no padded copy, no im2col matrix (AVX-512, `f32`).
//!
//! The math. When `out_w == width` (stride 1 with Keras' `same` padding, and
//! the input gradient of such a convolution), output position `(r, x)` and
//! input position `(r, x)` share the flat index `t = r W + x`, so kernel tap
//! `(i, j)` reads the input at a constant shift of `t`:
//!
//! ```text
//! y[o, t] = b[o] + sum_{c, i, j} W[o, c, i, j] x[c, t + (i - pt) W + (j - pl)]
//! ```
//!
//! where a tap outside the input reads zero: row `r + i - pt` outside
//! `0..H`, or column `x + j - pl` outside `0..W` (in the flat index such a
//! tap would wrap into the neighbouring row). Sixteen consecutive outputs
//! therefore read sixteen consecutive inputs per tap: one load, masked to
//! the lanes whose tap is inside. The masks depend on the tap and on where
//! the lanes fall in the plane, not on the channel, so they are computed
//! once per window (`tap_masks`, kept per thread by `all_masks`) and every
//! channel, output channel and image reuses them.
//!
//! A narrower output (`valid` padding: `out_w = W - kw + 1`) is computed the
//! same way on the input-wide grid, `t = r W + x` for `x < W`: the columns
//! past `out_w` are computed and not stored, and each row's run of lanes is
//! stored by one masked store at its place in `y` (`Rows`).
//!
//! The loop is `small_gemm`'s (`W` times the im2col matrix, tiles of
//! 8 output channels x 32 positions, 16 accumulators), with the im2col rows
//! read straight from the input and the bias added as each tile is stored,
//! straight into `y`. (One output channel goes another way: `forward`.)
//! `padded.rs` copies the input into zero-padded planes, computes on a grid
//! widened by `kw - 1` columns and then narrows it; this writes nothing but
//! `y`. On a batch-1 conv-ae call the copy and the narrowing had cost about
//! as much as the arithmetic of the convolutions that now come here.
//!
//! The tiles sum the terms in the same order as `padded.rs` (taps in im2col
//! order, then the bias), and a tap outside the input adds nothing instead
//! of a product with a padding zero, so the results are the same bits
//! (`tests` below checks this on random shapes).

use super::small_gemm::{self, Path, Strided};
use crate::element::{DType, Element};
use crate::window::Window2d;

/// Taps (`kernel_h x kernel_w`) one tile keeps masks for: kernels up to 5 x 5.
const MAX_TAPS: usize = 25;

/// Whether `forward` takes window `w` for `E` on this CPU: stride 1, the
/// output no wider than the input, at most `MAX_TAPS` taps, a grid small
/// enough for the masks' lane arithmetic (`tap_masks`: positions below
/// 2^22, so 32-bit lanes and `f32` rows are exact), and AVX-512 with `f32`.
pub fn takes<E: Element>(w: &Window2d) -> bool {
    let small = |v: usize| v < 1 << 21;
    E::DTYPE == DType::F32
        && w.stride == 1
        && w.out_w <= w.width
        && w.kernel_h * w.kernel_w <= MAX_TAPS
        && [w.height * w.width, w.out_h * w.width, w.pad_top, w.pad_left].into_iter().all(small)
        && avx512_available()
}

fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Scratch values `forward` needs for one item with `oc` output channels:
/// the per-tap products of one output channel (below), else none.
pub fn scratch_len(w: &Window2d, oc: usize) -> usize {
    if oc == 1 {
        w.kernel_h * w.kernel_w * w.height * w.width
    } else {
        0
    }
}

/// `y = W im2col(x) (+ bias)` for one item: `x` is `[channels, height,
/// width]`, `weight` `[oc, patch_len]`, `y` `[oc, out_h * out_w]`,
/// `scratch` at least `scratch_len(w, oc)` values (of anything). Panics
/// unless `takes::<E>(w)` and the lengths match.
///
/// One output channel goes another way. Its tiles would have one row of
/// weights, so each load of `x` would feed a single multiply-add and the
/// loads (and their masks) would set the pace. Instead the sum is taken
/// over channels first, for every tap, as one dense product with `x` read
/// in place (`small_gemm`, 3 x 64 tiles):
///
/// ```text
/// z[tap, s] = sum_c W[c, tap] x[c, s]          (taps x channels) (channels x H W)
/// y[t]      = b + sum_tap z[tap, t + shift(tap)]   (masked as above)
/// ```
///
/// The second pass is one masked load and add per tap and output. The
/// terms are summed in another order than the tiles' (over channels first),
/// so this path's bits differ from `padded.rs`'s by rounding.
#[allow(clippy::too_many_arguments)]
pub fn forward<E: Element>(x: &[E], weight: &[E], bias: Option<&[E]>, w: &Window2d, oc: usize, scratch: &mut [E], y: &mut [E]) {
    assert!(takes::<E>(w), "direct::forward: window {w:?} not taken");
    let (plane, taps) = (w.height * w.width, w.kernel_h * w.kernel_w);
    assert!(
        x.len() == w.channels * plane
            && weight.len() == oc * w.patch_len()
            && y.len() == oc * w.out_len()
            && bias.is_none_or(|b| b.len() == oc)
            && scratch.len() >= scratch_len(w, oc),
        "direct::forward: lengths do not match the window"
    );
    if oc == 0 || w.out_len() == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use avx512::{Narrower, SameWidth};
        fn f32s<E: Element>(v: &[E]) -> &[f32] {
            bytemuck::cast_slice(v)
        }
        let (x, weight, bias, y) = (f32s(x), f32s(weight), bias.map(f32s), bytemuck::cast_slice_mut(y));
        if oc == 1 {
            let z: &mut [f32] = bytemuck::cast_slice_mut(&mut scratch[..taps * plane]);
            // W[0, c, tap] at c taps + tap: as a taps x channels matrix, rows 1 apart.
            let (a, b) = (Strided { data: weight, rs: 1, cs: taps }, Strided { data: x, rs: plane, cs: 1 });
            small_gemm::gemm_on(Path::Avx512, taps, w.channels, plane, a, b, z);
            let b = bias.map(|b| b[0]);
            // SAFETY: the CPU has AVX-512F (`takes`); `z` holds every tap's plane.
            return unsafe {
                if w.out_w == w.width {
                    avx512::shifted_sum::<4, SameWidth<4>>(z, b, w, y)
                } else {
                    avx512::shifted_sum::<4, Narrower<4>>(z, b, w, y)
                }
            };
        }
        // SAFETY: the CPU has AVX-512F and `E` is `f32` (`takes`); the
        // lengths are checked above.
        unsafe {
            if w.out_w == w.width {
                avx512::tiles::<8, 2, SameWidth<2>>(x, weight, bias, w, oc, y)
            } else {
                avx512::tiles::<8, 2, Narrower<2>>(x, weight, bias, w, oc, y)
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::MAX_TAPS;
    use crate::window::Window2d;

    /// What a window's masks depend on: its plane, kernel, padding and
    /// output rows (not its channels), and the vectors per tile.
    #[derive(Clone, Copy, PartialEq, Eq)]
    struct MaskKey([usize; 8]);

    impl MaskKey {
        fn of(w: &Window2d, nv: usize) -> Self {
            MaskKey([w.height, w.width, w.kernel_h, w.kernel_w, w.pad_top, w.pad_left, w.out_h, nv])
        }
    }

    /// Windows whose masks a thread keeps, at most, and the largest mask
    /// table kept (a 28 x 28 plane with a 3 x 3 kernel needs under 1 KiB).
    const CACHED: usize = 32;
    const CACHED_BYTES: usize = 1 << 18;

    thread_local! {
        /// The mask tables of the windows this thread used last. A batch-1
        /// conv-ae call runs eight convolutions, and computing their masks
        /// anew each time cost about 1 us of its 16; a training step
        /// recomputed them for every image of the batch.
        static MASKS: RefCell<Vec<(MaskKey, Rc<[__mmask16]>)>> = const { RefCell::new(Vec::new()) };
    }

    /// The tap masks of every tile of `16 NV` positions of window `w`
    /// (`tap_masks`), tile after tile, `taps` arrays of `NV` masks each:
    /// from this thread's cache, or computed and kept.
    #[target_feature(enable = "avx512f")]
    fn all_masks<const NV: usize>(w: &Window2d) -> Rc<[__mmask16]> {
        let key = MaskKey::of(w, NV);
        if let Some(found) = MASKS.with_borrow(|c| c.iter().find(|(k, _)| *k == key).map(|(_, m)| Rc::clone(m))) {
            return found;
        }
        let (taps, grid) = (w.kernel_h * w.kernel_w, w.out_h * w.width);
        let mut table = Vec::with_capacity(grid.div_ceil(16 * NV) * taps * NV);
        let mut masks = [[0 as __mmask16; NV]; MAX_TAPS];
        for t0 in (0..grid).step_by(16 * NV) {
            tap_masks(w, t0, &mut masks);
            masks[..taps].iter().for_each(|m| table.extend_from_slice(m));
        }
        let table: Rc<[__mmask16]> = table.into();
        if std::mem::size_of_val(&*table) <= CACHED_BYTES {
            MASKS.with_borrow_mut(|c| {
                if c.len() == CACHED {
                    c.remove(0); // the oldest
                }
                c.push((key, Rc::clone(&table)));
            });
        }
        table
    }

    /// `y[t] = b + sum_tap z[tap, t + shift(tap)]` over the taps inside the
    /// input (`super::forward`'s one-channel path), `NV` vectors at a time.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `w` is taken (`super::takes`), `z` holds
    /// `taps` planes of `height x width` and `y` `out_len` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn shifted_sum<const NV: usize, S: Store<NV>>(z: &[f32], bias: Option<f32>, w: &Window2d, y: &mut [f32]) {
        let (plane, grid, taps) = (w.height * w.width, w.out_h * w.width, w.kernel_h * w.kernel_w);
        assert!(z.len() >= taps * plane && y.len() == w.out_len());
        let shifts = shifts(w);
        let (zp, yp) = (z.as_ptr(), y.as_mut_ptr());
        let all = all_masks::<NV>(w);
        for (masks, t0) in all.as_chunks::<NV>().0.chunks_exact(taps).zip((0..grid).step_by(16 * NV)) {
            let mut acc = [_mm512_setzero_ps(); NV];
            for (tap, (m, &shift)) in masks.iter().zip(&shifts[..taps]).enumerate() {
                // Lane l of vector v reads z[tap, t0 + 16 v + l + shift]: inside
                // the tap's plane wherever the mask is set (the input position
                // the tap reads); masked lanes are not read.
                let at = zp.wrapping_add(tap * plane + t0).wrapping_offset(shift);
                for (v, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: only the masked-in lanes are read; they are inside `z`.
                    *acc = _mm512_add_ps(*acc, unsafe { _mm512_maskz_loadu_ps(m[v], at.wrapping_add(16 * v)) });
                }
            }
            let store = S::of(w, t0);
            for (v, acc) in acc.iter().enumerate() {
                let out = bias.map_or(*acc, |b| _mm512_add_ps(*acc, _mm512_set1_ps(b)));
                // SAFETY: `Store` writes inside y.
                unsafe { store.put(yp, v, out) };
            }
        }
    }

    /// The flat shift of tap `i kw + j`: `(i - pt) W + (j - pl)`.
    fn shifts(w: &Window2d) -> [isize; MAX_TAPS] {
        let mut shifts = [0; MAX_TAPS];
        for i in 0..w.kernel_h {
            for j in 0..w.kernel_w {
                shifts[i * w.kernel_w + j] = (i as isize - w.pad_top as isize) * w.width as isize + j as isize - w.pad_left as isize;
            }
        }
        shifts
    }

    /// Every tile of `16 NV` output positions, each for every block of `MR`
    /// output channels (the last block repeats its last row, not stored).
    ///
    /// # Safety
    /// The CPU must have AVX-512F; the lengths are those `super::forward`
    /// checks, with `oc >= 1` and at least one output.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tiles<const MR: usize, const NV: usize, S: Store<NV>>(
        x: &[f32],
        weight: &[f32],
        bias: Option<&[f32]>,
        w: &Window2d,
        oc: usize,
        y: &mut [f32],
    ) {
        let (plane, grid, len, taps) = (w.height * w.width, w.out_h * w.width, w.out_len(), w.kernel_h * w.kernel_w);
        let plen = w.channels * taps;
        let shifts = shifts(w);
        let (xp, wp, yp) = (x.as_ptr(), weight.as_ptr(), y.as_mut_ptr());
        let all = all_masks::<NV>(w);
        for (masks, t0) in all.as_chunks::<NV>().0.chunks_exact(taps).zip((0..grid).step_by(16 * NV)) {
            let store = S::of(w, t0);
            for o0 in (0..oc).step_by(MR) {
                let mr = MR.min(oc - o0);
                // Row r of the block's weights (rows past the last repeat it).
                // SAFETY: row o0 + min(r, mr - 1) < oc of `weight`.
                let rows: [*const f32; MR] = std::array::from_fn(|r| unsafe { wp.add((o0 + r.min(mr - 1)) * plen) });
                let mut acc = [[_mm512_setzero_ps(); NV]; MR];
                for c in 0..w.channels {
                    let xc = xp.wrapping_add(c * plane + t0);
                    for (tap, (m, &shift)) in masks.iter().zip(&shifts[..taps]).enumerate() {
                        // Lane l of vector v reads x[c, t0 + 16 v + l + shift]:
                        // inside channel c's plane wherever the mask is set
                        // (`tap_masks`); masked lanes are not read, so the
                        // address may point outside `x` (hence `wrapping_offset`).
                        let at = xc.wrapping_offset(shift);
                        // SAFETY: only the masked-in lanes are read; they are inside `x`.
                        let b: [__m512; NV] = std::array::from_fn(|v| unsafe { _mm512_maskz_loadu_ps(m[v], at.wrapping_add(16 * v)) });
                        let p = c * taps + tap; // the im2col row: (c kh + i) kw + j
                        for (acc_r, row) in acc.iter_mut().zip(&rows) {
                            // SAFETY: p < plen, inside the row.
                            let a = _mm512_set1_ps(unsafe { *row.add(p) });
                            for v in 0..NV {
                                acc_r[v] = _mm512_fmadd_ps(a, b[v], acc_r[v]);
                            }
                        }
                    }
                }
                // Every r of the unrolled loop, skipping the repeats: with
                // `acc[..mr]` the compiler kept the sums on the stack.
                for (r, acc_r) in acc.iter().enumerate().filter(|&(r, _)| r < mr) {
                    let add = bias.map(|b| _mm512_set1_ps(b[o0 + r]));
                    for (v, acc) in acc_r.iter().enumerate() {
                        let out = add.map_or(*acc, |b| _mm512_add_ps(*acc, b));
                        // SAFETY: `Store` writes inside channel o0 + r < oc of y.
                        unsafe { store.put(yp.add((o0 + r) * len), v, out) };
                    }
                }
            }
        }
    }

    /// Where the `NV` vectors of the tile at `t0` go in one output channel.
    /// One type per kind of window, chosen once per call: a `match` per
    /// store made the compiler keep the sums on the stack.
    pub(super) trait Store<const NV: usize> {
        fn of(w: &Window2d, t0: usize) -> Self;
        /// Stores vector `v` of the tile in output channel `y` (its start).
        ///
        /// # Safety
        /// `y` is the start of an output channel (`out_h * out_w` values)
        /// of the window that made this, and `v < NV`.
        unsafe fn put(&self, y: *mut f32, v: usize, value: __m512);
    }

    /// As wide as the input: each vector goes where the grid has it, the
    /// lanes below `out_len`.
    pub(super) struct SameWidth<const NV: usize> {
        t0: usize,
        masks: [__mmask16; NV],
    }

    impl<const NV: usize> Store<NV> for SameWidth<NV> {
        fn of(w: &Window2d, t0: usize) -> Self {
            SameWidth { t0, masks: std::array::from_fn(|v| lanes_below(w.out_len().saturating_sub(t0 + 16 * v))) }
        }
        #[inline(always)]
        unsafe fn put(&self, y: *mut f32, v: usize, value: __m512) {
            // SAFETY: the stored lanes are below out_len.
            unsafe { _mm512_mask_storeu_ps(y.add(self.t0 + 16 * v), self.masks[v], value) }
        }
    }

    /// Narrower than the input: row by row (`Rows`).
    pub(super) struct Narrower<const NV: usize>([Rows; NV]);

    impl<const NV: usize> Store<NV> for Narrower<NV> {
        fn of(w: &Window2d, t0: usize) -> Self {
            Narrower(std::array::from_fn(|v| Rows::of(w, t0 + 16 * v)))
        }
        #[inline(always)]
        unsafe fn put(&self, y: *mut f32, v: usize, value: __m512) {
            // SAFETY: `Rows::store`'s contract, passed on.
            unsafe { self.0[v].store(y, value) }
        }
    }

    /// Where the 16 lanes of the grid vector at `t` go in one output
    /// channel: lane `l` is grid position `t + l`, at row `r = (t + l) / W`
    /// and column `x = (t + l) % W`, and goes to `y[r out_w + x]` if `x <
    /// out_w` and `r < out_h`. The lanes of one row form a run, stored by
    /// one masked store; as wide as the input (`same`), every run lands
    /// where the grid has it, so there is one store.
    struct Rows {
        count: usize,
        /// Per run: where lane 0 would go (`r out_w + x - l`), and its lanes.
        runs: [(isize, __mmask16); 16],
    }

    impl Rows {
        fn of(w: &Window2d, t: usize) -> Rows {
            let mut rows = Rows { count: 0, runs: [(0, 0); 16] };
            let (mut r, mut x, mut l) = (t / w.width, t % w.width, 0);
            while l < 16 && r < w.out_h {
                let run = (16 - l).min(w.width - x); // lanes in row r
                let kept = run.min(w.out_w.saturating_sub(x)); // of which columns < out_w
                rows.runs[rows.count] = ((r * w.out_w + x) as isize - l as isize, lanes_below(l + kept) & !lanes_below(l));
                rows.count += 1;
                (r, x, l) = (r + 1, 0, l + run);
            }
            rows
        }

        /// Stores `v`'s lanes at their places in `y`, one output channel.
        ///
        /// # Safety
        /// `y` is the start of an output channel (`out_h * out_w` values),
        /// the window that made these runs.
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn store(&self, y: *mut f32, v: __m512) {
            for &(at, m) in &self.runs[..self.count] {
                // SAFETY: the masked-in lanes are y[r out_w + x], x < out_w, r < out_h.
                unsafe { _mm512_mask_storeu_ps(y.wrapping_offset(at), m, v) };
            }
        }
    }

    /// The lanes below `count` (of 16) set.
    #[inline]
    fn lanes_below(count: usize) -> __mmask16 {
        ((1u32 << count.min(16)) - 1) as __mmask16
    }

    /// `masks[i kw + j][v]`: the lanes `l` of vector `v` of the tile at `t0`
    /// (grid position `t = t0 + 16 v + l`, at row `r = t / W`, column `x = t % W`)
    /// that are outputs (`t < out_len`) and whose tap `(i, j)` falls inside
    /// the input: `0 <= r + i - pt < H` and `0 <= x + j - pl < W`. Each
    /// comparison is one unsigned compare (a negative value wraps past the
    /// bound). `w`'s sizes fit in `i32` and its taps in `MAX_TAPS` (`super::takes`).
    #[inline]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::needless_range_loop)] // `v` indexes the inner arrays of `masks`
    fn tap_masks<const NV: usize>(w: &Window2d, t0: usize, masks: &mut [[__mmask16; NV]; MAX_TAPS]) {
        let (width, grid) = (w.width as i32, w.out_h * w.width);
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let w_ = _mm512_set1_epi32(width);
        let inv_w = _mm512_set1_ps(1.0 / w.width as f32);
        for v in 0..NV {
            let outputs = lanes_below(grid.saturating_sub(t0 + 16 * v));
            // Row and column of each lane without an integer division (a
            // scalar one per vector, or a loop carrying columns into rows,
            // cost more than the masks): r = floor((t + 1/2) / W) in f32.
            // (t + 1/2) / W is at least 1/(2W) away from an integer, and f32
            // is off by less than that while t < 2^22 (`takes`: the grid is
            // below 2^21, and a tile runs at most 64 past it).
            let t = _mm512_add_epi32(_mm512_set1_epi32((t0 + 16 * v) as i32), iota);
            let half = _mm512_add_ps(_mm512_cvtepi32_ps(t), _mm512_set1_ps(0.5));
            let row = _mm512_cvttps_epi32(_mm512_mul_ps(half, inv_w));
            let col = _mm512_sub_epi32(t, _mm512_mullo_epi32(row, w_));
            let inside = |v: __m512i, shift: i32, bound: i32| {
                _mm512_cmplt_epu32_mask(_mm512_add_epi32(v, _mm512_set1_epi32(shift)), _mm512_set1_epi32(bound))
            };
            for i in 0..w.kernel_h {
                let rows_ok = outputs & inside(row, i as i32 - w.pad_top as i32, w.height as i32);
                for j in 0..w.kernel_w {
                    masks[i * w.kernel_w + j][v] = rows_ok & inside(col, j as i32 - w.pad_left as i32, width);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::super::padded::{self, Grid};
    use crate::window::{Padding, Window2d};

    /// Uniform values in [-1, 1) from a seed.
    fn values(seed: u64, len: usize) -> Vec<f32> {
        let mut r = StdRng::seed_from_u64(seed);
        (0..len).map(|_| r.random_range(-1.0..1.0)).collect()
    }

    /// `forward` and `padded::forward` on one random case, in that order,
    /// or `None` where `forward` does not take the window.
    #[allow(clippy::too_many_arguments)]
    fn both(
        c: usize,
        h: usize,
        width: usize,
        k: (usize, usize),
        oc: usize,
        padding: Padding,
        bias: bool,
        seed: u64,
    ) -> Option<(Vec<f32>, Vec<f32>, Window2d)> {
        let w = Window2d::forward("test", &[1, c, h, width], k, 1, padding).ok()?;
        if !super::takes::<f32>(&w) {
            return None;
        }
        let x = values(seed, c * h * width);
        let weight = values(seed ^ 1, oc * w.patch_len());
        let b = bias.then(|| values(seed ^ 2, oc));
        let mut want = vec![0.0; oc * w.out_len()];
        let grid = Grid::of(&w).unwrap();
        let mut scratch = vec![0.0; grid.scratch_len(&w, oc)];
        padded::forward(&x, &weight, b.as_deref(), &w, &grid, oc, &mut scratch, &mut want);
        let mut got = vec![f32::NAN; oc * w.out_len()];
        let mut scratch = vec![f32::NAN; super::scratch_len(&w, oc)];
        super::forward(&x, &weight, b.as_deref(), &w, oc, &mut scratch, &mut got);
        Some((got, want, w))
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|v| v.to_bits()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The same bits as `padded::forward` (the widened grid over
        /// zero-padded planes), or for one output channel the same values
        /// up to rounding: up to 20 output channels (blocks of 8 and a short
        /// one), planes up to 40 wide (tiles of 32 and a tail), kernels up
        /// to 5 x 5, odd and even, `same` and `valid` (narrower output), with
        /// and without bias.
        #[test]
        fn matches_the_padded_grid(
            c in 1usize..5, h in 1usize..12, width in 1usize..41, kh in 1usize..6, kw in 1usize..6,
            oc in 1usize..21, same in any::<bool>(), bias in any::<bool>(), seed in any::<u64>(),
        ) {
            let padding = if same { Padding::Same } else { Padding::Valid };
            prop_assume!(same || (h >= kh && width >= kw));
            let Some((got, want, w)) = both(c, h, width, (kh, kw), oc, padding, bias, seed) else {
                return Ok(()); // not taken (no AVX-512 here)
            };
            if oc > 1 {
                prop_assert_eq!(bits(&got), bits(&want));
            } else {
                // Summed over channels first: equal up to rounding, relative
                // to the sum of the terms' sizes (at most patch_len + 1 terms of size <= 1).
                let tol = 1e-6 * (w.patch_len() + 1) as f32;
                for (g, e) in got.iter().zip(&want) {
                    prop_assert!((g - e).abs() <= tol, "{} against {}", g, e);
                }
            }
        }
    }

    /// The per-thread mask cache (`all_masks`) gives each window its own
    /// masks: windows that differ only in their output rows (a 2 x 2 kernel,
    /// whose `same` padding is all after the plane, so both paddings start
    /// at 0; `valid` first, as its masks leave out the last row `same`
    /// needs), then more windows than the cache keeps, then all of them
    /// again, each against `padded.rs`.
    #[test]
    fn cached_masks_belong_to_their_window() {
        let mut cases: Vec<(usize, usize, (usize, usize), Padding)> = vec![(6, 9, (2, 2), Padding::Valid), (6, 9, (2, 2), Padding::Same)];
        cases.extend((1..40).map(|width| (5, width, (3, 3), Padding::Same)));
        for round in 0..2 {
            for (i, &(h, width, k, padding)) in cases.iter().enumerate() {
                let Some((got, want, _)) = both(2, h, width, k, 3, padding, true, (round * 100 + i) as u64) else {
                    return; // not taken (no AVX-512 here)
                };
                assert_eq!(bits(&got), bits(&want), "{h} x {width}, kernel {k:?}, {padding:?}, round {round}");
            }
        }
    }
}
