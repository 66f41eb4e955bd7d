//! `--device cpu|cuda`: the backend a command runs on.
//!
//! Every command is written once, generic over the `Backend` trait
//! (`run_on::<B>`); this file only opens the backend the flag names. A build
//! without the `cuda` feature, or a machine without a GPU or driver, turns
//! `--device cuda` into one error line (exit status 2), never a panic.

use recon_cuda::CudaBackend;
use recon_tensor::Cpu32;

use crate::error::{CliError, Result};

/// An opened backend.
pub enum Device {
    Cpu(Cpu32),
    Cuda(CudaBackend),
}

/// Opens the backend `name` names: `cpu`, or `cuda` (the first GPU).
pub fn open(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu(Cpu32::new())),
        "cuda" => CudaBackend::new(0).map(Device::Cuda).map_err(|e| CliError::input(format!("--device cuda: {e}; use --device cpu"))),
        other => Err(CliError::input(format!("unknown device '{other}'; choose cpu or cuda"))),
    }
}
