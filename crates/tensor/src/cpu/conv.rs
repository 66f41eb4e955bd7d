//! Convolution on the CPU, fused per batch item: the three `Backend`
//! convolution primitives (forward, input gradient, weight gradient).
//!
//! The composed versions (the trait's defaults) materialise the im2col matrix
//! of the whole batch: for the last layer of the conv autoencoder (16 channels
//! of 28 x 28, 3 x 3 kernel, batch 32) that is 32 x 144 x 784 floats, 14 MB
//! written and read back by the GEMM, and the backward pass wrote and read
//! another matrix that size for `col2im`. Here each batch item goes from input
//! to output while its columns are in cache: im2col into a scratch buffer the
//! worker keeps for all its items, one GEMM, the bias added in the same pass.
//! Items run in parallel; every output element is computed by the same code
//! whatever the thread count, so the results are bit-identical.
//!
//! The input gradient of a stride-1 convolution is itself a stride-1
//! convolution, of `g` with the kernel flipped and its channel axes swapped
//! (a "full" correlation). From `y[o, p, q] = sum_{c,i,j} W[o,c,i,j] x[c, p+i-pt, q+j-pl]`:
//! `dx[c, y, x] = sum_{o,i,j} W[o,c,i,j] g[o, y-i+pt, x-j+pl]`
//! `            = sum_{o,i',j'} W[o,c,kh-1-i',kw-1-j'] g[o, y+i'-(kh-1-pt), x+j'-(kw-1-pl)]`,
//! with `i' = kh-1-i`: a convolution with padding `kh-1-pt` (top) and
//! `kw-1-pl` (left). So it reuses the forward kernel, and the scatter-add of
//! `col2im` disappears. Other strides compute `W^T g_n` and fold it with
//! `col2im`, still per item in cache.
//!
//! A stride-1 convolution needs no im2col matrix at all. With the output no
//! wider than the input (`same` and `valid` padding) it reads the input in
//! place (`direct.rs`, AVX-512); otherwise (a wider output: the input
//! gradient of a `valid` convolution) it reads zero-padded copies of the
//! input planes (`padded.rs`: on the AVX-512 path for any number of output
//! channels, elsewhere for one).
//! The remaining products take `small_gemm`'s AVX-512 path when `B`'s rows
//! are contiguous (it reads them in place; `matrixmultiply` packs them
//! first, which at batch 1 cost as much as the arithmetic), and any product
//! with one output row skips matrixmultiply for `rows.rs`.

use rayon::prelude::*;

use super::buffer::Buffer;
use super::direct;
use super::matmul::{SmallPath, PAR_MIN_FLOPS};
use super::padded::{self, Grid};
use super::reduce::reduce;
use super::rows::{dots, weighted_sum};
use super::small_gemm::{self, Strided};
use super::window::{col2im_item, im2col_item};
use crate::backend::Reduce;
use crate::element::Element;
use crate::window::Window2d;

/// A matrix operand read in place: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
struct Mat<'a, E> {
    data: &'a [E],
    rs: usize,
    cs: usize,
}

