//! Checks the sliding-window ops of the `recon-tensor` CPU backend (window
//! geometry, im2col, col2im, conv2d, conv_transpose2d, max_pool2d and its
//! backward, upsample_nearest2d) against the naive loop implementations in
//! `naive/` on random NCHW shapes, kernels, strides 1..3 and both paddings,
//! in f64. col2im is also checked to be the adjoint of im2col, and
//! conv_transpose2d the adjoint of conv2d.

mod naive;

use naive::*;
use proptest::prelude::*;
use recon_tensor::{Backend, Cpu32, Cpu64, Padding, Tensor, Window2d};

type T64 = Tensor<Cpu64>;
const CPU: Cpu64 = Cpu64::new();

fn t64(v: &[f64], shape: &[usize]) -> T64 {
    Tensor::from_vec(&CPU, v.to_vec(), shape).unwrap()
}
fn v64(t: &T64) -> Vec<f64> {
    t.to_vec().unwrap()
}

#[derive(Debug, Clone)]
struct Win {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    same: bool,
    /// Output channels (conv) or, for a transposed conv, its output channels.
    o: usize,
}

impl Win {
    fn x_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.h, self.w]
    }
    fn padding(&self) -> Padding {
        if self.same {
            Padding::Same
        } else {
            Padding::Valid
        }
    }
    fn geom(&self) -> Geom {
        Geom::forward(&self.x_shape(), self.kh, self.kw, self.stride, self.same)
    }
    fn window(&self) -> Window2d {
        Window2d::forward("test", &self.x_shape(), (self.kh, self.kw), self.stride, self.padding()).unwrap()
    }
}

