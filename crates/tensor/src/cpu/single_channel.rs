//! Stride-1 convolution to a single output channel (an image autoencoder's
//! last layer: 16 channels of 28 x 28 down to one image), and its weight
//! gradient, without an im2col matrix.
//!
//! The batch item is copied once into zero-padded planes, `Hp x Wp` per
//! channel with `Wp = out_w + kw - 1` (the padded input width). On an output
//! grid widened to `Wp` columns, kernel offset `(i, j)` of channel `c` reads
//! the padded input at the constant shift `s(c, i, j) = c Hp Wp + i Wp + j`,
//! so each im2col row is a contiguous slice of the padded input, read in
//! place:
//! - forward: `y' = sum_{c,i,j} W[c, i, j] xp[s(c, i, j) ..][.. out_h Wp]`,
//!   then the `kw - 1` extra columns of each row of `y'` are dropped;
//! - weight gradient: `dW[c, i, j] = g' . xp[s(c, i, j) ..][.. out_h Wp]`,
//!   with `g'` the output gradient widened by zero columns.
//!
//! With one output channel the weights are a single row, so the products are
//! a weighted sum of rows and a list of dot products (`rows.rs`): no GEMM
//! packing, and no 8-row tile of which 7 rows would be padding.

use super::rows::{dots, weighted_sum};
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
        let starts = (0..w.channels)
            .flat_map(|c| (0..w.kernel_h).flat_map(move |i| (0..w.kernel_w).map(move |j| c * hp * wp + i * wp + j)))
            .collect();
        Some(Grid { wp, hp, starts })
    }
    /// Scratch values one item needs: the padded planes and a widened output
    /// row block. The scratch must start zeroed; `pad` writes only the
    /// input's own positions, so the padding stays zero from item to item.
    pub fn scratch_len(&self, w: &Window2d) -> usize {
        w.channels * self.hp * self.wp + w.out_h * self.wp
    }
    /// The im2col row `r` of the padded planes `xp`: `out_h * wp` values.
    fn row<'a, E>(&self, xp: &'a [E], out_h: usize, r: usize) -> &'a [E] {
        &xp[self.starts[r]..self.starts[r] + out_h * self.wp]
    }
}

/// Splits `scratch` into the padded planes of item `x` (filled) and the widened output.
fn pad<'a, E: Element>(x: &[E], w: &Window2d, g: &Grid, scratch: &'a mut [E]) -> (&'a [E], &'a mut [E]) {
    let plane = g.hp * g.wp;
    let (xp, wide) = scratch.split_at_mut(w.channels * plane);
    for (c, xp) in xp.chunks_exact_mut(plane).enumerate() {
        for (y, row) in x[c * w.height * w.width..(c + 1) * w.height * w.width].chunks_exact(w.width).enumerate() {
            let at = (y + w.pad_top) * g.wp + w.pad_left;
            xp[at..at + w.width].copy_from_slice(row);
        }
    }
    (xp, &mut wide[..w.out_h * g.wp])
}

/// `y = W im2col(x) (+ bias)` for one item and one output channel: `weight`
/// is `[patch_len]`, `y` is `[out_h * out_w]`.
pub fn forward<E: Element>(x: &[E], weight: &[E], bias: Option<E>, w: &Window2d, g: &Grid, scratch: &mut [E], y: &mut [E]) {
    let (xp, wide) = pad(x, w, g, scratch);
    weighted_sum(w.patch_len(), |r| weight[r], |r| g.row(xp, w.out_h, r), wide);
    for (y, wide) in y.chunks_exact_mut(w.out_w).zip(wide.chunks_exact(g.wp)) {
        match bias {
            Some(b) => y.iter_mut().zip(wide).for_each(|(y, &v)| *y = v + b),
            None => y.copy_from_slice(&wide[..w.out_w]),
        }
    }
}

/// `dW = g im2col(x)^T` for one item and one output channel: `g` is
/// `[out_h * out_w]`, `dw` is `[patch_len]`.
pub fn weight_grad<E: Element>(x: &[E], g_: &[E], w: &Window2d, g: &Grid, scratch: &mut [E], dw: &mut [E]) {
    let (xp, wide) = pad(x, w, g, scratch);
    // The extra columns of `wide` stay zero (the scratch started zeroed).
    for (wide, g) in wide.chunks_exact_mut(g.wp).zip(g_.chunks_exact(w.out_w)) {
        wide[..w.out_w].copy_from_slice(g);
    }
    dots(wide, |r| g.row(xp, w.out_h, r), dw);
}