impl<'a, E> Mat<'a, E> {
    /// A row-major matrix with `cols` columns.
    fn rows(data: &'a [E], cols: usize) -> Self {
        Mat { data, rs: cols, cs: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [E], cols: usize) -> Self {
        Mat { data, rs: 1, cs: cols }
    }
    /// Whether a `rows x cols` matrix read with these strides stays inside `data`.
    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// `c = a b` with `a` `m x k`, `b` `k x n` and `c` row-major `m x n`.
fn gemm<E: Element>(m: usize, k: usize, n: usize, a: Mat<E>, b: Mat<E>, c: &mut [E]) {
    assert!(a.fits(m, k) && b.fits(k, n) && c.len() >= m * n, "gemm operands too small");
    if k == 0 {
        c[..m * n].fill(E::ZERO); // gemm writes nothing when the sum is empty
        return;
    }
    if m == 1 {
        // One output row (a single output channel): matrixmultiply would
        // compute a full 8-row tile and discard 7 rows, after packing `b`.
        let (c, a_at) = (&mut c[..n], |r: usize| a.data[r * a.cs]);
        if b.cs == 1 {
            weighted_sum(k, a_at, |r| &b.data[r * b.rs..r * b.rs + n], c);
        } else if b.rs == 1 && a.cs == 1 {
            dots(&a.data[..k], |j| &b.data[j * b.cs..j * b.cs + k], c);
        } else {
            for (j, c) in c.iter_mut().enumerate() {
                *c = (0..k).fold(E::ZERO, |s, r| s + a_at(r) * b.data[r * b.rs + j * b.cs]);
            }
        }
        return;
    }
    if b.cs == 1 && SmallPath::best::<E>() == SmallPath::Avx512 {
        let (a, b) = (Strided { data: a.data, rs: a.rs, cs: a.cs }, Strided { data: b.data, rs: b.rs, cs: b.cs });
        return small_gemm::gemm_on(SmallPath::Avx512, m, k, n, a, b, c);
    }
    // SAFETY: the assert above keeps every element gemm reads inside `a` and
    // `b` and every element it writes inside `c`; `c` is a `&mut` borrow, so
    // it aliases neither input.
    unsafe {
        E::gemm(
            m,
            k,
            n,
            E::ONE,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            E::ZERO,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    };
}

/// A 1 x 1 window with stride 1 and no padding: the im2col matrix of an item
/// is the item itself, `[c, h * w]`, so there is nothing to copy.
fn is_identity(w: &Window2d) -> bool {
    w.kernel_h == 1 && w.kernel_w == 1 && w.stride == 1 && w.out_h == w.height && w.out_w == w.width
}

/// The im2col matrix of item `x`: `x` itself for an identity window, else
/// `scratch` filled by `im2col_item`.
fn columns<'a, E: Element>(x: &'a [E], w: &Window2d, scratch: &'a mut [E]) -> &'a [E] {
    if is_identity(w) {
        x
    } else {
        im2col_item(x, w, scratch);
        scratch
    }
}

/// Runs `f(scratch, n, out_n)` on each batch item's `item_len`-long slice
/// `out_n` of `out`, in parallel when the job is at least `PAR_MIN_FLOPS`
/// multiply-adds. Items are split into fixed groups, a few per thread, and
/// each group gets one `scratch` buffer for all its items.
fn per_item<E: Element>(
    out: &mut [E],
    item_len: usize,
    scratch_len: usize,
    madds: usize,
    f: impl Fn(&mut [E], usize, &mut [E]) + Sync + Send,
) {
    if item_len == 0 {
        return;
    }
    let batch = out.len() / item_len;
    let group = |g: usize, per: usize, out: &mut [E]| {
        let mut scratch = Buffer::for_overwrite(scratch_len); // each `f` writes what it reads
        for (k, o) in out.chunks_mut(item_len).enumerate() {
            f(&mut scratch, g * per + k, o);
        }
    };
    if batch > 1 && madds >= PAR_MIN_FLOPS {
        // Two groups per thread leave room to balance when a neighbour
        // process takes a core for a while.
        let per = batch.div_ceil(2 * rayon::current_num_threads()).max(1);
        out.par_chunks_mut(per * item_len).enumerate().for_each(|(g, o)| group(g, per, o));
    } else {
        group(0, batch, out);
    }
}

/// Items whose im2col matrix needs a scratch buffer: its length, else 0.
fn scratch_len(w: &Window2d) -> usize {
    if is_identity(w) {
        0
    } else {
        w.patch_len() * w.out_len()
    }
}

/// `y_n = W im2col(x_n) + bias` for every item; `W` is `[oc, patch_len]`.
pub fn conv2d<E: Element>(x: &[E], weight: &[E], bias: Option<&[E]>, w: &Window2d, oc: usize) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut y = Buffer::for_overwrite(w.batch * oc * olen); // gemm writes every element
    if direct::takes::<E>(w) {
        per_item(&mut y, oc * olen, direct::scratch_len(w, oc), w.batch * oc * plen * olen, |scratch, n, y| {
            direct::forward(&x[n * in_len..(n + 1) * in_len], weight, bias, w, oc, scratch, y);
        });
        return y;
    }
    if let Some(grid) = Grid::of(w).filter(|_| Grid::forward_takes::<E>(oc)) {
        per_item(&mut y, oc * olen, grid.scratch_len(w, oc), w.batch * oc * plen * olen, |scratch, n, y| {
            padded::forward(&x[n * in_len..(n + 1) * in_len], weight, bias, w, &grid, oc, scratch, y);
        });
        return y;
    }
    per_item(&mut y, oc * olen, scratch_len(w), w.batch * oc * plen * olen, |scratch, n, y| {
        let cols = columns(&x[n * in_len..(n + 1) * in_len], w, scratch);
        gemm(oc, plen, olen, Mat::rows(weight, plen), Mat::rows(cols, olen), y);
        if let Some(b) = bias {
            for (row, &b) in y.chunks_mut(olen).zip(b) {
                row.iter_mut().for_each(|v| *v += b);
            }
        }
    });
    y
}

/// The window of the "full" correlation that gives the input gradient of the
/// stride-1 convolution `w` (module docs): it runs over `g` (`oc` channels of
/// `out_h x out_w`) and produces `w`'s input size. `None` when `w` has another
/// stride, or padding beyond `kernel - 1` (which a Keras window never has).
fn gradient_window(w: &Window2d, oc: usize) -> Option<Window2d> {
    if w.stride != 1 {
        return None;
    }
    Some(Window2d {
        batch: w.batch,
        channels: oc,
        height: w.out_h,
        width: w.out_w,
        kernel_h: w.kernel_h,
        kernel_w: w.kernel_w,
        stride: 1,
        pad_top: (w.kernel_h - 1).checked_sub(w.pad_top)?,
        pad_left: (w.kernel_w - 1).checked_sub(w.pad_left)?,
        out_h: w.height,
        out_w: w.width,
    })
}

/// `W'[c, o, i, j] = W[o, c, kh-1-i, kw-1-j]`: the kernel of the gradient
/// correlation, `[c, oc * kh * kw]`.
fn flipped_kernel<E: Element>(weight: &[E], w: &Window2d, oc: usize) -> Vec<E> {
    let (kh, kw, c) = (w.kernel_h, w.kernel_w, w.channels);
    let mut out = vec![E::ZERO; weight.len()];
    for o in 0..oc {
        for ci in 0..c {
            for i in 0..kh {
                for j in 0..kw {
                    out[((ci * oc + o) * kh + i) * kw + j] = weight[((o * c + ci) * kh + kh - 1 - i) * kw + kw - 1 - j];
                }
            }
        }
    }
    out
}

/// `dx_n = col2im(W^T g_n)`. A stride-1 window takes the flipped-kernel
/// convolution when its im2col matrix (`oc * kh * kw` rows of the input
/// size) is no larger than the `W^T g_n` that col2im would fold
/// (`c * kh * kw` rows of the output size): both paths copy or add each of
/// those entries once, and the same multiply-adds go to the GEMM. Others
/// fold `W^T g_n` with `col2im`, item by item.
pub fn conv2d_backward_input<E: Element>(g: &[E], weight: &[E], w: &Window2d, oc: usize) -> Buffer<E> {
    if let Some(gw) = gradient_window(w, oc).filter(|_| oc * w.height * w.width <= w.channels * w.out_len()) {
        return conv2d(g, &flipped_kernel(weight, w, oc), None, &gw, w.channels);
    }
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut dx = Buffer::zeroed(w.batch * in_len); // col2im_item adds into it
    per_item(&mut dx, in_len, plen * olen, w.batch * oc * plen * olen, |dcols, n, dx| {
        let g = &g[n * oc * olen..(n + 1) * oc * olen];
        gemm(plen, oc, olen, Mat::transposed(weight, plen), Mat::rows(g, olen), dcols);
        col2im_item(dcols, w, dx);
    });
    dx
}

/// `dW = sum_n g_n im2col(x_n)^T`: one product per item (`[oc, patch_len]`),
/// then the items summed in order, so the bits do not depend on threads.
pub fn conv2d_backward_weight<E: Element>(x: &[E], g: &[E], w: &Window2d, oc: usize) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut per_n = Buffer::for_overwrite(w.batch * oc * plen); // gemm writes every element
    if let Some(grid) = Grid::of(w).filter(|_| oc == 1) {
        per_item(&mut per_n, plen, grid.scratch_len(w, 1), w.batch * plen * olen, |scratch, n, dw| {
            padded::weight_grad(&x[n * in_len..(n + 1) * in_len], &g[n * olen..(n + 1) * olen], w, &grid, scratch, dw);
        });
        return if w.batch == 1 { per_n } else { reduce(Reduce::Sum, &per_n, 1, w.batch, plen) };
    }
    per_item(&mut per_n, oc * plen, scratch_len(w), w.batch * oc * plen * olen, |scratch, n, dw| {
        let cols = columns(&x[n * in_len..(n + 1) * in_len], w, scratch);
        let g = &g[n * oc * olen..(n + 1) * oc * olen];
        gemm(oc, olen, plen, Mat::rows(g, olen), Mat::transposed(cols, olen), dw);
    });
    if w.batch == 1 {
        return per_n;
    }
    reduce(Reduce::Sum, &per_n, 1, w.batch, oc * plen)
}
