//! A matrix product for small matrices that allocates nothing.
//!
//! `matrixmultiply` packs both operands into a heap buffer before it
//! multiplies: one `malloc` and `free` per call, so a training step made of
//! small products (`32x29 @ 29x12` and the like at batch 32) allocates in
//! every product. This kernel reads the operands where they are and keeps
//! what it must copy in registers or a fixed thread-local panel.
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
//! The loop. `C` is cut into tiles of `MR x NR`. A tile's accumulators
//! (`acc`) stay in registers while `p` runs: each step loads `NR`
//! consecutive values of one row of `op(B)`, broadcasts `MR` values of
//! `op(A)`, and does `MR * NR` multiply-adds. Three compiled paths (`Path`),
//! the fastest the CPU has chosen at run time, as `matrixmultiply` chooses
//! its kernels:
//!
//! - AVX-512 (`f32` only), in intrinsics: tiles of 8 x 32 (two registers of
//!   16 lanes per row: 16 accumulators) while more than 16 columns remain,
//!   else 8 x 16. The right edge is handled by masked loads and stores, so
//!   `op(B)` is read in place whenever its rows are contiguous (`dx = dy W`,
//!   `dW = dy^T x`). When `B` is stored transposed (`y = x W^T`) its rows are
//!   not; then each `KC x 32` panel of it is gathered (one `vgatherdps` per
//!   row of 16) into `panel` once and used by every row tile. A product
//!   with one row (`m = 1`) and contiguous rows of `op(B)` takes tiles of
//!   1 x 128 instead: eight independent sums per step, where an 8-row tile
//!   would repeat its one row eight times; with 3, 6 or 9 rows, tiles of
//!   3 x 64 (9 rows on 8-row tiles computed 16). This path alone also reads
//!   `op(B)` with rows at arbitrary offsets (`gemm_rows`): a convolution's
//!   im2col matrix read in place from its padded input (`padded.rs`).
//! - AVX2 + FMA (4 x 16) and the baseline (SSE2: 4 x 8, no fused
//!   multiply-add): one generic loop, compiled twice. The `NR` loop has a
//!   fixed length, so the compiler turns it into SIMD without intrinsics.
//!   Here `op(B)` is read in place when its rows are contiguous and the tile
//!   is `NR` wide; otherwise (B transposed, or the right edge) the tile's
//!   columns are first copied into `panel`, `KC` rows at a time. (With
//!   AVX-512 enabled the same generic loop came out 20x slower: LLVM built
//!   `op(A)`'s values with gathers and kept the accumulators in memory.)
//!
//! `panel` is one fixed array per thread in thread-local storage, not on the
//! stack: it is never zeroed (lanes past the edge hold stale values, which
//! are multiplied and never stored) and never allocated. At the bottom edge a
//! tile is shorter than `MR`: its missing rows repeat the last real row and
//! are not written back.
//!
//! Summation order: every `C[i, j]` is `((0 + t_0) + t_1) + ... + t_{k-1}`
//! with `t_p = op(A)[i, p] op(B)[p, j]`, in order of `p`, whatever the tile
//! and the strides (each `+` fused with its product on the AVX2 and AVX-512
//! paths). So the result does not depend on threads, and the same product
//! on the same CPU always gives the same bits.
//!
//! Speed (`benches/results/small-gemm.md`, `f32`, on this project's
//! AVX-512 machine): on the products of a dense step at batch 32 the
//! AVX-512 path takes 0.45-0.95x `matrixmultiply`'s time (29-12-29 ae:
//! 0.3-0.4 us against 0.6-0.75 us; VAE 29-64-12-64-29: 0.5-1.5 us against
//! 0.6-2.1 us), is still ahead at 64^3 (0.8x) and about even from 80^3.
//! `matrixmultiply` mallocs and packs both operands on every call, which at
//! these sizes costs more than the arithmetic. The portable AVX2 path, for CPUs without AVX-512, was
//! measured 1.1-2x slower than `matrixmultiply` at the same sizes (before
//! its panel moved to thread-local storage).
//!
//! `f64` takes the portable paths (AVX2 at best): its accumulators then fill
//! twice the registers and some spill, which does not matter for its use
//! (gradient checks).

