//! The caching allocator: device buffers are never returned to the driver
//! when a tensor dies, but kept on a free list per size class
//! (`plan::size_class`) and handed to the next request of that class.
//!
//! A training step asks for the same sizes every step, so after the first
//! step every request is served from the free lists: no `cuMemAlloc`, no
//! synchronisation. Reuse is safe without events because the backend runs
//! everything on one stream: a kernel that reads a buffer is queued before
//! the buffer is freed, and any kernel that later writes the reused buffer
//! is queued after it.
//!
//! If the driver runs out of memory, the free lists are released and the
//! allocation is retried once. `CudaBackend::release_cached_memory` empties
//! them on demand.

use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaSlice, CudaStream, DriverError};
use recon_tensor::{Result, TensorError};

use crate::plan::size_class;

/// Counters of the allocator, for tests and memory reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers obtained from the driver.
    pub driver_allocs: u64,
    /// Requests served from a free list.
    pub reuses: u64,
    /// Bytes in buffers held by live tensors.
    pub live_bytes: u64,
    /// Bytes in free buffers kept for reuse.
    pub cached_bytes: u64,
    /// Highest `live_bytes + cached_bytes` so far.
    pub peak_bytes: u64,
}

pub(crate) struct Pool {
    stream: Arc<CudaStream>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    free: HashMap<usize, Vec<CudaSlice<f32>>>,
    stats: PoolStats,
}

fn bytes(elems: usize) -> u64 {
    (elems * std::mem::size_of::<f32>()) as u64
}

impl Pool {
    pub(crate) fn new(stream: Arc<CudaStream>) -> Self {
        Pool { stream, state: Mutex::new(State::default()) }
    }

    /// A buffer for `len` floats (its capacity is `len`'s size class).
    pub(crate) fn take(self: &Arc<Self>, len: usize) -> Result<CudaStorage> {
        let class = size_class(len);
        let reused = {
            let mut st = self.state.lock().unwrap();
            let buf = st.free.get_mut(&class).and_then(Vec::pop);
            if buf.is_some() {
                st.stats.reuses += 1;
                st.stats.cached_bytes -= bytes(class);
                st.stats.live_bytes += bytes(class);
            }
            buf
        };
        let buf = match reused {
            Some(b) => b,
            None => {
                let b = match self.alloc(class) {
                    Ok(b) => b,
                    Err(e) if e.0 == cudarc::driver::sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY => {
                        self.release();
                        self.alloc(class)
                            .map_err(|e| TensorError::Backend(format!("CUDA out of memory allocating {} bytes: {e}", bytes(class))))?
                    }
                    Err(e) => return Err(TensorError::Backend(format!("CUDA allocation of {} bytes: {e}", bytes(class)))),
                };
                let mut st = self.state.lock().unwrap();
                st.stats.driver_allocs += 1;
                st.stats.live_bytes += bytes(class);
                st.stats.peak_bytes = st.stats.peak_bytes.max(st.stats.live_bytes + st.stats.cached_bytes);
                b
            }
        };
        Ok(CudaStorage { buf: ManuallyDrop::new(buf), len, pool: self.clone() })
    }

    fn alloc(&self, class: usize) -> std::result::Result<CudaSlice<f32>, DriverError> {
        // SAFETY: the memory is uninitialised; every user of a pool buffer
        // (CudaBackend::output and upload) writes all `len` elements it
        // exposes before anything reads them.
        unsafe { self.stream.alloc::<f32>(class) }
    }

    fn give_back(&self, buf: CudaSlice<f32>) {
        let mut st = self.state.lock().unwrap();
        let class = buf.len();
        st.stats.live_bytes -= bytes(class);
        st.stats.cached_bytes += bytes(class);
        st.free.entry(class).or_default().push(buf);
    }

    /// Drops every free buffer (returned to the driver on the stream).
    pub(crate) fn release(&self) {
        let free = {
            let mut st = self.state.lock().unwrap();
            st.stats.cached_bytes = 0;
            std::mem::take(&mut st.free)
        };
        drop(free);
    }

    pub(crate) fn stats(&self) -> PoolStats {
        self.state.lock().unwrap().stats
    }
}

/// A tensor's device buffer: `len` floats at the start of a pooled
/// allocation (which may be a little longer: its size class). Dropping it
/// returns the allocation to the pool. Every buffer starts at an address the
/// driver returned, so it is 256-byte aligned (the kernels' float4 accesses
/// rely on this).
pub struct CudaStorage {
    /// Taken out (once) by `Drop`, which hands it back to the pool.
    buf: ManuallyDrop<CudaSlice<f32>>,
    len: usize,
    pool: Arc<Pool>,
}

impl CudaStorage {
    /// Number of elements of the tensor.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole allocation (at least `len` elements), for kernel arguments.
    pub fn slice(&self) -> &CudaSlice<f32> {
        &self.buf
    }

    /// The whole allocation, mutably, for kernel outputs.
    pub fn slice_mut(&mut self) -> &mut CudaSlice<f32> {
        &mut self.buf
    }
}

impl Drop for CudaStorage {
    fn drop(&mut self) {
        // SAFETY: `buf` is taken exactly once, here, and never used after.
        let buf = unsafe { ManuallyDrop::take(&mut self.buf) };
        self.pool.give_back(buf);
    }
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaStorage({} f32)", self.len)
    }
}
