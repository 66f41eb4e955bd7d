//! Naive reference implementations of every `recon-tensor` CPU op, written as
//! plain nested loops over indices on `f64` (never by calling the crate), plus
//! the comparison and random-data helpers the reference tests share.
//!
//! Tensors here are a flat row-major `Vec<f64>` and a shape `Vec<usize>`.
// Index loops are the point here: they spell out the definitions.
#![allow(dead_code, clippy::needless_range_loop, clippy::manual_div_ceil)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recon_tensor::{Binary, Unary};

// ---- indices ----------------------------------------------------------------

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The multi-index of flat position `i` in a row-major `shape`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for ax in (0..shape.len()).rev() {
        idx[ax] = i % shape[ax];
        i /= shape[ax];
    }
    idx
}

/// The flat row-major position of multi-index `idx` in `shape`.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    let mut i = 0;
    for ax in 0..shape.len() {
        assert!(idx[ax] < shape[ax]);
        i = i * shape[ax] + idx[ax];
    }
    i
}

/// Flat position in an operand of `shape` read at output index `out_idx`
/// under numpy broadcasting (right-aligned; axes of size 1 read index 0).
pub fn broadcast_index(out_idx: &[usize], shape: &[usize]) -> usize {
    let lead = out_idx.len() - shape.len();
    let idx: Vec<usize> = (0..shape.len()).map(|k| if shape[k] == 1 { 0 } else { out_idx[lead + k] }).collect();
    ravel(&idx, shape)
}

/// numpy's broadcast result shape, or `None` when the shapes do not fit.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = Vec::with_capacity(r);
    for i in 0..r {
        let da = if i + a.len() >= r { a[i + a.len() - r] } else { 1 };
        let db = if i + b.len() >= r { b[i + b.len() - r] } else { 1 };
        out.push(if da == db {
            da
        } else if da == 1 {
            db
        } else if db == 1 {
            da
        } else {
            return None;
        });
    }
    Some(out)
}

// ---- elementwise -----------------------------------------------------------------

