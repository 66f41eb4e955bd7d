//! Every `Backend` primitive of the CUDA backend against `recon_tensor::Cpu32`
//! on random shapes and values (proptest), odd sizes that are no multiple of
//! any tile included.
//!
//! Each check is one generic body (`fn unary<B>(dev)`, ...) that runs twice:
//! - `gpu_*`: on the GPU, with output poisoning on (every output buffer is
//!   filled with NaN before its kernel runs, so an element a kernel forgets
//!   to write shows up as NaN). Without a GPU, or in a build without the
//!   `cuda` feature, these print `SKIPPED: <test>: no CUDA device (...)` to stderr
//!   (bypassing the test harness's capture, so it is always visible) and
//!   pass; with `RECON_CUDA_REQUIRED=1` they fail instead.
//! - `harness_*`: with the CPU backend standing in as the device, which
//!   must pass exactly; this keeps the test code itself honest (strategies,
//!   tolerances) on machines without a GPU.
//!
//! Tolerances: operations that are one IEEE operation per element (copies,
//! +, -, *, /, sqrt, max, comparisons) and sums the kernels perform in the
//! CPU's order (col2im, max-pool backward) must match bit for bit; library
//! functions (exp, log, tanh, pow) within a few ulps; reductions and matmul
//! within 1e-5 of the sum of the absolute values of the terms.

use std::io::Write;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use recon_cuda::CudaBackend;
use recon_tensor::{Backend, Binary, Cpu32, Matmul, Padding, Reduce, Tensor, Unary, Update, Window2d};

const CPU: Cpu32 = Cpu32::new();

// ---- the device under test ------------------------------------------------------------

/// The GPU, opened once per test binary, or `None` (with a visible message).
fn gpu(test: &str) -> Option<&'static CudaBackend> {
    static GPU: OnceLock<Result<CudaBackend, String>> = OnceLock::new();
    let g = GPU.get_or_init(|| match CudaBackend::new(0) {
        Ok(g) => {
            poison(&g);
            Ok(g)
        }
        Err(e) => Err(e.to_string()),
    });
    match g {
        Ok(g) => Some(g),
        Err(e) => {
            if std::env::var_os("RECON_CUDA_REQUIRED").is_some_and(|v| v == "1") {
                panic!("RECON_CUDA_REQUIRED=1 but no GPU: {e}");
            }
            // Straight to stderr, in one write: libtest captures
            // print!/eprint!, not this.
            let _ = std::io::stderr().lock().write_all(format!("SKIPPED: {test}: no CUDA device ({e})\n").as_bytes());
            None
        }
    }
}

#[cfg(feature = "cuda")]
fn poison(g: &CudaBackend) {
    g.set_poison(true);
}
#[cfg(not(feature = "cuda"))]
fn poison(_: &CudaBackend) {}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// A CPU-backend buffer holding `v` (whatever the CPU's storage type is).
fn cpu(v: &[f32]) -> <Cpu32 as Backend>::Storage {
    CPU.upload(v.to_vec()).unwrap()
}
/// The values of a CPU-backend buffer.
fn host(s: <Cpu32 as Backend>::Storage) -> Vec<f32> {
    CPU.to_vec(&s).unwrap()
}

fn up<B: Backend<Elem = f32>>(dev: &B, v: &[f32]) -> B::Storage {
    dev.upload(v.to_vec()).unwrap()
}
fn down<B: Backend<Elem = f32>>(dev: &B, s: &B::Storage) -> Vec<f32> {
    dev.to_vec(s).unwrap()
}

// ---- values and comparisons -----------------------------------------------------------

/// `len` values in [lo, hi) from a seed (xorshift; proptest picks the seed).
fn vals(len: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn fail(what: &str, i: usize, got: f32, want: f32, len: usize) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(format!("{what}: element {i} of {len}: got {got:e}, CPU {want:e}")))
}

/// Bit-for-bit equality (NaN equals NaN).
fn exact(what: &str, got: &[f32], want: &[f32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len(), "{}: lengths", what);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if g.to_bits() != w.to_bits() && !(g.is_nan() && w.is_nan()) {
            return fail(what, i, g, w, got.len());
        }
    }
    Ok(())
}

/// `|got - want| <= tol(i)`, NaN exactly where the CPU has NaN, infinities equal.
fn close(what: &str, got: &[f32], want: &[f32], tol: impl Fn(usize) -> f32) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len(), "{}: lengths", what);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() || g.is_nan() {
            w.is_nan() && g.is_nan()
        } else if w.is_infinite() || g.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= tol(i)
        };
        if !ok {
            return fail(what, i, g, w, got.len());
        }
    }
    Ok(())
}

