//! The CUDA backend proper (built with the `cuda` feature).
//!
//! Design, in short:
//! - **One context, one stream.** `CudaBackend::new` retains the device's
//!   primary context and creates one non-blocking stream; every copy and
//!   every kernel of this backend goes to that stream, in program order. So
//!   kernels never need events between them, a buffer freed while a queued
//!   kernel still reads it can be handed to the next kernel safely (the
//!   stream runs them in order), and cudarc's per-buffer event tracking is
//!   switched off (it would create two CUDA events per allocation).
//! - **Synchronisation points.** Only `to_vec` (the values must reach the
//!   host: a loss, a metric, a checkpoint) and an explicit `synchronize`
//!   wait for the GPU. Launches return at once; a kernel fault surfaces at
//!   the next synchronisation point as an error.
//! - **Memory.** Output buffers come from a caching allocator (`pool.rs`):
//!   free lists by size class, so a training step, which frees and requests
//!   the same sizes every time, makes no `cuMemAlloc` call in steady state.
//!   The driver's stream-ordered pool (used by cudarc for the few other
//!   allocations: max-pool indices, row lists) is told to keep its memory
//!   too (release threshold = unlimited).
//! - **Kernels.** Each `kernels/*.cu` file is compiled by NVRTC the first
//!   time one of its kernels is launched, for the device's own architecture;
//!   the PTX is cached for the process (`compile.rs`) and the loaded
//!   functions per backend.
//!
//! The launch code sits in one file per kernel family (`elementwise.rs`,
//! `reduce.rs`, `gemm.rs`, `window.rs`, `layout.rs`, `optim.rs`,
//! `random.rs`, like `kernels/`); `backend.rs` plugs them into the trait.

mod backend;
mod compile;
mod elementwise;
mod gemm;
mod layout;
mod optim;
mod pool;
mod random;
mod reduce;
mod window;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, DriverError, LaunchConfig};
use recon_tensor::{Result, TensorError};

pub use compile::{compile_to_ptx, nvrtc_available};
pub use pool::{CudaStorage, PoolStats};

use crate::gemm::GemmVariant;
use crate::kernels;
use crate::plan::{blocks_for, THREADS};
use pool::Pool;

/// The CUDA backend: float32 tensors in device memory on one GPU. Cloning
/// is cheap (a shared handle); clones share the stream, caches and pool.
#[derive(Clone)]
pub struct CudaBackend {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    ordinal: usize,
    device_name: String,
    /// NVRTC's virtual architecture for this device, e.g. `compute_90`.
    arch: String,
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    functions: Mutex<HashMap<&'static str, CudaFunction>>,
    pool: Arc<Pool>,
    /// Fill every new output with NaN before its kernel runs (tests).
    poison: AtomicBool,
    /// 0 = choose per product, else a `GemmVariant` number.
    gemm_variant: AtomicU32,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaBackend(cuda:{} {}, {})", self.inner.ordinal, self.inner.device_name, self.inner.arch)
    }
}

/// Turns a driver error into the engine's error type, naming the operation.
pub(crate) fn driver_err(op: &'static str) -> impl Fn(DriverError) -> TensorError {
    move |e| TensorError::Backend(format!("CUDA {op}: {e}"))
}

/// A one-dimensional launch of `work` threads' worth of items, 256 threads
/// per block (grid-stride kernels loop over what the grid does not cover).
pub(crate) fn grid_1d(work: u64) -> LaunchConfig {
    LaunchConfig { grid_dim: (blocks_for(work), 1, 1), block_dim: (THREADS, 1, 1), shared_mem_bytes: 0 }
}

/// Narrows a size for a kernel's `unsigned int` argument.
pub(crate) fn u32_arg(op: &'static str, what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| TensorError::invalid(op, format!("{what} = {v} exceeds the CUDA kernels' 32-bit sizes")))
}

