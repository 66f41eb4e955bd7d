//! Checks that the CPU backend of `recon-tensor` gives bit-identical results
//! whatever the number of rayon threads: the same computations (sum_all of 1e6
//! f32 values, sums along both axes of a [1000, 1000] tensor, a 256^3 matmul,
//! softmax of a large matrix, col2im at MNIST-like shapes, the fused
//! convolutions at the conv autoencoder's shapes, ...) run inside
//! pools of 1, 2 and 4 threads must agree to the last bit, and also agree with
//! a naive f64 reference within rounding (so a wrong-but-stable result fails).

mod naive;

use naive::*;
use recon_tensor::{Cpu32, Padding, Tensor, Window2d};

type T32 = Tensor<Cpu32>;
const CPU: Cpu32 = Cpu32::new();

fn t32(v: &[f64], shape: &[usize]) -> T32 {
    Tensor::from_f64s(&CPU, v, shape).unwrap()
}

/// Runs `f` inside a fresh rayon pool of `threads` threads.
fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Runs `f` with 1, 2 and 4 threads and asserts the bits agree; returns the
/// (f64-widened) result.
#[track_caller]
fn same_bits(what: &str, f: impl Fn() -> T32 + Sync + Send) -> Vec<f64> {
    let runs: Vec<Vec<u32>> =
        [1, 2, 4].into_iter().map(|n| with_threads(n, &f).to_vec().unwrap().iter().map(|v| v.to_bits()).collect()).collect();
    for (i, n) in [2, 4].into_iter().enumerate() {
        assert_eq!(runs[0].len(), runs[i + 1].len(), "{what}: lengths differ");
        if let Some(at) = runs[0].iter().zip(&runs[i + 1]).position(|(a, b)| a != b) {
            panic!(
                "{what}: 1 thread and {n} threads differ at element {at}: {:e} vs {:e}",
                f32::from_bits(runs[0][at]),
                f32::from_bits(runs[i + 1][at])
            );
        }
    }
    runs[0].iter().map(|&b| f32::from_bits(b) as f64).collect()
}

#[test]
fn sum_all_of_a_million() {
    let x = round_f32(&uniform(&mut rng(10), 1_000_000, -1.0, 1.0));
    let t = t32(&x, &[1_000_000]);
    let got = same_bits("sum_all 1e6", || t.sum_all().unwrap());
    let want: f64 = x.iter().sum();
    let scale: f64 = x.iter().map(|v| v.abs()).sum();
    assert_close_scaled(&got, &[want], &[scale], 1e-5, "sum_all 1e6 vs f64");
    // Shifted values make the sum order-sensitive in every bit.
    let y: Vec<f64> = x.iter().map(|v| v + 1000.0).collect();
    let t = t32(&y, &[1_000_000]);
    same_bits("sum_all 1e6 shifted", || t.sum_all().unwrap());
    same_bits("mean_all 1e6 shifted", || t.mean_all().unwrap());
}

#[test]
fn sum_axis_of_a_square_matrix() {
    let shape = [1000, 1000];
    let x = round_f32(&uniform(&mut rng(11), numel(&shape), -1.0, 1.0));
    let t = t32(&x, &shape);
    for axis in [0, 1] {
        let got = same_bits(&format!("sum_axis {axis}"), || t.sum_axis(axis, false).unwrap());
        let (want, _, scale) = reduce_axis(&x, &shape, axis, false, false);
        assert_close_scaled(&got, &want, &scale, 1e-5, &format!("sum_axis {axis} vs f64"));
        same_bits(&format!("max_axis {axis}"), || t.max_axis(axis, true).unwrap());
        same_bits(&format!("mean_axis {axis}"), || t.mean_axis(axis, true).unwrap());
    }
    // One long row and one long column (chunked / column-split paths).
    let long = t.reshape(&[1, 1_000_000]).unwrap();
    same_bits("sum_axis of one long row", || long.sum_axis(1, false).unwrap());
    let tall = t.reshape(&[1_000_000, 1]).unwrap();
    same_bits("sum_axis of one long column", || tall.sum_axis(0, false).unwrap());
    let wide = t.reshape(&[10, 100_000]).unwrap();
    same_bits("sum_to_shape [10, 100000] -> [100000]", || wide.sum_to_shape(&[100_000]).unwrap());
    same_bits("sum_to_shape [10, 100000] -> [10, 1]", || wide.sum_to_shape(&[10, 1]).unwrap());
}

#[test]
fn matmul_256_cubed() {
    let n = 256;
    let mut r = rng(12);
    let a = round_f32(&uniform(&mut r, n * n, -1.0, 1.0));
    let b = round_f32(&uniform(&mut r, n * n, -1.0, 1.0));
    let (ta, tb) = (t32(&a, &[n, n]), t32(&b, &[n, n]));
    for (tra, trb) in [(false, false), (true, false), (false, true), (true, true)] {
        let got = same_bits(&format!("matmul 256^3 trans {tra} {trb}"), || ta.matmul_t(&tb, tra, trb).unwrap());
        let (want, _, scale) = matmul(&a, &[n, n], &b, &[n, n], tra, trb);
        assert_close_scaled(&got, &want, &scale, 1e-4, "matmul 256^3 vs f64");
    }
    // Batched, with a shared operand.
    let a3 = t32(&round_f32(&uniform(&mut r, 8 * 128 * 96, -1.0, 1.0)), &[8, 128, 96]);
    let w = t32(&round_f32(&uniform(&mut r, 96 * 80, -1.0, 1.0)), &[96, 80]);
    same_bits("batched matmul [8,128,96] x [96,80]", || a3.matmul(&w).unwrap());
}

