//! A fixed number of `conv-ae` training steps at batch 32, for profiling the
//! convolution path (`valgrind --tool=callgrind`, `perf`) and timing a step
//! without the data loading of the full training benchmark.
//!
//! Run: `cargo run --release -p recon-nn --example conv_ae_steps [-- STEPS [--ops] [--score]]`
//! Prints the median milliseconds per step and the final loss (the loss pins
//! the numerics: a change that should not alter results must not move it).
//! With `--score`, it scores one image STEPS x 100 times instead (the batch-1
//! scoring path) and prints the median microseconds per call and the score.
//! With `--ops`, the backend is wrapped in `Timed`, which adds up the wall
//! time of every backend call by method and shape, and prints where a step's
//! time goes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_nn::score::ErrorMetric;
use recon_nn::train::{fit, FitConfig, Silent};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::{Backend, Binary, Cpu32, Matmul, Reduce, Result, Tensor, Unary, Update, Window2d};

/// (label) -> (calls, seconds), from every thread (`fit` runs large steps on
/// rayon's pool).
static TIMES: Mutex<Option<HashMap<String, (usize, f64)>>> = Mutex::new(None);

/// Times `f` under `label`.
fn timed<R>(label: impl FnOnce() -> String, f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    let s = t.elapsed().as_secs_f64();
    let mut m = TIMES.lock().unwrap();
    let e = m.get_or_insert_with(HashMap::new).entry(label()).or_insert((0, 0.0));
    e.0 += 1;
    e.1 += s;
    r
}

fn win(w: &Window2d) -> String {
    format!("[{},{},{},{}] k{}x{} s{} -> {}x{}", w.batch, w.channels, w.height, w.width, w.kernel_h, w.kernel_w, w.stride, w.out_h, w.out_w)
}

/// `Cpu32` with every call timed.
#[derive(Clone, Debug, Default)]
struct Timed(Cpu32);