/// Drops some leading axes of `shape` and sets some of the rest to 1: a
/// shape that broadcasts to `shape`.
fn squeeze(shape: &[usize], bits: u64) -> Vec<usize> {
    let drop = (bits & 7) as usize % (shape.len() + 1);
    shape[drop..].iter().enumerate().map(|(k, &d)| if bits >> (3 + k) & 1 == 1 { 1 } else { d }).collect()
}

fn numel(s: &[usize]) -> usize {
    s.iter().product()
}

// ---- memory and layout ----------------------------------------------------------------

fn memory<B: Backend<Elem = f32>>(dev: &B) {
    runner(32)
        .run(&(0usize..5000, any::<u64>(), -5.0f32..5.0), |(len, seed, c)| {
            let v = vals(len, seed, -3.0, 3.0);
            exact("upload/to_vec", &down(dev, &up(dev, &v)), &v)?;
            exact("full", &down(dev, &dev.full(len, c).unwrap()), &vec![c; len])
        })
        .unwrap();
}

fn permute<B: Backend<Elem = f32>>(dev: &B) {
    let strat = (prop::collection::vec(1usize..7, 1..6), any::<u64>(), any::<u64>());
    runner(48)
        .run(&strat, |(shape, perm_seed, seed)| {
            let mut axes: Vec<usize> = (0..shape.len()).collect();
            let mut r = perm_seed;
            for i in (1..axes.len()).rev() {
                axes.swap(i, (r % (i as u64 + 1)) as usize);
                r = r.rotate_left(11) ^ 0x2545_F491_4F6C_DD1D;
            }
            let v = vals(numel(&shape), seed, -1.0, 1.0);
            let want = host(CPU.permute(&cpu(&v), &shape, &axes).unwrap());
            exact(&format!("permute {shape:?} {axes:?}"), &down(dev, &dev.permute(&up(dev, &v), &shape, &axes).unwrap()), &want)
        })
        .unwrap();
}

fn broadcast<B: Backend<Elem = f32>>(dev: &B) {
    let strat = (prop::collection::vec(1usize..7, 0..6), any::<u64>(), any::<u64>());
    runner(48)
        .run(&strat, |(to, bits, seed)| {
            let from = squeeze(&to, bits);
            let v = vals(numel(&from), seed, -1.0, 1.0);
            let want = host(CPU.broadcast_to(&cpu(&v), &from, &to).unwrap());
            exact(&format!("broadcast {from:?} -> {to:?}"), &down(dev, &dev.broadcast_to(&up(dev, &v), &from, &to).unwrap()), &want)
        })
        .unwrap();
}

fn gather_rows<B: Backend<Elem = f32>>(dev: &B) {
    let strat = (1usize..30, 0usize..40, prop::collection::vec(any::<u32>(), 0..50), any::<u64>());
    runner(48)
        .run(&strat, |(nrows, row_len, picks, seed)| {
            let v = vals(nrows * row_len, seed, -1.0, 1.0);
            let rows: Vec<usize> = picks.iter().map(|&p| p as usize % nrows).collect();
            let want = host(CPU.gather_rows(&cpu(&v), row_len, &rows).unwrap());
            exact("gather_rows", &down(dev, &dev.gather_rows(&up(dev, &v), row_len, &rows).unwrap()), &want)
        })
        .unwrap();
}

// ---- elementwise ----------------------------------------------------------------------

/// Every unary op, an input range it is defined on, and whether it is one
/// IEEE operation (bit-exact) or a library function (a few ulps).
fn unary_ops() -> Vec<(Unary, f32, f32, bool)> {
    vec![
        (Unary::Neg, -4.0, 4.0, true),
        (Unary::Exp, -20.0, 20.0, false),
        (Unary::Log, 0.01, 100.0, false),
        (Unary::Sqrt, 0.0, 100.0, true),
        (Unary::Square, -4.0, 4.0, true),
        (Unary::Abs, -4.0, 4.0, true),
        (Unary::Recip, 0.1, 10.0, true),
        (Unary::Relu, -4.0, 4.0, true),
        (Unary::Sigmoid, -30.0, 30.0, false),
        (Unary::Tanh, -10.0, 10.0, false),
        (Unary::Softplus, -30.0, 30.0, false),
        (Unary::Step, -4.0, 4.0, true),
        (Unary::Sign, -4.0, 4.0, true),
        (Unary::AddScalar(0.3), -4.0, 4.0, true),
        (Unary::MulScalar(-1.7), -4.0, 4.0, true),
        (Unary::Powf(2.0), -4.0, 4.0, true),
        (Unary::Powf(1.5), 0.0, 4.0, false),
        (Unary::Powf(-0.5), 0.1, 4.0, false),
        (Unary::Clamp(-1.0, 1.5), -4.0, 4.0, true),
        (Unary::InRange(-1.0, 1.5), -4.0, 4.0, true),
    ]
}

