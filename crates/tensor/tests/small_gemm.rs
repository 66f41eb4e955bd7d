//! Checks the two CPU GEMM kernels (`cpu::matmul::Kernel`) against each other
//! and against a naive triple loop, on random shapes, all four transpose
//! combinations, `f32` and `f64`; the small kernel by each of its compiled
//! paths (`SmallPath`) that this CPU can take.
//!
//! Both kernels may fuse multiply-adds (where the CPU has FMA) and
//! `matrixmultiply` sums in blocks of `k`, so both are compared with the naive
//! loop within the rounding bound of a sum, `|got - want| <= tol * sum_p
//! |a_ip b_pj|`, the same bound as in `reference.rs`. Stale values (NaN) in
//! the output check that every element is written.

mod naive;

use naive::{assert_close_scaled, rng, uniform};
use proptest::prelude::*;
use recon_tensor::cpu::matmul::{gemm, gemm_small_on, small_max_flops, Kernel, SmallPath, SMALL_MAX_FLOPS, SMALL_MAX_K};
use recon_tensor::{Cpu32, Element, Matmul, Tensor};

fn spec(m: usize, k: usize, n: usize, trans_a: bool, trans_b: bool) -> Matmul {
    Matmul { batch: 1, m, k, n, trans_a, trans_b, a_batch_stride: m * k, b_batch_stride: k * n }
}

/// `op(A) op(B)` by the textbook loop in `E`, summing in order of `p`; and
/// per element the rounding scale `sum_p |a_ip b_pj|` (in f64).
fn naive<E: Element>(s: &Matmul, a: &[E], b: &[E]) -> (Vec<E>, Vec<f64>) {
    let Matmul { m, k, n, trans_a, trans_b, .. } = *s;
    let (mut c, mut scale) = (vec![E::ZERO; m * n], vec![0.0; m * n]);
    for i in 0..m {
        for j in 0..n {
            let mut sum = E::ZERO;
            for p in 0..k {
                let x = a[if trans_a { p * m + i } else { i * k + p }];
                let y = b[if trans_b { j * k + p } else { p * n + j }];
                sum += x * y;
                scale[i * n + j] += (x.to_f64() * y.to_f64()).abs();
            }
            c[i * n + j] = sum;
        }
    }
    (c, scale)
}

fn f64s<E: Element>(x: &[E]) -> Vec<f64> {
    x.iter().map(|v| v.to_f64()).collect()
}

/// Runs both kernels on one random product and checks them.
fn check<E: Element>(m: usize, k: usize, n: usize, ta: bool, tb: bool, seed: u64, tol: f64) {
    let s = spec(m, k, n, ta, tb);
    let mut r = rng(seed);
    let a: Vec<E> = uniform(&mut r, m * k, -2.0, 2.0).into_iter().map(E::from_f64).collect();
    let b: Vec<E> = uniform(&mut r, k * n, -2.0, 2.0).into_iter().map(E::from_f64).collect();
    let (want, scale) = naive(&s, &a, &b);
    let what = format!("{:?} {m}x{k}x{n} trans {ta} {tb}", E::DTYPE);
    for kernel in [Kernel::Small, Kernel::Packed] {
        // Stale values in C, as a recycled buffer has: both kernels overwrite them.
        let mut c = vec![E::from_f64(f64::NAN); m * n];
        gemm(kernel, &s, &a, &b, &mut c);
        assert_close_scaled(&f64s(&c), &f64s(&want), &scale, tol, &format!("{kernel:?}, {what}"));
    }
    for path in SmallPath::ALL.into_iter().filter(|p| p.available::<E>()) {
        let mut c = vec![E::from_f64(f64::NAN); m * n];
        gemm_small_on(path, &s, &a, &b, &mut c);
        assert_close_scaled(&f64s(&c), &f64s(&want), &scale, tol, &format!("small by {path:?}, {what}"));
    }
}

fn check_all<E: Element>(m: usize, k: usize, n: usize, seed: u64, tol: f64) {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        check::<E>(m, k, n, ta, tb, seed, tol);
    }
}

const TOL32: f64 = 1e-5;
const TOL64: f64 = 1e-13;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn small_shapes(m in 1usize..20, k in 0usize..20, n in 1usize..20, seed in any::<u64>()) {
        check_all::<f32>(m, k, n, seed, TOL32);
        check_all::<f64>(m, k, n, seed, TOL64);
    }

    /// Around 2^14 to 2^16 multiply-adds (`SMALL_MAX_FLOPS`), and k over
    /// several stack panels of 64.
    #[test]
    fn shapes_near_the_threshold(m in 16usize..40, k in 16usize..150, n in 16usize..40, seed in any::<u64>()) {
        check_all::<f32>(m, k, n, seed, TOL32);
    }

    /// One row (a single output channel, or one sample): the AVX-512 path's
    /// 1 x 128 tile, over several blocks of columns and panels of k.
    #[test]
    fn one_row(k in 1usize..150, n in 1usize..400, seed in any::<u64>()) {
        check_all::<f32>(1, k, n, seed, TOL32);
    }
}

