//! Launches of `kernels/optim.cu`: fused, in-place optimizer updates, one
//! kernel per parameter tensor. Not part of the `Backend` trait (which only
//! has pure functions returning new buffers); see the crate's notes on the
//! trait extension that would let `recon-nn` call them.

use cudarc::driver::PushKernelArg;
use recon_tensor::{Result, TensorError};

use super::{driver_err, grid_1d, CudaBackend, CudaStorage};
use crate::params::{AdamParams, RmsPropParams, SgdParams};

fn same_len(op: &'static str, bufs: &[&CudaStorage]) -> Result<u64> {
    let n = bufs[0].len();
    if bufs.iter().any(|b| b.len() != n) {
        let lens: Vec<usize> = bufs.iter().map(|b| b.len()).collect();
        return Err(TensorError::invalid(op, format!("weights, gradient and state differ in length: {lens:?}")));
    }
    Ok(n as u64)
}

impl CudaBackend {
    /// One Adam update of `w` in place, with its moments `m` and `v`.
    pub fn adam_step(&self, w: &mut CudaStorage, g: &CudaStorage, m: &mut CudaStorage, v: &mut CudaStorage, p: &AdamParams) -> Result<()> {
        let n = same_len("adam_step", &[w, g, m, v])?;
        if n == 0 {
            return Ok(());
        }
        let f = self.function("adam_step_f32")?;
        // SAFETY: the four buffers hold n floats each (checked) and are
        // distinct allocations (three are borrowed mutably); each thread
        // reads and writes only its own index; arguments match (float*,
        // const float*, float*, float*, unsigned long long, AdamParams).
        unsafe {
            self.stream()
                .launch_builder(&f)
                .arg(w.slice_mut())
                .arg(g.slice())
                .arg(m.slice_mut())
                .arg(v.slice_mut())
                .arg(&n)
                .arg(p)
                .launch(grid_1d(n))
        }
        .map_err(driver_err("adam_step_f32"))?;
        Ok(())
    }

    /// One RMSprop update of `w` in place, with its mean square `s`.
    pub fn rmsprop_step(&self, w: &mut CudaStorage, g: &CudaStorage, s: &mut CudaStorage, p: &RmsPropParams) -> Result<()> {
        let n = same_len("rmsprop_step", &[w, g, s])?;
        if n == 0 {
            return Ok(());
        }
        let f = self.function("rmsprop_step_f32")?;
        // SAFETY: as for adam_step, with three buffers; arguments match
        // (float*, const float*, float*, unsigned long long, RmsPropParams).
        unsafe { self.stream().launch_builder(&f).arg(w.slice_mut()).arg(g.slice()).arg(s.slice_mut()).arg(&n).arg(p).launch(grid_1d(n)) }
            .map_err(driver_err("rmsprop_step_f32"))?;
        Ok(())
    }

    /// One SGD update of `w` in place; with a velocity buffer, momentum SGD.
    pub fn sgd_step(&self, w: &mut CudaStorage, g: &CudaStorage, velocity: Option<&mut CudaStorage>, p: &SgdParams) -> Result<()> {
        match velocity {
            Some(vel) => {
                let n = same_len("sgd_step", &[w, g, vel])?;
                if n == 0 {
                    return Ok(());
                }
                let f = self.function("sgd_momentum_step_f32")?;
                // SAFETY: as for adam_step, with three buffers; arguments
                // match (float*, const float*, float*, unsigned long long, SgdParams).
                unsafe {
                    self.stream()
                        .launch_builder(&f)
                        .arg(w.slice_mut())
                        .arg(g.slice())
                        .arg(vel.slice_mut())
                        .arg(&n)
                        .arg(p)
                        .launch(grid_1d(n))
                }
                .map_err(driver_err("sgd_momentum_step_f32"))?;
            }
            None => {
                let n = same_len("sgd_step", &[w, g])?;
                if n == 0 {
                    return Ok(());
                }
                let f = self.function("sgd_step_f32")?;
                // SAFETY: w and g hold n floats (checked); arguments match
                // (float*, const float*, unsigned long long, SgdParams).
                unsafe { self.stream().launch_builder(&f).arg(w.slice_mut()).arg(g.slice()).arg(&n).arg(p).launch(grid_1d(n)) }
                    .map_err(driver_err("sgd_step_f32"))?;
            }
        }
        Ok(())
    }
}
