//! Elementwise kernels on the CPU: one tight loop per function (each `match`
//! arm instantiates its own loop, which the compiler vectorises where the math
//! allows), and broadcasting by three fast paths and one general path.

use super::buffer::Buffer;
use super::exp;
use super::parallel::{for_each_row, map, map_slices, zip};
use crate::backend::{Binary, Unary};
use crate::element::{DType, Element};
use crate::shape::{broadcast_strides, numel};

/// The scalar function of a unary op.
#[inline(always)]
fn sigmoid<E: Element>(x: E) -> E {
    // 1 / (1 + e^-x) for x >= 0, and e^x / (1 + e^x) for x < 0 so that the
    // exponential never overflows: both are n / (1 + e) with e = e^-|x|.
    // Written with a select rather than a branch on the sign, which real
    // data makes unpredictable (a third of the sigmoid's time, mispredicted).
    let e = (-x.abs()).exp();
    let n = if x >= E::ZERO { E::ONE } else { e };
    n / (E::ONE + e)
}

/// `max(x, 0)`, with `0` (not `-0` or NaN) where `x` is not positive.
#[inline(always)]
fn relu<E: Element>(x: E) -> E {
    if x > E::ZERO {
        x
    } else {
        E::ZERO
    }
}

/// `f` on every value where `E` is `f32`, else `g`. For the functions with
/// an `f32` form in `exp.rs`, an inline polynomial the compiler vectorises
/// (`E::exp` is a libm call per value), here 16 lanes wide where the CPU has
/// AVX-512: the polynomial is arithmetic-bound, so the width pays (a
/// sigmoid over 784 values: 1.5 us with `expf`, 1.1 us on SSE2, 0.3 us on AVX-512).
/// `f64` keeps libm: gradient checks run in it.
fn map_f32<E: Element>(x: &[E], f: impl Fn(f32) -> f32 + Sync + Send + Copy, g: impl Fn(E) -> E + Sync + Send) -> Buffer<E> {
    if E::DTYPE != DType::F32 {
        return map(x, g);
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return map_slices(x, |o, x| unsafe { map_avx512(bytemuck::cast_slice_mut(o), bytemuck::cast_slice(x), f) });
    }
    // `E` is `f32`: the casts are the identity.
    map(x, |v| bytemuck::cast(f(bytemuck::cast::<E, f32>(v))))
}

/// `out[i] = f(x[i])`, compiled for AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512(out: &mut [f32], x: &[f32], f: impl Fn(f32) -> f32) {
    out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
}

pub fn unary<E: Element>(op: Unary, x: &[E]) -> Buffer<E> {
    let c = |v: f64| E::from_f64(v);
    match op {
        Unary::Neg => map(x, |v| -v),
        Unary::Exp => map_f32(x, exp::exp, |v| v.exp()),
        Unary::Log => map(x, |v| v.ln()),
        Unary::Sqrt => map(x, |v| v.sqrt()),
        Unary::Square => map(x, |v| v * v),
        Unary::Abs => map(x, |v| v.abs()),
        Unary::Recip => map(x, |v| E::ONE / v),
        Unary::Relu => map(x, relu),
        Unary::Sigmoid => map_f32(x, exp::sigmoid, sigmoid),
        Unary::Tanh => map(x, |v| v.tanh()),
        Unary::Softplus => map(x, |v| v.max(E::ZERO) + (-v.abs()).exp().ln_1p()),
        Unary::Step => map(x, |v| if v > E::ZERO { E::ONE } else { E::ZERO }),
        Unary::Sign => map(x, |v| {
            if v > E::ZERO {
                E::ONE
            } else if v < E::ZERO {
                -E::ONE
            } else {
                E::ZERO
            }
        }),
        Unary::AddScalar(s) => {
            let s = c(s);
            map(x, move |v| v + s)
        }
        Unary::MulScalar(s) => {
            let s = c(s);
            map(x, move |v| v * s)
        }
        Unary::Powf(2.0) => map(x, |v| v * v),
        Unary::Powf(p) => {
            let p = c(p);
            map(x, move |v| v.powf(p))
        }
        Unary::Clamp(lo, hi) => {
            let (lo, hi) = (c(lo), c(hi));
            map(x, move |v| v.max(lo).min(hi))
        }
        Unary::InRange(lo, hi) => {
            let (lo, hi) = (c(lo), c(hi));
            map(x, move |v| if v >= lo && v <= hi { E::ONE } else { E::ZERO })
        }
    }
}

/// `g * step(x)`: one pass instead of `Step` then `Mul`, with the same
/// result bit for bit (a multiplication by 1 or 0, so an infinite or NaN `g`
/// still gives NaN where `x <= 0`, as the composed form does).
pub fn relu_backward<E: Element>(g: &[E], x: &[E]) -> Buffer<E> {
    zip(g, x, |g, x| g * if x > E::ZERO { E::ONE } else { E::ZERO })
}

