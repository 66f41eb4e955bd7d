//! The geometry of a 2-D sliding window over an NCHW tensor, shared by
//! convolution, transposed convolution and max pooling.
//!
//! A window of `kernel_h x kernel_w` moves with `stride` over an input of
//! `height x width` that is padded with `pad_top` rows above and `pad_left`
//! columns on the left (and as many as needed below and on the right). Output
//! position `(oy, ox)` covers input rows `oy * stride - pad_top + i` for
//! `i in 0..kernel_h`, and columns likewise.

use crate::error::{Result, TensorError};

/// Keras' two padding modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding: `out = (in - k) / stride + 1`.
    Valid,
    /// Pad so that `out = ceil(in / stride)`; when the total padding is odd the
    /// extra row/column goes below/right (TensorFlow's convention).
    Same,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2d {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Output size and leading padding of one spatial axis of a forward window.
fn forward_axis(op: &'static str, len: usize, k: usize, s: usize, p: Padding) -> Result<(usize, usize)> {
    match p {
        Padding::Valid => {
            if len < k {
                return Err(TensorError::invalid(op, format!("input size {len} is smaller than the kernel {k} with 'valid' padding")));
            }
            Ok(((len - k) / s + 1, 0))
        }
        Padding::Same => {
            let out = len.div_ceil(s);
            let total = ((out - 1) * s + k).saturating_sub(len);
            Ok((out, total / 2))
        }
    }
}

fn check(op: &'static str, dims: &[usize], k: (usize, usize), stride: usize) -> Result<()> {
    if dims.contains(&0) || k.0 == 0 || k.1 == 0 || stride == 0 {
        return Err(TensorError::invalid(op, format!("sizes must be positive: input {dims:?}, kernel {k:?}, stride {stride}")));
    }
    Ok(())
}

impl Window2d {
    /// The window of a convolution or pooling over `input` = `[n, c, h, w]`.
    pub fn forward(op: &'static str, input: &[usize], kernel: (usize, usize), stride: usize, padding: Padding) -> Result<Self> {
        if input.len() != 4 {
            return Err(TensorError::invalid(op, format!("expects an NCHW input, got shape {input:?}")));
        }
        check(op, input, kernel, stride)?;
        let (out_h, pad_top) = forward_axis(op, input[2], kernel.0, stride, padding)?;
        let (out_w, pad_left) = forward_axis(op, input[3], kernel.1, stride, padding)?;
        Ok(Window2d {
            batch: input[0],
            channels: input[1],
            height: input[2],
            width: input[3],
            kernel_h: kernel.0,
            kernel_w: kernel.1,
            stride,
            pad_top,
            pad_left,
            out_h,
            out_w,
        })
    }

    /// The window of the convolution whose adjoint is a transposed convolution
    /// from `[n, ?, h, w]` to `out_channels` channels. The transposed output is
    /// this window's *input* (`height x width`); its input is this window's
    /// output (`out_h x out_w` = `h x w`).
    ///
    /// Sizes follow Keras' `Conv2DTranspose`: `valid` gives `(h - 1) * s + k`,
    /// `same` gives `h * s`.
    pub fn transposed(
        op: &'static str,
        input: &[usize],
        out_channels: usize,
        kernel: (usize, usize),
        stride: usize,
        padding: Padding,
    ) -> Result<Self> {
        if input.len() != 4 {
            return Err(TensorError::invalid(op, format!("expects an NCHW input, got shape {input:?}")));
        }
        check(op, input, kernel, stride)?;
        let axis = |len: usize, k: usize| -> (usize, usize) {
            let full = (len - 1) * stride + k;
            match padding {
                Padding::Valid => (full, 0),
                Padding::Same => {
                    let out = len * stride;
                    (out, full.saturating_sub(out) / 2)
                }
            }
        };
        let (height, pad_top) = axis(input[2], kernel.0);
        let (width, pad_left) = axis(input[3], kernel.1);
        Ok(Window2d {
            batch: input[0],
            channels: out_channels,
            height,
            width,
            kernel_h: kernel.0,
            kernel_w: kernel.1,
            stride,
            pad_top,
            pad_left,
            out_h: input[2],
            out_w: input[3],
        })
    }

    /// Rows of the im2col matrix: one per (channel, kernel row, kernel column).
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel_h * self.kernel_w
    }
    /// Columns of the im2col matrix: one per output position.
    pub fn out_len(&self) -> usize {
        self.out_h * self.out_w
    }
    pub fn input_shape(&self) -> [usize; 4] {
        [self.batch, self.channels, self.height, self.width]
    }
    /// Input row read by output row `oy` at kernel row `i`, or `None` in the padding.
    #[inline]
    pub fn in_y(&self, oy: usize, i: usize) -> Option<usize> {
        (oy * self.stride + i).checked_sub(self.pad_top).filter(|&y| y < self.height)
    }
    #[inline]
    pub fn in_x(&self, ox: usize, j: usize) -> Option<usize> {
        (ox * self.stride + j).checked_sub(self.pad_left).filter(|&x| x < self.width)
    }
    /// The output columns `lo..hi` whose kernel column `j` falls inside the
    /// input (not in the padding); for them `in_x(ox, j) = ox * stride + j - pad_left`.
    /// Kernels loop over this range without a bounds test per element.
    #[inline]
    pub fn valid_x(&self, j: usize) -> (usize, usize) {
        valid_range(j, self.pad_left, self.width, self.out_w, self.stride)
    }
    /// The output rows `lo..hi` whose kernel row `i` falls inside the input;
    /// for them `in_y(oy, i) = oy * stride + i - pad_top`.
    #[inline]
    pub fn valid_y(&self, i: usize) -> (usize, usize) {
        valid_range(i, self.pad_top, self.height, self.out_h, self.stride)
    }
}