fn unary<B: Backend<Elem = f32>>(dev: &B) {
    runner(24)
        .run(&(0usize..3000, any::<u64>()), |(len, seed)| {
            for (op, lo, hi, is_exact) in unary_ops() {
                let mut v = vals(len, seed, lo, hi);
                // Exact zeros, -0 and the clamp bounds, where the op allows them.
                for (i, x) in v.iter_mut().enumerate() {
                    if i % 7 == 3 && lo <= -1.0 && hi >= 1.5 {
                        *x = [0.0, -0.0, -1.0, 1.5][(i / 7) % 4];
                    }
                }
                let want = host(CPU.unary(op, &cpu(&v)).unwrap());
                let got = down(dev, &dev.unary(op, &up(dev, &v)).unwrap());
                let what = format!("{op:?}, {len} values");
                if is_exact {
                    exact(&what, &got, &want)?;
                } else {
                    close(&what, &got, &want, |i| 4e-6 * want[i].abs() + 1e-6)?;
                }
            }
            Ok(())
        })
        .unwrap();
}

fn binary<B: Backend<Elem = f32>>(dev: &B) {
    let ops = [Binary::Add, Binary::Sub, Binary::Mul, Binary::Div, Binary::Max, Binary::Min, Binary::Eq];
    // Shapes up to rank 5, the last axis sometimes long (float4 tails).
    let strat = (prop::collection::vec(1usize..6, 0..5), 1usize..70, any::<u64>(), any::<u64>(), any::<u64>());
    runner(64)
        .run(&strat, |(mut out, last, ba, bb, seed)| {
            if seed % 2 == 0 {
                out.push(last);
            }
            let (sa, sb) = (squeeze(&out, ba), squeeze(&out, bb));
            for op in ops {
                // Few distinct values so that Eq, Max and Min meet ties; no zeros for Div.
                let a: Vec<f32> = vals(numel(&sa), seed, 0.0, 8.0).iter().map(|x| x.floor() - 3.5).collect();
                let b: Vec<f32> = vals(numel(&sb), seed ^ 1, 0.0, 8.0).iter().map(|x| x.floor() - 3.5).collect();
                let want = host(CPU.binary(op, &cpu(&a), &sa, &cpu(&b), &sb, &out).unwrap());
                let got = down(dev, &dev.binary(op, &up(dev, &a), &sa, &up(dev, &b), &sb, &out).unwrap());
                exact(&format!("{op:?} {sa:?} with {sb:?} -> {out:?}"), &got, &want)?;
            }
            Ok(())
        })
        .unwrap();
}

// ---- reductions -----------------------------------------------------------------------

fn reduce<B: Backend<Elem = f32>>(dev: &B) {
    let strat = (1usize..6, 0usize..700, prop_oneof![Just(1usize), 1usize..40], any::<u64>());
    runner(64)
        .run(&strat, |(outer, len, inner, seed)| {
            let x = vals(outer * len * inner, seed, -2.0, 2.0);
            let ax: Vec<f32> = x.iter().map(|v| v.abs()).collect();
            let mag = host(CPU.reduce(Reduce::Sum, &cpu(&ax), outer, len, inner).unwrap());
            let d = up(dev, &x);
            let what = format!("[{outer}, {len}, {inner}]");
            let want = host(CPU.reduce(Reduce::Sum, &cpu(&x), outer, len, inner).unwrap());
            close(&format!("sum {what}"), &down(dev, &dev.reduce(Reduce::Sum, &d, outer, len, inner).unwrap()), &want, |i| {
                1e-5 * mag[i] + 1e-6
            })?;
            let want = host(CPU.reduce(Reduce::Max, &cpu(&x), outer, len, inner).unwrap());
            exact(&format!("max {what}"), &down(dev, &dev.reduce(Reduce::Max, &d, outer, len, inner).unwrap()), &want)
        })
        .unwrap();
}

