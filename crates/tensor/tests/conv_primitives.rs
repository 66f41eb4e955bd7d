//! Checks the convolution, upsampling and relu-gradient primitives of the
//! `Backend` trait against the naive loops in `naive/`, on two backends: the
//! CPU backend (fused kernels: per-item im2col + GEMM, the flipped-kernel
//! input gradient, the single-row product) and `Composed`, the CPU backend
//! with those methods left to the trait's defaults (im2col, matmul, col2im,
//! broadcasts and reductions), which is what a backend without its own
//! kernels (CUDA today) runs. Random shapes, odd sizes, 1 x 1 to 4 x 4
//! kernels, strides 1 to 3, both paddings, one to three output channels
//! (one channel takes the single-row path), in `f64` and in `f32` (whose
//! stride-1 forward runs, where the CPU has AVX-512, on `direct.rs` when the
//! output is no wider than the input and on `padded.rs`'s implicit im2col
//! otherwise); then the conv autoencoder's own shapes, large enough for the
//! parallel paths.

mod naive;

use naive::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use recon_tensor::cpu::buffer::Buffer;
use recon_tensor::{Backend, Binary, Cpu32, Cpu64, Element, Matmul, Padding, Reduce, Result, Tensor, Unary, Window2d};

/// `Cpu64` with only the required methods: convolution, upsampling and the
/// relu gradient come from the trait's composed defaults.
#[derive(Clone, Debug, Default)]
struct Composed(Cpu64);

impl Backend for Composed {
    type Elem = f64;
    type Storage = Buffer<f64>;
    type Indices = Vec<u32>;
    fn name(&self) -> String {
        "composed".into()
    }
    fn upload(&self, data: Vec<f64>) -> Result<Buffer<f64>> {
        self.0.upload(data)
    }
    fn to_vec(&self, x: &Buffer<f64>) -> Result<Vec<f64>> {
        self.0.to_vec(x)
    }
    fn full(&self, len: usize, value: f64) -> Result<Buffer<f64>> {
        self.0.full(len, value)
    }
    fn permute(&self, x: &Buffer<f64>, shape: &[usize], axes: &[usize]) -> Result<Buffer<f64>> {
        self.0.permute(x, shape, axes)
    }
    fn broadcast_to(&self, x: &Buffer<f64>, from: &[usize], to: &[usize]) -> Result<Buffer<f64>> {
        self.0.broadcast_to(x, from, to)
    }
    fn gather_rows(&self, x: &Buffer<f64>, row_len: usize, rows: &[usize]) -> Result<Buffer<f64>> {
        self.0.gather_rows(x, row_len, rows)
    }
    fn unary(&self, op: Unary, x: &Buffer<f64>) -> Result<Buffer<f64>> {
        self.0.unary(op, x)
    }
    fn binary(&self, op: Binary, a: &Buffer<f64>, sa: &[usize], b: &Buffer<f64>, sb: &[usize], so: &[usize]) -> Result<Buffer<f64>> {
        self.0.binary(op, a, sa, b, sb, so)
    }
    fn reduce(&self, op: Reduce, x: &Buffer<f64>, outer: usize, len: usize, inner: usize) -> Result<Buffer<f64>> {
        self.0.reduce(op, x, outer, len, inner)
    }
    fn sum_all(&self, x: &Buffer<f64>) -> Result<Buffer<f64>> {
        self.0.sum_all(x)
    }
    fn softmax_rows(&self, x: &Buffer<f64>, rows: usize, cols: usize) -> Result<Buffer<f64>> {
        self.0.softmax_rows(x, rows, cols)
    }
    fn log_softmax_rows(&self, x: &Buffer<f64>, rows: usize, cols: usize) -> Result<Buffer<f64>> {
        self.0.log_softmax_rows(x, rows, cols)
    }
    fn matmul(&self, a: &Buffer<f64>, b: &Buffer<f64>, spec: &Matmul) -> Result<Buffer<f64>> {
        self.0.matmul(a, b, spec)
    }
    fn im2col(&self, x: &Buffer<f64>, w: &Window2d) -> Result<Buffer<f64>> {
        self.0.im2col(x, w)
    }
    fn col2im(&self, cols: &Buffer<f64>, w: &Window2d) -> Result<Buffer<f64>> {
        self.0.col2im(cols, w)
    }
    fn max_pool2d(&self, x: &Buffer<f64>, w: &Window2d) -> Result<(Buffer<f64>, Vec<u32>)> {
        self.0.max_pool2d(x, w)
    }
    fn max_pool2d_backward(&self, dy: &Buffer<f64>, idx: &Vec<u32>, w: &Window2d) -> Result<Buffer<f64>> {
        self.0.max_pool2d_backward(dy, idx, w)
    }
}

