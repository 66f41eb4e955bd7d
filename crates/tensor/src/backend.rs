//! The `Backend` trait: the primitive operations every higher layer is written
//! against, once. The CPU backend (`cpu/`) and the CUDA backend (crate
//! `recon-cuda`) implement it.
//!
//! Primitives work on contiguous row-major buffers plus shapes that the caller
//! (`Tensor`) has already checked, so a backend never validates user input.
//! Everything that can be composed from these primitives (gradients, losses)
//! is composed in the layers above, so a new backend gets it for free. A few
//! composable operations that dominate a training step are trait methods
//! whose default is the composition (convolution and its two gradients,
//! upsampling and its gradient, relu's gradient, the optimizer update): a new
//! backend inherits them, and may override them with fused kernels, as the
//! CPU backend does.

use std::sync::Arc;

use crate::element::Element;
use crate::error::Result;
use crate::window::Window2d;

/// Elementwise functions of one operand. Parameters ride along in the variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unary {
    /// `-x`
    Neg,
    /// `e^x`
    Exp,
    /// `ln x`
    Log,
    /// `sqrt x`
    Sqrt,
    /// `x^2`
    Square,
    /// `|x|`
    Abs,
    /// `1 / x`
    Recip,
    /// `max(x, 0)`
    Relu,
    /// `1 / (1 + e^-x)`, computed without overflow for large `|x|`.
    Sigmoid,
    /// `tanh x`
    Tanh,
    /// `ln(1 + e^x)`, computed stably as `max(x, 0) + ln(1 + e^-|x|)`.
    Softplus,
    /// `1` where `x > 0`, else `0`: the derivative of relu.
    Step,
    /// `-1, 0, 1` by the sign of `x`: the derivative of `|x|`.
    Sign,
    /// `x + c`
    AddScalar(f64),
    /// `c * x`
    MulScalar(f64),
    /// `x^p`
    Powf(f64),
    /// `min(max(x, lo), hi)`
    Clamp(f64, f64),
    /// `1` where `lo <= x <= hi`, else `0`: the derivative of clamp.
    InRange(f64, f64),
}

/// Elementwise functions of two operands, with numpy broadcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    /// `1` where `a == b`, else `0` (used to route the gradient of max).
    Eq,
}

/// Reductions along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    Sum,
    Max,
}

/// One (possibly batched) matrix product `C[b] = op(A[b]) op(B[b])`, where `op`
/// transposes when asked. `A` is stored as `m x k` (or `k x m` when
/// `trans_a`), `B` as `k x n` (or `n x k`), `C` as `m x n`. A batch stride of 0
/// reuses the same matrix for every batch item (a shared weight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matmul {
    pub batch: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub trans_a: bool,
    pub trans_b: bool,
    pub a_batch_stride: usize,
    pub b_batch_stride: usize,
}

impl Matmul {
    /// Floating-point operations: one multiply and one add per term.
    pub fn flops(&self) -> f64 {
        2.0 * (self.batch * self.m * self.k * self.n) as f64
    }
}

/// One optimizer update of a parameter `w` from its gradient `g`, with the
/// rule's state ("slots") updated in place. Formulas (Keras' forms):
/// - `Sgd`: `w -= lr g`;
/// - `Momentum`: `v = momentum v - lr g; w += v` (slot `v`);
/// - `RmsProp`: `s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) + eps)` (slot `s`);
/// - `Adam`: `m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
///   w -= lr_t m / (sqrt(v) + eps)` (slots `m`, `v`; `lr_t` carries the bias correction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    Sgd { lr: f64 },
    Momentum { lr: f64, momentum: f64 },
    RmsProp { lr: f64, rho: f64, eps: f64 },
    Adam { lr_t: f64, beta1: f64, beta2: f64, eps: f64 },
}

impl Update {
    /// How many state buffers the rule keeps per parameter.
    pub fn slots(&self) -> usize {
        match self {
            Update::Sgd { .. } => 0,
            Update::Momentum { .. } | Update::RmsProp { .. } => 1,
            Update::Adam { .. } => 2,
        }
    }
}