fn sum_all<B: Backend<Elem = f32>>(dev: &B) {
    runner(24)
        .run(&(prop_oneof![0usize..100, 100usize..200_000], any::<u64>()), |(len, seed)| {
            let x = vals(len, seed, -1.0, 1.0);
            let mag: f32 = x.iter().map(|v| v.abs()).sum();
            let want = host(CPU.sum_all(&cpu(&x)).unwrap());
            let d = up(dev, &x);
            let got = down(dev, &dev.sum_all(&d).unwrap());
            close(&format!("sum_all of {len}"), &got, &want, |_| 1e-5 * mag + 1e-6)?;
            // Deterministic: the same bits again.
            exact("sum_all twice", &down(dev, &dev.sum_all(&d).unwrap()), &got)
        })
        .unwrap();
}

fn softmax<B: Backend<Elem = f32>>(dev: &B) {
    runner(48)
        .run(&(1usize..20, 1usize..700, any::<u64>()), |(rows, cols, seed)| {
            let x = vals(rows * cols, seed, -20.0, 20.0);
            let d = up(dev, &x);
            let want = host(CPU.softmax_rows(&cpu(&x), rows, cols).unwrap());
            close(&format!("softmax {rows}x{cols}"), &down(dev, &dev.softmax_rows(&d, rows, cols).unwrap()), &want, |i| {
                1e-5 * want[i] + 1e-7
            })?;
            let want = host(CPU.log_softmax_rows(&cpu(&x), rows, cols).unwrap());
            close(&format!("log_softmax {rows}x{cols}"), &down(dev, &dev.log_softmax_rows(&d, rows, cols).unwrap()), &want, |i| {
                1e-5 * (1.0 + want[i].abs())
            })
        })
        .unwrap();
}

// ---- matmul ---------------------------------------------------------------------------

fn matmul_strategy() -> impl Strategy<Value = (Matmul, u64)> {
    let dim = || prop_oneof![1usize..40, 1usize..300];
    (1usize..4, dim(), dim(), dim(), any::<bool>(), any::<bool>(), 0u8..3, any::<u64>()).prop_map(
        |(batch, m, k, n, ta, tb, share, seed)| {
            // share: 0 = nothing shared, 1 = A shared across the batch, 2 = B.
            let spec = Matmul {
                batch,
                m,
                k,
                n,
                trans_a: ta,
                trans_b: tb,
                a_batch_stride: if share == 1 { 0 } else { m * k },
                b_batch_stride: if share == 2 { 0 } else { k * n },
            };
            (spec, seed)
        },
    )
}

/// Operands for `spec` and the per-element scale `|A| |B|` of the result.
fn matmul_case(spec: &Matmul, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let la = if spec.a_batch_stride == 0 { spec.m * spec.k } else { spec.batch * spec.m * spec.k };
    let lb = if spec.b_batch_stride == 0 { spec.k * spec.n } else { spec.batch * spec.k * spec.n };
    let a = vals(la, seed, -1.0, 1.0);
    let b = vals(lb, seed ^ 7, -1.0, 1.0);
    let abs = |v: &[f32]| v.iter().map(|x| x.abs()).collect::<Vec<f32>>();
    let scale = host(CPU.matmul(&cpu(&abs(&a)), &cpu(&abs(&b)), spec).unwrap());
    (a, b, scale)
}

fn matmul<B: Backend<Elem = f32>>(dev: &B) {
    runner(48)
        .run(&matmul_strategy(), |(spec, seed)| {
            let (a, b, scale) = matmul_case(&spec, seed);
            let want = host(CPU.matmul(&cpu(&a), &cpu(&b), &spec).unwrap());
            let got = down(dev, &dev.matmul(&up(dev, &a), &up(dev, &b), &spec).unwrap());
            close(&format!("matmul {spec:?}"), &got, &want, |i| 1e-5 * scale[i] + 1e-6)
        })
        .unwrap();
}

// ---- sliding windows ------------------------------------------------------------------

fn window_strategy() -> impl Strategy<Value = Option<Window2d>> {
    (1usize..3, 1usize..4, 1usize..13, 1usize..13, 1usize..5, 1usize..5, 1usize..4, any::<bool>()).prop_map(
        |(n, c, h, w, kh, kw, s, same)| {
            let pad = if same { Padding::Same } else { Padding::Valid };
            Window2d::forward("test", &[n, c, h, w], (kh, kw), s, pad).ok()
        },
    )
}