impl Backend for Timed {
    type Elem = f32;
    type Storage = <Cpu32 as Backend>::Storage;
    type Indices = <Cpu32 as Backend>::Indices;
    fn name(&self) -> String {
        self.0.name()
    }
    fn upload(&self, data: Vec<f32>) -> Result<Self::Storage> {
        timed(|| "upload".into(), || self.0.upload(data))
    }
    fn to_vec(&self, x: &Self::Storage) -> Result<Vec<f32>> {
        timed(|| "to_vec".into(), || self.0.to_vec(x))
    }
    fn full(&self, len: usize, value: f32) -> Result<Self::Storage> {
        timed(|| format!("full {len}"), || self.0.full(len, value))
    }
    fn permute(&self, x: &Self::Storage, shape: &[usize], axes: &[usize]) -> Result<Self::Storage> {
        timed(|| format!("permute {shape:?} {axes:?}"), || self.0.permute(x, shape, axes))
    }
    fn broadcast_to(&self, x: &Self::Storage, from: &[usize], to: &[usize]) -> Result<Self::Storage> {
        timed(|| format!("broadcast_to {from:?} -> {to:?}"), || self.0.broadcast_to(x, from, to))
    }
    fn gather_rows(&self, x: &Self::Storage, row_len: usize, rows: &[usize]) -> Result<Self::Storage> {
        timed(|| format!("gather_rows {row_len}"), || self.0.gather_rows(x, row_len, rows))
    }
    fn unary(&self, op: Unary, x: &Self::Storage) -> Result<Self::Storage> {
        timed(|| format!("unary {op:?} {}", x.len()), || self.0.unary(op, x))
    }
    fn binary(&self, op: Binary, a: &Self::Storage, sa: &[usize], b: &Self::Storage, sb: &[usize], so: &[usize]) -> Result<Self::Storage> {
        timed(|| format!("binary {op:?} {sa:?} {sb:?}"), || self.0.binary(op, a, sa, b, sb, so))
    }
    fn relu_backward(&self, g: &Self::Storage, x: &Self::Storage, len: usize) -> Result<Self::Storage> {
        timed(|| format!("relu_backward {len}"), || self.0.relu_backward(g, x, len))
    }
    fn reduce(&self, op: Reduce, x: &Self::Storage, outer: usize, len: usize, inner: usize) -> Result<Self::Storage> {
        timed(|| format!("reduce {op:?} [{outer},{len},{inner}]"), || self.0.reduce(op, x, outer, len, inner))
    }
    fn sum_all(&self, x: &Self::Storage) -> Result<Self::Storage> {
        timed(|| format!("sum_all {}", x.len()), || self.0.sum_all(x))
    }
    fn softmax_rows(&self, x: &Self::Storage, rows: usize, cols: usize) -> Result<Self::Storage> {
        self.0.softmax_rows(x, rows, cols)
    }
    fn log_softmax_rows(&self, x: &Self::Storage, rows: usize, cols: usize) -> Result<Self::Storage> {
        self.0.log_softmax_rows(x, rows, cols)
    }
    fn matmul(&self, a: &Self::Storage, b: &Self::Storage, s: &Matmul) -> Result<Self::Storage> {
        timed(
            || format!("matmul {}x [{}x{}x{}] t{}{}", s.batch, s.m, s.k, s.n, s.trans_a as u8, s.trans_b as u8),
            || self.0.matmul(a, b, s),
        )
    }
    fn im2col(&self, x: &Self::Storage, w: &Window2d) -> Result<Self::Storage> {
        timed(|| format!("im2col {}", win(w)), || self.0.im2col(x, w))
    }
    fn col2im(&self, cols: &Self::Storage, w: &Window2d) -> Result<Self::Storage> {
        timed(|| format!("col2im {}", win(w)), || self.0.col2im(cols, w))
    }
    fn max_pool2d(&self, x: &Self::Storage, w: &Window2d) -> Result<(Self::Storage, Self::Indices)> {
        timed(|| format!("max_pool2d {}", win(w)), || self.0.max_pool2d(x, w))
    }
    fn max_pool2d_values(&self, x: &Self::Storage, w: &Window2d) -> Result<Self::Storage> {
        timed(|| format!("max_pool2d_values {}", win(w)), || self.0.max_pool2d_values(x, w))
    }
    fn max_pool2d_backward(&self, dy: &Self::Storage, idx: &Self::Indices, w: &Window2d) -> Result<Self::Storage> {
        timed(|| format!("max_pool2d_backward {}", win(w)), || self.0.max_pool2d_backward(dy, idx, w))
    }
    fn conv2d(
        &self,
        x: &Self::Storage,
        weight: &Self::Storage,
        bias: Option<&Self::Storage>,
        w: &Window2d,
        oc: usize,
    ) -> Result<Self::Storage> {
        timed(|| format!("conv2d {} -> {oc}", win(w)), || self.0.conv2d(x, weight, bias, w, oc))
    }
    fn conv2d_backward_input(&self, g: &Self::Storage, weight: &Self::Storage, w: &Window2d, oc: usize) -> Result<Self::Storage> {
        timed(|| format!("conv2d_backward_input {} -> {oc}", win(w)), || self.0.conv2d_backward_input(g, weight, w, oc))
    }
    fn conv2d_backward_weight(&self, x: &Self::Storage, g: &Self::Storage, w: &Window2d, oc: usize) -> Result<Self::Storage> {
        timed(|| format!("conv2d_backward_weight {} -> {oc}", win(w)), || self.0.conv2d_backward_weight(x, g, w, oc))
    }
    fn upsample_nearest2d(&self, x: &Self::Storage, shape: [usize; 4], factor: usize) -> Result<Self::Storage> {
        timed(|| format!("upsample_nearest2d {shape:?} x{factor}"), || self.0.upsample_nearest2d(x, shape, factor))
    }
    fn upsample_nearest2d_backward(&self, g: &Self::Storage, shape: [usize; 4], factor: usize) -> Result<Self::Storage> {
        timed(|| format!("upsample_nearest2d_backward {shape:?} x{factor}"), || self.0.upsample_nearest2d_backward(g, shape, factor))
    }
    fn update(&self, rule: &Update, w: &mut Self::Storage, g: &Self::Storage, slots: &mut [&mut Self::Storage], len: usize) -> Result<()> {
        timed(|| "update".into(), || self.0.update(rule, w, g, slots, len))
    }
}

