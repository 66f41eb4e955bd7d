//! Launch of `kernels/random.cu`: seeded normal noise on the device, the
//! same stream `crate::philox::normal` computes on the CPU.

use cudarc::driver::PushKernelArg;
use recon_tensor::Result;

use super::{driver_err, grid_1d, CudaBackend, CudaStorage};
use crate::params::PhiloxParams;

impl CudaBackend {
    /// `len` values `mean + std * z`, z standard normal, from Philox with
    /// key `seed` and counter stream `stream`: the same `(seed, stream)`
    /// gives the same values on every run and every launch shape. Give each
    /// draw of a run its own stream number (e.g. a counter of draws).
    pub fn normal(&self, len: usize, seed: u64, stream: u64, mean: f32, std: f32) -> Result<CudaStorage> {
        let mut y = self.output(len)?;
        if len == 0 {
            return Ok(y);
        }
        let p = PhiloxParams::new(seed, stream, mean, std);
        let n = len as u64;
        let f = self.function("philox_normal_fwd_f32")?;
        // SAFETY: y is fresh with n floats and the kernel writes indices < n
        // only; arguments match (float*, unsigned long long, PhiloxParams).
        unsafe { self.stream().launch_builder(&f).arg(y.slice_mut()).arg(&n).arg(&p).launch(grid_1d(n.div_ceil(4))) }
            .map_err(driver_err("philox_normal_fwd_f32"))?;
        Ok(y)
    }
}
