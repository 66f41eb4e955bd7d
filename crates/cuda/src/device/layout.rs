//! Launches of `kernels/layout.cu` and the host-device copies: upload,
//! download, fill, strided gathers (permute, broadcast_to) and row gathers.

use std::sync::atomic::Ordering;

use cudarc::driver::{CudaSlice, PushKernelArg};
use recon_tensor::{Result, TensorError};

use super::{driver_err, grid_1d, u32_arg, CudaBackend, CudaStorage};
use crate::params::StridedIndex;

impl CudaBackend {
    pub(crate) fn poison_on(&self) -> bool {
        self.inner.poison.load(Ordering::Relaxed)
    }

    /// Copies host values into a new device buffer (no synchronisation: the
    /// driver stages pageable memory before this returns).
    pub(crate) fn upload_op(&self, data: &[f32]) -> Result<CudaStorage> {
        let mut out = self.inner.pool.take(data.len())?;
        if !data.is_empty() {
            let mut view = out.slice_mut().slice_mut(0..data.len());
            self.stream().memcpy_htod(data, &mut view).map_err(driver_err("upload"))?;
        }
        Ok(out)
    }

    /// Copies a buffer to the host: a synchronisation point.
    pub(crate) fn download(&self, x: &CudaStorage) -> Result<Vec<f32>> {
        if x.is_empty() {
            return Ok(Vec::new());
        }
        let v = self.stream().clone_dtoh(&x.slice().slice(0..x.len())).map_err(driver_err("download"))?;
        self.synchronize()?;
        Ok(v)
    }

    /// Sets every element of `y` to `value`.
    pub(crate) fn fill(&self, y: &mut CudaStorage, value: f32) -> Result<()> {
        let n = y.len() as u64;
        if n == 0 {
            return Ok(());
        }
        let f = self.function("fill_fwd_f32")?;
        // SAFETY: y holds n floats at a driver allocation (aligned for the
        // kernel's float4 stores); arguments match (float*, unsigned long long, float).
        unsafe { self.stream().launch_builder(&f).arg(y.slice_mut()).arg(&n).arg(&value).launch(grid_1d(n.div_ceil(4))) }
            .map_err(driver_err("fill_fwd_f32"))?;
        Ok(())
    }

    /// Sets the first `len` words of a u32 buffer to `bits` (poisoning index
    /// buffers), through the float fill kernel: a store copies bits as they are.
    pub(crate) fn fill_bits_u32(&self, y: &mut CudaSlice<u32>, len: usize, bits: u32) -> Result<()> {
        let f = self.function("fill_fwd_f32")?;
        let (n, value) = (len as u64, f32::from_bits(bits));
        // SAFETY: the view covers `len` u32 words = `len` f32 slots of the
        // same allocation; the kernel writes exactly those; arguments match
        // (float*, unsigned long long, float).
        unsafe {
            let mut view = y.transmute_mut::<f32>(len).ok_or_else(|| TensorError::Backend("index buffer too short".into()))?;
            self.stream().launch_builder(&f).arg(&mut view).arg(&n).arg(&value).launch(grid_1d(n.div_ceil(4)))
        }
        .map_err(driver_err("fill_fwd_f32"))?;
        Ok(())
    }

    pub(crate) fn full_op(&self, len: usize, value: f32) -> Result<CudaStorage> {
        let mut y = self.inner.pool.take(len)?;
        self.fill(&mut y, value)?;
        Ok(y)
    }

    /// `y[i] = x[offset of i under s]` for an output of n elements.
    fn gather_strided(&self, x: &CudaStorage, s: &StridedIndex, n: usize) -> Result<CudaStorage> {
        let mut y = self.output(n)?;
        if n == 0 {
            return Ok(y);
        }
        let n64 = n as u64;
        let f = self.function("gather_strided_fwd_f32")?;
        // SAFETY: `s` comes from plan.rs for the caller's checked shapes, so
        // each offset is inside x; y is fresh with n floats; arguments match
        // (const float*, float*, unsigned long long, StridedIndex).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(y.slice_mut()).arg(&n64).arg(s).launch(grid_1d(n64)) }
            .map_err(driver_err("gather_strided_fwd_f32"))?;
        Ok(y)
    }

    pub(crate) fn permute_op(&self, x: &CudaStorage, shape: &[usize], axes: &[usize]) -> Result<CudaStorage> {
        let s = StridedIndex::permute(shape, axes)?;
        self.gather_strided(x, &s, shape.iter().product())
    }

    pub(crate) fn broadcast_op(&self, x: &CudaStorage, from: &[usize], to: &[usize]) -> Result<CudaStorage> {
        let s = StridedIndex::broadcast(from, to)?;
        self.gather_strided(x, &s, to.iter().product())
    }

    pub(crate) fn gather_rows_op(&self, x: &CudaStorage, row_len: usize, rows: &[usize]) -> Result<CudaStorage> {
        let n = rows.len() * row_len;
        let mut y = self.output(n)?;
        if n == 0 {
            return Ok(y);
        }
        let have = x.len() / row_len;
        let mut idx = Vec::with_capacity(rows.len());
        for &r in rows {
            if r >= have {
                return Err(TensorError::invalid("gather_rows", format!("row {r} does not exist ({have} rows)")));
            }
            idx.push(u32_arg("gather_rows", "row index", r)?);
        }
        let d_idx = self.stream().clone_htod(&idx).map_err(driver_err("gather_rows indices"))?;
        let (nr, rl) = (u32_arg("gather_rows", "rows", rows.len())?, u32_arg("gather_rows", "row length", row_len)?);
        let f = self.function("gather_rows_fwd_f32")?;
        // SAFETY: every row index is below x.len() / row_len (checked), so
        // all reads are inside x; y is fresh with rows * row_len floats;
        // d_idx holds `rows.len()` u32 and lives until the end of this
        // function, after the launch is queued (its free is stream-ordered
        // after the kernel); arguments match (const float*, const unsigned
        // int*, float*, unsigned int, unsigned int).
        unsafe {
            self.stream().launch_builder(&f).arg(x.slice()).arg(&d_idx).arg(y.slice_mut()).arg(&nr).arg(&rl).launch(grid_1d(n as u64))
        }
        .map_err(driver_err("gather_rows_fwd_f32"))?;
        Ok(y)
    }
}
