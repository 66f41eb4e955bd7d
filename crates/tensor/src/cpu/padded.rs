//! Stride-1 convolution without an im2col matrix ("implicit im2col"), and
//! the weight gradient of one with a single output channel (an image
//! autoencoder's last layer: 16 channels of 28 x 28 down to one image).
//!
//! The batch item is copied once into zero-padded planes, `Hp x Wp` per
//! channel with `Wp = out_w + kw - 1` (the padded input width). On an output
//! grid widened to `Wp` columns, kernel offset `(i, j)` of channel `c` reads
//! the padded input at the constant shift `s(c, i, j) = c Hp Wp + i Wp + j`,
//! so each im2col row is a contiguous slice of the padded input, read in
//! place:
//! - forward: `y'[o] = sum_{c,i,j} W[o, c, i, j] xp[s(c, i, j) ..][.. out_h Wp]`,
//!   a product `W xp'` whose right operand `xp'` has its rows at the
//!   offsets `s` (`small_gemm::gemm_rows`); then the `kw - 1` extra columns
//!   of each row of `y'` are dropped;
//! - weight gradient: `dW[c, i, j] = g' . xp[s(c, i, j) ..][.. out_h Wp]`,
//!   with `g'` the output gradient widened by zero columns.
//!
//! The widened grid computes `kw - 1` columns per row that are thrown away
//! (7% more work at 28 x 28, 14% at 14 x 14, 50% at 4 x 4), in exchange for
//! not writing and reading back the `patch_len x out_len` im2col matrix
//! (9 copies of the input for a 3 x 3 kernel) and the copies' bookkeeping.
//!
//! The forward product runs on `small_gemm`'s AVX-512 path (`f32`), which
//! reads rows at arbitrary offsets; there, outputs no wider than the input
//! go to `direct.rs` instead (no copy), so this file takes the wider ones
//! (the input gradient of a `valid` convolution). Elsewhere only one output
//! channel takes this file: the weights are then a single row, so the products are a
//! weighted sum of rows and a list of dot products (`rows.rs`); other
//! convolutions go through im2col (`conv.rs`).

use super::rows::{dots, weighted_sum};
use super::small_gemm::{self, Strided};
use super::strided_rows::{narrow, widen};
use crate::element::Element;
use crate::window::Window2d;

/// The padded planes of one item (`hp` rows of `wp` per channel) and where
/// each im2col row starts in them.
#[derive(Debug, Clone)]
pub struct Grid {
    wp: usize,
    hp: usize,
    /// `s(c, i, j)` for every patch row `r = (c kh + i) kw + j`.
    starts: Vec<usize>,
}

impl Grid {
    /// The grid of a stride-1 window, or `None` for other strides (or a
    /// window that would drop input columns, which stride 1 never does).
    pub fn of(w: &Window2d) -> Option<Grid> {
        // One row more than the `out_h + kh - 1` the window covers: the
        // widened grid's last row runs `kw - 1` values past the window.
        let (wp, hp) = (w.out_w + w.kernel_w - 1, w.out_h + w.kernel_h);
        if w.stride != 1 || w.pad_left + w.width > wp || w.pad_top + w.height > hp {
            return None;
        }
        let mut starts = Vec::with_capacity(w.patch_len());
        for c in 0..w.channels {
            for i in 0..w.kernel_h {
                starts.extend((0..w.kernel_w).map(|j| c * hp * wp + i * wp + j));
            }
        }
        Some(Grid { wp, hp, starts })
    }
    /// Whether `forward` can take `oc` output channels of `E` on this CPU.
    pub fn forward_takes<E: Element>(oc: usize) -> bool {
        oc == 1 || small_gemm::gemm_rows_available::<E>()
    }
    /// Scratch values one item needs: the padded planes and the widened
    /// outputs of `oc` channels. It may hold anything: every value is
    /// written before it is read.
    pub fn scratch_len(&self, w: &Window2d, oc: usize) -> usize {
        w.channels * self.hp * self.wp + oc * w.out_h * self.wp
    }
    /// The im2col row `r` of the padded planes `xp`: `out_h * wp` values.
    fn row<'a, E>(&self, xp: &'a [E], out_h: usize, r: usize) -> &'a [E] {
        &xp[self.starts[r]..self.starts[r] + out_h * self.wp]
    }
}

/// Splits `scratch` into the padded planes of item `x` (every value
/// written: the input's, and zeros around it) and the widened outputs (`oc`
/// channels, left as they are).
fn pad<'a, E: Element>(x: &[E], w: &Window2d, g: &Grid, oc: usize, scratch: &'a mut [E]) -> (&'a [E], &'a mut [E]) {
    let plane = g.hp * g.wp;
    let (xp, wide) = scratch.split_at_mut(w.channels * plane);
    for (xp, x) in xp.chunks_exact_mut(plane).zip(x.chunks_exact(w.height * w.width)) {
        let (top, rest) = xp.split_at_mut(w.pad_top * g.wp);
        let (rows, bottom) = rest.split_at_mut(w.height * g.wp);
        top.fill(E::ZERO);
        widen(x, w.width, rows, g.wp, w.pad_left);
        bottom.fill(E::ZERO);
    }
    (xp, &mut wide[..oc * w.out_h * g.wp])
}

/// `y = W im2col(x) (+ bias)` for one item: `weight` is `[oc, patch_len]`,
/// `y` is `[oc, out_h * out_w]`. Only for what `Grid::forward_takes`.
#[allow(clippy::too_many_arguments)]
pub fn forward<E: Element>(x: &[E], weight: &[E], bias: Option<&[E]>, w: &Window2d, g: &Grid, oc: usize, scratch: &mut [E], y: &mut [E]) {
    let (xp, wide) = pad(x, w, g, oc, scratch);
    let (plen, n) = (w.patch_len(), w.out_h * g.wp);
    let weights = Strided { data: weight, rs: plen, cs: 1 };
    if !small_gemm::gemm_rows(oc, plen, n, weights, xp, &g.starts, wide) {
        assert!(oc == 1, "padded::forward: {oc} output channels need small_gemm::gemm_rows");
        weighted_sum(plen, |r| weight[r], |r| g.row(xp, w.out_h, r), wide);
    }
    for (o, (y, wide)) in y.chunks_exact_mut(w.out_len()).zip(wide.chunks_exact(w.out_h * g.wp)).enumerate() {
        narrow(wide, g.wp, y, w.out_w, bias.map_or(E::ZERO, |b| b[o]));
    }
}

/// `dW = g im2col(x)^T` for one item and one output channel: `g` is
/// `[out_h * out_w]`, `dw` is `[patch_len]`.
pub fn weight_grad<E: Element>(x: &[E], g_: &[E], w: &Window2d, g: &Grid, scratch: &mut [E], dw: &mut [E]) {
    let (xp, wide) = pad(x, w, g, 1, scratch);
    // `g` widened by zero columns, which add nothing to the dot products.
    widen(g_, w.out_w, wide, g.wp, 0);
    dots(wide, |r| g.row(xp, w.out_h, r), dw);
}