#[derive(Debug, Clone)]
struct Case {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    same: bool,
    oc: usize,
}

impl Case {
    fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.h, self.w]
    }
    fn w_shape(&self) -> Vec<usize> {
        vec![self.oc, self.c, self.kh, self.kw]
    }
    fn padding(&self) -> Padding {
        if self.same {
            Padding::Same
        } else {
            Padding::Valid
        }
    }
}

/// Inputs up to 9 x 9 (odd and non-square sizes included), kernels up to 4 x 4.
fn case() -> impl Strategy<Value = Case> {
    (1usize..4, 1usize..4, 1usize..10, 1usize..10, 1usize..5, 1usize..5, 1usize..4, any::<bool>(), 1usize..4).prop_map(
        |(n, c, h, w, kh, kw, stride, same, oc)| {
            let (h, w) = if same { (h, w) } else { (h.max(kh), w.max(kw)) };
            Case { n, c, h, w, kh, kw, stride, same, oc }
        },
    )
}

fn tensor<B: Backend>(b: &B, v: &[f64], shape: &[usize]) -> Tensor<B> {
    Tensor::from_vec(b, v.iter().map(|&v| B::Elem::from_f64(v)).collect(), shape).unwrap()
}

/// `len` uniform values in `[-1, 1)`, rounded to `E` (so the naive loops in
/// `f64` see exactly what the backend sees).
fn values<E: Element>(r: &mut StdRng, len: usize) -> Vec<f64> {
    uniform(r, len, -1.0, 1.0).into_iter().map(|v| E::from_f64(v).to_f64()).collect()
}

/// The values of `t`, in `f64`.
fn f64s<B: Backend>(t: &Tensor<B>) -> Vec<f64> {
    t.to_vec().unwrap().into_iter().map(Element::to_f64).collect()
}

/// Forward (with and without bias), input gradient and weight gradient of
/// `case` on backend `b`, each against the naive loops in `f64`.
fn check_conv<B: Backend>(b: &B, case: &Case, seed: u64, tol: f64) {
    let mut r = rng(seed);
    let (xs, ws) = (case.x_shape(), case.w_shape());
    let x = values::<B::Elem>(&mut r, numel(&xs));
    let w = values::<B::Elem>(&mut r, numel(&ws));
    let bias = values::<B::Elem>(&mut r, case.oc);
    let (tx, tw, tb) = (tensor(b, &x, &xs), tensor(b, &w, &ws), tensor(b, &bias, &[case.oc]));
    let win = tx.conv2d_window(&tw, case.stride, case.padding()).unwrap();
    let what = format!("{} {case:?}", b.name());

    let (want, ys, scale) = conv2d(&x, &xs, &w, &ws, case.stride, case.same);
    let got = tx.conv2d_in(&tw, None, &win).unwrap();
    assert_eq!(got.shape(), &ys[..], "{what}");
    assert_close_scaled(&f64s(&got), &want, &scale, tol, &format!("conv2d {what}"));
    let plus_bias: Vec<f64> = want.iter().enumerate().map(|(i, v)| v + bias[(i / (ys[2] * ys[3])) % case.oc]).collect();
    let got = tx.conv2d_in(&tw, Some(&tb), &win).unwrap();
    assert_close_scaled(&f64s(&got), &plus_bias, &scale, tol, &format!("conv2d + bias {what}"));

    let g = values::<B::Elem>(&mut r, numel(&ys));
    let tg = tensor(b, &g, &ys);
    let (want, scale) = conv2d_backward_input(&g, &w, &ws, &xs, case.stride, case.same);
    let got = tg.conv2d_backward_input(&tw, &win).unwrap();
    assert_eq!(got.shape(), &xs[..], "{what}");
    assert_close_scaled(&f64s(&got), &want, &scale, tol, &format!("conv2d_backward_input {what}"));

    let (want, scale) = conv2d_backward_weight(&x, &xs, &g, &ws, case.stride, case.same);
    let got = tx.conv2d_backward_weight(&tg, &win).unwrap();
    assert_eq!(got.shape(), &[case.oc, case.c * case.kh * case.kw][..], "{what}");
    assert_close_scaled(&f64s(&got), &want, &scale, tol, &format!("conv2d_backward_weight {what}"));
}