/// The textbook definition of each unary op.
pub fn unary(op: Unary, x: f64) -> f64 {
    match op {
        Unary::Neg => -x,
        Unary::Exp => x.exp(),
        Unary::Log => x.ln(),
        Unary::Sqrt => x.sqrt(),
        Unary::Square => x * x,
        Unary::Abs => x.abs(),
        Unary::Recip => 1.0 / x,
        Unary::Relu => {
            if x > 0.0 {
                x
            } else {
                0.0
            }
        }
        Unary::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Unary::Tanh => x.tanh(),
        Unary::Softplus => x.exp().ln_1p(),
        Unary::Step => {
            if x > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Unary::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Unary::AddScalar(c) => x + c,
        Unary::MulScalar(c) => c * x,
        Unary::Powf(p) => x.powf(p),
        Unary::Clamp(lo, hi) => {
            if x < lo {
                lo
            } else if x > hi {
                hi
            } else {
                x
            }
        }
        Unary::InRange(lo, hi) => {
            if lo <= x && x <= hi {
                1.0
            } else {
                0.0
            }
        }
    }
}

pub fn binary_scalar(op: Binary, a: f64, b: f64) -> f64 {
    match op {
        Binary::Add => a + b,
        Binary::Sub => a - b,
        Binary::Mul => a * b,
        Binary::Div => a / b,
        Binary::Max => {
            if a >= b {
                a
            } else {
                b
            }
        }
        Binary::Min => {
            if a <= b {
                a
            } else {
                b
            }
        }
        Binary::Eq => {
            if a == b {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// `op(a, b)` with numpy broadcasting: one loop over output positions.
pub fn binary(op: Binary, a: &[f64], a_shape: &[usize], b: &[f64], b_shape: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let out_shape = broadcast_shape(a_shape, b_shape).expect("shapes broadcast");
    let out = (0..numel(&out_shape))
        .map(|o| {
            let idx = unravel(o, &out_shape);
            binary_scalar(op, a[broadcast_index(&idx, a_shape)], b[broadcast_index(&idx, b_shape)])
        })
        .collect();
    (out, out_shape)
}

// ---- reductions --------------------------------------------------------------------

/// Sum (`max == false`) or max along `axis`; also returns, per output, the sum
/// of absolute values that went into it (the scale of its rounding error).
pub fn reduce_axis(x: &[f64], shape: &[usize], axis: usize, max: bool, keepdim: bool) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let mut kept = shape.to_vec();
    kept[axis] = 1;
    let mut out = vec![if max { f64::NEG_INFINITY } else { 0.0 }; numel(&kept)];
    let mut scale = vec![0.0; numel(&kept)];
    for i in 0..x.len() {
        let mut idx = unravel(i, shape);
        idx[axis] = 0;
        let o = ravel(&idx, &kept);
        out[o] = if max { out[o].max(x[i]) } else { out[o] + x[i] };
        scale[o] += x[i].abs();
    }
    let mut out_shape = kept;
    if !keepdim {
        out_shape.remove(axis);
    }
    (out, out_shape, scale)
}

/// Softmax of each row of the last axis, by the definition (shifted by the row max).
pub fn softmax_rows(x: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for r in 0..x.len() / cols {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for c in 0..cols {
            s += (row[c] - m).exp();
        }
        for c in 0..cols {
            out[r * cols + c] = (row[c] - m).exp() / s;
        }
    }
    out
}

pub fn log_softmax_rows(x: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for r in 0..x.len() / cols {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut s = 0.0;
        for c in 0..cols {
            s += (row[c] - m).exp();
        }
        for c in 0..cols {
            out[r * cols + c] = row[c] - m - s.ln();
        }
    }
    out
}

// ---- matrix product ----------------------------------------------------------------

/// `op(A) op(B)` for stored shapes `[m, k]`/`[k, m]` (or with a leading batch
/// axis) and `[k, n]`/`[n, k]`, a 2-D side shared by the batch. Returns the
/// product, its shape and, per element, `sum |a||b|` (the rounding scale).
pub fn matmul(a: &[f64], a_shape: &[usize], b: &[f64], b_shape: &[usize], ta: bool, tb: bool) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let a3 = a_shape.len() == 3;
    let b3 = b_shape.len() == 3;
    let am = &a_shape[a_shape.len() - 2..];
    let bm = &b_shape[b_shape.len() - 2..];
    let batch = if a3 {
        a_shape[0]
    } else if b3 {
        b_shape[0]
    } else {
        1
    };
    let (m, k) = if ta { (am[1], am[0]) } else { (am[0], am[1]) };
    let (k2, n) = if tb { (bm[1], bm[0]) } else { (bm[0], bm[1]) };
    assert_eq!(k, k2);
    let mut out = vec![0.0; batch * m * n];
    let mut scale = vec![0.0; batch * m * n];
    for bi in 0..batch {
        let ao = if a3 { bi * m * k } else { 0 };
        let bo = if b3 { bi * k * n } else { 0 };
        for i in 0..m {
            for j in 0..n {
                let (mut s, mut sc) = (0.0, 0.0);
                for p in 0..k {
                    let av = a[ao + if ta { p * m + i } else { i * k + p }];
                    let bv = b[bo + if tb { j * k + p } else { p * n + j }];
                    s += av * bv;
                    sc += (av * bv).abs();
                }
                out[(bi * m + i) * n + j] = s;
                scale[(bi * m + i) * n + j] = sc;
            }
        }
    }
    let shape = if a3 || b3 { vec![batch, m, n] } else { vec![m, n] };
    (out, shape, scale)
}

// ---- layout -------------------------------------------------------------------------

/// Output axis `i` is input axis `axes[i]`.
pub fn permute(x: &[f64], shape: &[usize], axes: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let mut out = vec![0.0; x.len()];
    for o in 0..out.len() {
        let oi = unravel(o, &out_shape);
        let mut ii = vec![0; shape.len()];
        for (i, &a) in axes.iter().enumerate() {
            ii[a] = oi[i];
        }
        out[o] = x[ravel(&ii, shape)];
    }
    (out, out_shape)
}

pub fn broadcast_to(x: &[f64], from: &[usize], to: &[usize]) -> Vec<f64> {
    (0..numel(to)).map(|o| x[broadcast_index(&unravel(o, to), from)]).collect()
}

/// The adjoint of `broadcast_to`: each element of `x` (shape `big`) is added to
/// the element of `small` it would have been broadcast from.
pub fn sum_to_shape(x: &[f64], big: &[usize], small: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let mut out = vec![0.0; numel(small)];
    let mut scale = vec![0.0; numel(small)];
    for (i, &v) in x.iter().enumerate() {
        let s = broadcast_index(&unravel(i, big), small);
        out[s] += v;
        scale[s] += v.abs();
    }
    (out, scale)
}

pub fn gather_rows(x: &[f64], shape: &[usize], rows: &[usize]) -> Vec<f64> {
    let row_len = numel(&shape[1..]);
    let mut out = Vec::new();
    for &r in rows {
        for j in 0..row_len {
            out.push(x[r * row_len + j]);
        }
    }
    out
}

// ---- sliding windows ----------------------------------------------------------------

/// Output size and leading padding of one axis of a forward window, by Keras'
/// rules: valid `(len - k) / s + 1` and no padding; same `ceil(len / s)` with
/// the total padding `(out - 1) * s + k - len` split, the odd one at the end.
pub fn forward_axis(len: usize, k: usize, s: usize, same: bool) -> (usize, usize) {
    if same {
        let out = (len + s - 1) / s;
        let total = ((out - 1) * s + k) as i64 - len as i64;
        (out, (total.max(0) / 2) as usize)
    } else {
        ((len - k) / s + 1, 0)
    }
}

/// Output size and leading crop of one axis of a transposed convolution
/// (Keras' `Conv2DTranspose`): valid `(len - 1) * s + k`, same `len * s`.
pub fn transposed_axis(len: usize, k: usize, s: usize, same: bool) -> (usize, usize) {
    let full = (len - 1) * s + k;
    if same {
        let out = len * s;
        (out, full.saturating_sub(out) / 2)
    } else {
        (full, 0)
    }
}

/// Geometry of a forward window in plain numbers.
#[derive(Debug, Clone, Copy)]
pub struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub s: usize,
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    pub fn forward(x_shape: &[usize], kh: usize, kw: usize, s: usize, same: bool) -> Geom {
        let (oh, pt) = forward_axis(x_shape[2], kh, s, same);
        let (ow, pl) = forward_axis(x_shape[3], kw, s, same);
        Geom { n: x_shape[0], c: x_shape[1], h: x_shape[2], w: x_shape[3], kh, kw, s, pt, pl, oh, ow }
    }
    /// Input row read by output row `oy` at kernel row `i`, if not padding.
    pub fn iy(&self, oy: usize, i: usize) -> Option<usize> {
        let y = (oy * self.s + i) as i64 - self.pt as i64;
        (y >= 0 && (y as usize) < self.h).then_some(y as usize)
    }
    pub fn ix(&self, ox: usize, j: usize) -> Option<usize> {
        let x = (ox * self.s + j) as i64 - self.pl as i64;
        (x >= 0 && (x as usize) < self.w).then_some(x as usize)
    }
    pub fn patch_len(&self) -> usize {
        self.c * self.kh * self.kw
    }
    pub fn out_len(&self) -> usize {
        self.oh * self.ow
    }
}

/// `cols[n][(c * kh + i) * kw + j][oy * ow + ox] = x[n][c][iy][ix]`, zero in the padding.
pub fn im2col(x: &[f64], g: &Geom) -> Vec<f64> {
    let (pl, ol) = (g.patch_len(), g.out_len());
    let mut cols = vec![0.0; g.n * pl * ol];
    for n in 0..g.n {
        for c in 0..g.c {
            for i in 0..g.kh {
                for j in 0..g.kw {
                    for oy in 0..g.oh {
                        for ox in 0..g.ow {
                            if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                let row = (c * g.kh + i) * g.kw + j;
                                cols[(n * pl + row) * ol + oy * g.ow + ox] = x[((n * g.c + c) * g.h + y) * g.w + xx];
                            }
                        }
                    }
                }
            }
        }
    }
    cols
}

/// Every column entry added back to the input position it was read from.
pub fn col2im(cols: &[f64], g: &Geom) -> Vec<f64> {
    let (pl, ol) = (g.patch_len(), g.out_len());
    let mut x = vec![0.0; g.n * g.c * g.h * g.w];
    for n in 0..g.n {
        for c in 0..g.c {
            for i in 0..g.kh {
                for j in 0..g.kw {
                    for oy in 0..g.oh {
                        for ox in 0..g.ow {
                            if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                let row = (c * g.kh + i) * g.kw + j;
                                x[((n * g.c + c) * g.h + y) * g.w + xx] += cols[(n * pl + row) * ol + oy * g.ow + ox];
                            }
                        }
                    }
                }
            }
        }
    }
    x
}