use std::cell::RefCell;

use crate::element::{DType, Element};

/// Rows of `op(B)` per packed panel.
const KC: usize = 64;

/// Room for one panel: `KC` rows of 16 `f64` (the portable paths' widest
/// tile) or 32 `f32` (the AVX-512 path's). One per thread, in thread-local
/// storage: a fixed array initialised at compile time, so taking it neither
/// allocates nor zeroes anything. A panel's padding lanes hold stale values,
/// which are multiplied but never stored.
#[repr(align(64))]
struct PanelStore([f64; KC * 16]);

thread_local! {
    static PANEL: RefCell<PanelStore> = const { RefCell::new(PanelStore([0.0; KC * 16])) };
}

/// Runs `f` on this thread's panel, as `KC` rows of `NR` elements of `T`.
/// (The kernels take the panel as an argument rather than borrowing it
/// themselves, and this is inlined into its callers, so that the kernels
/// are compiled with their callers' target features.)
#[inline(always)]
fn with_panel<T: bytemuck::Pod, const NR: usize, R>(f: impl FnOnce(&mut [[T; NR]]) -> R) -> R {
    PANEL.with_borrow_mut(|store| {
        let panel: &mut [T] = bytemuck::cast_slice_mut(&mut store.0[..]);
        f(&mut panel.as_chunks_mut::<NR>().0[..KC])
    })
}

/// A matrix read through strides: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub struct Strided<'a, E> {
    pub data: &'a [E],
    pub rs: usize,
    pub cs: usize,
}

/// The compiled variants of the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The portable loop for the baseline target (SSE2 on x86-64): 4 x 8 tiles.
    Baseline,
    /// The portable loop compiled for AVX2 and FMA: 4 x 16 tiles.
    Avx2,
    /// AVX-512 intrinsics, `f32` only: 8 x 16 or 8 x 32 tiles.
    Avx512,
}

impl Path {
    /// The fastest path for `E` that this CPU has.
    pub fn best<E: Element>() -> Path {
        Path::ALL.into_iter().rev().find(|p| p.available::<E>()).unwrap_or(Path::Baseline)
    }

    pub const ALL: [Path; 3] = [Path::Baseline, Path::Avx2, Path::Avx512];

