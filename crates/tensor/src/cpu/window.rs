//! Sliding-window kernels on the CPU: im2col, its adjoint col2im, and max
//! pooling with its backward. Each batch item (or channel plane) is independent
//! and handled by one thread, so the sums in col2im keep a fixed order.

use super::buffer::Buffer;
use super::parallel::for_each_row;
use crate::element::Element;
use crate::window::Window2d;

pub fn im2col<E: Element>(x: &[E], w: &Window2d) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut cols = Buffer::zeroed(w.batch * plen * olen);
    for_each_row(&mut cols, plen * olen, |n, cols| {
        let x = &x[n * in_len..(n + 1) * in_len];
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
                        let src = &x[(c * w.height + y) * w.width..(c * w.height + y + 1) * w.width];
                        let dst = &mut cols[row + oy * w.out_w + lo..row + oy * w.out_w + hi];
                        let first = lo * w.stride + j - w.pad_left;
                        if w.stride == 1 {
                            dst.copy_from_slice(&src[first..first + dst.len()]);
                        } else {
                            for (k, d) in dst.iter_mut().enumerate() {
                                *d = src[first + k * w.stride];
                            }
                        }
                    }
                }
            }
        }
    });
    cols
}

pub fn col2im<E: Element>(cols: &[E], w: &Window2d) -> Buffer<E> {
    let (plen, olen) = (w.patch_len(), w.out_len());
    let in_len = w.channels * w.height * w.width;
    let mut x = Buffer::zeroed(w.batch * in_len);
    for_each_row(&mut x, in_len, |n, x| {
        let cols = &cols[n * plen * olen..(n + 1) * plen * olen];
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
    });
    x
}

/// Max over each window, and the flat input index of the (first) maximum.
pub fn max_pool2d<E: Element>(x: &[E], w: &Window2d) -> (Buffer<E>, Vec<u32>) {
    let plane_in = w.height * w.width;
    let plane_out = w.out_len();
    let planes = w.batch * w.channels;
    let mut out = Buffer::zeroed(planes * plane_out);
    let mut idx = vec![0u32; planes * plane_out];
    // Pair each output value with its index so one parallel loop writes both.
    let mut pairs: Vec<(E, u32)> = vec![(E::ZERO, 0); planes * plane_out];
    for_each_row(&mut pairs, plane_out, |p, o| {
        let base = p * plane_in;
        for oy in 0..w.out_h {
            for ox in 0..w.out_w {
                let mut best = (E::NEG_INFINITY, u32::MAX);
                for i in 0..w.kernel_h {
                    let Some(y) = w.in_y(oy, i) else { continue };
                    for j in 0..w.kernel_w {
                        let Some(xx) = w.in_x(ox, j) else { continue };
                        let at = base + y * w.width + xx;
                        // Strict `>` keeps the first maximum; the first real
                        // element always replaces the -inf start.
                        if x[at] > best.0 || best.1 == u32::MAX {
                            best = (x[at], at as u32);
                        }
                    }
                }
                o[oy * w.out_w + ox] = best;
            }
        }
    });
    for ((o, i), (v, at)) in out.iter_mut().zip(idx.iter_mut()).zip(pairs) {
        *o = v;
        *i = at;
    }
    (out, idx)
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