/// Random NCHW inputs up to 9 x 9 (non-square, odd sizes included), kernels
/// up to 4 x 4 (non-square too), strides 1..3; with valid padding the input is
/// at least the kernel.
fn win_case() -> impl Strategy<Value = Win> {
    (1usize..3, 1usize..4, 1usize..10, 1usize..10, 1usize..5, 1usize..5, 1usize..4, any::<bool>(), 1usize..4).prop_map(
        |(n, c, h, w, kh, kw, stride, same, o)| {
            let (h, w) = if same { (h, w) } else { (h.max(kh), w.max(kw)) };
            Win { n, c, h, w, kh, kw, stride, same, o }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn window_geometry_follows_keras(case in win_case()) {
        let g = case.geom();
        let w = case.window();
        prop_assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (g.oh, g.ow, g.pt, g.pl), "{:?}", case);
        prop_assert_eq!(w.input_shape(), [case.n, case.c, case.h, case.w]);
        prop_assert_eq!((w.patch_len(), w.out_len()), (g.patch_len(), g.out_len()));
        // The transposed window: its input (the transposed output) has Keras'
        // Conv2DTranspose size, and a forward window over that size comes back.
        let t = Window2d::transposed("test", &case.x_shape(), case.o, (case.kh, case.kw), case.stride, case.padding()).unwrap();
        let (th, tpt) = transposed_axis(case.h, case.kh, case.stride, case.same);
        let (tw, tpl) = transposed_axis(case.w, case.kw, case.stride, case.same);
        prop_assert_eq!((t.height, t.width, t.pad_top, t.pad_left), (th, tw, tpt, tpl));
        prop_assert_eq!((t.out_h, t.out_w, t.channels), (case.h, case.w, case.o));
        let back = Geom::forward(&[case.n, case.o, th, tw], case.kh, case.kw, case.stride, case.same);
        prop_assert_eq!((back.oh, back.ow, back.pt, back.pl), (case.h, case.w, tpt, tpl));
    }

    #[test]
    fn im2col_matches_naive(case in win_case(), seed in any::<u64>()) {
        let x = uniform(&mut rng(seed), numel(&case.x_shape()), -1.0, 1.0);
        let g = case.geom();
        let got = t64(&x, &case.x_shape()).im2col(&case.window()).unwrap();
        prop_assert_eq!(got.shape(), &[g.n, g.patch_len(), g.out_len()][..]);
        assert_exact(&v64(&got), &im2col(&x, &g), &format!("im2col {case:?}"));
    }

    #[test]
    fn col2im_matches_naive_and_is_the_adjoint(case in win_case(), seed in any::<u64>()) {
        let g = case.geom();
        let mut r = rng(seed);
        let x = uniform(&mut r, numel(&case.x_shape()), -1.0, 1.0);
        let c = uniform(&mut r, g.n * g.patch_len() * g.out_len(), -1.0, 1.0);
        let w = case.window();
        let folded = t64(&c, &[g.n, g.patch_len(), g.out_len()]).col2im(&w).unwrap();
        prop_assert_eq!(folded.shape(), &case.x_shape()[..]);
        let folded = v64(&folded);
        let scale = col2im(&c.iter().map(|v| v.abs()).collect::<Vec<_>>(), &g);
        assert_close_scaled(&folded, &col2im(&c, &g), &scale, 1e-12, &format!("col2im {case:?}"));
        // <im2col(x), c> == <x, col2im(c)>
        let cols = v64(&t64(&x, &case.x_shape()).im2col(&w).unwrap());
        let (lhs, rhs) = (dot(&cols, &c), dot(&x, &folded));
        prop_assert!((lhs - rhs).abs() <= 1e-12 * abs_dot(&cols, &c).max(1.0), "{:?}: {} vs {}", case, lhs, rhs);
    }

    #[test]
    fn conv2d_matches_direct_loops(case in win_case(), seed in any::<u64>()) {
        let mut r = rng(seed);
        let x = uniform(&mut r, numel(&case.x_shape()), -1.0, 1.0);
        let w_shape = [case.o, case.c, case.kh, case.kw];
        let w = uniform(&mut r, numel(&w_shape), -1.0, 1.0);
        let (want, want_shape, scale) = conv2d(&x, &case.x_shape(), &w, &w_shape, case.stride, case.same);
        let (tx, tw) = (t64(&x, &case.x_shape()), t64(&w, &w_shape));
        let got = tx.conv2d(&tw, case.stride, case.padding()).unwrap();
        prop_assert_eq!(got.shape(), &want_shape[..]);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("conv2d {case:?}"));
        prop_assert_eq!(tx.conv2d_window(&tw, case.stride, case.padding()).unwrap(), case.window());
    }

    #[test]
    fn conv_transpose2d_matches_scatter(case in win_case(), seed in any::<u64>()) {
        // Input [n, c, h, w], weight [c, o, kh, kw].
        let mut r = rng(seed);
        let x = uniform(&mut r, numel(&case.x_shape()), -1.0, 1.0);
        let w_shape = [case.c, case.o, case.kh, case.kw];
        let w = uniform(&mut r, numel(&w_shape), -1.0, 1.0);
        let (want, want_shape, scale) = conv_transpose2d(&x, &case.x_shape(), &w, &w_shape, case.stride, case.same);
        let (tx, tw) = (t64(&x, &case.x_shape()), t64(&w, &w_shape));
        let got = tx.conv_transpose2d(&tw, case.stride, case.padding()).unwrap();
        prop_assert_eq!(got.shape(), &want_shape[..]);
        let got = v64(&got);
        assert_close_scaled(&got, &want, &scale, 1e-12, &format!("conv_transpose2d {case:?}"));
        // The adjoint of conv2d with the same weight ([out = c, in = o, kh, kw]):
        // <conv2d(y, w), x> == <y, conv_transpose2d(x, w)>.
        let y = uniform(&mut r, numel(&want_shape), -1.0, 1.0);
        let cy = t64(&y, &want_shape).conv2d(&tw, case.stride, case.padding()).unwrap();
        prop_assert_eq!(cy.shape(), &case.x_shape()[..]);
        let cy = v64(&cy);
        let (lhs, rhs) = (dot(&cy, &x), dot(&y, &got));
        let bound = 1e-12 * (abs_dot(&cy, &x) + abs_dot(&y, &got)).max(1.0) * (case.c * case.kh * case.kw) as f64;
        prop_assert!((lhs - rhs).abs() <= bound, "{:?}: {} vs {}", case, lhs, rhs);
    }

    #[test]
    fn max_pool2d_matches_window_max(case in win_case(), ties in any::<bool>(), seed in any::<u64>()) {
        // Square kernels for pooling.
        let k = case.kh;
        let case = Win { kw: k, w: if case.same { case.w } else { case.w.max(k) }, ..case };
        let mut r = rng(seed);
        let x = if ties { discrete(&mut r, numel(&case.x_shape())) } else { uniform(&mut r, numel(&case.x_shape()), -1.0, 1.0) };
        let g = case.geom();
        let pooled = t64(&x, &case.x_shape()).max_pool2d(k, case.stride, case.padding()).unwrap();
        prop_assert_eq!(pooled.out.shape(), &[g.n, g.c, g.oh, g.ow][..]);
        prop_assert_eq!(pooled.window, case.window());
        let (want, want_arg) = max_pool2d(&x, &g);
        let out = v64(&pooled.out);
        assert_exact(&out, &want, &format!("max_pool2d {case:?}"));
        let values = t64(&x, &case.x_shape()).max_pool2d_values(k, case.stride, case.padding()).unwrap();
        assert_exact(&v64(&values), &want, &format!("max_pool2d_values {case:?}"));
        let arg: Vec<usize> = pooled.argmax.iter().map(|&a| a as usize).collect();
        prop_assert_eq!(&arg, &want_arg, "argmax (first maximum on ties) {:?}", case);
        // Each argmax lies inside its window, in the same plane, and holds the max.
        for (o, &a) in arg.iter().enumerate() {
            let (plane, oy, ox) = (o / g.out_len(), (o % g.out_len()) / g.ow, o % g.ow);
            prop_assert_eq!(a / (g.h * g.w), plane);
            let (y, xx) = ((a % (g.h * g.w)) / g.w, a % g.w);
            prop_assert!(y + g.pt >= oy * g.s && y + g.pt < oy * g.s + g.kh, "row {} outside window {}", y, oy);
            prop_assert!(xx + g.pl >= ox * g.s && xx + g.pl < ox * g.s + g.kw, "col {} outside window {}", xx, ox);
            prop_assert_eq!(x[a], out[o]);
        }
        // Backward routes each gradient to its argmax (overlapping windows add up).
        let dy = uniform(&mut r, out.len(), -1.0, 1.0);
        let dx = CPU.max_pool2d_backward(&recon_tensor::cpu::buffer::Buffer::from_vec(dy.clone()), &pooled.argmax, &pooled.window).unwrap();
        prop_assert_eq!(dx.len(), x.len());
        let want_dx = max_pool2d_backward(&dy, &want_arg, x.len());
        let scale = max_pool2d_backward(&dy.iter().map(|v| v.abs()).collect::<Vec<_>>(), &want_arg, x.len());
        assert_close_scaled(&dx, &want_dx, &scale, 1e-12, &format!("max_pool2d_backward {case:?}"));
    }

    /// 2 x 2 pooling with stride 2 in `f32` on rows up to 70 wide: where
    /// the CPU has AVX-512, 16 windows at a time with masked tails (and, for
    /// even sizes without padding, all rows of all planes in one pass).
    #[test]
    fn max_pool2d_of_pairs_in_f32_matches_window_max(n in 1usize..3, c in 1usize..3, h in 2usize..9, w in 2usize..70, same in any::<bool>(), ties in any::<bool>(), seed in any::<u64>()) {
        check_pool_f32(Win { n, c, h, w, kh: 2, kw: 2, stride: 2, same, o: 1 }, ties, seed);
    }

    /// Factor-2 upsampling in `f32` on rows up to 40 wide (AVX-512: 8 input
    /// values at a time, masked tails, groups of rows per call).
    #[test]
    fn upsample_by_two_in_f32_matches_naive(n in 1usize..3, c in 1usize..4, h in 1usize..9, w in 1usize..40, seed in any::<u64>()) {
        check_upsample2_f32(&[n, c, h, w], seed);
    }

    #[test]
    fn upsample_nearest2d_matches_naive(case in win_case(), factor in 1usize..4, seed in any::<u64>()) {
        let x = uniform(&mut rng(seed), numel(&case.x_shape()), -1.0, 1.0);
        let (want, want_shape) = upsample_nearest2d(&x, &case.x_shape(), factor);
        let got = t64(&x, &case.x_shape()).upsample_nearest2d(factor).unwrap();
        prop_assert_eq!(got.shape(), &want_shape[..]);
        assert_exact(&v64(&got), &want, &format!("upsample x{factor} {case:?}"));
    }
}

