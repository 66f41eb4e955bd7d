//! Launches of `kernels/gemm.cu`: batched products through the chosen
//! variant (`crate::gemm::GemmVariant`).

use cudarc::driver::{LaunchConfig, PushKernelArg};
use recon_tensor::{Matmul, Result, TensorError};

use super::{driver_err, CudaBackend, CudaStorage};
use crate::gemm::{gemm_shape, GemmVariant};

impl CudaBackend {
    pub(crate) fn matmul_op(&self, a: &CudaStorage, b: &CudaStorage, spec: &Matmul) -> Result<CudaStorage> {
        let variant = match self.forced_gemm_variant() {
            Some(v) if v.fits(spec) => v,
            _ => GemmVariant::auto(spec),
        };
        self.matmul_with(variant, a, b, spec)
    }

    /// One product through a given variant (for benchmarks and tests).
    /// Errors when the variant cannot run this shape (`GemmVariant::fits`)
    /// or the operands are shorter than the shape needs.
    pub fn matmul_with(&self, variant: GemmVariant, a: &CudaStorage, b: &CudaStorage, spec: &Matmul) -> Result<CudaStorage> {
        let Matmul { batch, m, k, n, .. } = *spec;
        let mut c = self.output(batch * m * n)?;
        if batch * m * n == 0 {
            return Ok(c);
        }
        if !variant.fits(spec) {
            return Err(TensorError::invalid(
                "matmul",
                format!(
                    "GEMM variant {} ({}) needs m, n, k and batch strides that are multiples of 4: {spec:?}",
                    variant.number(),
                    variant.name()
                ),
            ));
        }
        let need_a = (batch - 1) * spec.a_batch_stride + m * k;
        let need_b = (batch - 1) * spec.b_batch_stride + k * n;
        if a.len() < need_a || b.len() < need_b {
            return Err(TensorError::invalid(
                "matmul",
                format!("operands of {} and {} values are too short for {spec:?}", a.len(), b.len()),
            ));
        }
        let shape = gemm_shape(spec)?;
        let (grid_dim, block_dim) = variant.launch_dims(spec)?;
        let name = variant.kernel(spec.trans_a, spec.trans_b);
        let f = self.function(name)?;
        let cfg = LaunchConfig { grid_dim, block_dim, shared_mem_bytes: 0 };
        // SAFETY: a and b hold every element the batched shape reads
        // (checked just above), c is a fresh buffer of batch * m * n floats;
        // variant 4 only runs when its alignment conditions hold (float4
        // accesses inside driver allocations); the block shape is the one
        // the variant's kernel is written for (launch_dims); arguments
        // match (const float*, const float*, float*, GemmShape).
        unsafe { self.stream().launch_builder(&f).arg(a.slice()).arg(b.slice()).arg(c.slice_mut()).arg(&shape).launch(cfg) }
            .map_err(driver_err(name))?;
        Ok(c)
    }
}
