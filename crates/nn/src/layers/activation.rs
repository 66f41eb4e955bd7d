//! Activation functions as a layer, and as an option of dense/conv layers.

use recon_autograd::Var;
use recon_tensor::{Backend, Result, Unary};

use super::{Ctx, Layer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
    /// Softmax over the last axis (the source articles' tabular output; see
    /// `models` for why it is not our default).
    Softmax,
}

impl Activation {
    pub fn apply<'t, B: Backend>(self, x: &Var<'t, B>) -> Result<Var<'t, B>> {
        match self {
            Activation::Linear => Ok(x.clone()),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softmax => x.softmax(),
        }
    }
    /// The activation as `Var::dense` takes it (`Some(None)` for linear),
    /// or `None` for softmax, which mixes a row's values and is its own op.
    pub fn fusable(self) -> Option<Option<Unary>> {
        match self {
            Activation::Linear => Some(None),
            Activation::Relu => Some(Some(Unary::Relu)),
            Activation::Sigmoid => Some(Some(Unary::Sigmoid)),
            Activation::Tanh => Some(Some(Unary::Tanh)),
            Activation::Softmax => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Activation::Linear, Activation::Relu, Activation::Sigmoid, Activation::Tanh, Activation::Softmax]
            .into_iter()
            .find(|a| a.name() == s)
    }
}

pub struct ActivationLayer(pub Activation);

impl<B: Backend> Layer<B> for ActivationLayer {
    fn describe(&self) -> String {
        self.0.name().to_string()
    }
    fn forward<'t>(&self, x: &Var<'t, B>, _: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        self.0.apply(x)
    }
}