pub trait Backend: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The scalar type of this backend's tensors.
    type Elem: Element;
    /// A contiguous buffer of `Elem` (a `Vec` on the CPU, device memory on a GPU).
    type Storage: Send + Sync;
    /// A buffer of element positions (max pooling's argmax).
    type Indices: Send + Sync;

    fn name(&self) -> String;

    // ---- memory -------------------------------------------------------------
    fn upload(&self, data: Vec<Self::Elem>) -> Result<Self::Storage>;
    /// `len` values written by `fill(i, values)` for each chunk `i` of
    /// `chunk` values (the last one may be shorter): random draws, each chunk
    /// from its own generator. The default fills a `Vec` in order and
    /// uploads it; the CPU backend fills a pooled buffer, large ones in
    /// parallel. Chunks are independent, so the values do not depend on the
    /// thread count.
    fn generate(&self, len: usize, chunk: usize, fill: impl Fn(usize, &mut [Self::Elem]) + Sync) -> Result<Self::Storage> {
        let mut v = vec![Self::Elem::ZERO; len];
        v.chunks_mut(chunk.max(1)).enumerate().for_each(|(i, c)| fill(i, c));
        self.upload(v)
    }
    /// Puts a new buffer behind the `Arc` its tensor handles share. The
    /// default allocates the `Arc`; the CPU backend hands out one that
    /// `release` kept, so a steady-state training step allocates none.
    fn share(&self, storage: Self::Storage) -> Arc<Self::Storage> {
        Arc::new(storage)
    }
    /// Called with the `Arc` of every tensor handle that is dropped (shared
    /// or not). The default drops it.
    fn release(&self, storage: Arc<Self::Storage>) {
        drop(storage)
    }
    fn to_vec(&self, x: &Self::Storage) -> Result<Vec<Self::Elem>>;
    /// Element `i` of `x` (a loss, read every training step). The default
    /// copies all of `x` out; the CPU backend reads the one value.
    fn read(&self, x: &Self::Storage, i: usize) -> Result<Self::Elem> {
        Ok(self.to_vec(x)?[i])
    }
    fn full(&self, len: usize, value: Self::Elem) -> Result<Self::Storage>;

    // ---- moving data --------------------------------------------------------
    /// Reorders the axes of a tensor of `shape`: output axis `i` is input axis `axes[i]`.
    fn permute(&self, x: &Self::Storage, shape: &[usize], axes: &[usize]) -> Result<Self::Storage>;
    /// Materialises `x` of shape `from` broadcast to shape `to`.
    fn broadcast_to(&self, x: &Self::Storage, from: &[usize], to: &[usize]) -> Result<Self::Storage>;
    /// Rows `rows` (each `row_len` elements) of `x`, in that order.
    fn gather_rows(&self, x: &Self::Storage, row_len: usize, rows: &[usize]) -> Result<Self::Storage>;

    // ---- elementwise --------------------------------------------------------
    fn unary(&self, op: Unary, x: &Self::Storage) -> Result<Self::Storage>;
    /// `op(a, b)` with `a` of `a_shape` and `b` of `b_shape` broadcast to `out_shape`.
    fn binary(
        &self,
        op: Binary,
        a: &Self::Storage,
        a_shape: &[usize],
        b: &Self::Storage,
        b_shape: &[usize],
        out_shape: &[usize],
    ) -> Result<Self::Storage>;

    /// `g * step(x)` for equal-length `g` and `x`: the gradient of relu at `x`
    /// (`g` where `x > 0`, else `0`), in one pass. The default is `Step`, then `Mul`.
    fn relu_backward(&self, g: &Self::Storage, x: &Self::Storage, len: usize) -> Result<Self::Storage> {
        let step = self.unary(Unary::Step, x)?;
        self.binary(Binary::Mul, g, &[len], &step, &[len], &[len])
    }

    /// `act(y + bias)` for `y` of `rows` rows of `bias`'s `cols` values (the
    /// bias repeats down the rows), `act` the identity when `None`: a dense
    /// layer's bias and activation, after its matrix product, in one pass.
    /// The default is a broadcast `Add`, then `act`'s `unary`; a backend that
    /// fuses them must give the same values.
    fn bias_act(&self, y: &Self::Storage, rows: usize, bias: &Self::Storage, cols: usize, act: Option<Unary>) -> Result<Self::Storage> {
        let shape = [rows, cols];
        let z = self.binary(Binary::Add, y, &shape, bias, &[cols], &shape)?;
        match act {
            Some(op) => self.unary(op, &z),
            None => Ok(z),
        }
    }

    // ---- reductions (deterministic: same bits for any thread count) ---------
    /// Reduces `x`, viewed as `[outer, len, inner]`, along the middle axis to `[outer, inner]`.
    fn reduce(&self, op: Reduce, x: &Self::Storage, outer: usize, len: usize, inner: usize) -> Result<Self::Storage>;
    /// The sum of all elements, as a one-element buffer.
    fn sum_all(&self, x: &Self::Storage) -> Result<Self::Storage>;
    /// Softmax of each row of a `rows x cols` matrix: `e^(x - max) / sum e^(x - max)`.
    fn softmax_rows(&self, x: &Self::Storage, rows: usize, cols: usize) -> Result<Self::Storage>;
    /// Log-softmax of each row: `x - max - ln sum e^(x - max)`.
    fn log_softmax_rows(&self, x: &Self::Storage, rows: usize, cols: usize) -> Result<Self::Storage>;

    // ---- matrix product -----------------------------------------------------
    fn matmul(&self, a: &Self::Storage, b: &Self::Storage, spec: &Matmul) -> Result<Self::Storage>;

    // ---- sliding windows ----------------------------------------------------
    /// Unfolds every window of `x` (NCHW, `w.input_shape()`) into a column:
    /// `cols[n][(c * kh + i) * kw + j][oy * out_w + ox] = x[n][c][in_y(oy, i)][in_x(ox, j)]`
    /// (zero in the padding). Shape `[n, patch_len, out_len]`.
    fn im2col(&self, x: &Self::Storage, w: &Window2d) -> Result<Self::Storage>;
    /// The adjoint of `im2col`: adds every column entry back to the input
    /// position it was read from (overlapping windows sum). Shape `input_shape()`.
    fn col2im(&self, cols: &Self::Storage, w: &Window2d) -> Result<Self::Storage>;
    /// Max over each window (padding never wins), shape `[n, c, out_h, out_w]`,
    /// with the flat input position of each maximum (the first, on ties).
    fn max_pool2d(&self, x: &Self::Storage, w: &Window2d) -> Result<(Self::Storage, Self::Indices)>;
    /// `max_pool2d`'s values alone, for a pass that will not go backward
    /// (scoring). The default drops the indices; a backend may skip them.
    fn max_pool2d_values(&self, x: &Self::Storage, w: &Window2d) -> Result<Self::Storage> {
        Ok(self.max_pool2d(x, w)?.0)
    }
    /// Routes each output gradient to its argmax: `dx[idx[o]] += dy[o]`.
    fn max_pool2d_backward(&self, dy: &Self::Storage, idx: &Self::Indices, w: &Window2d) -> Result<Self::Storage>;

    // ---- convolution (composed by default; a backend may fuse the pieces) ----
    /// 2-D convolution of `x` (NCHW, `w.input_shape()`) with `weight` viewed as
    /// the `[out_channels, patch_len]` matrix `W`, plus `bias[o]` (if given) at
    /// every position: `y_n = W im2col(x_n) + bias`, shape
    /// `[n, out_channels, out_h, out_w]`. The default is `im2col`, one batched
    /// `matmul` and a broadcast add, so every backend has it.
    fn conv2d(
        &self,
        x: &Self::Storage,
        weight: &Self::Storage,
        bias: Option<&Self::Storage>,
        w: &Window2d,
        out_channels: usize,
    ) -> Result<Self::Storage> {
        let (oc, plen, olen) = (out_channels, w.patch_len(), w.out_len());
        let cols = self.im2col(x, w)?;
        let spec = Matmul {
            batch: w.batch,
            m: oc,
            k: plen,
            n: olen,
            trans_a: false,
            trans_b: false,
            a_batch_stride: 0,
            b_batch_stride: plen * olen,
        };
        let y = self.matmul(weight, &cols, &spec)?;
        match bias {
            Some(b) => {
                let shape = [w.batch, oc, olen];
                self.binary(Binary::Add, &y, &shape, b, &[oc, 1], &shape)
            }
            None => Ok(y),
        }
    }
    /// The gradient of `conv2d` with respect to `x`, from `g = dL/dy`
    /// (`[n, out_channels, out_h, out_w]`): `dx_n = col2im(W^T g_n)`, shape
    /// `w.input_shape()`. This is also the forward pass of a transposed
    /// convolution. The default is one batched `matmul` and `col2im`.
    fn conv2d_backward_input(&self, g: &Self::Storage, weight: &Self::Storage, w: &Window2d, out_channels: usize) -> Result<Self::Storage> {
        let (oc, plen, olen) = (out_channels, w.patch_len(), w.out_len());
        let spec =
            Matmul { batch: w.batch, m: plen, k: oc, n: olen, trans_a: true, trans_b: false, a_batch_stride: 0, b_batch_stride: oc * olen };
        self.col2im(&self.matmul(weight, g, &spec)?, w)
    }
    /// The gradient of `conv2d` with respect to `W`: `dW = sum_n g_n im2col(x_n)^T`,
    /// shape `[out_channels, patch_len]` (the weight is shared by every item
    /// and position, so their contributions add). The default is `im2col`, one
    /// batched `matmul` and a sum over the batch.
    fn conv2d_backward_weight(&self, x: &Self::Storage, g: &Self::Storage, w: &Window2d, out_channels: usize) -> Result<Self::Storage> {
        let (oc, plen, olen) = (out_channels, w.patch_len(), w.out_len());
        let cols = self.im2col(x, w)?;
        let spec = Matmul {
            batch: w.batch,
            m: oc,
            k: olen,
            n: plen,
            trans_a: false,
            trans_b: true,
            a_batch_stride: oc * olen,
            b_batch_stride: plen * olen,
        };
        self.reduce(Reduce::Sum, &self.matmul(g, &cols, &spec)?, 1, w.batch, oc * plen)
    }

    // ---- upsampling ---------------------------------------------------------
    /// Nearest-neighbour upsampling of NCHW `x` of `shape` by `factor` `s`:
    /// `y[n, c, y, x] = x[n, c, y / s, x / s]`, shape `[n, c, h * s, w * s]`.
    /// The default broadcasts `[n, c, h, 1, w, 1]` to `[n, c, h, s, w, s]`.
    fn upsample_nearest2d(&self, x: &Self::Storage, shape: [usize; 4], factor: usize) -> Result<Self::Storage> {
        let ([n, c, h, w], s) = (shape, factor);
        self.broadcast_to(x, &[n, c, h, 1, w, 1], &[n, c, h, s, w, s])
    }
    /// The adjoint of upsampling: every `s x s` block of `g`
    /// (`[n, c, h * s, w * s]`) summed onto its source pixel, shape `shape`:
    /// `dx[n, c, y, x] = sum_a (sum_b g[n, c, y*s + a, x*s + b])`, in that order.
    /// The default is two reductions of `g` viewed as `[n*c*h, s, w, s]`.
    fn upsample_nearest2d_backward(&self, g: &Self::Storage, shape: [usize; 4], factor: usize) -> Result<Self::Storage> {
        let ([n, c, h, w], s) = (shape, factor);
        let rows = self.reduce(Reduce::Sum, g, n * c * h * s * w, s, 1)?;
        self.reduce(Reduce::Sum, &rows, n * c * h, s, w)
    }

    // ---- optimizer ----------------------------------------------------------
    /// Applies `rule` to `w` (and its `slots`) in place. The default composes
    /// the update from the elementwise primitives (correct on any backend);
    /// a backend overrides it with one fused pass over memory.
    fn update(&self, rule: &Update, w: &mut Self::Storage, g: &Self::Storage, slots: &mut [&mut Self::Storage], len: usize) -> Result<()> {
        composed_update(self, rule, w, g, slots, len)
    }
}

