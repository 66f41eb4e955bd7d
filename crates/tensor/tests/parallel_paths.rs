//! Checks the multi-threaded code paths of the `recon-tensor` CPU backend
//! against the naive loops in `naive/`: every tensor here is above
//! `cpu::parallel::PAR_MIN_ELEMS` (or, for matmul, above the flop and row-block
//! thresholds), so elementwise ops, broadcasting, reductions along each axis,
//! softmax, layout ops, matmul (row-block and batch splits), im2col/col2im,
//! conv and max pooling all run on rayon's pool.

mod naive;

use naive::*;
use recon_tensor::cpu::parallel::PAR_MIN_ELEMS;
use recon_tensor::{Backend, Binary, Cpu32, Cpu64, Padding, Tensor, Unary, Window2d};

type T64 = Tensor<Cpu64>;
const CPU: Cpu64 = Cpu64::new();

fn t64(v: &[f64], shape: &[usize]) -> T64 {
    Tensor::from_vec(&CPU, v.to_vec(), shape).unwrap()
}
fn v64(t: &T64) -> Vec<f64> {
    t.to_vec().unwrap()
}
#[track_caller]
fn assert_parallel(shape: &[usize]) {
    assert!(numel(shape) >= PAR_MIN_ELEMS, "{shape:?} is below the parallel threshold");
}

const BIG: [usize; 2] = [300, 257];

#[test]
fn large_elementwise() {
    assert_parallel(&BIG);
    let mut r = rng(1);
    let x = uniform(&mut r, numel(&BIG), -4.0, 4.0);
    let t = t64(&x, &BIG);
    for op in [Unary::Exp, Unary::Tanh, Unary::Relu, Unary::MulScalar(3.0)] {
        let want: Vec<f64> = x.iter().map(|&v| unary(op, v)).collect();
        assert_exact(&v64(&t.unary(op).unwrap()), &want, &format!("{op:?} {BIG:?}"));
    }
    let want: Vec<f64> = x.iter().map(|&v| unary(Unary::Sigmoid, v)).collect();
    assert_close(&v64(&t.sigmoid().unwrap()), &want, 1e-12, "sigmoid");
    // f32
    let x32 = round_f32(&x);
    let t32 = Tensor::<Cpu32>::from_f64s(&Cpu32::new(), &x32, &BIG).unwrap();
    let want: Vec<f64> = x32.iter().map(|&v| v.tanh()).collect();
    assert_close(&t32.tanh().unwrap().to_f64_vec().unwrap(), &want, 1e-5, "f32 tanh");
    // Same-shape binary.
    let y = signed_magnitudes(&mut r, numel(&BIG), 0.5, 2.0);
    let ty = t64(&y, &BIG);
    for op in [Binary::Sub, Binary::Div, Binary::Max] {
        let (want, _) = binary(op, &x, &BIG, &y, &BIG);
        assert_exact(&v64(&t.binary(op, &ty).unwrap()), &want, &format!("{op:?} same shape"));
    }
}

#[test]
fn large_broadcasts() {
    let mut r = rng(2);
    let x = uniform(&mut r, numel(&BIG), -2.0, 2.0);
    let cases: Vec<(Vec<usize>, Vec<usize>)> = vec![
        (BIG.to_vec(), vec![257]),        // bias row
        (vec![257], BIG.to_vec()),        // bias row on the left
        (BIG.to_vec(), vec![300, 1]),     // column
        (vec![300, 1], BIG.to_vec()),     // column on the left
        (BIG.to_vec(), vec![]),           // scalar
        (vec![1, 1], BIG.to_vec()),       // scalar on the left
        (vec![20, 1, 1000], vec![40, 1]), // general
        (vec![40, 1], vec![20, 1, 1000]),
    ];
    for (sa, sb) in cases {
        let a = if numel(&sa) == x.len() { x.clone() } else { uniform(&mut r, numel(&sa), -2.0, 2.0) };
        let b = signed_magnitudes(&mut r, numel(&sb), 0.5, 2.0);
        let (ta, tb) = (t64(&a, &sa), t64(&b, &sb));
        for op in [Binary::Sub, Binary::Div, Binary::Min] {
            let (want, shape) = binary(op, &a, &sa, &b, &sb);
            assert_parallel(&shape);
            let got = ta.binary(op, &tb).unwrap();
            assert_eq!(got.shape(), &shape[..]);
            assert_exact(&v64(&got), &want, &format!("{op:?} {sa:?} with {sb:?}"));
        }
    }
}

