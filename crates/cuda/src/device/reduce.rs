//! Launches of `kernels/reduce.cu`: deterministic reductions and the row
//! softmaxes. Launch shapes depend on the tensor's shape only (never on the
//! device), which is what keeps the results bit-reproducible.

use cudarc::driver::{LaunchConfig, PushKernelArg};
use recon_tensor::{Reduce, Result};

use super::{driver_err, u32_arg, CudaBackend, CudaStorage};
use crate::plan::row_threads;

/// Elements per partial sum in the first pass of `sum_all`: the number of
/// partials depends on the length alone.
pub const SUM_ALL_CHUNK: usize = 8192;
/// Most blocks along one grid axis used by the reductions (they loop over more).
const MAX_GRID: usize = 65535;

impl CudaBackend {
    /// `out[r] = op over x[r * len .. min((r + 1) * len, total)]` for r < outer.
    fn reduce_rows(&self, op: Reduce, x: &CudaStorage, outer: usize, len: usize, total: usize) -> Result<CudaStorage> {
        let mut out = self.output(outer)?;
        let name = match op {
            Reduce::Sum => "sum_rows_fwd_f32",
            Reduce::Max => "max_rows_fwd_f32",
        };
        let (o32, l32, t64) = (u32_arg(name, "rows", outer)?, u32_arg(name, "row length", len)?, total as u64);
        let f = self.function(name)?;
        let cfg = LaunchConfig { grid_dim: (outer.min(MAX_GRID) as u32, 1, 1), block_dim: (row_threads(len), 1, 1), shared_mem_bytes: 0 };
        // SAFETY: the kernel reads x[0..total] (total <= x.len(), callers
        // pass outer * len or the buffer length) and writes out[0..outer],
        // a fresh buffer; blockDim is a power of two in 32..=256 as
        // block_combine requires; arguments match (const float*, float*,
        // unsigned int, unsigned int, unsigned long long).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(out.slice_mut()).arg(&o32).arg(&l32).arg(&t64).launch(cfg) }
            .map_err(driver_err(name))?;
        Ok(out)
    }

    pub(crate) fn reduce_op(&self, op: Reduce, x: &CudaStorage, outer: usize, len: usize, inner: usize) -> Result<CudaStorage> {
        let n_out = outer * inner;
        if n_out == 0 {
            return self.output(0);
        }
        if len == 0 {
            // The CPU's starting values: an empty sum is 0, an empty max -inf.
            let init = match op {
                Reduce::Sum => 0.0,
                Reduce::Max => f32::NEG_INFINITY,
            };
            let mut out = self.output(n_out)?;
            self.fill(&mut out, init)?;
            return Ok(out);
        }
        if inner == 1 {
            return self.reduce_rows(op, x, outer, len, outer * len);
        }
        let name = match op {
            Reduce::Sum => "sum_cols_fwd_f32",
            Reduce::Max => "max_cols_fwd_f32",
        };
        let mut out = self.output(n_out)?;
        let (o32, l32, i32_) = (u32_arg(name, "outer", outer)?, u32_arg(name, "len", len)?, u32_arg(name, "inner", inner)?);
        let f = self.function(name)?;
        let cfg = LaunchConfig {
            grid_dim: (inner.div_ceil(32) as u32, outer.min(MAX_GRID) as u32, 1),
            block_dim: (32, 8, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: x holds outer * len * inner floats (the caller's shape),
        // out is fresh with outer * inner; the block is (32, 8) as the kernel's
        // shared arrays assume; arguments match (const float*, float*,
        // unsigned int, unsigned int, unsigned int).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(out.slice_mut()).arg(&o32).arg(&l32).arg(&i32_).launch(cfg) }
            .map_err(driver_err(name))?;
        Ok(out)
    }

    /// Sum of all elements in two passes with a fixed number of partials.
    pub(crate) fn sum_all_op(&self, x: &CudaStorage) -> Result<CudaStorage> {
        let n = x.len();
        if n == 0 {
            let mut out = self.output(1)?;
            self.fill(&mut out, 0.0)?;
            return Ok(out);
        }
        if n <= SUM_ALL_CHUNK {
            return self.reduce_rows(Reduce::Sum, x, 1, n, n);
        }
        let parts = n.div_ceil(SUM_ALL_CHUNK);
        let partials = self.reduce_rows(Reduce::Sum, x, parts, SUM_ALL_CHUNK, n)?;
        self.reduce_rows(Reduce::Sum, &partials, 1, parts, parts)
    }

    pub(crate) fn softmax_op(&self, x: &CudaStorage, rows: usize, cols: usize, log: bool) -> Result<CudaStorage> {
        let mut y = self.output(rows * cols)?;
        if rows * cols == 0 {
            return Ok(y);
        }
        let name = if log { "log_softmax_rows_fwd_f32" } else { "softmax_rows_fwd_f32" };
        let (r32, c32) = (u32_arg(name, "rows", rows)?, u32_arg(name, "cols", cols)?);
        let f = self.function(name)?;
        let cfg = LaunchConfig { grid_dim: (rows.min(MAX_GRID) as u32, 1, 1), block_dim: (row_threads(cols), 1, 1), shared_mem_bytes: 0 };
        // SAFETY: x holds rows * cols floats (the caller's shape), y is fresh
        // with as many; blockDim is a power of two in 32..=256; arguments
        // match (const float*, float*, unsigned int, unsigned int).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(y.slice_mut()).arg(&r32).arg(&c32).launch(cfg) }
            .map_err(driver_err(name))?;
        Ok(y)
    }
}