/// `f32` pooling of `case` (2 x 2, stride 2) against the naive loops, values
/// and first-maximum indices.
fn check_pool_f32(case: Win, ties: bool, seed: u64) {
    let mut r = rng(seed);
    let x = if ties { discrete(&mut r, numel(&case.x_shape())) } else { uniform(&mut r, numel(&case.x_shape()), -1.0, 1.0) };
    let x: Vec<f64> = x.into_iter().map(|v| v as f32 as f64).collect();
    let (want, want_arg) = max_pool2d(&x, &case.geom());
    let t = Tensor::from_vec(&Cpu32::new(), x.iter().map(|&v| v as f32).collect(), &case.x_shape()).unwrap();
    let pooled = t.max_pool2d(2, 2, case.padding()).unwrap();
    let out: Vec<f64> = pooled.out.to_vec().unwrap().into_iter().map(f64::from).collect();
    assert_exact(&out, &want, &format!("max_pool2d f32 {case:?}"));
    let arg: Vec<usize> = pooled.argmax.iter().map(|&a| a as usize).collect();
    assert_eq!(arg, want_arg, "argmax (first maximum on ties) {case:?}");
    // Without the indices (a pass that will not go backward: another kernel
    // on AVX-512), the same bits, with NaN and infinities mixed in too.
    let bits = |t: &Tensor<Cpu32>| t.to_vec().unwrap().into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(&t.max_pool2d_values(2, 2, case.padding()).unwrap()), bits(&pooled.out), "max_pool2d_values {case:?}");
    let special = [f32::NAN, f32::NEG_INFINITY, f32::INFINITY, -0.0];
    let odd: Vec<f32> = t.to_vec().unwrap().into_iter().enumerate().map(|(i, v)| if i % 5 == 1 { special[i / 5 % 4] } else { v }).collect();
    let t = Tensor::from_vec(&Cpu32::new(), odd, &case.x_shape()).unwrap();
    let pooled = t.max_pool2d(2, 2, case.padding()).unwrap();
    assert_eq!(bits(&t.max_pool2d_values(2, 2, case.padding()).unwrap()), bits(&pooled.out), "max_pool2d_values with NaN {case:?}");
}