impl CudaBackend {
    /// Opens CUDA device `ordinal`. Returns an error, never panics, when the
    /// driver library or NVRTC cannot be loaded, when there is no such
    /// device, or when the driver refuses.
    pub fn new(ordinal: usize) -> Result<Self> {
        // SAFETY: only tries to dlopen the driver library under its usual
        // names and closes it again; no CUDA function is called.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(TensorError::Backend("no CUDA driver: libcuda.so could not be loaded (is an NVIDIA driver installed?)".into()));
        }
        if !nvrtc_available() {
            return Err(TensorError::Backend(compile::NVRTC_MISSING.into()));
        }
        let count = CudaContext::device_count().map_err(|e| TensorError::Backend(format!("no usable CUDA device: {e}")))?;
        if ordinal >= count.max(0) as usize {
            return Err(TensorError::Backend(format!("CUDA device {ordinal} does not exist ({count} device(s) found)")));
        }
        let ctx = CudaContext::new(ordinal).map_err(driver_err("open device"))?;
        // SAFETY: this backend submits all work to one stream, in order, so
        // cudarc's cross-stream event tracking is not needed; it must be
        // switched off before any buffer is allocated, which is now.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().map_err(driver_err("create stream"))?;
        keep_pool_memory(&ctx)?;
        let (major, minor) = ctx.compute_capability().map_err(driver_err("query device"))?;
        let device_name = ctx.name().map_err(driver_err("query device"))?;
        let pool = Arc::new(Pool::new(stream.clone()));
        Ok(CudaBackend {
            inner: Arc::new(Inner {
                ctx,
                stream,
                ordinal,
                device_name,
                arch: format!("compute_{major}{minor}"),
                modules: Mutex::new(HashMap::new()),
                functions: Mutex::new(HashMap::new()),
                pool,
                poison: AtomicBool::new(std::env::var_os("RECON_CUDA_POISON").is_some_and(|v| v == "1")),
                gemm_variant: AtomicU32::new(0),
            }),
        })
    }

    /// The device's name, e.g. "NVIDIA H100 80GB HBM3".
    pub fn device_name(&self) -> &str {
        &self.inner.device_name
    }

    /// The NVRTC architecture kernels are compiled for, e.g. `compute_90`.
    pub fn arch(&self) -> &str {
        &self.inner.arch
    }

    /// The stream all work goes to (for benchmarks that record events).
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.inner.stream
    }

    /// Mean milliseconds per call of `f` over `iters` calls, timed on the GPU:
    /// CUDA events recorded on the backend's stream before the first call and
    /// after the last, so the time is the GPU's work, not the host's launches
    /// (for benchmarks: `examples/gemm_bench.rs`, `recon-benches`' `gpu`).
    pub fn time_ms(&self, iters: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
        use cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT;
        let start = self.inner.stream.record_event(Some(CU_EVENT_DEFAULT)).map_err(driver_err("record_event"))?;
        for _ in 0..iters {
            f()?;
        }
        let end = self.inner.stream.record_event(Some(CU_EVENT_DEFAULT)).map_err(driver_err("record_event"))?;
        end.synchronize().map_err(driver_err("event synchronize"))?;
        Ok(start.elapsed_ms(&end).map_err(driver_err("elapsed_ms"))? as f64 / iters.max(1) as f64)
    }

    /// Waits until every queued copy and kernel has finished, and reports
    /// any error a kernel or a deferred free ran into.
    pub fn synchronize(&self) -> Result<()> {
        self.inner.stream.synchronize().map_err(driver_err("synchronize"))?;
        self.inner.ctx.check_err().map_err(driver_err("earlier asynchronous operation"))
    }

    /// When on, every output buffer is filled with NaN before the kernel
    /// that should overwrite it runs, so a kernel that leaves elements
    /// unwritten shows NaN instead of stale data. Also on with the
    /// environment variable `RECON_CUDA_POISON=1`. Costs one fill per op.
    pub fn set_poison(&self, on: bool) {
        self.inner.poison.store(on, Ordering::Relaxed);
    }

    /// Forces every matmul onto one GEMM variant (`None`: choose per product).
    /// Products the variant cannot run (`GemmVariant::fits`) still get the
    /// automatic choice.
    pub fn set_gemm_variant(&self, v: Option<GemmVariant>) {
        self.inner.gemm_variant.store(v.map_or(0, GemmVariant::number), Ordering::Relaxed);
    }

    pub(crate) fn forced_gemm_variant(&self) -> Option<GemmVariant> {
        GemmVariant::from_number(self.inner.gemm_variant.load(Ordering::Relaxed))
    }

    /// Counters of the caching allocator.
    pub fn pool_stats(&self) -> PoolStats {
        self.inner.pool.stats()
    }

    /// Returns the allocator's cached (free) buffers to the driver.
    pub fn release_cached_memory(&self) {
        self.inner.pool.release();
    }

    /// Compiles and loads every kernel file now rather than at first use
    /// (so the first training step is not the one that pays for NVRTC).
    pub fn preload(&self) -> Result<()> {
        for f in &kernels::FILES {
            for e in f.entries {
                self.function(e)?;
            }
        }
        Ok(())
    }

    /// The loaded kernel `entry` (compiling and loading its file on first use).
    pub(crate) fn function(&self, entry: &'static str) -> Result<CudaFunction> {
        if let Some(f) = self.inner.functions.lock().unwrap().get(entry) {
            return Ok(f.clone());
        }
        let file = kernels::file_of(entry).ok_or_else(|| TensorError::Backend(format!("no CUDA kernel named {entry}")))?;
        let module = {
            let mut modules = self.inner.modules.lock().unwrap();
            match modules.get(file.name) {
                Some(m) => m.clone(),
                None => {
                    let ptx = compile::ptx_for(file, &self.inner.arch)?;
                    let m = self.inner.ctx.load_module(ptx).map_err(|e| compile::load_error(file.name, e))?;
                    modules.insert(file.name, m.clone());
                    m
                }
            }
        };
        let f = module.load_function(entry).map_err(driver_err("load kernel"))?;
        self.inner.functions.lock().unwrap().insert(entry, f.clone());
        Ok(f)
    }

    /// A new output buffer of `len` floats from the pool: its contents are
    /// undefined (NaN when poisoning is on); the caller's kernel must write
    /// every element.
    pub(crate) fn output(&self, len: usize) -> Result<CudaStorage> {
        let mut out = self.inner.pool.take(len)?;
        if self.inner.poison.load(Ordering::Relaxed) && len > 0 {
            self.fill(&mut out, f32::NAN)?;
        }
        Ok(out)
    }
}

/// Tells the device's default stream-ordered memory pool to keep freed
/// memory for reuse instead of returning it to the OS at each synchronisation.
fn keep_pool_memory(ctx: &Arc<CudaContext>) -> Result<()> {
    use cudarc::driver::{result, sys};
    if !ctx.has_async_alloc() {
        return Ok(());
    }
    // SAFETY: `cu_device` comes from a live context; the attribute takes a
    // pointer to a u64, which outlives the call.
    unsafe {
        let pool = result::device::get_default_mem_pool(ctx.cu_device()).map_err(driver_err("memory pool"))?;
        let mut threshold: u64 = u64::MAX;
        sys::cuMemPoolSetAttribute(pool, sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, (&mut threshold as *mut u64).cast())
            .result()
            .map_err(driver_err("memory pool"))?;
    }
    Ok(())
}