/// `Backend::update` written with the elementwise primitives: the default for
/// every backend, and the reference the fused versions are tested against.
pub fn composed_update<B: Backend>(
    b: &B,
    rule: &Update,
    w: &mut B::Storage,
    g: &B::Storage,
    slots: &mut [&mut B::Storage],
    len: usize,
) -> Result<()> {
    let s = [len];
    let bin = |op, x: &B::Storage, y: &B::Storage| b.binary(op, x, &s, y, &s, &s);
    let scale = |c: f64, x: &B::Storage| b.unary(Unary::MulScalar(c), x);
    match *rule {
        Update::Sgd { lr } => *w = bin(Binary::Sub, w, &scale(lr, g)?)?,
        Update::Momentum { lr, momentum } => {
            *slots[0] = bin(Binary::Sub, &scale(momentum, slots[0])?, &scale(lr, g)?)?;
            *w = bin(Binary::Add, w, slots[0])?;
        }
        Update::RmsProp { lr, rho, eps } => {
            let g2 = scale(1.0 - rho, &b.unary(Unary::Square, g)?)?;
            *slots[0] = bin(Binary::Add, &scale(rho, slots[0])?, &g2)?;
            let den = b.unary(Unary::AddScalar(eps), &b.unary(Unary::Sqrt, slots[0])?)?;
            *w = bin(Binary::Sub, w, &scale(lr, &bin(Binary::Div, g, &den)?)?)?;
        }
        Update::Adam { lr_t, beta1, beta2, eps } => {
            *slots[0] = bin(Binary::Add, &scale(beta1, slots[0])?, &scale(1.0 - beta1, g)?)?;
            let g2 = scale(1.0 - beta2, &b.unary(Unary::Square, g)?)?;
            *slots[1] = bin(Binary::Add, &scale(beta2, slots[1])?, &g2)?;
            let den = b.unary(Unary::AddScalar(eps), &b.unary(Unary::Sqrt, slots[1])?)?;
            *w = bin(Binary::Sub, w, &scale(lr_t, &bin(Binary::Div, slots[0], &den)?)?)?;
        }
    }
    Ok(())
}
