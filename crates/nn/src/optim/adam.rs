//! Adam (Kingma & Ba, 2015), in Keras' form: running averages of the gradient
//! (`m`) and its square (`v`), with the bias correction folded into the step
//! size and epsilon added outside the square root:
//! `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
//! `lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`, `w <- w - lr_t m / (sqrt(v) + eps)`.

use recon_tensor::{Backend, Result, Tensor};

use super::OptimizerConfig;

pub fn update<B: Backend>(c: &OptimizerConfig, t: u64, w: &Tensor<B>, g: &Tensor<B>, slots: &mut [Tensor<B>]) -> Result<Tensor<B>> {
    let t = t as i32;
    let m = slots[0].mul_scalar(c.beta1)?.add(&g.mul_scalar(1.0 - c.beta1)?)?;
    let v = slots[1].mul_scalar(c.beta2)?.add(&g.square()?.mul_scalar(1.0 - c.beta2)?)?;
    let lr_t = c.lr * (1.0 - c.beta2.powi(t)).sqrt() / (1.0 - c.beta1.powi(t));
    let step = m.div(&v.sqrt()?.add_scalar(c.epsilon)?)?.mul_scalar(lr_t)?;
    slots[0] = m;
    slots[1] = v;
    w.sub(&step)
}
