//! A matrix product for small matrices that allocates nothing.
//!
//! `matrixmultiply` packs both operands into a heap buffer before it
//! multiplies: one `malloc` and `free` per call, so a training step made of
//! small products (`32x29 @ 29x12` and the like at batch 32) allocates in
//! every product. This kernel reads the operands where they are and keeps
//! what it must copy on the stack.
//!
//! The math. With `op(A)` (`m x k`) and `op(B)` (`k x n`) given by strides
//! (`op(A)[i, p] = a[i*rsa + p*csa]`; a transpose swaps the two strides),
//!
//! ```text
//! C[i, j] = sum_{p < k} op(A)[i, p] op(B)[p, j]
//! ```
//!
//! and a row of `C` is a sum of rows of `op(B)`, each scaled by one number:
//! `C[i, :] = sum_p op(A)[i, p] op(B)[p, :]`.
//!
//! The loop. `C` is cut into tiles of `MR x NR` (4 x 16 with AVX2, 4 x 8
//! otherwise). A tile's accumulators (`acc`) stay in registers while `p`
//! runs: each step loads `NR` consecutive values of one row of `op(B)`,
//! broadcasts `MR` values of `op(A)`, and does `MR * NR` multiply-adds. The
//! `NR` loop has a fixed length, so the compiler turns it into SIMD
//! instructions; no intrinsics are needed. The same generic loop is compiled
//! twice, once for the baseline (SSE2) and once, chosen at run time, for
//! AVX2 with fused multiply-adds, as `matrixmultiply` chooses its kernels.
//!
//! `op(B)`'s rows must therefore be contiguous in `NR`-wide pieces. When `B`
//! is stored transposed they are not (its columns are), and at the right edge
//! a tile is narrower than `NR`; in those two cases the tile's columns of
//! `op(B)` are first copied into `panel`, a fixed array on the stack, `KC`
//! rows at a time (zero-padded to `NR` columns). That is packing, as in
//! BLAS, but of one `KC x NR` panel on the stack instead of whole matrices on
//! the heap. At the bottom edge a tile is shorter than `MR`: its missing rows
//! repeat the last real row and are not written back. (Packing `op(A)` per
//! tile as well made the inner loop free of bounds checks but was slower
//! overall: the copy costs as much as the tile's arithmetic.)
//!
//! Summation order: every `C[i, j]` is `((0 + t_0) + t_1) + ... + t_{k-1}`
//! with `t_p = op(A)[i, p] op(B)[p, j]`, in order of `p`, whatever the tile
//! and the strides (each `+` fused with its product on the AVX2 path). So the
//! result does not depend on threads, and the same product on the same CPU
//! always gives the same bits.
//!
//! Speed: on the products of a dense step at batch 32 this kernel is slower
//! than `matrixmultiply` (1.1-1.7x its time at 32x29x12, about 2x from 32^3
//! up; `benches/results/small-gemm.md`): `matrixmultiply`'s allocation is a
//! cheap one from the allocator's cache, and its packing lets its AVX2
//! micro-kernel run without bounds checks or strided loads. What this kernel
//! buys is a step with no allocation; `matmul::SMALL_MAX_FLOPS` says where.
//!
//! `f64` uses the same tiles: its accumulators then fill twice the registers
//! and some spill, which does not matter for its use (gradient checks).

use crate::element::Element;

/// Rows of `op(B)` per packed panel: the panel (`KC x NR`) is zeroed on
/// every call, so it is kept small (4 KiB of `f32` at `NR = 16`).
const KC: usize = 64;

/// A matrix read through strides: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub struct Strided<'a, E> {
    pub data: &'a [E],
    pub rs: usize,
    pub cs: usize,
}

