//! Launches of `kernels/window.cu`: im2col, col2im and max pooling.

use cudarc::driver::{CudaSlice, PushKernelArg};
use recon_tensor::{Result, TensorError, Window2d};

use super::{driver_err, grid_1d, CudaBackend, CudaStorage};
use crate::params::WindowGeom;

impl CudaBackend {
    pub(crate) fn im2col_op(&self, x: &CudaStorage, w: &Window2d) -> Result<CudaStorage> {
        let g = WindowGeom::new("im2col", w)?;
        let total = w.batch * w.patch_len() * w.out_len();
        let mut cols = self.output(total)?;
        if total == 0 {
            return Ok(cols);
        }
        let f = self.function("im2col_fwd_f32")?;
        // SAFETY: x holds the window's input (batch * channels * height *
        // width floats, the caller's checked shape), cols is fresh with
        // batch * patch_len * out_len; every read index is tested against
        // the input bounds in the kernel; all sizes fit u32 (WindowGeom::new);
        // arguments match (const float*, float*, WindowGeom).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(cols.slice_mut()).arg(&g).launch(grid_1d(total as u64)) }
            .map_err(driver_err("im2col_fwd_f32"))?;
        Ok(cols)
    }

    pub(crate) fn col2im_op(&self, cols: &CudaStorage, w: &Window2d) -> Result<CudaStorage> {
        let g = WindowGeom::new("col2im", w)?;
        let total = w.batch * w.channels * w.height * w.width;
        let mut x = self.output(total)?;
        if total == 0 {
            return Ok(x);
        }
        let f = self.function("col2im_fwd_f32")?;
        // SAFETY: cols holds batch * patch_len * out_len floats (the
        // caller's shape) and the kernel reads only window positions inside
        // it; x is fresh with the input's size and each element is written
        // by exactly one thread; arguments match (const float*, float*, WindowGeom).
        unsafe { self.stream().launch_builder(&f).arg(cols.slice()).arg(x.slice_mut()).arg(&g).launch(grid_1d(total as u64)) }
            .map_err(driver_err("col2im_fwd_f32"))?;
        Ok(x)
    }

    pub(crate) fn max_pool2d_op(&self, x: &CudaStorage, w: &Window2d) -> Result<(CudaStorage, CudaSlice<u32>)> {
        let g = WindowGeom::new("max_pool2d", w)?;
        let total = w.batch * w.channels * w.out_len();
        let mut y = self.output(total)?;
        // SAFETY: the memory is uninitialised; the kernel below writes all
        // `total` indices (or nothing reads them when total is 0).
        let mut idx = unsafe { self.stream().alloc::<u32>(total.max(1)) }.map_err(driver_err("max_pool2d indices"))?;
        if total == 0 {
            return Ok((y, idx));
        }
        if self.poison_on() {
            // All-ones bits: an index no input has, caught if left unwritten.
            self.fill_bits_u32(&mut idx, total, u32::MAX)?;
        }
        let f = self.function("max_pool2d_fwd_f32")?;
        // SAFETY: x holds the window's input, y (fresh) and idx (fresh) hold
        // `total` outputs; reads are bounds-tested per window position;
        // arguments match (const float*, float*, unsigned int*, WindowGeom).
        unsafe { self.stream().launch_builder(&f).arg(x.slice()).arg(y.slice_mut()).arg(&mut idx).arg(&g).launch(grid_1d(total as u64)) }
            .map_err(driver_err("max_pool2d_fwd_f32"))?;
        Ok((y, idx))
    }

    pub(crate) fn max_pool2d_backward_op(&self, dy: &CudaStorage, idx: &CudaSlice<u32>, w: &Window2d) -> Result<CudaStorage> {
        let g = WindowGeom::new("max_pool2d_backward", w)?;
        let outputs = w.batch * w.channels * w.out_len();
        if dy.len() != outputs || idx.len() < outputs {
            return Err(TensorError::invalid(
                "max_pool2d_backward",
                format!("dy has {} values and idx {}, the window has {outputs} outputs", dy.len(), idx.len()),
            ));
        }
        let total = w.batch * w.channels * w.height * w.width;
        let mut dx = self.output(total)?;
        if total == 0 {
            return Ok(dx);
        }
        let f = self.function("max_pool2d_bwd_f32")?;
        // SAFETY: dy and idx hold one value per window output (checked), dx
        // is fresh with the input's size and each element is written by one
        // thread, which reads only the outputs whose windows cover it;
        // arguments match (const float*, const unsigned int*, float*, WindowGeom).
        unsafe { self.stream().launch_builder(&f).arg(dy.slice()).arg(idx).arg(dx.slice_mut()).arg(&g).launch(grid_1d(total as u64)) }
            .map_err(driver_err("max_pool2d_bwd_f32"))?;
        Ok(dx)
    }
}
