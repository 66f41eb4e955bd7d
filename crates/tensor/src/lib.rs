//! # recon-tensor
//!
//! The bottom layer of Recon: n-dimensional tensors (`Tensor`), the primitive
//! operations every backend provides (`Backend`), and the CPU backend (`Cpu`).
//!
//! ```
//! use recon_tensor::{Cpu, Tensor};
//! let cpu = Cpu::<f32>::new();
//! let x = Tensor::from_vec(&cpu, vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
//! let b = Tensor::from_vec(&cpu, vec![10.0, 20.0], &[2]).unwrap();
//! let y = x.matmul(&x).unwrap().add(&b).unwrap(); // b broadcasts over rows
//! assert_eq!(y.to_vec().unwrap(), vec![17.0, 30.0, 25.0, 42.0]);
//! ```
//!
//! Files, bottom-up: `element.rs` (f32/f64), `shape.rs` (broadcasting rules),
//! `window.rs` (conv/pool geometry), `backend.rs` (the trait), `tensor.rs`
//! (the type) with its operations in `layout.rs`, `math.rs` and `conv.rs`, and
//! `cpu/` (the CPU kernels).

pub mod backend;
mod conv;
pub mod cpu;
pub mod element;
pub mod error;
mod layout;
mod math;
pub mod shape;
mod tensor;
pub mod window;

pub use backend::{Backend, Binary, Matmul, Reduce, Unary, Update};
pub use conv::Pooled;
pub use cpu::Cpu;
pub use element::{DType, Element};
pub use error::{Result, TensorError};
pub use shape::Shape;
pub use smallvec::smallvec;
pub use tensor::Tensor;
pub use window::{Padding, Window2d};

/// The engine's default backend: float32 on the CPU.
pub type Cpu32 = Cpu<f32>;
/// Float64 on the CPU, for gradient checks.
pub type Cpu64 = Cpu<f64>;