#[test]
fn large_layout() {
    let mut r = rng(3);
    let shape = [64, 32, 40];
    assert_parallel(&shape);
    let x = uniform(&mut r, numel(&shape), -1.0, 1.0);
    for axes in [[2, 0, 1], [1, 2, 0], [0, 2, 1]] {
        let (want, want_shape) = permute(&x, &shape, &axes);
        let got = t64(&x, &shape).permute(&axes).unwrap();
        assert_eq!(got.shape(), &want_shape[..]);
        assert_exact(&v64(&got), &want, &format!("permute by {axes:?}"));
    }
    let x = uniform(&mut r, numel(&BIG), -1.0, 1.0);
    let (want, _) = permute(&x, &BIG, &[1, 0]);
    assert_exact(&v64(&t64(&x, &BIG).transpose().unwrap()), &want, "transpose");
    // broadcast_to and its adjoint.
    for from in [vec![257], vec![300, 1], vec![]] {
        let y = uniform(&mut r, numel(&from), -1.0, 1.0);
        let got = t64(&y, &from).broadcast_to(&BIG).unwrap();
        assert_exact(&v64(&got), &broadcast_to(&y, &from, &BIG), &format!("broadcast {from:?}"));
        let got = t64(&x, &BIG).sum_to_shape(&from).unwrap();
        assert_eq!(got.shape(), &from[..]);
        let (want, scale) = sum_to_shape(&x, &BIG, &from);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("sum_to_shape {from:?}"));
    }
    let big = [3, 4, 20000];
    let x = uniform(&mut r, numel(&big), -1.0, 1.0);
    for small in [vec![4, 1], vec![3, 1, 20000], vec![20000]] {
        let got = t64(&x, &big).sum_to_shape(&small).unwrap();
        let (want, scale) = sum_to_shape(&x, &big, &small);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("sum_to_shape {big:?} to {small:?}"));
    }
    // Gathering a large batch.
    let rows: Vec<usize> = (0..400).map(|i| (i * 7) % 300).collect();
    let x = uniform(&mut r, numel(&BIG), -1.0, 1.0);
    assert_exact(&v64(&t64(&x, &BIG).gather_rows(&rows).unwrap()), &gather_rows(&x, &BIG, &rows), "gather_rows");
}

#[test]
fn large_reductions_along_each_axis() {
    let mut r = rng(4);
    // [300, 257]: both axes. [3, 4, 20000]: a middle axis with outer > 1 and a
    // large output, a first axis with one output row. [40000, 3]: many short
    // rows. [1, 100000]: one long row (chunked sum).
    let shapes: [&[usize]; 4] = [&BIG, &[3, 4, 20000], &[40000, 3], &[1, 100000]];
    for shape in shapes {
        assert_parallel(shape);
        let x = uniform(&mut r, numel(shape), -3.0, 3.0);
        let t = t64(&x, shape);
        for axis in 0..shape.len() {
            let what = format!("axis {axis} of {shape:?}");
            let (want, want_shape, scale) = reduce_axis(&x, shape, axis, false, false);
            let got = t.sum_axis(axis, false).unwrap();
            assert_eq!(got.shape(), &want_shape[..]);
            assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("sum {what}"));
            let (want, want_shape, _) = reduce_axis(&x, shape, axis, true, true);
            let got = t.max_axis(axis, true).unwrap();
            assert_eq!(got.shape(), &want_shape[..]);
            assert_exact(&v64(&got), &want, &format!("max {what}"));
        }
        let total: f64 = x.iter().sum();
        let scale: f64 = x.iter().map(|v| v.abs()).sum();
        assert_close_scaled(&[t.sum_all().unwrap().item().unwrap()], &[total], &[scale], 1e-12, "sum_all");
        let n = x.len() as f64;
        assert_close_scaled(&[t.mean_all().unwrap().item().unwrap()], &[total / n], &[scale / n], 1e-12, "mean_all");
    }
}

