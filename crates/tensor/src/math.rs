//! Arithmetic on tensors: elementwise functions (with broadcasting), reductions,
//! softmax and the matrix product. Each checks shapes and calls one backend
//! primitive; the formulas are in `backend.rs`.

use crate::backend::{Backend, Binary, Matmul, Reduce, Unary, Update};
use crate::error::{Result, TensorError};
use smallvec::{smallvec, SmallVec};

use crate::shape::{broadcast_shape, check_axis, split_at_axis, Shape};
use crate::tensor::Tensor;

impl<B: Backend> Tensor<B> {
    pub fn unary(&self, op: Unary) -> Result<Self> {
        let data = self.backend().unary(op, self.storage())?;
        Ok(self.wrap(Shape::from_slice(self.shape()), data))
    }

    pub fn binary(&self, op: Binary, other: &Self) -> Result<Self> {
        let name = match op {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Max => "maximum",
            Binary::Min => "minimum",
            Binary::Eq => "eq",
        };
        let out = broadcast_shape(name, self.shape(), other.shape())?;
        let data = self.backend().binary(op, self.storage(), self.shape(), other.storage(), other.shape(), &out)?;
        Ok(self.wrap(out, data))
    }

    /// The gradient of relu: this tensor (`g`) where `x > 0`, else 0
    /// (`g * step(x)`); `x` is relu's input, of the same shape.
    pub fn relu_backward(&self, x: &Self) -> Result<Self> {
        if self.shape() != x.shape() {
            return Err(TensorError::shape("relu_backward", self.shape(), x.shape(), "gradient and input differ in shape"));
        }
        let data = self.backend().relu_backward(self.storage(), x.storage(), self.numel())?;
        Ok(self.wrap(Shape::from_slice(self.shape()), data))
    }

    pub fn add(&self, o: &Self) -> Result<Self> {
        self.binary(Binary::Add, o)
    }
    pub fn sub(&self, o: &Self) -> Result<Self> {
        self.binary(Binary::Sub, o)
    }
    pub fn mul(&self, o: &Self) -> Result<Self> {
        self.binary(Binary::Mul, o)
    }
    pub fn div(&self, o: &Self) -> Result<Self> {
        self.binary(Binary::Div, o)
    }
    pub fn neg(&self) -> Result<Self> {
        self.unary(Unary::Neg)
    }
    pub fn exp(&self) -> Result<Self> {
        self.unary(Unary::Exp)
    }
    pub fn log(&self) -> Result<Self> {
        self.unary(Unary::Log)
    }
    pub fn sqrt(&self) -> Result<Self> {
        self.unary(Unary::Sqrt)
    }
    pub fn square(&self) -> Result<Self> {
        self.unary(Unary::Square)
    }
    pub fn abs(&self) -> Result<Self> {
        self.unary(Unary::Abs)
    }
    pub fn relu(&self) -> Result<Self> {
        self.unary(Unary::Relu)
    }
    pub fn sigmoid(&self) -> Result<Self> {
        self.unary(Unary::Sigmoid)
    }
    pub fn tanh(&self) -> Result<Self> {
        self.unary(Unary::Tanh)
    }
    pub fn add_scalar(&self, c: f64) -> Result<Self> {
        self.unary(Unary::AddScalar(c))
    }
    pub fn mul_scalar(&self, c: f64) -> Result<Self> {
        self.unary(Unary::MulScalar(c))
    }

    /// Sum of all elements, as a rank-0 tensor.
    pub fn sum_all(&self) -> Result<Self> {
        let data = self.backend().sum_all(self.storage())?;
        Ok(self.wrap(smallvec![], data))
    }
    pub fn mean_all(&self) -> Result<Self> {
        if self.numel() == 0 {
            return Err(TensorError::invalid("mean_all", "the mean of an empty tensor is undefined"));
        }
        self.sum_all()?.mul_scalar(1.0 / self.numel() as f64)
    }

