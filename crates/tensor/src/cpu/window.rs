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
/// Each channel plane is independent: one parallel task per plane writes that
/// plane's outputs and indices.
pub fn max_pool2d<E: Element>(x: &[E], w: &Window2d) -> (Buffer<E>, Vec<u32>) {
    use rayon::prelude::*;
    let plane_in = w.height * w.width;
    let plane_out = w.out_len();
    let planes = w.batch * w.channels;
    let mut out = Buffer::for_overwrite(planes * plane_out);
    let mut idx = vec![0u32; planes * plane_out];
    let plane = |p: usize, out: &mut [E], idx: &mut [u32]| {
        let base = p * plane_in;
        for oy in 0..w.out_h {
            let rows: Vec<usize> = (0..w.kernel_h).filter_map(|i| w.in_y(oy, i)).collect();
            for ox in 0..w.out_w {
                // Strict `>` keeps the first maximum; the first real element
                // always replaces the -inf start (every window overlaps the input).
                let (mut best, mut at) = (E::NEG_INFINITY, usize::MAX);
                for &y in &rows {
                    for j in 0..w.kernel_w {
                        let Some(xx) = w.in_x(ox, j) else { continue };
                        let a = base + y * w.width + xx;
                        if x[a] > best || at == usize::MAX {
                            (best, at) = (x[a], a);
                        }
                    }
                }
                out[oy * w.out_w + ox] = best;
                idx[oy * w.out_w + ox] = at as u32;
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
