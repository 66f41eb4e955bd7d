//! The one error type of the numeric core.
//!
//! Every operation that a library user can call with bad input (two shapes that
//! do not fit, a reshape to the wrong size, an axis that does not exist) returns
//! `Err(TensorError)` with a message that names the shapes involved. Nothing in
//! this layer panics on such input.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// Two operands whose shapes do not fit together, e.g. `matmul [3, 4] x [5, 2]`.
    Shape { op: &'static str, lhs: Vec<usize>, rhs: Vec<usize>, why: String },
    /// A single argument that is out of range (an axis, a row index, a stride of 0).
    Invalid { op: &'static str, why: String },
    /// The backend itself failed (a CUDA launch, an allocation).
    Backend(String),
}

impl TensorError {
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize], why: impl Into<String>) -> Self {
        TensorError::Shape { op, lhs: lhs.to_vec(), rhs: rhs.to_vec(), why: why.into() }
    }
    pub fn invalid(op: &'static str, why: impl Into<String>) -> Self {
        TensorError::Invalid { op, why: why.into() }
    }
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::Shape { op, lhs, rhs, why } => {
                write!(f, "{op}: shapes {lhs:?} and {rhs:?} do not fit: {why}")
            }
            TensorError::Invalid { op, why } => write!(f, "{op}: {why}"),
            TensorError::Backend(msg) => write!(f, "backend error: {msg}"),
        }
    }
}

impl std::error::Error for TensorError {}

pub type Result<T> = std::result::Result<T, TensorError>;
