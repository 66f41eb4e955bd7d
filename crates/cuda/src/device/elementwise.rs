//! Launches of `kernels/elementwise.cu`: unary and broadcasting binary
//! functions, and the fused bias + activation and loss + gradient kernels.

use cudarc::driver::PushKernelArg;
use recon_tensor::{Binary, Result, TensorError, Unary};

use super::{driver_err, grid_1d, u32_arg, CudaBackend, CudaStorage};
use crate::params::{Activation, StridedIndex};

/// The kernel of a unary op and its two float parameters.
fn unary_kernel(op: Unary) -> (&'static str, f32, f32) {
    let f = |v: f64| v as f32;
    match op {
        Unary::Neg => ("neg_fwd_f32", 0.0, 0.0),
        Unary::Exp => ("exp_fwd_f32", 0.0, 0.0),
        Unary::Log => ("log_fwd_f32", 0.0, 0.0),
        Unary::Sqrt => ("sqrt_fwd_f32", 0.0, 0.0),
        Unary::Square => ("square_fwd_f32", 0.0, 0.0),
        Unary::Abs => ("abs_fwd_f32", 0.0, 0.0),
        Unary::Recip => ("recip_fwd_f32", 0.0, 0.0),
        Unary::Relu => ("relu_fwd_f32", 0.0, 0.0),
        Unary::Sigmoid => ("sigmoid_fwd_f32", 0.0, 0.0),
        Unary::Tanh => ("tanh_fwd_f32", 0.0, 0.0),
        Unary::Softplus => ("softplus_fwd_f32", 0.0, 0.0),
        Unary::Step => ("step_fwd_f32", 0.0, 0.0),
        Unary::Sign => ("sign_fwd_f32", 0.0, 0.0),
        Unary::AddScalar(c) => ("add_scalar_fwd_f32", f(c), 0.0),
        Unary::MulScalar(c) => ("mul_scalar_fwd_f32", f(c), 0.0),
        // x^2 as x * x, exactly as the CPU backend special-cases it.
        Unary::Powf(2.0) => ("square_fwd_f32", 0.0, 0.0),
        Unary::Powf(p) => ("powf_fwd_f32", f(p), 0.0),
        Unary::Clamp(lo, hi) => ("clamp_fwd_f32", f(lo), f(hi)),
        Unary::InRange(lo, hi) => ("in_range_fwd_f32", f(lo), f(hi)),
    }
}

fn binary_kernel(op: Binary) -> &'static str {
    match op {
        Binary::Add => "add_fwd_f32",
        Binary::Sub => "sub_fwd_f32",
        Binary::Mul => "mul_fwd_f32",
        Binary::Div => "div_fwd_f32",
        Binary::Max => "max_fwd_f32",
        Binary::Min => "min_fwd_f32",
        Binary::Eq => "eq_fwd_f32",
    }
}

impl CudaBackend {
    pub(crate) fn unary_op(&self, op: Unary, x: &CudaStorage) -> Result<CudaStorage> {
        let n = x.len();
        let mut y = self.output(n)?;
        if n == 0 {
            return Ok(y);
        }
        let (name, p0, p1) = unary_kernel(op);
        let f = self.function(name)?;
        let n64 = n as u64;
        // SAFETY: `x` and `y` hold at least n floats (y is a fresh pool
        // buffer, so they do not alias); the kernel reads x[0..n] and writes
        // y[0..n]; both start at driver allocations, 16-byte aligned for its
        // float4 accesses; the arguments match
        // (const float*, float*, unsigned long long, float, float).
        unsafe {
            self.stream().launch_builder(&f).arg(x.slice()).arg(y.slice_mut()).arg(&n64).arg(&p0).arg(&p1).launch(grid_1d(n64.div_ceil(4)))
        }
        .map_err(driver_err(name))?;
        Ok(y)
    }

    pub(crate) fn binary_op(
        &self,
        op: Binary,
        a: &CudaStorage,
        a_shape: &[usize],
        b: &CudaStorage,
        b_shape: &[usize],
        out_shape: &[usize],
    ) -> Result<CudaStorage> {
        let n: usize = out_shape.iter().product();
        let mut out = self.output(n)?;
        if n == 0 {
            return Ok(out);
        }
        let index = StridedIndex::binary(a_shape, b_shape, out_shape)?;
        let name = binary_kernel(op);
        let f = self.function(name)?;
        let n64 = n as u64;
        let work = if index.rank == 0 { n64.div_ceil(4) } else { n64 };
        // SAFETY: `index` was built from the checked broadcast shapes, so
        // every offset it produces for i < n lies inside `a` (numel(a_shape)
        // floats) and `b`; `out` is a fresh buffer of n floats; rank 0 (the
        // float4 path) only when a and b hold exactly n floats; the
        // arguments match (const float*, const float*, float*, unsigned long
        // long, StridedIndex).
        unsafe {
            self.stream().launch_builder(&f).arg(a.slice()).arg(b.slice()).arg(out.slice_mut()).arg(&n64).arg(&index).launch(grid_1d(work))
        }
        .map_err(driver_err(name))?;
        Ok(out)
    }