/// `act(y + bias)` with `bias` repeating along `y` (see `Backend::bias_act`).
/// No activation and relu take one pass, bias and activation together; the
/// other activations (a sigmoid output layer) add the bias, then call
/// `unary`, which has their vectorised forms. Each value is the one the
/// broadcast `Add` and the `unary` give.
pub fn bias_act<E: Element>(y: &[E], bias: &[E], act: Option<Unary>) -> Buffer<E> {
    let mut o = Buffer::for_overwrite(y.len());
    if bias.is_empty() {
        return o; // no columns, so no values
    }
    match act {
        None => repeating(&mut o, y, bias, |x, b| x + b),
        Some(Unary::Relu) => repeating(&mut o, y, bias, |x, b| relu(x + b)),
        Some(op) => {
            repeating(&mut o, y, bias, |x, b| x + b);
            return unary(op, &o);
        }
    }
    o
}

pub fn binary<E: Element>(op: Binary, a: &[E], a_shape: &[usize], b: &[E], b_shape: &[usize], out_shape: &[usize]) -> Buffer<E> {
    match op {
        Binary::Add => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x + y),
        Binary::Sub => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x - y),
        Binary::Mul => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x * y),
        Binary::Div => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x / y),
        Binary::Max => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x.max(y)),
        Binary::Min => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| x.min(y)),
        Binary::Eq => broadcast(a, a_shape, b, b_shape, out_shape, |x, y| if x == y { E::ONE } else { E::ZERO }),
    }
}

/// Is `small` a trailing block of `out` (after dropping its leading 1s)? Then
/// `small` repeats every `numel(small)` elements of the output: a bias row.
fn is_suffix(small: &[usize], out: &[usize]) -> bool {
    let s = &small[small.iter().take_while(|&&d| d == 1).count()..];
    s.len() <= out.len() && out[out.len() - s.len()..] == *s
}

/// `o[i] = f(a[i], r[i % r.len()])`: `r` repeats along `a` (a bias row
/// over a batch). A short `r` (the 12 or 29 outputs of a dense layer) is
/// first repeated into a block of at least `BLOCK` values, so the loop runs
/// over long stretches (a whole number of rows at a time) instead of paying
/// a loop's set-up and tail on every row of 12.
fn repeating<E: Element>(o: &mut [E], a: &[E], r: &[E], f: impl Fn(E, E) -> E + Sync + Send + Copy) {
    const BLOCK: usize = 256;
    let rows_per = BLOCK.div_ceil(r.len());
    let block_len = rows_per * r.len();
    let mut pattern = [E::ZERO; 2 * BLOCK];
    let pattern: &[E] = if block_len <= pattern.len() {
        for p in pattern[..block_len].chunks_exact_mut(r.len()) {
            p.copy_from_slice(r);
        }
        &pattern[..block_len]
    } else {
        r // rows long enough already
    };
    for_each_row(o, pattern.len(), |i, o| {
        let a = &a[i * pattern.len()..][..o.len()];
        for ((o, &x), &y) in o.iter_mut().zip(a).zip(pattern) {
            *o = f(x, y);
        }
    });
}

fn broadcast<E: Element>(
    a: &[E],
    a_shape: &[usize],
    b: &[E],
    b_shape: &[usize],
    out: &[usize],
    f: impl Fn(E, E) -> E + Sync + Send + Copy,
) -> Buffer<E> {
    let n = numel(out);
    // Fast path 1: same shape.
    if a.len() == n && b.len() == n {
        return zip(a, b, f);
    }
    // Fast path 2: one side a scalar.
    if b.len() == 1 && a.len() == n {
        let s = b[0];
        return map(a, move |x| f(x, s));
    }
    if a.len() == 1 && b.len() == n {
        let s = a[0];
        return map(b, move |y| f(s, y));
    }
    let mut o = Buffer::for_overwrite(n); // every path below writes every element
                                          // Fast path 3: one side repeats along the output (bias over a batch).
    if a.len() == n && is_suffix(b_shape, out) && !b.is_empty() {
        repeating(&mut o, a, b, f);
        return o;
    }
    if b.len() == n && is_suffix(a_shape, out) && !a.is_empty() {
        repeating(&mut o, b, a, move |y, x| f(x, y));
        return o;
    }
    // General path: walk the output row by row (last axis), reading each
    // operand through its broadcast strides.
    let sa = broadcast_strides(a_shape, out);
    let sb = broadcast_strides(b_shape, out);
    let last = *out.last().unwrap_or(&1);
    let (la, lb) = (*sa.last().unwrap_or(&0), *sb.last().unwrap_or(&0));
    for_each_row(&mut o, last, |r, row| {
        let (oa, ob) = (row_offset(r, out, &sa), row_offset(r, out, &sb));
        for (i, o) in row.iter_mut().enumerate() {
            *o = f(a[oa + i * la], b[ob + i * lb]);
        }
    });
    o
}

/// Offset of the first element of row `r` (all axes but the last) of `shape`
/// in a buffer read with `strides`.
pub fn row_offset(mut r: usize, shape: &[usize], strides: &[usize]) -> usize {
    let mut off = 0;
    for ax in (0..shape.len().saturating_sub(1)).rev() {
        off += (r % shape[ax]) * strides[ax];
        r /= shape[ax];
    }
    off
}