/// `f32` upsampling by 2 of a tensor of `shape` against the naive loop.
fn check_upsample2_f32(shape: &[usize], seed: u64) {
    let x: Vec<f64> = uniform(&mut rng(seed), numel(shape), -1.0, 1.0).into_iter().map(|v| v as f32 as f64).collect();
    let (want, want_shape) = upsample_nearest2d(&x, shape, 2);
    let got = Tensor::from_vec(&Cpu32::new(), x.iter().map(|&v| v as f32).collect(), shape).unwrap().upsample_nearest2d(2).unwrap();
    assert_eq!(got.shape(), &want_shape[..]);
    let got: Vec<f64> = got.to_vec().unwrap().into_iter().map(f64::from).collect();
    assert_exact(&got, &want, &format!("upsample x2 f32 {shape:?}"));
}

/// The conv autoencoder's pooling and upsampling shapes in `f32`, with
/// enough rows for several groups per call (and for the parallel paths).
#[test]
fn pooling_and_upsampling_at_the_autoencoder_shapes_in_f32() {
    for (i, (n, c, hw)) in [(1, 16, 28), (3, 16, 28), (32, 16, 28), (32, 8, 14), (32, 8, 7)].into_iter().enumerate() {
        check_pool_f32(Win { n, c, h: hw, w: hw, kh: 2, kw: 2, stride: 2, same: true, o: 1 }, i % 2 == 0, 60 + i as u64);
    }
    for (i, shape) in [[1, 8, 4, 4], [1, 16, 14, 14], [32, 16, 14, 14], [7, 3, 5, 300]].into_iter().enumerate() {
        check_upsample2_f32(&shape, 70 + i as u64);
    }
}

