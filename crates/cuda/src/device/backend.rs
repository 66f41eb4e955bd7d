//! `impl Backend for CudaBackend`: each primitive forwards to the launch
//! code of its kernel family.

use cudarc::driver::CudaSlice;
use recon_tensor::{Backend, Binary, Matmul, Reduce, Result, TensorError, Unary, Update, Window2d};

use super::{CudaBackend, CudaStorage};
use crate::params::{AdamParams, RmsPropParams, SgdParams};

impl Backend for CudaBackend {
    type Elem = f32;
    type Storage = CudaStorage;
    type Indices = CudaSlice<u32>;

    fn name(&self) -> String {
        format!("cuda-f32:{}", self.inner.ordinal)
    }

    fn upload(&self, data: Vec<f32>) -> Result<CudaStorage> {
        self.upload_op(&data)
    }
    fn to_vec(&self, x: &CudaStorage) -> Result<Vec<f32>> {
        self.download(x)
    }
    fn full(&self, len: usize, value: f32) -> Result<CudaStorage> {
        self.full_op(len, value)
    }

    fn permute(&self, x: &CudaStorage, shape: &[usize], axes: &[usize]) -> Result<CudaStorage> {
        self.permute_op(x, shape, axes)
    }
    fn broadcast_to(&self, x: &CudaStorage, from: &[usize], to: &[usize]) -> Result<CudaStorage> {
        self.broadcast_op(x, from, to)
    }
    fn gather_rows(&self, x: &CudaStorage, row_len: usize, rows: &[usize]) -> Result<CudaStorage> {
        self.gather_rows_op(x, row_len, rows)
    }

    fn unary(&self, op: Unary, x: &CudaStorage) -> Result<CudaStorage> {
        self.unary_op(op, x)
    }
    fn binary(
        &self,
        op: Binary,
        a: &CudaStorage,
        a_shape: &[usize],
        b: &CudaStorage,
        b_shape: &[usize],
        out_shape: &[usize],
    ) -> Result<CudaStorage> {
        self.binary_op(op, a, a_shape, b, b_shape, out_shape)
    }

    fn reduce(&self, op: Reduce, x: &CudaStorage, outer: usize, len: usize, inner: usize) -> Result<CudaStorage> {
        self.reduce_op(op, x, outer, len, inner)
    }
    fn sum_all(&self, x: &CudaStorage) -> Result<CudaStorage> {
        self.sum_all_op(x)
    }
    fn softmax_rows(&self, x: &CudaStorage, rows: usize, cols: usize) -> Result<CudaStorage> {
        self.softmax_op(x, rows, cols, false)
    }
    fn log_softmax_rows(&self, x: &CudaStorage, rows: usize, cols: usize) -> Result<CudaStorage> {
        self.softmax_op(x, rows, cols, true)
    }

    fn matmul(&self, a: &CudaStorage, b: &CudaStorage, spec: &Matmul) -> Result<CudaStorage> {
        self.matmul_op(a, b, spec)
    }

    fn im2col(&self, x: &CudaStorage, w: &Window2d) -> Result<CudaStorage> {
        self.im2col_op(x, w)
    }
    fn col2im(&self, cols: &CudaStorage, w: &Window2d) -> Result<CudaStorage> {
        self.col2im_op(cols, w)
    }
    fn max_pool2d(&self, x: &CudaStorage, w: &Window2d) -> Result<(CudaStorage, CudaSlice<u32>)> {
        if x.len() > u32::MAX as usize {
            return Err(TensorError::invalid("max_pool2d", "inputs over 2^32 elements are not supported"));
        }
        self.max_pool2d_op(x, w)
    }
    fn max_pool2d_backward(&self, dy: &CudaStorage, idx: &CudaSlice<u32>, w: &Window2d) -> Result<CudaStorage> {
        self.max_pool2d_backward_op(dy, idx, w)
    }

    /// The fused kernels of `optim.cu`: one pass over the weights, gradient
    /// and state instead of the default's dozen elementwise ops.
    fn update(&self, rule: &Update, w: &mut CudaStorage, g: &CudaStorage, slots: &mut [&mut CudaStorage], len: usize) -> Result<()> {
        if slots.len() != rule.slots() || w.len() != len {
            return Err(TensorError::invalid(
                "update",
                format!("{rule:?} needs {} state buffers and {len} weights, got {} and {}", rule.slots(), slots.len(), w.len()),
            ));
        }
        let f = |v: f64| v as f32;
        match (*rule, slots) {
            (Update::Sgd { lr }, _) => self.sgd_step(w, g, None, &SgdParams { lr: f(lr), momentum: 0.0 }),
            (Update::Momentum { lr, momentum }, [v]) => self.sgd_step(w, g, Some(v), &SgdParams { lr: f(lr), momentum: f(momentum) }),
            (Update::RmsProp { lr, rho, eps }, [s]) => self.rmsprop_step(w, g, s, &RmsPropParams::new(lr, rho, eps)),
            (Update::Adam { lr_t, beta1, beta2, eps }, [m, v]) => {
                self.adam_step(w, g, m, v, &AdamParams::with_step_size(lr_t, beta1, beta2, eps))
            }
            (rule, _) => Err(TensorError::invalid("update", format!("wrong number of state buffers for {rule:?}"))),
        }
    }
}