    /// `act(x + bias)` for `x` of `rows x cols` and `bias` of `cols`, in one
    /// pass (a dense layer's output). Not part of the `Backend` trait yet.
    pub fn bias_act(&self, x: &CudaStorage, bias: &CudaStorage, rows: usize, cols: usize, act: Activation) -> Result<CudaStorage> {
        if x.len() != rows * cols || bias.len() != cols {
            return Err(TensorError::invalid(
                "bias_act",
                format!("x has {} values and bias {}, expected {rows} x {cols} and {cols}", x.len(), bias.len()),
            ));
        }
        let mut y = self.output(rows * cols)?;
        if rows * cols == 0 {
            return Ok(y);
        }
        let (r32, c32) = (u32_arg("bias_act", "rows", rows)?, u32_arg("bias_act", "cols", cols)?);
        let code = act.code();
        let f = self.function("bias_act_fwd_f32")?;
        let work = if cols & 3 == 0 { (rows * cols / 4) as u64 } else { (rows * cols) as u64 };
        // SAFETY: lengths checked above (x: rows*cols, bias: cols, y fresh
        // with rows*cols); the float4 path (cols % 4 == 0) reads aligned
        // groups from driver allocations; arguments match (const float*,
        // const float*, float*, unsigned int, unsigned int, int).
        unsafe {
            self.stream()
                .launch_builder(&f)
                .arg(x.slice())
                .arg(bias.slice())
                .arg(y.slice_mut())
                .arg(&r32)
                .arg(&c32)
                .arg(&code)
                .launch(grid_1d(work))
        }
        .map_err(driver_err("bias_act_fwd_f32"))?;
        Ok(y)
    }

    /// The gradient through an activation from its output:
    /// `dx = dy * act'(y)` (see `act_bwd_f32`).
    pub fn act_backward(&self, y: &CudaStorage, dy: &CudaStorage, act: Activation) -> Result<CudaStorage> {
        if y.len() != dy.len() {
            return Err(TensorError::invalid("act_backward", format!("y has {} values, dy {}", y.len(), dy.len())));
        }
        let n = y.len();
        let mut dx = self.output(n)?;
        if n == 0 {
            return Ok(dx);
        }
        let (n64, code) = (n as u64, act.code());
        let f = self.function("act_bwd_f32")?;
        // SAFETY: y, dy hold n floats (checked), dx is fresh with n; the
        // arguments match (const float*, const float*, float*, unsigned long long, int).
        unsafe {
            self.stream().launch_builder(&f).arg(y.slice()).arg(dy.slice()).arg(dx.slice_mut()).arg(&n64).arg(&code).launch(grid_1d(n64))
        }
        .map_err(driver_err("act_bwd_f32"))?;
        Ok(dx)
    }

    /// The squared errors `(p - t)^2` and the gradient `scale * (p - t)` in
    /// one pass (for the mean squared error, `scale = 2 / n`; the loss is
    /// the `sum_all` of the first buffer divided by n).
    pub fn mse_with_grad(&self, pred: &CudaStorage, target: &CudaStorage, scale: f32) -> Result<(CudaStorage, CudaStorage)> {
        if pred.len() != target.len() {
            return Err(TensorError::invalid("mse_with_grad", format!("pred has {} values, target {}", pred.len(), target.len())));
        }
        let n = pred.len();
        let (mut sq, mut grad) = (self.output(n)?, self.output(n)?);
        if n == 0 {
            return Ok((sq, grad));
        }
        let n64 = n as u64;
        let f = self.function("mse_fwd_bwd_f32")?;
        // SAFETY: pred and target hold n floats (checked), sq and grad are
        // two distinct fresh buffers of n; the arguments match (const float*,
        // const float*, float*, float*, unsigned long long, float).
        unsafe {
            self.stream()
                .launch_builder(&f)
                .arg(pred.slice())
                .arg(target.slice())
                .arg(sq.slice_mut())
                .arg(grad.slice_mut())
                .arg(&n64)
                .arg(&scale)
                .launch(grid_1d(n64))
        }
        .map_err(driver_err("mse_fwd_bwd_f32"))?;
        Ok((sq, grad))
    }
}