/// The outputs `lo..hi` along one axis whose kernel offset `k` reads inside
/// an input of `len` with leading padding `pad`: `0 <= o * s + k - pad < len`.
#[inline]
fn valid_range(k: usize, pad: usize, len: usize, out: usize, s: usize) -> (usize, usize) {
    let lo = pad.saturating_sub(k).div_ceil(s);
    // Largest o with o * s + k - pad <= len - 1.
    let hi = match (len - 1 + pad).checked_sub(k) {
        Some(top) => (top / s + 1).min(out),
        None => 0,
    };
    (lo, hi.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_keras_sizes() {
        let w = Window2d::forward("t", &[1, 1, 28, 28], (2, 2), 2, Padding::Same).unwrap();
        assert_eq!((w.out_h, w.pad_top), (14, 0));
        let w = Window2d::forward("t", &[1, 1, 7, 7], (2, 2), 2, Padding::Same).unwrap();
        assert_eq!((w.out_h, w.pad_top), (4, 0));
        let w = Window2d::forward("t", &[1, 1, 28, 28], (3, 3), 1, Padding::Same).unwrap();
        assert_eq!((w.out_h, w.pad_top), (28, 1));
        let w = Window2d::forward("t", &[1, 1, 16, 16], (3, 3), 1, Padding::Valid).unwrap();
        assert_eq!(w.out_h, 14);
    }

    #[test]
    fn transposed_is_the_inverse_size() {
        let t = Window2d::transposed("t", &[2, 8, 7, 7], 4, (3, 3), 2, Padding::Same).unwrap();
        assert_eq!((t.height, t.out_h), (14, 7));
        let back = Window2d::forward("t", &[2, 4, 14, 14], (3, 3), 2, Padding::Same).unwrap();
        assert_eq!(back.out_h, 7);
        let t = Window2d::transposed("t", &[2, 8, 7, 7], 4, (3, 3), 2, Padding::Valid).unwrap();
        assert_eq!(t.height, 15);
    }

    #[test]
    fn valid_x_and_valid_y_are_exactly_the_positions_inside_the_input() {
        for w in 1..9 {
            for k in 1..5 {
                for s in 1..4 {
                    for p in [Padding::Valid, Padding::Same] {
                        let Ok(g) = Window2d::forward("t", &[1, 1, 3, w], (1, k), s, p) else { continue };
                        for j in 0..k {
                            let (lo, hi) = g.valid_x(j);
                            let expect: Vec<usize> = (0..g.out_w).filter(|&ox| g.in_x(ox, j).is_some()).collect();
                            assert_eq!((lo..hi).collect::<Vec<_>>(), expect, "w {w} k {k} s {s} {p:?} j {j}");
                        }
                        // The same for rows, with the roles of the axes swapped.
                        let Ok(g) = Window2d::forward("t", &[1, 1, w, 3], (k, 1), s, p) else { continue };
                        for i in 0..k {
                            let (lo, hi) = g.valid_y(i);
                            let expect: Vec<usize> = (0..g.out_h).filter(|&oy| g.in_y(oy, i).is_some()).collect();
                            assert_eq!((lo..hi).collect::<Vec<_>>(), expect, "h {w} k {k} s {s} {p:?} i {i}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Window2d::forward("t", &[1, 1, 2, 2], (3, 3), 1, Padding::Valid).is_err());
        assert!(Window2d::forward("t", &[1, 1, 4, 4], (3, 3), 0, Padding::Valid).is_err());
        assert!(Window2d::forward("t", &[1, 4, 4], (3, 3), 1, Padding::Valid).is_err());
    }
}
