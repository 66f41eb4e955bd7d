//! The scalar types a tensor can hold: `f32` (everywhere) and `f64` (on the CPU,
//! for gradient checks, where float32 finite differences drown in rounding).
//!
//! The trait is deliberately small and written out by hand for both types (no
//! `num-traits`): it lists exactly the scalar math the kernels use.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

/// Which float type a tensor holds; written into checkpoints and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
}

pub trait Element:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialOrd
    + bytemuck::Pod
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    const DTYPE: DType;
    const ZERO: Self;
    const ONE: Self;
    const NEG_INFINITY: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    /// `self * a + b` with one rounding (a fused multiply-add). Fast only
    /// where the CPU has FMA and the caller is compiled for it (see `small_gemm`).
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, p: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn is_finite(self) -> bool;

    /// Runs `f` on this thread's pool of free CPU buffers of this type.
    fn with_pool<R>(f: impl FnOnce(&mut crate::cpu::buffer::Pool<Self>) -> R) -> R;

    /// `C <- alpha * A B + beta * C` for row/column-strided matrices, by
    /// `matrixmultiply` (sgemm or dgemm).
    ///
    /// # Safety
    /// The pointers with their strides must address `m x k`, `k x n` and `m x n`
    /// valid elements, and `c` must not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! float_element {
    // This is the one macro in the core: the two impls are identical line for
    // line, and a macro is clearer than two copies that could drift apart.
    ($t:ty, $dtype:expr, $gemm:path) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline]
            fn max(self, o: Self) -> Self {
                if self >= o {
                    self
                } else {
                    o
                }
            }
            #[inline]
            fn min(self, o: Self) -> Self {
                if self <= o {
                    self
                } else {
                    o
                }
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn with_pool<R>(f: impl FnOnce(&mut crate::cpu::buffer::Pool<Self>) -> R) -> R {
                thread_local!(static POOL: std::cell::RefCell<crate::cpu::buffer::Pool<$t>> = const { std::cell::RefCell::new(crate::cpu::buffer::Pool::new()) });
                crate::cpu::buffer::with(&POOL, f)
            }
            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
            }
        }
    };
}

float_element!(f32, DType::F32, matrixmultiply::sgemm);
float_element!(f64, DType::F64, matrixmultiply::dgemm);