/// Direct convolution (cross-correlation): seven nested loops. Returns the
/// output, its shape and per-element `sum |w x|`.
pub fn conv2d(x: &[f64], x_shape: &[usize], w: &[f64], w_shape: &[usize], s: usize, same: bool) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let g = Geom::forward(x_shape, w_shape[2], w_shape[3], s, same);
    let o_ch = w_shape[0];
    let shape = vec![g.n, o_ch, g.oh, g.ow];
    let mut out = vec![0.0; numel(&shape)];
    let mut scale = vec![0.0; numel(&shape)];
    for n in 0..g.n {
        for o in 0..o_ch {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let (mut acc, mut sc) = (0.0, 0.0);
                    for c in 0..g.c {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                    let t = w[((o * g.c + c) * g.kh + i) * g.kw + j] * x[((n * g.c + c) * g.h + y) * g.w + xx];
                                    acc += t;
                                    sc += t.abs();
                                }
                            }
                        }
                    }
                    out[((n * o_ch + o) * g.oh + oy) * g.ow + ox] = acc;
                    scale[((n * o_ch + o) * g.oh + oy) * g.ow + ox] = sc;
                }
            }
        }
    }
    (out, shape, scale)
}

/// The input gradient of `conv2d`, by scattering: every output gradient
/// `g[n, o, oy, ox]` adds `g * w[o, c, i, j]` to the input pixel that window
/// position read. Returns `dx` (shape `x_shape`) and per-element `sum |w g|`.
pub fn conv2d_backward_input(g_: &[f64], w: &[f64], w_shape: &[usize], x_shape: &[usize], s: usize, same: bool) -> (Vec<f64>, Vec<f64>) {
    let g = Geom::forward(x_shape, w_shape[2], w_shape[3], s, same);
    let o_ch = w_shape[0];
    let mut dx = vec![0.0; numel(x_shape)];
    let mut scale = vec![0.0; numel(x_shape)];
    for n in 0..g.n {
        for o in 0..o_ch {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let go = g_[((n * o_ch + o) * g.oh + oy) * g.ow + ox];
                    for c in 0..g.c {
                        for i in 0..g.kh {
                            for j in 0..g.kw {
                                if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                    let t = w[((o * g.c + c) * g.kh + i) * g.kw + j] * go;
                                    dx[((n * g.c + c) * g.h + y) * g.w + xx] += t;
                                    scale[((n * g.c + c) * g.h + y) * g.w + xx] += t.abs();
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (dx, scale)
}

/// The weight gradient of `conv2d`: `dw[o, c, i, j] = sum_{n, oy, ox} g[n, o, oy, ox] x[n, c, iy, ix]`.
/// Returns `dw` (shape `w_shape`) and per-element `sum |g x|`.
pub fn conv2d_backward_weight(x: &[f64], x_shape: &[usize], g_: &[f64], w_shape: &[usize], s: usize, same: bool) -> (Vec<f64>, Vec<f64>) {
    let g = Geom::forward(x_shape, w_shape[2], w_shape[3], s, same);
    let o_ch = w_shape[0];
    let mut dw = vec![0.0; numel(w_shape)];
    let mut scale = vec![0.0; numel(w_shape)];
    for o in 0..o_ch {
        for c in 0..g.c {
            for i in 0..g.kh {
                for j in 0..g.kw {
                    let at = ((o * g.c + c) * g.kh + i) * g.kw + j;
                    for n in 0..g.n {
                        for oy in 0..g.oh {
                            for ox in 0..g.ow {
                                if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                    let t = g_[((n * o_ch + o) * g.oh + oy) * g.ow + ox] * x[((n * g.c + c) * g.h + y) * g.w + xx];
                                    dw[at] += t;
                                    scale[at] += t.abs();
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (dw, scale)
}

/// Transposed convolution by scattering: every input pixel `x[n, c, y, x]`
/// adds `x * w[c, o, i, j]` to `out[n, o, y*s + i - pad_top, x*s + j - pad_left]`
/// (dropped outside the output). Weight `[c, o, kh, kw]`.
pub fn conv_transpose2d(
    x: &[f64],
    x_shape: &[usize],
    w: &[f64],
    w_shape: &[usize],
    s: usize,
    same: bool,
) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
    let (n_, c_, h, wd) = (x_shape[0], x_shape[1], x_shape[2], x_shape[3]);
    let (o_ch, kh, kw) = (w_shape[1], w_shape[2], w_shape[3]);
    let (oh, pt) = transposed_axis(h, kh, s, same);
    let (ow, pl) = transposed_axis(wd, kw, s, same);
    let shape = vec![n_, o_ch, oh, ow];
    let mut out = vec![0.0; numel(&shape)];
    let mut scale = vec![0.0; numel(&shape)];
    for n in 0..n_ {
        for c in 0..c_ {
            for y in 0..h {
                for xx in 0..wd {
                    let v = x[((n * c_ + c) * h + y) * wd + xx];
                    for o in 0..o_ch {
                        for i in 0..kh {
                            for j in 0..kw {
                                let oy = (y * s + i) as i64 - pt as i64;
                                let ox = (xx * s + j) as i64 - pl as i64;
                                if oy < 0 || ox < 0 || oy as usize >= oh || ox as usize >= ow {
                                    continue;
                                }
                                let t = v * w[((c * o_ch + o) * kh + i) * kw + j];
                                let at = ((n * o_ch + o) * oh + oy as usize) * ow + ox as usize;
                                out[at] += t;
                                scale[at] += t.abs();
                            }
                        }
                    }
                }
            }
        }
    }
    (out, shape, scale)
}

/// Max over each window (padding never counts) and the flat input position
/// of the first maximum in (i, j) scan order.
pub fn max_pool2d(x: &[f64], g: &Geom) -> (Vec<f64>, Vec<usize>) {
    let mut out = Vec::new();
    let mut arg = Vec::new();
    for n in 0..g.n {
        for c in 0..g.c {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let mut best: Option<(f64, usize)> = None;
                    for i in 0..g.kh {
                        for j in 0..g.kw {
                            if let (Some(y), Some(xx)) = (g.iy(oy, i), g.ix(ox, j)) {
                                let at = ((n * g.c + c) * g.h + y) * g.w + xx;
                                if best.is_none_or(|(b, _)| x[at] > b) {
                                    best = Some((x[at], at));
                                }
                            }
                        }
                    }
                    let (v, at) = best.expect("every window holds a real element");
                    out.push(v);
                    arg.push(at);
                }
            }
        }
    }
    (out, arg)
}

/// `dx[argmax[o]] += dy[o]`.
pub fn max_pool2d_backward(dy: &[f64], argmax: &[usize], input_len: usize) -> Vec<f64> {
    let mut dx = vec![0.0; input_len];
    for (o, &a) in argmax.iter().enumerate() {
        dx[a] += dy[o];
    }
    dx
}

pub fn upsample_nearest2d(x: &[f64], shape: &[usize], f: usize) -> (Vec<f64>, Vec<usize>) {
    let (n_, c_, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    let out_shape = vec![n_, c_, h * f, w * f];
    let mut out = vec![0.0; numel(&out_shape)];
    for n in 0..n_ {
        for c in 0..c_ {
            for y in 0..h * f {
                for xx in 0..w * f {
                    out[((n * c_ + c) * h * f + y) * w * f + xx] = x[((n * c_ + c) * h + y / f) * w + xx / f];
                }
            }
        }
    }
    (out, out_shape)
}

/// The adjoint of upsampling: `dx[n, c, y, x]` is the sum of `g` over the
/// `f x f` block that pixel was copied to. `shape` is the small (input) shape.
pub fn upsample_nearest2d_backward(g: &[f64], shape: &[usize], f: usize) -> Vec<f64> {
    let (n_, c_, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    let mut dx = vec![0.0; numel(shape)];
    for n in 0..n_ {
        for c in 0..c_ {
            for y in 0..h * f {
                for xx in 0..w * f {
                    dx[((n * c_ + c) * h + y / f) * w + xx / f] += g[((n * c_ + c) * h * f + y) * w * f + xx];
                }
            }
        }
    }
    dx
}

// ---- data and comparisons ------------------------------------------------------------

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `len` values uniform in `[lo, hi)`.
pub fn uniform(rng: &mut StdRng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len).map(|_| lo + (hi - lo) * rng.random::<f64>()).collect()
}

/// `len` values drawn from a small set, so that ties and equal pairs are common.
pub fn discrete(rng: &mut StdRng, len: usize) -> Vec<f64> {
    const SET: [f64; 7] = [-1.5, -1.0, -0.5, 0.25, 0.5, 1.0, 2.0];
    (0..len).map(|_| SET[rng.random_range(0..SET.len())]).collect()
}

/// `len` values with magnitude in `[lo, hi)` and a random sign.
pub fn signed_magnitudes(rng: &mut StdRng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len)
        .map(|_| {
            let m = lo + (hi - lo) * rng.random::<f64>();
            if rng.random::<bool>() {
                m
            } else {
                -m
            }
        })
        .collect()
}

/// Rounds each value to f32 (the inputs of an f32 test, seen in f64).
pub fn round_f32(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| v as f32 as f64).collect()
}

/// Bit-for-bit equality (NaNs with the same bits match).
#[track_caller]
pub fn assert_exact(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(g == w || g.to_bits() == w.to_bits(), "{what}: element {i}: got {g:e}, want {w:e}");
    }
}

/// `|got - want| <= tol * max(|want|, 1)`: relative for large values, absolute
/// for values below one.
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}: element {i}: got {g:e}, want {w:e}");
    }
}

/// `|got - want| <= tol * max(scale, 1)` for sums whose terms add up to `scale`
/// in absolute value (the bound on their rounding error, whatever the order).
#[track_caller]
pub fn assert_close_scaled(got: &[f64], want: &[f64], scale: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, ((&g, &w), &s)) in got.iter().zip(want).zip(scale).enumerate() {
        assert!((g - w).abs() <= tol * s.max(1.0), "{what}: element {i}: got {g:e}, want {w:e} (scale {s:e})");
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn abs_dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}
