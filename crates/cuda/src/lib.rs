//! # recon-cuda
//!
//! Recon's CUDA backend: the `recon_tensor::Backend` trait implemented with
//! hand-written kernels (`kernels/*.cu` at the repository root), compiled at
//! run time by NVRTC and launched through `cudarc`.
//!
//! Built without the `cuda` cargo feature (the default), the crate needs no
//! CUDA anywhere and [`CudaBackend::new`] returns an error saying so; the
//! host-side pieces below (kernel sources, parameter structs, launch
//! planning, the CPU Philox generator) are always compiled and tested.
//! With `--features cuda`, [`CudaBackend::new`] checks that the driver
//! library and NVRTC can be loaded, opens the device and returns a backend,
//! or a clear error, never a panic, on a machine without a GPU.
//!
//! ```
//! use recon_cuda::CudaBackend;
//! match CudaBackend::new(0) {
//!     Ok(gpu) => println!("using {gpu:?}"),
//!     Err(e) => println!("no GPU: {e}"), // CPU-only machines, or built without `cuda`
//! }
//! ```
//!
//! Files: `kernels.rs` (the embedded sources and NVRTC options),
//! `params.rs` (`#[repr(C)]` structs shared with the kernels), `plan.rs`
//! (merging broadcast axes, size classes, grid sizes), `gemm.rs` (the GEMM
//! variants and the choice between them), `philox.rs` (the noise generator
//! on the CPU), then `device/` with the backend itself (one file per kernel
//! family, plus the allocator and the compiler cache), or `stub.rs` when
//! built without CUDA.

pub mod gemm;
pub mod kernels;
pub mod params;
pub mod philox;
pub mod plan;

#[cfg(feature = "cuda")]
mod device;
/// The `cudarc` this crate was built with (its `CudaSlice<u32>` is the
/// backend's index buffer type, and benchmarks use its events).
#[cfg(feature = "cuda")]
pub use cudarc;
#[cfg(feature = "cuda")]
pub use device::{compile_to_ptx, nvrtc_available, CudaBackend, CudaStorage, PoolStats};

#[cfg(not(feature = "cuda"))]
mod stub;
#[cfg(not(feature = "cuda"))]
pub use stub::{CudaBackend, CudaStorage};

pub use gemm::GemmVariant;
pub use params::{Activation, AdamParams, RmsPropParams, SgdParams};

/// Whether this build contains the CUDA backend (the `cuda` feature).
pub const fn built_with_cuda() -> bool {
    cfg!(feature = "cuda")
}
