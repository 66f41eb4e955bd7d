//! Compiling `kernels/*.cu` with NVRTC, once per file and architecture per
//! process (loaded modules are cached per backend in `mod.rs`).
//!
//! `compile_to_ptx` is public so `cargo xtask kernels` (through the
//! `recon-cuda-ptx` binary) compiles with exactly these options.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cudarc::driver::DriverError;
use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions, Ptx};
use recon_tensor::{Result, TensorError};

use crate::kernels::{nvrtc_options, KernelFile};

/// What to do when libnvrtc cannot be loaded.
pub(crate) const NVRTC_MISSING: &str = "NVRTC (libnvrtc.so.13) could not be loaded, so the kernels cannot be compiled: install the CUDA \
     13.0 toolkit, or `python3 -m pip install --target target/cuda-tools --no-deps nvidia-cuda-nvrtc==13.0.88` and put \
     target/cuda-tools/nvidia/cu13/lib on LD_LIBRARY_PATH (`cargo xtask test --cuda` does that)";

/// Whether libnvrtc can be loaded (checked before any NVRTC call, because
/// cudarc panics instead of returning an error when it cannot).
pub fn nvrtc_available() -> bool {
    // SAFETY: only tries to dlopen the library under its usual names.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Compiles one CUDA source to PTX for `arch` (e.g. `compute_90`) with the
/// backend's options; the error carries NVRTC's log.
pub fn compile_to_ptx(name: &str, source: &str, arch: &str) -> std::result::Result<String, String> {
    compile(name, source, arch).map(|p| p.to_src())
}

fn compile(name: &str, source: &str, arch: &str) -> std::result::Result<Ptx, String> {
    if !nvrtc_available() {
        return Err(NVRTC_MISSING.into());
    }
    let opts = CompileOptions { options: nvrtc_options(arch), name: Some(format!("{name}.cu")), ..Default::default() };
    compile_ptx_with_opts(source, opts).map_err(|e| match e {
        CompileError::CompileError { nvrtc, log, .. } => {
            format!("NVRTC could not compile {name}.cu for {arch} ({nvrtc}):\n{}", log.to_string_lossy())
        }
        other => format!("NVRTC failed on {name}.cu: {other}"),
    })
}

type PtxCache = Mutex<HashMap<(&'static str, String), Ptx>>;

/// The PTX of a kernel file for `arch`, compiled on first request.
pub(crate) fn ptx_for(file: &KernelFile, arch: &str) -> Result<Ptx> {
    static CACHE: OnceLock<PtxCache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (file.name, arch.to_string());
    if let Some(p) = cache.lock().unwrap().get(&key) {
        return Ok(p.clone());
    }
    // Compile outside the lock: another thread may do the same file at the
    // same time, which costs a little time but never a wrong result.
    let ptx = compile(file.name, file.source, arch).map_err(TensorError::Backend)?;
    cache.lock().unwrap().insert(key, ptx.clone());
    Ok(ptx)
}

/// Explains the usual reason a module fails to load.
pub(crate) fn load_error(file: &str, e: DriverError) -> TensorError {
    use cudarc::driver::sys::CUresult;
    let hint = match e.0 {
        CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION => {
            " (the PTX comes from a newer NVRTC than the driver supports: use the NVRTC of the driver's CUDA version, \
             e.g. nvidia-cuda-nvrtc==13.0.88 for a 580 driver)"
        }
        _ => "",
    };
    TensorError::Backend(format!("CUDA could not load the kernels of {file}.cu: {e}{hint}"))
}