#[test]
fn large_softmax() {
    let mut r = rng(5);
    for shape in [vec![300, 257], vec![40000, 2], vec![2, 50000]] {
        let x = uniform(&mut r, numel(&shape), -20.0, 20.0);
        let cols = shape[1];
        let t = t64(&x, &shape);
        assert_close(&v64(&t.softmax().unwrap()), &softmax_rows(&x, cols), 1e-12, &format!("softmax {shape:?}"));
        assert_close(&v64(&t.log_softmax().unwrap()), &log_softmax_rows(&x, cols), 1e-12, &format!("log_softmax {shape:?}"));
    }
}

#[test]
fn large_matmul() {
    let mut r = rng(6);
    // 200 x 300 x 100: 6M multiply-adds, over 64 rows: the row-block path.
    let (m, k, n) = (200, 300, 100);
    assert!(m > 64 && m * k * n >= 1 << 20);
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let sa = if ta { [k, m] } else { [m, k] };
        let sb = if tb { [n, k] } else { [k, n] };
        let a = uniform(&mut r, m * k, -1.0, 1.0);
        let b = uniform(&mut r, k * n, -1.0, 1.0);
        let (want, want_shape, scale) = matmul(&a, &sa, &b, &sb, ta, tb);
        let got = t64(&a, &sa).matmul_t(&t64(&b, &sb), ta, tb).unwrap();
        assert_eq!(got.shape(), &want_shape[..]);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("{m}x{k}x{n} trans {ta} {tb}"));
        // f32
        let (a32, b32) = (round_f32(&a), round_f32(&b));
        let (want, _, scale) = matmul(&a32, &sa, &b32, &sb, ta, tb);
        let cpu = Cpu32::new();
        let got = Tensor::from_f64s(&cpu, &a32, &sa).unwrap().matmul_t(&Tensor::from_f64s(&cpu, &b32, &sb).unwrap(), ta, tb).unwrap();
        assert_close_scaled(&got.to_f64_vec().unwrap(), &want, &scale, 1e-4, &format!("f32 {m}x{k}x{n} trans {ta} {tb}"));
    }
    // Batched: batch items in parallel, each itself over the row-block size.
    let (b, m, k, n) = (4, 100, 120, 90);
    assert!(m > 64 && m * k * n >= 1 << 20);
    let forms: [(Vec<usize>, Vec<usize>, bool, bool); 4] = [
        (vec![b, m, k], vec![b, k, n], false, false),
        (vec![b, k, m], vec![k, n], true, false),
        (vec![m, k], vec![b, n, k], false, true),
        (vec![b, k, m], vec![b, n, k], true, true),
    ];
    for (sa, sb, ta, tb) in forms {
        let a = uniform(&mut r, numel(&sa), -1.0, 1.0);
        let bv = uniform(&mut r, numel(&sb), -1.0, 1.0);
        let (want, want_shape, scale) = matmul(&a, &sa, &bv, &sb, ta, tb);
        let got = t64(&a, &sa).matmul_t(&t64(&bv, &sb), ta, tb).unwrap();
        assert_eq!(got.shape(), &want_shape[..]);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("{sa:?} x {sb:?} trans {ta} {tb}"));
    }
}

