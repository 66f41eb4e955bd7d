//! Gradient clipping by global norm: if `||g|| = sqrt(sum over all parameters
//! of sum g^2)` exceeds `max`, every gradient is scaled by `max / ||g||`, which
//! keeps the direction of the step and bounds its length.

use recon_tensor::{Backend, Result, Tensor};

pub fn clip_by_global_norm<B: Backend>(grads: &[Option<Tensor<B>>], max: f64) -> Result<Vec<Option<Tensor<B>>>> {
    let mut sq = 0.0;
    for g in grads.iter().flatten() {
        sq += g.square()?.sum_all()?.item()?;
    }
    let norm = sq.sqrt();
    if norm <= max || norm == 0.0 {
        return Ok(grads.to_vec());
    }
    let scale = max / norm;
    grads.iter().map(|g| g.as_ref().map(|g| g.mul_scalar(scale)).transpose()).collect()
}
