//! Matrix products on the CPU through `matrixmultiply` (packed, SIMD
//! micro-kernels; sgemm/dgemm). Transposed operands cost nothing: a transpose
//! is just swapped row and column strides.
//!
//! Threads: batch items run in parallel; a single large product is split into
//! blocks of `ROW_BLOCK` output rows. Every output element is still computed by
//! the same micro-kernel with the same k order, so results do not depend on
//! the thread count.

use rayon::prelude::*;

use super::buffer::Buffer;
use crate::backend::Matmul;
use crate::element::Element;

/// Below this many multiply-adds a product runs on the calling thread.
pub(super) const PAR_MIN_FLOPS: usize = 1 << 20;
/// Output rows per parallel block of one large product.
const ROW_BLOCK: usize = 64;

/// Row and column strides of a stored `rows x cols` matrix, read transposed or not.
fn strides(trans: bool, stored_cols: usize) -> (isize, isize) {
    if trans {
        (1, stored_cols as isize)
    } else {
        (stored_cols as isize, 1)
    }
}

/// `c (m x n) = op(a) op(b)` for one batch item; `a`, `b` start at the item.
fn gemm_one<E: Element>(spec: &Matmul, a: &[E], b: &[E], c: &mut [E]) {
    let Matmul { m, k, n, trans_a, trans_b, .. } = *spec;
    let (rsa, csa) = strides(trans_a, if trans_a { m } else { k });
    let (rsb, csb) = strides(trans_b, if trans_b { k } else { n });
    if m * k * n < PAR_MIN_FLOPS || m <= ROW_BLOCK {
        // SAFETY: `a` holds m*k, `b` k*n and `c` m*n elements laid out with
        // these strides (checked by `Tensor::matmul_t` and `matmul` below), and
        // `c` is a fresh buffer that aliases neither input.
        unsafe { E::gemm(m, k, n, E::ONE, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, E::ZERO, c.as_mut_ptr(), n as isize, 1) };
        return;
    }
    c.par_chunks_mut(ROW_BLOCK * n).enumerate().for_each(|(blk, c)| {
        let rows = c.len() / n;
        let a0 = blk * ROW_BLOCK * rsa as usize;
        // SAFETY: as above, for rows [blk * ROW_BLOCK, + rows) of op(a) and c;
        // row r of op(a) starts at offset r * rsa.
        unsafe { E::gemm(rows, k, n, E::ONE, a[a0..].as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, E::ZERO, c.as_mut_ptr(), n as isize, 1) };
    });
}

pub fn matmul<E: Element>(a: &[E], b: &[E], spec: &Matmul) -> Buffer<E> {
    let (m, n) = (spec.m, spec.n);
    // With beta = 0, gemm never reads C, so its stale contents do not matter;
    // but an empty inner dimension (k = 0) writes nothing, so zero then.
    let mut c = if spec.k == 0 { Buffer::zeroed(spec.batch * m * n) } else { Buffer::for_overwrite(spec.batch * m * n) };
    if m * n == 0 {
        return c;
    }
    let item = |(i, c): (usize, &mut [E])| {
        let a = &a[i * spec.a_batch_stride..];
        let b = &b[i * spec.b_batch_stride..];
        gemm_one(spec, a, b, c);
    };
    if spec.batch > 1 && spec.batch * m * spec.k * n >= PAR_MIN_FLOPS {
        c.par_chunks_mut(m * n).enumerate().for_each(item);
    } else {
        c.chunks_mut(m * n).enumerate().for_each(item);
    }
    c
}
