//! A stack of layers applied in order.

use recon_autograd::Var;
use recon_tensor::{Backend, Result};

use super::{Ctx, Layer};

pub struct Sequential<B: Backend> {
    pub layers: Vec<Box<dyn Layer<B>>>,
}

impl<B: Backend> Default for Sequential<B> {
    fn default() -> Self {
        Sequential { layers: Vec::new() }
    }
}

impl<B: Backend> Sequential<B> {
    pub fn push(&mut self, layer: impl Layer<B> + 'static) {
        self.layers.push(Box::new(layer));
    }
    pub fn forward<'t>(&self, x: &Var<'t, B>, ctx: &mut Ctx<'t, B>) -> Result<Var<'t, B>> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h, ctx)?;
        }
        Ok(h)
    }
    /// One line per layer.
    pub fn describe(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.describe()).collect()
    }
}
