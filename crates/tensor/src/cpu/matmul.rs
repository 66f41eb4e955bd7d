//! Matrix products on the CPU, by one of two kernels chosen by size (see
//! `Kernel`): `matrixmultiply` (sgemm/dgemm: packed operands, SIMD
//! micro-kernels) for large products, `small_gemm` (no packing, no
//! allocation) for small ones. Transposed operands cost nothing: a transpose
//! is just swapped row and column strides.
//!
//! Threads: batch items run in parallel; a single large product is split into
//! blocks of `ROW_BLOCK` output rows (of more rows, each on `small_gemm`,
//! when it is tall and thin: `tall_block`). The blocks and the kernel depend
//! on the sizes only, and every output element is computed by the same
//! micro-kernel with the same k order, so results do not depend on the
//! thread count.

use rayon::prelude::*;

use super::buffer::Buffer;
pub use super::small_gemm::Path as SmallPath;
use super::small_gemm::{self, Strided};
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

/// Products of at most `small_max_flops()` multiply-adds (and `k <=
/// SMALL_MAX_K`) use `small_gemm`, which allocates nothing: this many on a
/// CPU without AVX-512, where the small kernel's portable AVX2 path is up to
/// 2x slower than `matrixmultiply` at these sizes (the price of an
/// allocation-free step). 2^16 takes in every product of the VAE
/// 29-64-12-64-29's step at batch 32 (the largest, 32x29x64, is 59,392).
pub const SMALL_MAX_FLOPS: usize = 1 << 16;
/// The same bound where the CPU has AVX-512. That path is also the faster
/// kernel up to here (`benches/results/small-gemm.md`: 1.04-2.25x
/// `matrixmultiply`'s speed on the dense steps' products, 1.25x at 64^3 =
/// 2^18, about even from 80^3), and this takes in the blocks of 128 rows
/// that batch scoring multiplies (`recon_nn::infer`; the VAE's 128x29x64
/// is 237,568).
pub const SMALL_MAX_FLOPS_AVX512: usize = 1 << 18;

/// The bound in use on this CPU: `SMALL_MAX_FLOPS_AVX512` or `SMALL_MAX_FLOPS`.
pub fn small_max_flops() -> usize {
    if SmallPath::Avx512.available::<f32>() {
        SMALL_MAX_FLOPS_AVX512
    } else {
        SMALL_MAX_FLOPS
    }
}

/// The longest inner dimension sent to `small_gemm` (so a product with a
/// tiny `m x n` but a long `k` goes to the packed kernel).
pub const SMALL_MAX_K: usize = 256;

/// The CPU GEMM kernels, side by side (the benchmark `ops` times both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// 1: `matrixmultiply`: packs both operands into a heap buffer (one
    /// allocation per call), then runs SIMD micro-kernels chosen at run time.
    Packed,
    /// 2: `small_gemm`: reads the operands in place, allocates nothing.
    Small,
}

impl Kernel {
    /// The kernel `matmul` uses for an `m x k` by `k x n` product: a function
    /// of the sizes alone (on a given CPU), so a given product always takes
    /// the same path.
    pub fn for_size(m: usize, k: usize, n: usize) -> Kernel {
        if m * k * n <= small_max_flops() && k <= SMALL_MAX_K {
            Kernel::Small
        } else {
            Kernel::Packed
        }
    }
}

/// `c (m x n) = op(a) op(b)` for one product (`spec.batch` is ignored) by the
/// given kernel; `a` and `b` are read from their start.
pub fn gemm<E: Element>(kernel: Kernel, spec: &Matmul, a: &[E], b: &[E], c: &mut [E]) {
    gemm_with(kernel, SmallPath::best::<E>(), spec, a, b, c);
}

/// `gemm(Kernel::Small, ..)` by a given compiled path of `small_gemm`, for
/// tests and benchmarks. Panics if the CPU cannot take it (`SmallPath::available`).
pub fn gemm_small_on<E: Element>(path: SmallPath, spec: &Matmul, a: &[E], b: &[E], c: &mut [E]) {
    gemm_with(Kernel::Small, path, spec, a, b, c);
}