/// A hand-computed case: a 3 x 3 input, 2 x 2 kernel of ones, stride 1, valid.
#[test]
fn conv2d_small_known_values() {
    let x = t64(&[1., 2., 3., 4., 5., 6., 7., 8., 9.], &[1, 1, 3, 3]);
    let w = t64(&[1., 1., 1., 1.], &[1, 1, 2, 2]);
    let y = x.conv2d(&w, 1, Padding::Valid).unwrap();
    assert_eq!(y.shape(), &[1, 1, 2, 2]);
    assert_exact(&v64(&y), &[12., 16., 24., 28.], "conv2d 3x3 * ones(2x2)");
    // Same padding with a 3 x 3 kernel pads one on each side.
    let w = t64(&[1.; 9], &[1, 1, 3, 3]);
    let y = x.conv2d(&w, 1, Padding::Same).unwrap();
    assert_exact(&v64(&y), &[12., 21., 16., 27., 45., 33., 24., 39., 28.], "conv2d same");
    // Transposed, stride 2, valid: each input pixel stamps the 2 x 2 kernel.
    let x = t64(&[1., 2., 3., 4.], &[1, 1, 2, 2]);
    let w = t64(&[1., 10., 100., 1000.], &[1, 1, 2, 2]);
    let y = x.conv_transpose2d(&w, 2, Padding::Valid).unwrap();
    assert_eq!(y.shape(), &[1, 1, 4, 4]);
    #[rustfmt::skip]
    let want = [
        1., 10., 2., 20.,
        100., 1000., 200., 2000.,
        3., 30., 4., 40.,
        300., 3000., 400., 4000.,
    ];
    assert_exact(&v64(&y), &want, "conv_transpose2d stride 2");
}

/// Every small geometry, exhaustively: im2col, col2im and both convolutions
/// against the naive loops. Fails today: with stride 1 and same padding, a
/// kernel column that lies wholly outside a narrow input gets an empty range
/// from `Window2d::valid_x`, yet `cpu/window.rs` still slices
/// `src[first..first]` (im2col, line 26) / `dst[first..first]` (col2im, line 57)
/// with `first = j - pad_left` past the end of the row, and panics, e.g. a
/// `[1, 1, 1, 1]` input with a 1 x 4 kernel (`first = 2`, row length 1).
#[test]
fn im2col_col2im_kernel_wider_than_input() {
    for w in 1..4 {
        for kw in 1..8 {
            for stride in 1..4 {
                for same in [true, false] {
                    if !same && w < kw {
                        continue;
                    }
                    let case = Win { n: 1, c: 2, h: 2, w, kh: 1, kw, stride, same, o: 2 };
                    let g = case.geom();
                    let x = uniform(&mut rng(w as u64), numel(&case.x_shape()), -1.0, 1.0);
                    let cols = v64(&t64(&x, &case.x_shape()).im2col(&case.window()).unwrap());
                    assert_exact(&cols, &im2col(&x, &g), &format!("im2col {case:?}"));
                    let folded = v64(&t64(&cols, &[1, g.patch_len(), g.out_len()]).col2im(&case.window()).unwrap());
                    assert_close(&folded, &col2im(&cols, &g), 1e-12, &format!("col2im {case:?}"));
                    let wt = uniform(&mut rng(7), 2 * 2 * kw, -1.0, 1.0);
                    let got = t64(&x, &case.x_shape()).conv_transpose2d(&t64(&wt, &[2, 2, 1, kw]), stride, case.padding()).unwrap();
                    let (want, _, scale) = conv_transpose2d(&x, &case.x_shape(), &wt, &[2, 2, 1, kw], stride, same);
                    assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("conv_transpose2d {case:?}"));
                }
            }
        }
    }
}