#[test]
fn edge_shapes() {
    let shapes = [
        (1, 1, 1),
        (1, 29, 12),  // one row (inference on one sample)
        (32, 29, 1),  // one column
        (3, 0, 5),    // an empty inner dimension: zeros
        (32, 29, 12), // the 29-12-29 autoencoder's encoder, batch 32
        (29, 32, 12), // its weight gradient
        (7, 200, 9),  // k over several stack panels
        (4, SMALL_MAX_K, 8),
        (64, 64, 64),
        (65, 64, 64),
        // The VAE 29-64-12-64-29 at batch 32; on AVX-512, tiles of 8 x 32
        // with masked edges (29 = 16 + 13 columns) and 8 x 16 (12 columns).
        (32, 29, 64),
        (32, 64, 29),
        (32, 12, 64),
        (32, 64, 12),
        (64, 32, 29),
        (12, 32, 64),
        (9, 130, 33), // k over three panels, gathered when B is transposed
        (17, 5, 48),
    ];
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        check_all::<f32>(m, k, n, i as u64, TOL32);
        check_all::<f64>(m, k, n, i as u64, TOL64);
    }
}

/// The paths this CPU has are the ones tested: on an x86-64 CPU with
/// AVX-512F the `f32` kernel takes (and `check` tests) the AVX-512 path.
#[test]
fn the_best_path_is_one_the_cpu_has() {
    assert!(SmallPath::Baseline.available::<f32>() && SmallPath::Baseline.available::<f64>());
    assert!(SmallPath::best::<f32>().available::<f32>() && SmallPath::best::<f64>().available::<f64>());
    assert!(!SmallPath::Avx512.available::<f64>(), "the AVX-512 path is f32 only");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        assert_eq!(SmallPath::best::<f32>(), SmallPath::Avx512);
    }
}

#[test]
fn the_threshold_depends_on_the_sizes_only() {
    assert_eq!(Kernel::for_size(32, 29, 12), Kernel::Small);
    // Every product of the VAE 29-64-12-64-29's dense step at batch 32.
    for (m, k, n) in [(32, 29, 64), (64, 32, 29), (32, 64, 12), (12, 32, 64), (32, 12, 64), (32, 64, 29), (29, 32, 64), (32, 29, 64)] {
        assert_eq!(Kernel::for_size(m, k, n), Kernel::Small, "{m}x{k}x{n}");
    }
    assert_eq!(Kernel::for_size(1, SMALL_MAX_FLOPS, 1), Kernel::Packed, "k is bounded too");
    let max = small_max_flops();
    assert!(max >= SMALL_MAX_FLOPS);
    assert_eq!(Kernel::for_size(max, 1, 1), Kernel::Small);
    assert_eq!(Kernel::for_size(max + 1, 1, 1), Kernel::Packed);
    // Scoring's blocks of 128 rows (`recon_nn::infer::BLOCK`) of the VAE, where the CPU has AVX-512.
    if SmallPath::Avx512.available::<f32>() {
        assert_eq!(Kernel::for_size(128, 29, 64), Kernel::Small);
    }
    assert_eq!(Kernel::for_size(1, SMALL_MAX_K + 1, 1), Kernel::Packed);
    assert_eq!(Kernel::for_size(256, 256, 256), Kernel::Packed);
}

/// Through the public API, products on both sides of the threshold, batched
/// and not, against the naive loop; and tall, thin products (a dense layer
/// at batch 4096), which go to `small_gemm` in blocks of rows, the last
/// block short.
#[test]
fn tensor_matmul_uses_either_kernel_correctly() {
    let cpu = Cpu32::new();
    for (batch, m, k, n) in
        [(1, 32, 29, 12), (3, 32, 12, 29), (1, 100, 100, 100), (2, 65, 64, 64), (1, 4096, 29, 12), (1, 1001, 29, 64), (2, 3000, 12, 29)]
    {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut r = rng((m * k * n + batch) as u64);
            let a: Vec<f32> = uniform(&mut r, batch * m * k, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
            let b: Vec<f32> = uniform(&mut r, k * n, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
            let sa = if ta { [batch, k, m] } else { [batch, m, k] };
            let sb = if tb { [n, k] } else { [k, n] };
            let got =
                Tensor::from_vec(&cpu, a.clone(), &sa).unwrap().matmul_t(&Tensor::from_vec(&cpu, b.clone(), &sb).unwrap(), ta, tb).unwrap();
            let got = got.to_f64_vec().unwrap();
            let s = spec(m, k, n, ta, tb);
            for i in 0..batch {
                let (want, scale) = naive(&s, &a[i * m * k..][..m * k], &b);
                let what = format!("batch item {i} of {batch}x{m}x{k}x{n} trans {ta} {tb}");
                assert_close_scaled(&got[i * m * n..][..m * n], &f64s(&want), &scale, TOL32, &what);
            }
        }
    }
}
