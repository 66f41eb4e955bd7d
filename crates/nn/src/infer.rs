//! Inference without a tape: the lean path `Autoencoder::score` takes for
//! the dense presets (every preset but conv-ae).
//!
//! The general path (`reconstruct`, then tensor arithmetic) builds a no-grad
//! tape and a `Ctx` that clones every parameter, and each op wraps its
//! result in a new `Tensor` (an `Arc` and a shape `Vec`). For a batch of one
//! row that bookkeeping costs more than the arithmetic. Here the same backend
//! primitives run directly on the storage: per dense layer `matmul` (`x W^T`)
//! and `bias_act` (the bias over the batch, and the activation); then
//! `binary(Sub)`, `unary(Square | Abs)`, `reduce(Sum)` over each row and
//! `unary(MulScalar(1 / d))`. These are the very calls the general path makes,
//! in the same order and with the same shapes, so every score is the same
//! number to the last bit (`tests/infer.rs` checks it); only the wrapping is
//! gone. The buffers come from the backend (the CPU's buffer pool), so after
//! the first call no layer allocates its output.
//!
//! A large batch is cut into blocks of `BLOCK` rows, scored in parallel on
//! the rayon pool, each block's intermediate results staying in its core's
//! cache; on the CPU every primitive on a block is small enough to run on the
//! calling thread, so there is one fork-join per batch instead of one per op.
//! Blocks do not change any row's result: each output row of a matrix product is
//! computed from that row alone, by the same kernel in the same order (the
//! CPU backend's determinism tests rest on the same fact).

use rayon::prelude::*;
use recon_tensor::{Backend, Binary, Matmul, Reduce, Tensor, Unary};

use crate::error::Result;
use crate::layers::Dense;
use crate::params::Params;
use crate::score::ErrorMetric;

/// `act(x W^T + b)` for each layer of `chain` in turn; `x` holds `rows` rows
/// of `chain[0].inputs` values. Returns `rows` rows of the last layer's outputs.
pub(crate) fn dense_forward<B: Backend>(params: &Params<B>, chain: &[&Dense], x: &B::Storage, rows: usize) -> Result<B::Storage> {
    let b = params.backend();
    let mut h: Option<B::Storage> = None;
    for l in chain {
        let input = h.as_ref().unwrap_or(x);
        let (w, bias) = (params.get(l.weight).storage(), params.get(l.bias).storage());
        // As `Tensor::matmul_t(x, w, false, true)` specifies it.
        let spec =
            Matmul { batch: 1, m: rows, k: l.inputs, n: l.outputs, trans_a: false, trans_b: true, a_batch_stride: 0, b_batch_stride: 0 };
        let y = b.matmul(input, w, &spec)?;
        h = Some(match l.activation.fusable() {
            Some(act) => b.bias_act(&y, rows, bias, l.outputs, act)?,
            None => b.softmax_rows(&b.bias_act(&y, rows, bias, l.outputs, None)?, rows, l.outputs)?,
        });
    }
    match h {
        Some(h) => Ok(h),
        // An empty chain is the identity; no preset has one.
        None => Ok(b.unary(Unary::MulScalar(1.0), x)?),
    }
}

/// The mean over each row of `(x - r)^2` (MSE) or `|x - r|` (MAE), for `rows`
/// rows of `d` values, as `Tensor::mean_axis(1)` computes it.
pub(crate) fn row_errors<B: Backend>(
    b: &B,
    x: &B::Storage,
    r: &B::Storage,
    rows: usize,
    d: usize,
    metric: ErrorMetric,
) -> Result<Vec<f64>> {
    let shape = [rows, d];
    let diff = b.binary(Binary::Sub, x, &shape, r, &shape, &shape)?;
    let per = b.unary(if metric == ErrorMetric::Mse { Unary::Square } else { Unary::Abs }, &diff)?;
    let sums = b.reduce(Reduce::Sum, &per, rows, d, 1)?;
    let means = b.unary(Unary::MulScalar(1.0 / d.max(1) as f64), &sums)?;
    Ok(b.to_vec(&means)?.into_iter().map(recon_tensor::Element::to_f64).collect())
}

/// Rows per block when a large batch is scored on the lean path. 128 rows
/// keep every product of the dense presets within `small_gemm`'s reach on
/// AVX-512 (the VAE's largest, 128 x 29 x 64, is under 2^18 multiply-adds:
/// `recon_tensor::cpu::matmul::SMALL_MAX_FLOPS_AVX512`), where 256 sent the
/// VAE's to `matrixmultiply`, which packs both operands on every call.
pub const BLOCK: usize = 128;

/// Scores of the rows of `x` through `chain` (see the module comment).
pub(crate) fn score_dense<B: Backend>(params: &Params<B>, chain: &[&Dense], x: &Tensor<B>, metric: ErrorMetric) -> Result<Vec<f64>> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let one = |xb: &Tensor<B>| -> Result<Vec<f64>> {
        let rows = xb.shape()[0];
        let r = dense_forward(params, chain, xb.storage(), rows)?;
        row_errors(params.backend(), xb.storage(), &r, rows, d, metric)
    };
    if n <= BLOCK {
        return one(x);
    }
    // Blocks on the rayon pool, results gathered in row order.
    let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let parts: Vec<Result<Vec<f64>>> = starts.par_iter().map(|&s| one(&x.slice_rows(s, (s + BLOCK).min(n))?)).collect();
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}
