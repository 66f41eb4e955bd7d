//! Layers: each is a small struct holding the ids of its parameters and a
//! `forward` that writes the layer's formula with differentiable ops. No layer
//! has a hand-written backward; the tape derives it.
//!
//! A forward pass runs inside a `Ctx`: the tape, the model's parameters on
//! it, the activity penalties layers add to the loss, and the random
//! generator for noise (seeded per step, so runs are reproducible).

mod activation;
mod conv2d;
mod conv_transpose2d;
mod dense;
mod pool;
mod reshape;
mod sequential;
mod upsample;

pub use activation::{Activation, ActivationLayer};
pub use conv2d::Conv2d;
pub use conv_transpose2d::ConvTranspose2d;
pub use dense::Dense;
pub use pool::MaxPool2d;
pub use reshape::Reshape;
pub use sequential::Sequential;
pub use upsample::UpSampling2d;

use rand::rngs::StdRng;
use recon_autograd::{Grads, ParamVars, Tape, Var};
use recon_tensor::{Backend, Result, Tensor};
use smallvec::SmallVec;

use crate::params::{ParamId, Params};

pub struct Ctx<'t, B: Backend> {
    pub tape: &'t Tape<B>,
    params: ParamVars<'t, B>,
    /// Terms layers add to the loss (e.g. an L1 activity penalty); inline
    /// for up to 4, so a step with penalties allocates nothing either.
    pub penalties: SmallVec<[Var<'t, B>; 4]>,
    /// Noise source for the step (denoising input noise, VAE sampling).
    pub rng: StdRng,
}

impl<'t, B: Backend> Ctx<'t, B> {
    /// Puts every parameter on the tape (as a constant on a no-grad tape).
    /// Allocates nothing: see `ParamVars`.
    pub fn new(tape: &'t Tape<B>, params: &'t Params<B>, rng: StdRng) -> Self {
        Ctx { tape, params: tape.params(params.tensors()), penalties: SmallVec::new(), rng }
    }
    /// The parameter's variable on the tape (a new handle on the parameter's
    /// tensor each call: no copy, no allocation).
    pub fn param(&self, id: ParamId) -> Var<'t, B> {
        self.params.get(id.0)
    }
    /// The gradient of every parameter, in `Params` order (`None`: the loss
    /// does not depend on it), after `tape.backward_into(loss, grads)`.
    pub fn param_grads<'g>(&self, grads: &'g Grads<B>) -> &'g [Option<Tensor<B>>] {
        self.params.grads(grads)
    }
}

pub trait Layer<B: Backend>: Send + Sync {
    /// One line for model summaries: `dense(29 -> 12, relu)`.
    fn describe(&self) -> String;
    fn forward<'t>(&self, x: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<Var<'t, B>>;
    /// The layer as a `Dense`, if it is one: the tape-free inference path
    /// (`crate::infer`) runs chains of dense layers directly on the backend.
    fn as_dense(&self) -> Option<&Dense> {
        None
    }
}