#[test]
fn large_windows() {
    let mut r = rng(7);
    let shape = [32, 16, 28, 28];
    assert_parallel(&shape);
    let x = uniform(&mut r, numel(&shape), -1.0, 1.0);
    let tx = t64(&x, &shape);
    // im2col / col2im, 3 x 3 same and 5 x 5 stride 2 valid.
    for (k, s, same) in [(3, 1, true), (5, 2, false)] {
        let g = Geom::forward(&shape, k, k, s, same);
        let w = Window2d::forward("test", &shape, (k, k), s, if same { Padding::Same } else { Padding::Valid }).unwrap();
        let cols = v64(&tx.im2col(&w).unwrap());
        assert_exact(&cols, &im2col(&x, &g), &format!("im2col k{k} s{s}"));
        let c = uniform(&mut r, cols.len(), -1.0, 1.0);
        let folded = v64(&t64(&c, &[g.n, g.patch_len(), g.out_len()]).col2im(&w).unwrap());
        let scale = col2im(&c.iter().map(|v| v.abs()).collect::<Vec<_>>(), &g);
        assert_close_scaled(&folded, &col2im(&c, &g), &scale, 1e-12, &format!("col2im k{k} s{s}"));
        let (lhs, rhs) = (dot(&cols, &c), dot(&x, &folded));
        assert!((lhs - rhs).abs() <= 1e-12 * abs_dot(&cols, &c), "adjoint: {lhs} vs {rhs}");
    }
    // Max pooling 2 x 2 stride 2 valid and 3 x 3 stride 2 same, with its backward.
    for (k, s, padding) in [(2, 2, Padding::Valid), (3, 2, Padding::Same)] {
        let g = Geom::forward(&shape, k, k, s, padding == Padding::Same);
        let pooled = tx.max_pool2d(k, s, padding).unwrap();
        let (want, want_arg) = max_pool2d(&x, &g);
        assert_exact(&v64(&pooled.out), &want, &format!("max_pool2d k{k} s{s}"));
        let arg: Vec<usize> = pooled.argmax.iter().map(|&a| a as usize).collect();
        assert!(arg == want_arg, "max_pool2d argmax k{k} s{s}");
        let dy = uniform(&mut r, want.len(), -1.0, 1.0);
        let dx = CPU.max_pool2d_backward(&recon_tensor::cpu::buffer::Buffer::from_vec(dy.clone()), &pooled.argmax, &pooled.window).unwrap();
        let scale = max_pool2d_backward(&dy.iter().map(|v| v.abs()).collect::<Vec<_>>(), &want_arg, x.len());
        assert_close_scaled(&dx, &max_pool2d_backward(&dy, &want_arg, x.len()), &scale, 1e-12, "max_pool2d_backward");
    }
    // Convolutions.
    let xs = [8, 4, 28, 28];
    let x = uniform(&mut r, numel(&xs), -1.0, 1.0);
    let ws = [8, 4, 3, 3];
    let w = uniform(&mut r, numel(&ws), -1.0, 1.0);
    for (s, same) in [(1, true), (2, false)] {
        let padding = if same { Padding::Same } else { Padding::Valid };
        let (want, want_shape, scale) = conv2d(&x, &xs, &w, &ws, s, same);
        let got = t64(&x, &xs).conv2d(&t64(&w, &ws), s, padding).unwrap();
        assert_eq!(got.shape(), &want_shape[..]);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("conv2d s{s}"));
    }
    let xs = [8, 8, 14, 14];
    let x = uniform(&mut r, numel(&xs), -1.0, 1.0);
    let ws = [8, 6, 3, 3];
    let w = uniform(&mut r, numel(&ws), -1.0, 1.0);
    for (s, same) in [(2, true), (2, false)] {
        let padding = if same { Padding::Same } else { Padding::Valid };
        let (want, want_shape, scale) = conv_transpose2d(&x, &xs, &w, &ws, s, same);
        assert_parallel(&want_shape);
        let got = t64(&x, &xs).conv_transpose2d(&t64(&w, &ws), s, padding).unwrap();
        assert_eq!(got.shape(), &want_shape[..]);
        assert_close_scaled(&v64(&got), &want, &scale, 1e-12, &format!("conv_transpose2d s{s} same {same}"));
    }
    // Upsampling.
    let xs = [32, 16, 14, 14];
    let x = uniform(&mut r, numel(&xs), -1.0, 1.0);
    let (want, want_shape) = upsample_nearest2d(&x, &xs, 2);
    let got = t64(&x, &xs).upsample_nearest2d(2).unwrap();
    assert_eq!(got.shape(), &want_shape[..]);
    assert_exact(&v64(&got), &want, "upsample_nearest2d");
}
