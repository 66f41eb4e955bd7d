//! Products of a single row of weights with a matrix given as contiguous
//! rows: the GEMMs of a convolution with one output channel (`conv.rs`,
//! `padded.rs`). matrixmultiply would pack the matrix and compute
//! 8-row tiles of which 7 rows are padding; these loops read the rows in
//! place and vectorise.
//!
//! Both are compiled twice, for baseline x86-64 (SSE2, 4 lanes) and for AVX2
//! (8 lanes), and pick the second when the CPU has it. The operations and
//! their order do not depend on the vector width (each output of
//! `weighted_sum` is its own sequential sum; `dot` names its 8 lanes), so
//! the results are the same bits either way.

use crate::element::Element;

/// `c = sum_r a(r) rows(r)` over `r < k`, each `c[j]` summed in order of `r`
/// from zero. Every row must be at least `c.len()` long.
pub fn weighted_sum<'a, E: Element>(k: usize, a: impl Fn(usize) -> E, rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { weighted_sum_avx2(k, a, rows, c) };
    }
    weighted_sum_body(k, a, rows, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn weighted_sum_avx2<'a, E: Element>(k: usize, a: impl Fn(usize) -> E, rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    weighted_sum_body(k, a, rows, c)
}

#[inline(always)]
fn weighted_sum_body<'a, E: Element>(k: usize, a: impl Fn(usize) -> E, rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    // Blocks of `BLOCK` outputs stay in registers while all `k` rows go by
    // (instead of `c` being loaded and stored once per row).
    const BLOCK: usize = 32;
    let n = c.len();
    let whole = n - n % BLOCK;
    for (j0, c) in (0..whole).step_by(BLOCK).zip(c.chunks_exact_mut(BLOCK)) {
        let mut acc = [E::ZERO; BLOCK];
        for r in 0..k {
            let (ar, row) = (a(r), &rows(r)[j0..j0 + BLOCK]);
            for (acc, &b) in acc.iter_mut().zip(row) {
                *acc += ar * b;
            }
        }
        c.copy_from_slice(&acc);
    }
    for (j, c) in c.iter_mut().enumerate().skip(whole) {
        *c = (0..k).fold(E::ZERO, |s, r| s + a(r) * rows(r)[j]);
    }
}

/// `c[j] = a . rows(j)` for every `j`; each row at least `a.len()` long.
pub fn dots<'a, E: Element>(a: &[E], rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dots_avx2(a, rows, c) };
    }
    dots_body(a, rows, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dots_avx2<'a, E: Element>(a: &[E], rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    dots_body(a, rows, c)
}

#[inline(always)]
fn dots_body<'a, E: Element>(a: &[E], rows: impl Fn(usize) -> &'a [E], c: &mut [E]) {
    for (j, c) in c.iter_mut().enumerate() {
        *c = dot(a, &rows(j)[..a.len()]);
    }
}

/// `sum_i a[i] b[i]` with 8 independent partial sums (one AVX register of
/// f32, two SSE ones), combined pairwise at the end.
#[inline(always)]
fn dot<E: Element>(a: &[E], b: &[E]) -> E {
    let mut acc = [E::ZERO; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: E = ca.remainder().iter().zip(cb.remainder()).fold(E::ZERO, |s, (&x, &y)| s + x * y);
    for (x, y) in ca.zip(cb) {
        for (acc, (&x, &y)) in acc.iter_mut().zip(x.iter().zip(y)) {
            *acc += x * y;
        }
    }
    combine(acc) + tail
}

/// `((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7))`. Kept out of line:
/// inlined, its pairing made the compiler vectorise `dot`'s main loop two
/// lanes at a time instead of eight.
#[inline(never)]
fn combine<E: Element>(a: [E; 8]) -> E {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}