    fn reduce_axis(&self, op: Reduce, name: &'static str, axis: usize, keepdim: bool) -> Result<Self> {
        check_axis(name, self.shape(), axis)?;
        let (outer, len, inner) = split_at_axis(self.shape(), axis);
        if len == 0 && op == Reduce::Max {
            return Err(TensorError::invalid(name, format!("axis {axis} of {:?} is empty", self.shape())));
        }
        let data = self.backend().reduce(op, self.storage(), outer, len, inner)?;
        let mut shape = Shape::from_slice(self.shape());
        if keepdim {
            shape[axis] = 1;
        } else {
            shape.remove(axis);
        }
        Ok(self.wrap(shape, data))
    }
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        self.reduce_axis(Reduce::Sum, "sum_axis", axis, keepdim)
    }
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        check_axis("mean_axis", self.shape(), axis)?;
        let len = self.shape()[axis].max(1);
        self.sum_axis(axis, keepdim)?.mul_scalar(1.0 / len as f64)
    }
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Result<Self> {
        self.reduce_axis(Reduce::Max, "max_axis", axis, keepdim)
    }

    fn rows_cols(&self, name: &'static str) -> Result<(usize, usize)> {
        match self.shape().last() {
            Some(&c) if c > 0 => Ok((self.numel() / c, c)),
            _ => Err(TensorError::invalid(name, format!("needs a non-empty last axis, shape is {:?}", self.shape()))),
        }
    }
    /// Softmax along the last axis.
    pub fn softmax(&self) -> Result<Self> {
        let (r, c) = self.rows_cols("softmax")?;
        let data = self.backend().softmax_rows(self.storage(), r, c)?;
        Ok(self.wrap(Shape::from_slice(self.shape()), data))
    }
    /// Log-softmax along the last axis.
    pub fn log_softmax(&self) -> Result<Self> {
        let (r, c) = self.rows_cols("log_softmax")?;
        let data = self.backend().log_softmax_rows(self.storage(), r, c)?;
        Ok(self.wrap(Shape::from_slice(self.shape()), data))
    }

    pub fn matmul(&self, other: &Self) -> Result<Self> {
        self.matmul_t(other, false, false)
    }

    /// `op(self) op(other)` where `op` transposes the last two axes when the
    /// flag is set, without copying. Shapes: `[m, k] x [k, n]`, or batched
    /// `[b, m, k] x [b, k, n]`, or one side shared by the whole batch:
    /// `[b, m, k] x [k, n]` and `[m, k] x [b, k, n]`.
    pub fn matmul_t(&self, other: &Self, trans_a: bool, trans_b: bool) -> Result<Self> {
        let (a, b) = (self.shape(), other.shape());
        let bad = |why: &str| TensorError::shape("matmul", a, b, why.to_string());
        let (batch, a_mat, b_mat, a_stride, b_stride) = match (a.len(), b.len()) {
            (2, 2) => (1, [a[0], a[1]], [b[0], b[1]], 0, 0),
            (3, 3) if a[0] == b[0] => (a[0], [a[1], a[2]], [b[1], b[2]], a[1] * a[2], b[1] * b[2]),
            (3, 2) => (a[0], [a[1], a[2]], [b[0], b[1]], a[1] * a[2], 0),
            (2, 3) => (b[0], [a[0], a[1]], [b[1], b[2]], 0, b[1] * b[2]),
            (3, 3) => return Err(bad("batch sizes differ")),
            _ => return Err(bad("expects matrices (2 axes) or batches of matrices (3 axes)")),
        };
        let (m, k) = if trans_a { (a_mat[1], a_mat[0]) } else { (a_mat[0], a_mat[1]) };
        let (k2, n) = if trans_b { (b_mat[1], b_mat[0]) } else { (b_mat[0], b_mat[1]) };
        if k != k2 {
            return Err(bad(&format!("inner sizes {k} and {k2} differ")));
        }
        let spec = Matmul { batch, m, k, n, trans_a, trans_b, a_batch_stride: a_stride, b_batch_stride: b_stride };
        let data = self.backend().matmul(self.storage(), other.storage(), &spec)?;
        let shape: Shape = if a.len() == 3 || b.len() == 3 { smallvec![batch, m, n] } else { smallvec![m, n] };
        Ok(self.wrap(shape, data))
    }
}

impl<B: Backend> Tensor<B> {
    /// A dense layer: `act(x W^T + b)` for this tensor `x` `[rows, in]`, `w`
    /// `[out, in]` and `b` `[out]`, `act` the identity when `None`. The same
    /// values as `matmul_t(w, false, true)`, a broadcast `add(b)` and `act`,
    /// in two backend calls instead of three (`Backend::bias_act`).
    pub fn dense(&self, w: &Self, b: &Self, act: Option<Unary>) -> Result<Self> {
        if self.rank() != 2 || w.rank() != 2 || b.shape() != [w.shape()[0]] {
            let why = format!("expects x [rows, in], w [out, in] and b [out]; b is {:?}", b.shape());
            return Err(TensorError::shape("dense", self.shape(), w.shape(), why));
        }
        let y = self.matmul_t(w, false, true)?;
        let (rows, cols) = (y.shape()[0], y.shape()[1]);
        let data = self.backend().bias_act(y.storage(), rows, b.storage(), cols, act)?;
        Ok(self.wrap(smallvec![rows, cols], data))
    }
}

impl<B: Backend> Tensor<B> {
    /// One optimizer step on this parameter, in place (see `Update`). `slots`
    /// are the rule's state tensors, shaped like the parameter. Storage shared
    /// with another tensor is copied first, so no other tensor changes.
    pub fn apply_update(&mut self, rule: &Update, grad: &Self, slots: &mut [Self]) -> Result<()> {
        if grad.shape() != self.shape() || slots.iter().any(|s| s.shape() != self.shape()) || slots.len() != rule.slots() {
            return Err(TensorError::shape(
                "apply_update",
                self.shape(),
                grad.shape(),
                "parameter, gradient and optimizer state must have one shape",
            ));
        }
        let backend = self.backend().clone();
        let len = self.numel();
        // At most two slots (Adam's): kept inline, as this runs for every
        // parameter in every step.
        let mut state: SmallVec<[&mut B::Storage; 2]> = SmallVec::new();
        for s in slots.iter_mut() {
            state.push(s.storage_mut()?);
        }
        backend.update(rule, self.storage_mut()?, grad.storage(), &mut state, len)
    }
}
