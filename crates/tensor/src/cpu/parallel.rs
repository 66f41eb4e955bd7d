//! When and how the CPU backend uses threads.
//!
//! Small tensors (a 32 x 12 batch is 384 elements) are processed on the calling
//! thread: waking rayon's pool costs microseconds, far more than the work.
//! Above `PAR_MIN_ELEMS` work is split into fixed `CHUNK`-sized pieces. The
//! chunk boundaries never depend on the number of threads, which is what makes
//! the reductions deterministic: partial sums are formed over the same chunks
//! and combined in the same order whether one thread or sixteen did the work.
//! `benches/` has the sweep that chose the threshold (`cargo run --release -p
//! recon-benches --bin threshold`).

use rayon::prelude::*;

use super::buffer::Buffer;
use crate::element::Element;

/// Below this many elements an operation runs single-threaded.
pub const PAR_MIN_ELEMS: usize = 1 << 15;
/// Elements per parallel work item (64 KiB of f32: fits in L2).
pub const CHUNK: usize = 1 << 14;

/// `out[i] = f(x[i])`, in parallel above the threshold.
pub fn map<E: Element>(x: &[E], f: impl Fn(E) -> E + Sync + Send) -> Buffer<E> {
    map_slices(x, |o, x| o.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v)))
}

/// `kernel(out_part, x_part)` over `x` whole, or over its `CHUNK`s in
/// parallel above the threshold: `map` with the loop left to the caller.
pub fn map_slices<E: Element>(x: &[E], kernel: impl Fn(&mut [E], &[E]) + Sync + Send) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(x.len());
    if x.len() < PAR_MIN_ELEMS {
        kernel(&mut out, x);
    } else {
        out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK)).for_each(|(o, x)| kernel(o, x));
    }
    out
}

/// `out[i] = f(a[i], b[i])` for equal-length slices.
pub fn zip<E: Element>(a: &[E], b: &[E], f: impl Fn(E, E) -> E + Sync + Send) -> Buffer<E> {
    let mut out = Buffer::for_overwrite(a.len());
    let kernel = |(o, (a, b)): (&mut [E], (&[E], &[E]))| {
        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
            *o = f(a, b);
        }
    };
    if a.len() < PAR_MIN_ELEMS {
        kernel((&mut out, (a, b)));
    } else {
        out.par_chunks_mut(CHUNK).zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK))).for_each(kernel);
    }
    out
}

/// Runs `f(i, row)` for every `row_len`-long row of `out`, in parallel when the
/// whole buffer is large. Each row is written by exactly one call.
pub fn for_each_row<E: Send>(out: &mut [E], row_len: usize, f: impl Fn(usize, &mut [E]) + Sync + Send) {
    if row_len == 0 {
        return;
    }
    if out.len() < PAR_MIN_ELEMS {
        out.chunks_mut(row_len).enumerate().for_each(|(i, r)| f(i, r));
    } else {
        out.par_chunks_mut(row_len).enumerate().for_each(|(i, r)| f(i, r));
    }
}

/// Combines `x` chunk by chunk with `fold` (each chunk from `init`), then the
/// chunk results in order with `combine`. The chunking is fixed, so the result
/// is the same bits for any thread count.
pub fn fold_chunks<E: Send + Sync + Copy>(x: &[E], init: E, fold: impl Fn(&[E]) -> E + Sync + Send, combine: impl Fn(E, E) -> E) -> E {
    if x.len() <= CHUNK {
        return combine(init, fold(x));
    }
    let partials: Vec<E> =
        if x.len() < PAR_MIN_ELEMS { x.chunks(CHUNK).map(&fold).collect() } else { x.par_chunks(CHUNK).map(&fold).collect() };
    partials.into_iter().fold(init, combine)
}