    /// Whether this CPU (and the element type) can take this path.
    pub fn available<E: Element>(self) -> bool {
        match self {
            Path::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => E::DTYPE == DType::F32 && std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// `c (m x n, row-major) = op(A) op(B)`, `op(A)` being `m x k` and `op(B)`
/// `k x n`, by the given path (`Path::best` for the fastest). Panics if an
/// operand is too short for its strides, or if the CPU cannot take the path
/// (`Path::available`).
pub fn gemm_on<E: Element>(path: Path, m: usize, k: usize, n: usize, a: Strided<E>, b: Strided<E>, c: &mut [E]) {
    assert!(path.available::<E>(), "small_gemm: this CPU cannot take the {path:?} path for {:?}", E::DTYPE);
    let c = &mut c[..m * n];
    if k == 0 {
        c.fill(E::ZERO); // an empty sum
        return;
    }
    if m == 0 || n == 0 {
        return;
    }
    // Check the operands once: every read below stays within these.
    let a = Strided { data: &a.data[..(m - 1) * a.rs + (k - 1) * a.cs + 1], ..a };
    let b = Strided { data: &b.data[..(k - 1) * b.rs + (n - 1) * b.cs + 1], ..b };
    match path {
        Path::Baseline => with_panel(|panel| gemm_tiled::<E, 4, 8, false>(m, k, n, a, b, c, panel)),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 and FMA (`available`, asserted above).
        Path::Avx2 => with_panel(|panel| unsafe { gemm_avx2(m, k, n, a, b, c, panel) }),
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            fn f32s<E: Element>(x: Strided<'_, E>) -> Strided<'_, f32> {
                Strided { data: bytemuck::cast_slice(x.data), rs: x.rs, cs: x.cs }
            }
            let c: &mut [f32] = bytemuck::cast_slice_mut(c);
            // SAFETY: the CPU has AVX-512F (`available`, asserted above);
            // the operands are sliced to their extent above.
            with_panel(|panel| unsafe { avx512::gemm(m, k, n, f32s(a), avx512::RowsOf::Strided(f32s(b)), c, panel) })
        }
        #[cfg(not(target_arch = "x86_64"))]
        _ => unreachable!(),
    }
}

/// Whether `gemm_rows` can run for `E` on this CPU: `f32` with AVX-512.
pub fn gemm_rows_available<E: Element>() -> bool {
    Path::Avx512.available::<E>()
}

/// `c (m x n, row-major) = op(A) B`, where row `p` of `B` is `b[starts[p]..][..n]`:
/// rows at arbitrary offsets, such as the im2col matrix of a convolution
/// read in place from padded planes (`padded.rs`). AVX-512 path only;
/// returns `false`, doing nothing, when it is not available
/// (`gemm_rows_available`). Panics if a row runs past `b`.
pub fn gemm_rows<E: Element>(m: usize, k: usize, n: usize, a: Strided<E>, b: &[E], starts: &[usize], c: &mut [E]) -> bool {
    if !gemm_rows_available::<E>() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        assert!(starts.len() == k && starts.iter().all(|&s| s + n <= b.len()), "gemm_rows: a row runs past b");
        let c = &mut c[..m * n];
        if k == 0 {
            c.fill(E::ZERO); // an empty sum
            return true;
        }
        if m == 0 || n == 0 {
            return true;
        }
        let a = Strided { data: bytemuck::cast_slice::<E, f32>(&a.data[..(m - 1) * a.rs + (k - 1) * a.cs + 1]), rs: a.rs, cs: a.cs };
        let rows = avx512::RowsOf::Offsets { data: bytemuck::cast_slice(b), starts };
        // SAFETY: the CPU has AVX-512F and `E` is `f32` (checked above); the
        // operands are sliced to their extent, every row of B checked.
        with_panel(|panel| unsafe { avx512::gemm(m, k, n, a, rows, bytemuck::cast_slice_mut(c), panel) });
    }
    true
}

/// The portable loop compiled for AVX2 and FMA: 8 `f32` per register, so
/// twice the columns per tile (4 x 16: eight registers of accumulators), and
/// one fused multiply-add per term.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_avx2<E: Element>(m: usize, k: usize, n: usize, a: Strided<E>, b: Strided<E>, c: &mut [E], panel: &mut [[E; 16]]) {
    gemm_tiled::<E, 4, 16, true>(m, k, n, a, b, c, panel);
}

/// The portable kernel, for tiles of `MR x NR`.
#[inline(always)]
fn gemm_tiled<E: Element, const MR: usize, const NR: usize, const FUSED: bool>(
    m: usize,
    k: usize,
    n: usize,
    a: Strided<E>,
    b: Strided<E>,
    c: &mut [E],
    panel: &mut [[E; NR]],
) {
    for j0 in (0..n).step_by(NR) {
        let nr = NR.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            // Rows p0..p0+kc of op(B)'s columns j0..j0+NR, as (values, row
            // stride): read in place when contiguous, else packed (the lanes
            // past nr keep stale values, computed on and never stored).
            let (bp, bs): (&[E], usize) = if b.cs == 1 && nr == NR {
                (&b.data[p0 * b.rs + j0..], b.rs)
            } else {
                for (p, row) in panel[..kc].iter_mut().enumerate() {
                    for (j, v) in row[..nr].iter_mut().enumerate() {
                        *v = b.data[(p0 + p) * b.rs + (j0 + j) * b.cs];
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
/// register-blocked heart of the portable kernel. Every length is fixed but
/// `kc`, so the compiler keeps `acc` in registers and turns each row into SIMD.
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

/// The AVX-512 kernel for `f32`, in intrinsics: LLVM's vectoriser, given the
/// portable loop with AVX-512 enabled, builds `op(A)`'s values with gathers
/// and keeps the accumulators in memory (20x slower), so this path spells
/// the loop out.
///
/// Tiles are 8 rows by one or two registers of 16 columns (8 x 32 while at
/// least 17 columns remain, else 8 x 16): 16 accumulators, two loads of
/// `op(B)` and eight broadcasts of `op(A)` per step of `p`, 16 FMAs. The
/// right edge is handled by masked loads and stores (no copy), the bottom
/// edge by repeating the last row. `op(B)` is read in place when its rows
/// are contiguous; otherwise (B stored transposed) each panel of `KC x 32`
/// is gathered once into the thread's panel, then used by every row tile.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Strided, KC};

    /// Where each row of `op(B)` is: `Strided` as everywhere else, or rows
    /// that are contiguous but start at arbitrary offsets (`op(B)[p, j] =
    /// data[starts[p] + j]`), the implicit im2col matrix of a convolution.
    #[derive(Clone, Copy)]
    pub(super) enum RowsOf<'a> {
        Strided(Strided<'a, f32>),
        Offsets { data: &'a [f32], starts: &'a [usize] },
    }

    /// The lanes below `count` (of 16) set; none when `count` is 0.
    fn mask(count: usize) -> __mmask16 {
        ((1u32 << count.min(16)) - 1) as __mmask16
    }

    /// # Safety
    /// The CPU must have AVX-512F; `m, k, n >= 1`; `c.len() == m n`; `a`
    /// holds exactly the elements its strides reach for `m x k` (`a.data.len()
    /// == (m-1) rs + (k-1) cs + 1`), and likewise a `Strided` `b` for `k x n`;
    /// `Offsets` has `k` starts, each with `n` values after it.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gemm(m: usize, k: usize, n: usize, a: Strided<f32>, b: RowsOf, c: &mut [f32], panel: &mut [[f32; 32]]) {
        assert!(m >= 1 && k >= 1 && n >= 1 && c.len() == m * n && panel.len() >= KC);
        assert!(a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs);
        let contiguous = match b {
            RowsOf::Strided(b) => {
                assert!(b.data.len() > (k - 1) * b.rs + (n - 1) * b.cs);
                b.cs == 1
            }
            RowsOf::Offsets { data, starts } => {
                assert!(starts.len() == k && starts.iter().all(|&s| s + n <= data.len()));
                true
            }
        };
        let mut j0 = 0;
        while j0 < n {
            let nr = n - j0;
            // SAFETY: as for this function; j0 < n.
            unsafe {
                if matches!(m, 3 | 6 | 9) && contiguous {
                    // Three rows at a time: an 8-row tile would repeat rows
                    // (9 rows = two 8-row tiles, 7 of them repeats). 3 x 64
                    // keeps 12 sums and 4 rows of B in registers; 3 x 128
                    // spilled. (A one-output-channel convolution's per-tap
                    // product, `direct.rs`, is 9 x channels x plane.)
                    block::<3, 4>(m, k, n, a, b, c, panel, j0, nr.min(64));
                    j0 += 64;
                } else if m == 1 && contiguous {
                    // One row: a tile of 1 x 128 (eight independent sums in
                    // flight, as the 8 x 32 tile has sixteen), not an 8-row
                    // tile of which 7 rows would repeat the first.
                    block::<1, 8>(m, k, n, a, b, c, panel, j0, nr.min(128));
                    j0 += 128;
                } else if nr > 16 {
                    block::<8, 2>(m, k, n, a, b, c, panel, j0, nr.min(32));
                    j0 += 32;
                } else {
                    block::<8, 1>(m, k, n, a, b, c, panel, j0, nr);
                    j0 += 16;
                }
            }
        }
    }

    /// Columns `j0..j0 + nr` of C (`nr <= 16 NV`), by tiles of `MR` rows.
    /// A panel gathered from a transposed `b` has room for `NV <= 2`.
    ///
    /// # Safety
    /// As for `gemm`, and `j0 + nr <= n`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const MR: usize, const NV: usize>(
        m: usize,
        k: usize,
        n: usize,
        a: Strided<f32>,
        b: RowsOf,
        c: &mut [f32],
        panel: &mut [[f32; 32]],
        j0: usize,
        nr: usize,
    ) {
        let masks: [__mmask16; NV] = std::array::from_fn(|v| mask(nr.saturating_sub(16 * v)));
        for p0 in (0..k).step_by(KC) {
            let kc = KC.min(k - p0);
            // Where row p0 + p of op(B) is, from column j0: one type per
            // kind of operand, so that the choice is made here, once per
            // panel, and not in the inner loop (where the compiler left a
            // `match` per row when it was written as one).
            // SAFETY: each `add` reaches row p0 < k of op(B) at column j0 <
            // n, inside `b` (checked by `gemm`); `tiles` as for this function.
            unsafe {
                match b {
                    RowsOf::Strided(b) if b.cs == 1 => {
                        let rows = InPlace { at: b.data.as_ptr().add(p0 * b.rs + j0), rs: b.rs };
                        tiles::<MR, NV, _>(m, n, a, c, j0, p0, kc, &masks, rows)
                    }
                    RowsOf::Strided(b) => {
                        assert!(NV <= 2);
                        gather_panel::<NV>(b, p0, kc, j0, &masks, panel);
                        tiles::<MR, NV, _>(m, n, a, c, j0, p0, kc, &masks, InPlace { at: panel.as_ptr() as *const f32, rs: 32 })
                    }
                    RowsOf::Offsets { data, starts } => {
                        let rows = Offsets { at: data.as_ptr().add(j0), starts: starts[p0..p0 + kc].as_ptr() };
                        tiles::<MR, NV, _>(m, n, a, c, j0, p0, kc, &masks, rows)
                    }
                }
            }
        }
    }

    /// The rows of a panel of `op(B)`, from column `j0`.
    trait PanelRows: Copy {
        /// Where row `p` of the panel starts.
        ///
        /// # Safety
        /// `p` is below the panel's `kc`.
        unsafe fn row(self, p: usize) -> *const f32;
    }

    /// Rows `rs` apart.
    #[derive(Clone, Copy)]
    struct InPlace {
        at: *const f32,
        rs: usize,
    }

    impl PanelRows for InPlace {
        #[inline(always)]
        unsafe fn row(self, p: usize) -> *const f32 {
            // SAFETY: row p of the panel, inside the operand (the caller's contract).
            unsafe { self.at.add(p * self.rs) }
        }
    }

    /// Rows at `starts[p]` (checked by `gemm` against the data's length).
    #[derive(Clone, Copy)]
    struct Offsets {
        at: *const f32,
        starts: *const usize,
    }

    impl PanelRows for Offsets {
        #[inline(always)]
        unsafe fn row(self, p: usize) -> *const f32 {
            // SAFETY: `starts` has the panel's `kc` entries, and each start
            // plus `n` is inside the data (checked by `gemm`).
            unsafe { self.at.add(*self.starts.add(p)) }
        }
    }

    /// Columns `j0..` (lanes `masks`) of C, `kc` terms from `p0` on, added to
    /// what earlier panels left there (`p0 > 0`): every row tile of `MR`.
    ///
    /// # Safety
    /// As for `gemm`; `b` gives `kc` rows of `op(B)` from `p0`, each with
    /// the masks' lanes readable.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tiles<const MR: usize, const NV: usize, B: PanelRows>(
        m: usize,
        n: usize,
        a: Strided<f32>,
        c: &mut [f32],
        j0: usize,
        p0: usize,
        kc: usize,
        masks: &[__mmask16; NV],
        b: B,
    ) {
        let (ap, cp) = (a.data.as_ptr(), c.as_mut_ptr());
        for i0 in (0..m).step_by(MR) {
            let mr = MR.min(m - i0);
            // Row r of the tile in `a`, at column p0 (rows past the last repeat it).
            let rows: [*const f32; MR] = std::array::from_fn(|r| unsafe { ap.add((i0 + r.min(mr - 1)) * a.rs + p0 * a.cs) });
            // The sums so far: zero, or what the previous panels of k left in C.
            let mut acc = [[_mm512_setzero_ps(); NV]; MR];
            if p0 > 0 {
                for (r, acc_r) in acc.iter_mut().enumerate().filter(|&(r, _)| r < mr) {
                    for v in 0..NV {
                        // SAFETY: the unmasked lanes are C[i0 + r, j0 + 16 v ..][..nr - 16 v].
                        acc_r[v] = unsafe { _mm512_maskz_loadu_ps(masks[v], cp.add((i0 + r) * n + j0 + 16 * v)) };
                    }
                }
            }
            for p in 0..kc {
                // SAFETY: the unmasked lanes of row p of the panel of
                // op(B), and op(A)[i0 + r, p0 + p] for rows r < m.
                unsafe {
                    let bp = b.row(p);
                    let bv: [__m512; NV] = std::array::from_fn(|v| _mm512_maskz_loadu_ps(masks[v], bp.add(16 * v)));
                    for (acc_r, row) in acc.iter_mut().zip(&rows) {
                        let av = _mm512_set1_ps(*row.add(p * a.cs));
                        for v in 0..NV {
                            acc_r[v] = _mm512_fmadd_ps(av, bv[v], acc_r[v]);
                        }
                    }
                }
            }
            // Every r of the unrolled loop, skipping the repeats: with
            // `acc[..mr]` the compiler kept the sums on the stack.
            for (r, acc_r) in acc.iter().enumerate().filter(|&(r, _)| r < mr) {
                for v in 0..NV {
                    // SAFETY: the unmasked lanes are C[i0 + r, j0 + 16 v ..][..nr - 16 v].
                    unsafe { _mm512_mask_storeu_ps(cp.add((i0 + r) * n + j0 + 16 * v), masks[v], acc_r[v]) };
                }
            }
        }
    }

    /// Copies rows `p0..p0 + kc`, columns `j0..` (the unmasked lanes) of a
    /// transposed `op(B)` into `panel`, one `vgatherdps` per 16 values.
    ///
    /// # Safety
    /// As for `gemm`, with `p0 + kc <= k` and the masks' lanes inside `n`.
    #[inline(always)]
    unsafe fn gather_panel<const NV: usize>(
        b: Strided<f32>,
        p0: usize,
        kc: usize,
        j0: usize,
        masks: &[__mmask16; NV],
        panel: &mut [[f32; 32]],
    ) {
        // Gather indices: lane j of a row of op(B) is b.cs * j further on.
        let gather_ok = b.cs.checked_mul(31).is_some_and(|x| x <= i32::MAX as usize);
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let idx = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(b.cs as i32));
        for (p, row) in panel[..kc].iter_mut().enumerate() {
            for v in 0..NV {
                let off = (p0 + p) * b.rs + (j0 + 16 * v) * b.cs;
                let x = if gather_ok {
                    // SAFETY: the unmasked lanes j read op(B)[p0 + p, j0 + 16 v + j], inside `b`.
                    unsafe { _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), masks[v], idx, b.data.as_ptr().add(off)) }
                } else {
                    let mut x = [0.0; 16];
                    for (j, x) in x.iter_mut().enumerate().take(masks[v].count_ones() as usize) {
                        *x = b.data[off + j * b.cs];
                    }
                    // SAFETY: reads the 16 floats of `x`.
                    unsafe { _mm512_loadu_ps(x.as_ptr()) }
                };
                // SAFETY: lanes 16 v .. 16 v + 16 of a row of 32.
                unsafe { _mm512_storeu_ps(row[16 * v..].as_mut_ptr(), x) };
            }
        }
    }
}