/// Scores one image `calls` times, in 5 timed runs; returns the median
/// microseconds per call and the score.
fn score_one<B: Backend>(backend: &B, calls: usize) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(7);
    let x = Tensor::rand_uniform(backend, &[1, 784], 0.0, 1.0, &mut rng).unwrap();
    let cfg = ModelConfig::preset(Kind::ConvAe, &[1, 28, 28]).unwrap();
    let model = Autoencoder::new(cfg, backend, 1).unwrap();
    let mut score = 0.0;
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls / 5 {
                score = model.score(&x, ErrorMetric::Mse).unwrap()[0];
            }
            t.elapsed().as_secs_f64() / (calls / 5) as f64 * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[2], score)
}

/// Trains for 3 epochs of `steps` batches; returns the median ms per step and the last loss.
fn run<B: Backend>(backend: &B, steps: usize) -> (f64, f64) {
    // Images in [0, 1] with MNIST's shape; the values do not change the work done.
    let mut rng = StdRng::seed_from_u64(7);
    let x = Tensor::rand_uniform(backend, &[32 * steps, 784], 0.0, 1.0, &mut rng).unwrap();
    let cfg = ModelConfig::preset(Kind::ConvAe, &[1, 28, 28]).unwrap();
    let mut model = Autoencoder::new(cfg, backend, 1).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).unwrap();
    let mut times = Vec::new();
    let mut loss = 0.0;
    for e in 0..3 {
        let fit_cfg = FitConfig { epochs: e + 1, batch_size: 32, seed: 1, patience: None };
        let t = Instant::now();
        loss = fit(&mut model, &mut opt, &x, None, &fit_cfg, e, &mut Silent).unwrap()[0].loss;
        times.push(t.elapsed().as_secs_f64() / steps as f64 * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[1], loss)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let steps: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let score = args.iter().any(|a| a == "--score");
    if args.iter().any(|a| a == "--ops") {
        let calls = if score { 100 * steps } else { 3 * steps };
        if score {
            let (us, s) = score_one(&Timed::default(), calls);
            println!("conv-ae batch 1 scoring (timed backend): {us:.2} us/call, score {s:.9}");
        } else {
            let (ms, loss) = run(&Timed::default(), steps);
            println!("conv-ae batch 32 (timed backend): {ms:.2} ms/step, last loss {loss:.9}");
        }
        let mut rows: Vec<(String, (usize, f64))> = TIMES.lock().unwrap().take().unwrap_or_default().into_iter().collect();
        rows.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
        let total: f64 = rows.iter().map(|r| r.1 .1).sum();
        let (unit, per_call) = if score { ("us/call", 1e6 / calls as f64) } else { ("ms/step", 1e3 / calls as f64) };
        println!("{unit:>9} {:>6} {:>7}  op", "share", "calls");
        for (label, (n, s)) in rows.iter().take(40) {
            println!("{:>9.3} {:>5.1}% {n:>7}  {label}", s * per_call, 100.0 * s / total);
        }
        println!("{:>9.3} {unit} in backend calls", total * per_call);
        return;
    }
    if score {
        let (us, s) = score_one(&Cpu32::new(), 100 * steps);
        println!("conv-ae batch 1 scoring: {us:.2} us/call (median of 5 runs of {} calls), score {s:.9}", 100 * steps);
        return;
    }
    let (ms, loss) = run(&Cpu32::new(), steps);
    println!("conv-ae batch 32: {ms:.2} ms/step (median of 3 epochs of {steps} steps), last loss {loss:.9}");
}
