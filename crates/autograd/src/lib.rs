//! # recon-autograd
//!
//! Reverse-mode automatic differentiation over `recon-tensor`: the `Tape` that
//! records a forward pass, the differentiable ops (`ops/`, one family per file,
//! each with its backward rule beside it), the losses (`loss/`), and the
//! finite-difference gradient check (`gradcheck.rs`) every op is tested with.
//!
//! ```
//! use recon_autograd::Tape;
//! use recon_tensor::{Cpu32, Tensor};
//! let cpu = Cpu32::new();
//! let tape = Tape::new();
//! let w = tape.param(&Tensor::from_vec(&cpu, vec![2.0], &[1]).unwrap());
//! let x = tape.constant(&Tensor::from_vec(&cpu, vec![3.0], &[1]).unwrap());
//! let loss = w.mul(&x).unwrap().square().unwrap().sum_all().unwrap(); // (w x)^2
//! let grads = tape.backward(&loss).unwrap();
//! assert_eq!(grads.get(&w).unwrap().to_vec().unwrap(), vec![36.0]); // 2 w x^2
//! ```

pub mod gradcheck;
pub mod loss;
mod ops;
mod tape;
#[cfg(test)]
mod testing;

pub use tape::{BackwardFn, Grads, InputGrads, ParamVars, Tape, Var, MAX_INPUTS, RULE_SPACE};