fn windows<B: Backend<Elem = f32>>(dev: &B) {
    runner(64)
        .run(&(window_strategy(), any::<u64>()), |(w, seed)| {
            let Some(w) = w else { return Ok(()) };
            let what = format!("{w:?}");
            let x = vals(numel(&w.input_shape()), seed, -1.0, 1.0);
            let dx = up(dev, &x);
            let cols = host(CPU.im2col(&cpu(&x), &w).unwrap());
            exact(&format!("im2col {what}"), &down(dev, &dev.im2col(&dx, &w).unwrap()), &cols)?;
            let c = vals(cols.len(), seed ^ 3, -1.0, 1.0);
            exact(&format!("col2im {what}"), &down(dev, &dev.col2im(&up(dev, &c), &w).unwrap()), &host(CPU.col2im(&cpu(&c), &w).unwrap()))?;
            // Ties inside windows: values from a small set.
            let xt: Vec<f32> = x.iter().map(|v| (v * 3.0).round()).collect();
            let (y, idx) = CPU.max_pool2d(&cpu(&xt), &w).unwrap();
            let y = host(y);
            let (gy, gidx) = dev.max_pool2d(&up(dev, &xt), &w).unwrap();
            exact(&format!("max_pool2d {what}"), &down(dev, &gy), &y)?;
            let dy = vals(y.len(), seed ^ 5, -1.0, 1.0);
            let want = host(CPU.max_pool2d_backward(&cpu(&dy), &idx, &w).unwrap());
            exact(&format!("max_pool2d_backward {what}"), &down(dev, &dev.max_pool2d_backward(&up(dev, &dy), &gidx, &w).unwrap()), &want)
        })
        .unwrap();
}

// ---- optimizer updates and a small forward pass through `Tensor` ------------------------

fn updates<B: Backend<Elem = f32>>(dev: &B) {
    let rules = [
        Update::Sgd { lr: 0.1 },
        Update::Momentum { lr: 0.1, momentum: 0.9 },
        Update::RmsProp { lr: 1e-3, rho: 0.9, eps: 1e-7 },
        Update::Adam { lr_t: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-7 },
    ];
    runner(16)
        .run(&(1usize..3000, any::<u64>()), |(len, seed)| {
            let w0 = vals(len, seed, -1.0, 1.0);
            for rule in rules {
                let (mut w, mut cw) = (up(dev, &w0), cpu(&w0));
                let mut slots: Vec<B::Storage> = (0..rule.slots()).map(|_| dev.full(len, 0.0).unwrap()).collect();
                let mut cslots: Vec<<Cpu32 as Backend>::Storage> = (0..rule.slots()).map(|_| CPU.full(len, 0.0).unwrap()).collect();
                for step in 0..3u64 {
                    let g = vals(len, seed ^ step, -1.0, 1.0);
                    let mut refs: Vec<&mut B::Storage> = slots.iter_mut().collect();
                    dev.update(&rule, &mut w, &up(dev, &g), &mut refs, len).unwrap();
                    let mut crefs: Vec<&mut <Cpu32 as Backend>::Storage> = cslots.iter_mut().collect();
                    CPU.update(&rule, &mut cw, &cpu(&g), &mut crefs, len).unwrap();
                }
                let want = host(cw);
                close(&format!("{rule:?}, {len} weights"), &down(dev, &w), &want, |i| 2e-6 * (1.0 + want[i].abs()))?;
            }
            Ok(())
        })
        .unwrap();
}

/// `relu(x W + b)` and its sum.
fn dense_relu<B: Backend<Elem = f32>>(x: Tensor<B>, w: Tensor<B>, b: Tensor<B>) -> (Vec<f32>, f64) {
    let y = x.matmul(&w).unwrap().add(&b).unwrap().relu().unwrap();
    (y.to_vec().unwrap(), y.sum_all().unwrap().item().unwrap())
}

/// `relu(x W + b)` summed, through `Tensor` (shapes, broadcasting, the
/// reduction path) rather than the raw primitives.
fn tensor_forward<B: Backend<Elem = f32>>(dev: &B) {
    runner(16)
        .run(&(1usize..70, 1usize..40, 1usize..40, any::<u64>()), |(rows, inp, out, seed)| {
            let (x, w, b) = (vals(rows * inp, seed, -1.0, 1.0), vals(inp * out, seed ^ 1, -1.0, 1.0), vals(out, seed ^ 2, -1.0, 1.0));
            let t = |d: &B, v: &[f32], s: &[usize]| Tensor::from_vec(d, v.to_vec(), s).unwrap();
            let c = |v: &[f32], s: &[usize]| Tensor::from_vec(&CPU, v.to_vec(), s).unwrap();
            let (gy, gs) = dense_relu(t(dev, &x, &[rows, inp]), t(dev, &w, &[inp, out]), t(dev, &b, &[out]));
            let (cy, cs) = dense_relu(c(&x, &[rows, inp]), c(&w, &[inp, out]), c(&b, &[out]));
            close("relu(x W + b)", &gy, &cy, |_| 1e-5 * inp as f32)?;
            prop_assert!((gs - cs).abs() <= 1e-5 * (rows * out * inp) as f64, "sum {gs} vs {cs}");
            Ok(())
        })
        .unwrap();
}

