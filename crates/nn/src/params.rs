//! The parameters of a model: an ordered list of named tensors, named like a
//! PyTorch state dict (`encoder.0.weight`) so a checkpoint reads the same in
//! both worlds. Layers refer to their parameters by `ParamId`.

use recon_tensor::{Backend, Tensor};

/// Index of a parameter in its `Params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamId(pub usize);

pub struct Params<B: Backend> {
    backend: B,
    names: Vec<String>,
    tensors: Vec<Tensor<B>>,
}

impl<B: Backend> Params<B> {
    /// An empty set whose parameters will live on `backend`.
    pub fn new(backend: &B) -> Self {
        Params { backend: backend.clone(), names: Vec::new(), tensors: Vec::new() }
    }
    pub fn backend(&self) -> &B {
        &self.backend
    }
    pub fn add(&mut self, name: impl Into<String>, value: Tensor<B>) -> ParamId {
        self.names.push(name.into());
        self.tensors.push(value);
        ParamId(self.tensors.len() - 1)
    }
    pub fn len(&self) -> usize {
        self.tensors.len()
    }
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }
    pub fn get(&self, id: ParamId) -> &Tensor<B> {
        &self.tensors[id.0]
    }
    pub fn get_mut(&mut self, id: ParamId) -> &mut Tensor<B> {
        &mut self.tensors[id.0]
    }
    pub fn set(&mut self, id: ParamId, value: Tensor<B>) {
        self.tensors[id.0] = value;
    }
    pub fn tensors(&self) -> &[Tensor<B>] {
        &self.tensors
    }
    pub fn names(&self) -> &[String] {
        &self.names
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<B>)> {
        self.names.iter().map(String::as_str).zip(&self.tensors)
    }
    /// Total number of scalar parameters.
    pub fn count(&self) -> usize {
        self.tensors.iter().map(Tensor::numel).sum()
    }
}