fn gemm_with<E: Element>(kernel: Kernel, path: SmallPath, spec: &Matmul, a: &[E], b: &[E], c: &mut [E]) {
    let Matmul { m, k, n, .. } = *spec;
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm: operands shorter than {m}x{k}x{n}");
    let (rsa, csa) = strides(spec.trans_a, if spec.trans_a { m } else { k });
    let (rsb, csb) = strides(spec.trans_b, if spec.trans_b { k } else { n });
    if k == 0 {
        // An empty sum; `matrixmultiply` would leave `c` as it is.
        c[..m * n].fill(E::ZERO);
        return;
    }
    match kernel {
        Kernel::Small => {
            let a = Strided { data: a, rs: rsa as usize, cs: csa as usize };
            let b = Strided { data: b, rs: rsb as usize, cs: csb as usize };
            small_gemm::gemm_on(path, m, k, n, a, b, c);
        }
        // SAFETY: the lengths are checked above; `c` is a `&mut` and so
        // aliases neither input.
        Kernel::Packed => unsafe {
            E::gemm(m, k, n, E::ONE, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, E::ZERO, c.as_mut_ptr(), n as isize, 1)
        },
    }
}

/// `c (m x n) = op(a) op(b)` for one batch item; `a`, `b` start at the item.
fn gemm_one<E: Element>(spec: &Matmul, a: &[E], b: &[E], c: &mut [E]) {
    let Matmul { m, k, n, trans_a, trans_b, .. } = *spec;
    let kernel = Kernel::for_size(m, k, n);
    if kernel == Kernel::Small || m * k * n < PAR_MIN_FLOPS || m <= ROW_BLOCK {
        return gemm(kernel, spec, a, b, c);
    }
    if let Some(rows) = tall_block(m, k, n).filter(|_| SmallPath::best::<E>() == SmallPath::Avx512) {
        return tall(spec, rows, a, b, c);
    }
    let (rsa, csa) = strides(trans_a, if trans_a { m } else { k });
    let (rsb, csb) = strides(trans_b, if trans_b { k } else { n });
    c.par_chunks_mut(ROW_BLOCK * n).enumerate().for_each(|(blk, c)| {
        let rows = c.len() / n;
        let a0 = blk * ROW_BLOCK * rsa as usize;
        // SAFETY: as above, for rows [blk * ROW_BLOCK, + rows) of op(a) and c;
        // row r of op(a) starts at offset r * rsa.
        unsafe { E::gemm(rows, k, n, E::ONE, a[a0..].as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, E::ZERO, c.as_mut_ptr(), n as isize, 1) };
    });
}

/// Rows per block when a product is tall and thin: many rows, short `k` and
/// `n` (a dense layer at batch 4096: 4096 x 29 by 29 x 12). `matrixmultiply`
/// packs the tall operand, a copy of all of it, before it multiplies; on
/// such products the packing took more time than the arithmetic. Blocks of
/// rows that each fit `small_gemm` read it in place instead (on its AVX-512
/// path; the portable one is slower than `matrixmultiply`). `None` when the
/// product is not thin enough for blocks of at least `ROW_BLOCK` rows.
fn tall_block(m: usize, k: usize, n: usize) -> Option<usize> {
    let rows = (small_max_flops() / (k * n).max(1)) / 8 * 8;
    (k <= SMALL_MAX_K && rows >= ROW_BLOCK && rows < m).then_some(rows)
}

/// `gemm_one` of a tall, thin product: blocks of `rows` rows of C, each
/// by `small_gemm`, in parallel. Each element is computed as the whole
/// product would compute it, so the bits do not depend on the threads.
fn tall<E: Element>(spec: &Matmul, rows: usize, a: &[E], b: &[E], c: &mut [E]) {
    let Matmul { m, k, n, trans_a, .. } = *spec;
    let (rsa, csa) = strides(trans_a, if trans_a { m } else { k });
    c[..m * n].par_chunks_mut(rows * n).enumerate().for_each(|(blk, c)| {
        // Rows blk * rows .. of op(a): from offset (blk * rows) * rsa, read
        // with the whole matrix's strides.
        let a = Strided { data: &a[blk * rows * rsa as usize..], rs: rsa as usize, cs: csa as usize };
        small_gemm::gemm_on(SmallPath::best::<E>(), c.len() / n, k, n, a, strided(spec, b), c);
    });
}

/// `op(b)` of `spec` as a strided matrix.
fn strided<'a, E>(spec: &Matmul, b: &'a [E]) -> Strided<'a, E> {
    let (rs, cs) = strides(spec.trans_b, if spec.trans_b { spec.k } else { spec.n });
    Strided { data: b, rs: rs as usize, cs: cs as usize }
}

pub fn matmul<E: Element>(a: &[E], b: &[E], spec: &Matmul) -> Buffer<E> {
    let (m, n) = (spec.m, spec.n);
    // Both kernels write every element of C (never reading it first), so its
    // stale contents do not matter.
    let mut c = Buffer::for_overwrite(spec.batch * m * n);
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