fn check_upsample_and_relu<B: Backend<Elem = f64>>(b: &B, shape: &[usize], factor: usize, seed: u64) {
    let mut r = rng(seed);
    let what = format!("{} {shape:?} x{factor}", b.name());
    let x = uniform(&mut r, numel(shape), -1.0, 1.0);
    let (want, big) = upsample_nearest2d(&x, shape, factor);
    let got = tensor(b, &x, shape).upsample_nearest2d(factor).unwrap();
    assert_eq!(got.shape(), &big[..], "{what}");
    assert_exact(&got.to_vec().unwrap(), &want, &format!("upsample {what}"));
    let g = uniform(&mut r, numel(&big), -1.0, 1.0);
    let got = tensor(b, &g, &big).upsample_nearest2d_backward(factor).unwrap();
    assert_eq!(got.shape(), shape, "{what}");
    assert_close(&got.to_vec().unwrap(), &upsample_nearest2d_backward(&g, shape, factor), 1e-14, &format!("upsample backward {what}"));
    // relu's gradient: exactly g where x > 0, else 0 (x includes exact zeros).
    let xz: Vec<f64> = x.iter().enumerate().map(|(i, &v)| if i % 7 == 0 { 0.0 } else { v }).collect();
    let gx = uniform(&mut r, x.len(), -1.0, 1.0);
    let got = tensor(b, &gx, shape).relu_backward(&tensor(b, &xz, shape)).unwrap();
    let want: Vec<f64> = gx.iter().zip(&xz).map(|(&g, &x)| if x > 0.0 { g } else { 0.0 }).collect();
    assert_exact(&got.to_vec().unwrap(), &want, &format!("relu_backward {what}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn conv_primitives_match_naive(case in case(), seed in any::<u64>()) {
        check_conv(&Cpu64::new(), &case, seed, 1e-12);
        check_conv(&Composed::default(), &case, seed, 1e-12);
        // f32 takes other kernels where the CPU has AVX-512 (`direct.rs` or
        // `padded.rs` for every stride-1 forward, small_gemm's 1-row tile).
        check_conv(&Cpu32::new(), &case, seed, 1e-5);
    }

    #[test]
    fn upsample_and_relu_gradient_match_naive(n in 1usize..3, c in 1usize..4, h in 1usize..8, w in 1usize..8, factor in 1usize..4, seed in any::<u64>()) {
        check_upsample_and_relu(&Cpu64::new(), &[n, c, h, w], factor, seed);
        check_upsample_and_relu(&Composed::default(), &[n, c, h, w], factor, seed);
    }
}

/// The conv autoencoder's layers at batch 32: big enough that items run in
/// parallel (and, for one output channel, through the single-row product).
#[test]
fn conv_autoencoder_shapes() {
    for (i, (c, hw, oc, same)) in [(1, 28, 16, true), (16, 14, 8, true), (8, 16, 16, false), (16, 28, 1, true)].into_iter().enumerate() {
        let case = Case { n: 32, c, h: hw, w: hw, kh: 3, kw: 3, stride: 1, same, oc };
        check_conv(&Cpu64::new(), &case, 40 + i as u64, 1e-12);
        check_conv(&Cpu32::new(), &case, 40 + i as u64, 1e-5);
    }
    // A stride-2 case takes the col2im path of the input gradient in parallel.
    let case = Case { n: 32, c: 8, h: 14, w: 14, kh: 3, kw: 3, stride: 2, same: true, oc: 8 };
    check_conv(&Cpu64::new(), &case, 50, 1e-12);
    check_upsample_and_relu(&Cpu64::new(), &[32, 16, 14, 14], 2, 51);
}