#[test]
fn softmax_of_a_large_matrix() {
    let shape = [2000, 300];
    let x = round_f32(&uniform(&mut rng(13), numel(&shape), -10.0, 10.0));
    let t = t32(&x, &shape);
    let got = same_bits("softmax [2000, 300]", || t.softmax().unwrap());
    assert_close(&got, &softmax_rows(&x, shape[1]), 1e-6, "softmax vs f64");
    let got = same_bits("log_softmax [2000, 300]", || t.log_softmax().unwrap());
    assert_close(&got, &log_softmax_rows(&x, shape[1]), 1e-5, "log_softmax vs f64");
}

#[test]
fn col2im_at_mnist_shapes() {
    // The backward of a 3 x 3 same conv over a batch of 64 MNIST-sized maps
    // with 8 channels, and of a stride-2 conv over 16 channels at 14 x 14.
    let mut r = rng(14);
    for (shape, k, s) in [([64usize, 8, 28, 28], 3usize, 1usize), ([64, 16, 14, 14], 3, 2)] {
        let w = Window2d::forward("test", &shape, (k, k), s, Padding::Same).unwrap();
        let g = Geom::forward(&shape, k, k, s, true);
        let c = round_f32(&uniform(&mut r, g.n * g.patch_len() * g.out_len(), -1.0, 1.0));
        let tc = t32(&c, &[g.n, g.patch_len(), g.out_len()]);
        let got = same_bits(&format!("col2im {shape:?} k{k} s{s}"), || tc.col2im(&w).unwrap());
        let scale = col2im(&c.iter().map(|v| v.abs()).collect::<Vec<_>>(), &g);
        assert_close_scaled(&got, &col2im(&c, &g), &scale, 1e-5, "col2im vs f64");
    }
    // Transposed convolution (GEMM then col2im) and max pooling on MNIST-like maps.
    let x = t32(&round_f32(&uniform(&mut r, 64 * 16 * 7 * 7, -1.0, 1.0)), &[64, 16, 7, 7]);
    let wt = t32(&round_f32(&uniform(&mut r, 16 * 8 * 3 * 3, -1.0, 1.0)), &[16, 8, 3, 3]);
    same_bits("conv_transpose2d [64,16,7,7] -> [64,8,14,14]", || x.conv_transpose2d(&wt, 2, Padding::Same).unwrap());
    let img = t32(&round_f32(&uniform(&mut r, 64 * 28 * 28, -1.0, 1.0)), &[64, 1, 28, 28]);
    let wc = t32(&round_f32(&uniform(&mut r, 8 * 9, -1.0, 1.0)), &[8, 1, 3, 3]);
    same_bits("conv2d [64,1,28,28] * [8,1,3,3]", || img.conv2d(&wc, 1, Padding::Same).unwrap());
    same_bits("max_pool2d [64,1,28,28]", || img.max_pool2d(2, 2, Padding::Valid).unwrap().out);
}

#[test]
fn conv_primitives_at_conv_autoencoder_shapes() {
    // The fused CPU convolution runs batch items in parallel groups whose size
    // depends on the thread count; each item's result must not.
    let mut r = rng(16);
    for (c, hw, oc, padding) in [(1, 28, 16, Padding::Same), (8, 16, 16, Padding::Valid), (16, 28, 1, Padding::Same)] {
        let x = t32(&round_f32(&uniform(&mut r, 32 * c * hw * hw, -1.0, 1.0)), &[32, c, hw, hw]);
        let w = t32(&round_f32(&uniform(&mut r, oc * c * 9, -1.0, 1.0)), &[oc, c, 3, 3]);
        let b = t32(&round_f32(&uniform(&mut r, oc, -1.0, 1.0)), &[oc]);
        let win = x.conv2d_window(&w, 1, padding).unwrap();
        let y = same_bits(&format!("conv2d [32,{c},{hw},{hw}] -> {oc}"), || x.conv2d_in(&w, Some(&b), &win).unwrap());
        let g = t32(&round_f32(&uniform(&mut r, y.len(), -1.0, 1.0)), &[32, oc, win.out_h, win.out_w]);
        same_bits(&format!("conv2d_backward_input -> [32,{c},{hw},{hw}]"), || g.conv2d_backward_input(&w, &win).unwrap());
        same_bits(&format!("conv2d_backward_weight [{oc},{c},3,3]"), || x.conv2d_backward_weight(&g, &win).unwrap());
    }
    let x = t32(&round_f32(&uniform(&mut r, 32 * 16 * 14 * 14, -1.0, 1.0)), &[32, 16, 14, 14]);
    let up = same_bits("upsample_nearest2d [32,16,14,14] x2", || x.upsample_nearest2d(2).unwrap());
    let g = t32(&round_f32(&up), &[32, 16, 28, 28]);
    same_bits("upsample_nearest2d_backward [32,16,28,28]", || g.upsample_nearest2d_backward(2).unwrap());
}

#[test]
fn elementwise_and_broadcast() {
    let mut r = rng(15);
    let x = t32(&round_f32(&uniform(&mut r, 500 * 400, -3.0, 3.0)), &[500, 400]);
    let bias = t32(&round_f32(&uniform(&mut r, 400, -1.0, 1.0)), &[400]);
    let col = t32(&round_f32(&uniform(&mut r, 500, -1.0, 1.0)), &[500, 1]);
    same_bits("sigmoid", || x.sigmoid().unwrap());
    same_bits("add bias", || x.add(&bias).unwrap());
    same_bits("mul column", || x.mul(&col).unwrap());
    same_bits("transpose", || x.transpose().unwrap());
}