// ---- the tests: each body on the GPU, and on the CPU as a harness check ----------------

#[test]
fn gpu_memory() {
    if let Some(g) = gpu("gpu_memory") {
        memory(g);
    }
}
#[test]
fn harness_memory() {
    memory(&CPU);
}
#[test]
fn gpu_permute() {
    if let Some(g) = gpu("gpu_permute") {
        permute(g);
    }
}
#[test]
fn harness_permute() {
    permute(&CPU);
}
#[test]
fn gpu_broadcast() {
    if let Some(g) = gpu("gpu_broadcast") {
        broadcast(g);
    }
}
#[test]
fn harness_broadcast() {
    broadcast(&CPU);
}
#[test]
fn gpu_gather_rows() {
    if let Some(g) = gpu("gpu_gather_rows") {
        gather_rows(g);
    }
}
#[test]
fn harness_gather_rows() {
    gather_rows(&CPU);
}
#[test]
fn gpu_unary() {
    if let Some(g) = gpu("gpu_unary") {
        unary(g);
    }
}
#[test]
fn harness_unary() {
    unary(&CPU);
}
#[test]
fn gpu_binary() {
    if let Some(g) = gpu("gpu_binary") {
        binary(g);
    }
}
#[test]
fn harness_binary() {
    binary(&CPU);
}
#[test]
fn gpu_reduce() {
    if let Some(g) = gpu("gpu_reduce") {
        reduce(g);
    }
}
#[test]
fn harness_reduce() {
    reduce(&CPU);
}
#[test]
fn gpu_sum_all() {
    if let Some(g) = gpu("gpu_sum_all") {
        sum_all(g);
    }
}
#[test]
fn harness_sum_all() {
    sum_all(&CPU);
}
#[test]
fn gpu_softmax() {
    if let Some(g) = gpu("gpu_softmax") {
        softmax(g);
    }
}
#[test]
fn harness_softmax() {
    softmax(&CPU);
}
#[test]
fn gpu_matmul() {
    if let Some(g) = gpu("gpu_matmul") {
        matmul(g);
    }
}
#[test]
fn harness_matmul() {
    matmul(&CPU);
}
#[test]
fn gpu_windows() {
    if let Some(g) = gpu("gpu_windows") {
        windows(g);
    }
}
#[test]
fn harness_windows() {
    windows(&CPU);
}
#[test]
fn gpu_updates() {
    if let Some(g) = gpu("gpu_updates") {
        updates(g);
    }
}
#[test]
fn harness_updates() {
    updates(&CPU);
}
#[test]
fn gpu_tensor_forward() {
    if let Some(g) = gpu("gpu_tensor_forward") {
        tensor_forward(g);
    }
}
#[test]
fn harness_tensor_forward() {
    tensor_forward(&CPU);
}

// ---- CUDA-only entry points (fused kernels, variants, allocator) -----------------------

#[cfg(feature = "cuda")]
mod cuda_only {
    use super::*;
    use recon_cuda::{philox, Activation, AdamParams, GemmVariant, RmsPropParams, SgdParams};

