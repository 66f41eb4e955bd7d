//! Reductions on the CPU: sum and max along an axis, the sum of everything,
//! and the row softmaxes. Every output element is computed by one thread in a
//! fixed order, and long sums use fixed chunks (`parallel::fold_chunks`), so
//! the bits never depend on the thread count.

use super::buffer::Buffer;
use super::parallel::{fold_chunks, for_each_row, PAR_MIN_ELEMS};
use crate::backend::Reduce;
use crate::element::Element;

/// Sum of a slice with 8 independent accumulators: the compiler turns the
/// lanes into one SIMD register, and 8 partial sums also lose less precision
/// than one running sum.
pub fn lane_sum<E: Element>(x: &[E]) -> E {
    let mut acc = [E::ZERO; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &t in tail {
        s += t;
    }
    s
}

fn lane_max<E: Element>(x: &[E]) -> E {
    x.iter().fold(E::NEG_INFINITY, |m, &v| m.max(v))
}

/// The sum of all elements (deterministic chunked sum).
pub fn sum_all<E: Element>(x: &[E]) -> E {
    fold_chunks(x, E::ZERO, lane_sum, |a, b| a + b)
}

/// `x` viewed as `[outer, len, inner]`, reduced along `len` to `[outer, inner]`.
pub fn reduce<E: Element>(op: Reduce, x: &[E], outer: usize, len: usize, inner: usize) -> Buffer<E> {
    let init = match op {
        Reduce::Sum => E::ZERO,
        Reduce::Max => E::NEG_INFINITY,
    };
    let mut out = Buffer::filled(outer * inner, init);
    if out.is_empty() {
        return out;
    }
    if inner == 1 {
        // Each output is a contiguous run of `len` values.
        let row = |o: usize| -> E {
            let s = &x[o * len..(o + 1) * len];
            match op {
                Reduce::Sum => fold_chunks(s, E::ZERO, lane_sum, |a, b| a + b),
                Reduce::Max => fold_chunks(s, E::NEG_INFINITY, lane_max, |a, b| a.max(b)),
            }
        };
        if outer == 1 || x.len() < PAR_MIN_ELEMS {
            out.iter_mut().enumerate().for_each(|(o, v)| *v = row(o));
        } else {
            for_each_row(&mut out, 1, |o, v| v[0] = row(o));
        }
        return out;
    }
    // Otherwise accumulate whole rows of `inner` values: out[o] += x[o, a, :]
    // for a = 0, 1, ... in order (the inner loop vectorises over `inner`).
    let work = |o: usize, acc: &mut [E]| {
        for a in 0..len {
            let src = &x[(o * len + a) * inner..(o * len + a + 1) * inner];
            match op {
                Reduce::Sum => acc.iter_mut().zip(src).for_each(|(d, &s)| *d += s),
                Reduce::Max => acc.iter_mut().zip(src).for_each(|(d, &s)| *d = d.max(s)),
            }
        }
    };
    if x.len() < PAR_MIN_ELEMS {
        out.chunks_mut(inner).enumerate().for_each(|(o, acc)| work(o, acc));
    } else if outer > 1 {
        for_each_row(&mut out, inner, work);
    } else {
        // One output row, many columns: split the columns, each column's sum
        // still runs over `a` in order.
        use rayon::prelude::*;
        const COLS: usize = 1024;
        out.par_chunks_mut(COLS).enumerate().for_each(|(ci, acc)| {
            for a in 0..len {
                let src = &x[a * inner + ci * COLS..a * inner + ci * COLS + acc.len()];
                match op {
                    Reduce::Sum => acc.iter_mut().zip(src).for_each(|(d, &s)| *d += s),
                    Reduce::Max => acc.iter_mut().zip(src).for_each(|(d, &s)| *d = d.max(s)),
                }
            }
        });
    }
    out
}

/// Row softmax, stable: subtract the row max before exponentiating so that no
/// `e^x` overflows; `softmax(x) = softmax(x - c)` for any constant `c`.
pub fn softmax_rows<E: Element>(x: &[E], rows: usize, cols: usize) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(rows * cols);
    for_each_row(&mut out, cols, |r, o| {
        let row = &x[r * cols..(r + 1) * cols];
        let m = lane_max(row);
        o.iter_mut().zip(row).for_each(|(o, &v)| *o = (v - m).exp());
        let inv = E::ONE / lane_sum(o);
        o.iter_mut().for_each(|v| *v = *v * inv);
    });
    out
}

/// Row log-softmax, stable: `x - m - ln sum e^(x - m)` with `m` the row max.
pub fn log_softmax_rows<E: Element>(x: &[E], rows: usize, cols: usize) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(rows * cols);
    for_each_row(&mut out, cols, |r, o| {
        let row = &x[r * cols..(r + 1) * cols];
        let m = lane_max(row);
        o.iter_mut().zip(row).for_each(|(o, &v)| *o = (v - m).exp());
        // (x - m) - ln s, not x - (m + ln s): adding ln s to a large m would
        // round away the small differences between the logits.
        let ln_s = lane_sum(o).ln();
        o.iter_mut().zip(row).for_each(|(o, &v)| *o = (v - m) - ln_s);
    });
    out
}