/// `c (m x n, row-major) = op(A) op(B)`, `op(A)` being `m x k` and `op(B)`
/// `k x n`. Panics if an operand is too short for its strides.
pub fn gemm<E: Element>(m: usize, k: usize, n: usize, a: Strided<E>, b: Strided<E>, c: &mut [E]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: `gemm_avx2` only needs the CPU to have AVX2 and FMA, checked here.
        return unsafe { gemm_avx2(m, k, n, a, b, c) };
    }
    gemm_tiled::<E, 4, 8, false>(m, k, n, a, b, c);
}

/// The same loop compiled for AVX2 and FMA: 8 `f32` per register, so twice
/// the columns per tile (4 x 16: eight registers of accumulators), and one
/// fused multiply-add per term.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gemm_avx2<E: Element>(m: usize, k: usize, n: usize, a: Strided<E>, b: Strided<E>, c: &mut [E]) {
    gemm_tiled::<E, 4, 16, true>(m, k, n, a, b, c);
}

/// The kernel, for tiles of `MR x NR`.
#[inline(always)]
fn gemm_tiled<E: Element, const MR: usize, const NR: usize, const FUSED: bool>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided<E>,
    b: Strided<E>,
    c: &mut [E],
) {
    let c = &mut c[..m * n];
    if k == 0 {
        c.fill(E::ZERO); // an empty sum
        return;
    }
    let mut panel = [[E::ZERO; NR]; KC];
    for j0 in (0..n).step_by(NR) {
        let nr = NR.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            // Rows p0..p0+kc of op(B)'s columns j0..j0+NR, as (values, row
            // stride): read in place when contiguous, else packed, zero-padded.
            let (bp, bs): (&[E], usize) = if b.cs == 1 && nr == NR {
                (&b.data[p0 * b.rs + j0..], b.rs)
            } else {
                for (p, row) in panel[..kc].iter_mut().enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = if j < nr { b.data[(p0 + p) * b.rs + (j0 + j) * b.cs] } else { E::ZERO };
                    }
                }
                (panel.as_flattened(), NR)
            };
            for i0 in (0..m).step_by(MR) {
                let mr = MR.min(m - i0);
                // Where row r of the tile starts in `a`, at column p0 (rows
                // past the last repeat it).
                let rows: [usize; MR] = std::array::from_fn(|r| (i0 + r.min(mr - 1)) * a.rs + p0 * a.cs);
                // The sums so far: zero, or what the previous panels of k left in C.
                let mut acc = [[E::ZERO; NR]; MR];
                if p0 > 0 {
                    for (r, acc_r) in acc[..mr].iter_mut().enumerate() {
                        acc_r[..nr].copy_from_slice(&c[(i0 + r) * n + j0..][..nr]);
                    }
                }
                tile::<E, MR, NR, FUSED>(&mut acc, kc, a.data, rows, a.cs, bp, bs);
                for (r, acc_r) in acc[..mr].iter().enumerate() {
                    c[(i0 + r) * n + j0..][..nr].copy_from_slice(&acc_r[..nr]);
                }
            }
        }
    }
}

/// `acc[r][j] += sum_{p < kc} a[rows[r] + p * csa] * b[p * bs + j]`: the
/// register-blocked heart of the kernel. Every length is fixed but `kc`, so
/// the compiler keeps `acc` in registers and turns each row into SIMD.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile<E: Element, const MR: usize, const NR: usize, const FUSED: bool>(
    acc: &mut [[E; NR]; MR],
    kc: usize,
    a: &[E],
    rows: [usize; MR],
    csa: usize,
    b: &[E],
    bs: usize,
) {
    for p in 0..kc {
        // Load first, then multiply: the bounds checks stay out of the
        // arithmetic, which is then one block the compiler can vectorise.
        let bp: [E; NR] = b[p * bs..][..NR].try_into().unwrap();
        let ap: [E; MR] = std::array::from_fn(|r| a[rows[r] + p * csa]);
        for (acc_r, &ar) in acc.iter_mut().zip(&ap) {
            for (c, &bj) in acc_r.iter_mut().zip(&bp) {
                *c = if FUSED { ar.mul_add(bj, *c) } else { *c + ar * bj };
            }
        }
    }
}