    /// Every GEMM variant on every shape it fits, against the CPU.
    #[test]
    fn gpu_every_gemm_variant() {
        let Some(g) = gpu("gpu_every_gemm_variant") else { return };
        runner(48)
            .run(&matmul_strategy(), |(spec, seed)| {
                let (a, b, scale) = matmul_case(&spec, seed);
                let want = host(CPU.matmul(&cpu(&a), &cpu(&b), &spec).unwrap());
                let (da, db) = (up(g, &a), up(g, &b));
                for v in GemmVariant::ALL {
                    if !v.fits(&spec) {
                        continue;
                    }
                    let got = down(g, &g.matmul_with(v, &da, &db, &spec).unwrap());
                    close(&format!("variant {} {spec:?}", v.number()), &got, &want, |i| 1e-5 * scale[i] + 1e-6)?;
                }
                Ok(())
            })
            .unwrap();
        // Shapes that are multiples of 4 (variant 4) and larger than one tile.
        for (m, k, n) in [(128, 8, 128), (256, 260, 132), (4, 4, 4), (132, 4, 516)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let spec = Matmul { batch: 2, m, k, n, trans_a: ta, trans_b: tb, a_batch_stride: m * k, b_batch_stride: 0 };
                let (a, b, scale) = matmul_case(&spec, 9);
                let want = host(CPU.matmul(&cpu(&a), &cpu(&b), &spec).unwrap());
                let got = down(g, &g.matmul_with(GemmVariant::Vectorized, &up(g, &a), &up(g, &b), &spec).unwrap());
                close(&format!("variant 4 {spec:?}"), &got, &want, |i| 1e-5 * scale[i] + 1e-6).unwrap();
            }
        }
    }

    /// A grid-stride loop really covers what the grid does not.
    #[test]
    fn gpu_large_elementwise() {
        let Some(g) = gpu("gpu_large_elementwise") else { return };
        let n = (1usize << 26) + 5; // more than 65536 blocks x 256 threads x 4
        let x = vals(n, 3, -1.0, 1.0);
        let got = down(g, &g.unary(Unary::Relu, &up(g, &x)).unwrap());
        exact("relu, 2^26 + 5 values", &got, &host(CPU.unary(Unary::Relu, &cpu(&x)).unwrap())).unwrap();
    }

    #[test]
    fn gpu_noise_matches_the_cpu_philox_stream() {
        let Some(g) = gpu("gpu_noise_matches_the_cpu_philox_stream") else { return };
        for (len, seed, stream) in [(1, 0, 0), (7, 42, 3), (100_001, u64::MAX, 1 << 40)] {
            let want = philox::normal(len, seed, stream, 0.5, 2.0);
            let got = down(g, &g.normal(len, seed, stream, 0.5, 2.0).unwrap());
            close(&format!("normal({len}, {seed}, {stream})"), &got, &want, |i| 2e-5 * (1.0 + want[i].abs())).unwrap();
            exact("normal twice", &down(g, &g.normal(len, seed, stream, 0.5, 2.0).unwrap()), &got).unwrap();
        }
    }

    #[test]
    fn gpu_fused_bias_activation_and_loss() {
        let Some(g) = gpu("gpu_fused_bias_activation_and_loss") else { return };
        for (rows, cols) in [(1, 1), (3, 4), (32, 12), (5, 13), (1024, 16)] {
            let x = vals(rows * cols, 1, -3.0, 3.0);
            let bias = vals(cols, 2, -1.0, 1.0);
            let pre = host(CPU.binary(Binary::Add, &cpu(&x), &[rows, cols], &cpu(&bias), &[cols], &[rows, cols]).unwrap());
            let dy = vals(rows * cols, 3, -1.0, 1.0);
            for act in Activation::ALL {
                let want = match act {
                    Activation::Identity => pre.clone(),
                    Activation::Relu => host(CPU.unary(Unary::Relu, &cpu(&pre)).unwrap()),
                    Activation::Sigmoid => host(CPU.unary(Unary::Sigmoid, &cpu(&pre)).unwrap()),
                    Activation::Tanh => host(CPU.unary(Unary::Tanh, &cpu(&pre)).unwrap()),
                };
                let y = g.bias_act(&up(g, &x), &up(g, &bias), rows, cols, act).unwrap();
                close(&format!("bias_act {act:?} {rows}x{cols}"), &down(g, &y), &want, |i| 4e-6 * want[i].abs() + 1e-6).unwrap();
                let d: Vec<f32> = want
                    .iter()
                    .map(|&v| match act {
                        Activation::Identity => 1.0,
                        Activation::Relu => (v > 0.0) as u8 as f32,
                        Activation::Sigmoid => v * (1.0 - v),
                        Activation::Tanh => 1.0 - v * v,
                    })
                    .collect();
                let want_dx: Vec<f32> = dy.iter().zip(&d).map(|(a, b)| a * b).collect();
                let dx = g.act_backward(&up(g, &want), &up(g, &dy), act).unwrap();
                close(&format!("act_backward {act:?}"), &down(g, &dx), &want_dx, |i| 1e-6 * (1.0 + want_dx[i].abs())).unwrap();
            }
        }
        let (p, t) = (vals(1001, 4, -2.0, 2.0), vals(1001, 5, -2.0, 2.0));
        let (sq, grad) = g.mse_with_grad(&up(g, &p), &up(g, &t), 2.0 / 1001.0).unwrap();
        let d: Vec<f32> = p.iter().zip(&t).map(|(a, b)| a - b).collect();
        exact("squared error", &down(g, &sq), &d.iter().map(|v| v * v).collect::<Vec<_>>()).unwrap();
        exact("mse gradient", &down(g, &grad), &d.iter().map(|v| (2.0f32 / 1001.0) * v).collect::<Vec<_>>()).unwrap();
    }

    #[test]
    fn gpu_optimizer_steps_match_the_unfused_formulas() {
        let Some(g) = gpu("gpu_optimizer_steps_match_the_unfused_formulas") else { return };
        let n = 1037;
        let (w0, gr) = (vals(n, 1, -1.0, 1.0), vals(n, 2, -1.0, 1.0));
        let tol = |want: &[f32]| want.iter().map(|v| 2e-6 * (1.0 + v.abs())).collect::<Vec<f32>>();
        // Adam, three steps.
        let (mut w, mut m, mut v) = (up(g, &w0), up(g, &vec![0.0; n]), up(g, &vec![0.0; n]));
        let (mut hw, mut hm, mut hv) = (w0.clone(), vec![0.0f32; n], vec![0.0f32; n]);
        for t in 1..=3 {
            let p = AdamParams::new(1e-2, 0.9, 0.999, 1e-7, t);
            g.adam_step(&mut w, &up(g, &gr), &mut m, &mut v, &p).unwrap();
            for i in 0..n {
                hm[i] = hm[i] * p.beta1 + gr[i] * p.one_minus_beta1;
                hv[i] = hv[i] * p.beta2 + (gr[i] * gr[i]) * p.one_minus_beta2;
                hw[i] -= (hm[i] / (hv[i].sqrt() + p.epsilon)) * p.lr_t;
            }
        }
        let tw = tol(&hw);
        close("adam w", &down(g, &w), &hw, |i| tw[i]).unwrap();
        // RMSprop, two steps.
        let (mut w, mut s) = (up(g, &w0), up(g, &vec![0.0; n]));
        let (mut hw, mut hs) = (w0.clone(), vec![0.0f32; n]);
        let p = RmsPropParams::new(1e-3, 0.9, 1e-7);
        for _ in 0..2 {
            g.rmsprop_step(&mut w, &up(g, &gr), &mut s, &p).unwrap();
            for i in 0..n {
                hs[i] = hs[i] * p.rho + (gr[i] * gr[i]) * p.one_minus_rho;
                hw[i] -= (gr[i] / (hs[i].sqrt() + p.epsilon)) * p.lr;
            }
        }
        let tw = tol(&hw);
        close("rmsprop w", &down(g, &w), &hw, |i| tw[i]).unwrap();
        // SGD with and without momentum.
        let p = SgdParams { lr: 0.1, momentum: 0.9 };
        let (mut w, mut vel) = (up(g, &w0), up(g, &vec![0.0; n]));
        let (mut hw, mut hvel) = (w0.clone(), vec![0.0f32; n]);
        for _ in 0..2 {
            g.sgd_step(&mut w, &up(g, &gr), Some(&mut vel), &p).unwrap();
            for i in 0..n {
                hvel[i] = hvel[i] * p.momentum - gr[i] * p.lr;
                hw[i] += hvel[i];
            }
        }
        let tw = tol(&hw);
        close("sgd momentum w", &down(g, &w), &hw, |i| tw[i]).unwrap();
        let mut w = up(g, &w0);
        g.sgd_step(&mut w, &up(g, &gr), None, &p).unwrap();
        let hw: Vec<f32> = w0.iter().zip(&gr).map(|(w, g)| w - g * p.lr).collect();
        let tw = tol(&hw);
        close("sgd w", &down(g, &w), &hw, |i| tw[i]).unwrap();
    }

    /// A steady-state step allocates nothing new from the driver.
    #[test]
    fn gpu_pool_reuses_buffers() {
        let Some(g) = gpu("gpu_pool_reuses_buffers") else { return };
        let x = up(g, &vals(10_000, 1, -1.0, 1.0));
        let step = || {
            let y = g.unary(Unary::Tanh, &x).unwrap();
            let z = g.binary(Binary::Mul, &y, &[100, 100], &x, &[100, 100], &[100, 100]).unwrap();
            g.sum_all(&z).unwrap()
        };
        drop(step());
        let before = g.pool_stats();
        for _ in 0..10 {
            drop(step());
        }
        let after = g.pool_stats();
        assert_eq!(after.driver_allocs, before.driver_allocs, "{before:?} -> {after:?}");
        assert!(after.reuses > before.reuses);
    }
}
