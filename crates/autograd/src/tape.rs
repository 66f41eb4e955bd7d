//! The tape: a list of the operations of one forward pass, in the order they
//! ran, each with the rule that turns the gradient of its output into the
//! gradients of its inputs.
//!
//! Reverse-mode differentiation then needs no graph search: the list is already
//! in topological order, so `backward` walks it from the loss back to the
//! start once, applying the chain rule
//! `dL/dx = sum over uses of x: (dL/dy) * (dy/dx)` node by node.
//!
//! A `Var` is a tensor plus its place on the tape. Parameters (`tape.param`)
//! are leaves whose gradients `backward` returns; data (`tape.constant`) is
//! not recorded at all, and neither is anything computed only from data. A tape
//! made by `Tape::no_grad()` records nothing, for inference.
//!
//! Memory: each node keeps the tensors its backward rule needs (saved inputs
//! or outputs). `backward` drops every rule once it has run, so the saved
//! activations are freed as the walk proceeds, and calling `backward` a second
//! time on the same tape is an error, not a silent double count.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;

use recon_tensor::{Backend, Result, Tensor, TensorError};

/// A backward rule: given `dL/d(output)` and which inputs need a gradient,
/// returns `dL/d(input)` for each input (`None` where not needed).
pub type BackwardFn<B> = Box<dyn Fn(&Tensor<B>, &[bool]) -> Result<Vec<Option<Tensor<B>>>>>;

struct Node<B: Backend> {
    /// The op's name, for printing the tape.
    name: &'static str,
    /// Tape positions of the inputs; `None` for inputs that need no gradient.
    inputs: Vec<Option<usize>>,
    shape: Vec<usize>,
    /// `None` for a leaf (a parameter), and for a rule that already ran.
    rule: Option<BackwardFn<B>>,
    leaf: bool,
}

pub struct Tape<B: Backend> {
    nodes: RefCell<Vec<Node<B>>>,
    recording: bool,
    backward_done: Cell<bool>,
}

/// A tensor on a tape. Cheap to clone (the tensor's storage is shared).
pub struct Var<'t, B: Backend> {
    tape: &'t Tape<B>,
    id: Option<usize>,
    value: Tensor<B>,
}

impl<B: Backend> Clone for Var<'_, B> {
    fn clone(&self) -> Self {
        Var { tape: self.tape, id: self.id, value: self.value.clone() }
    }
}

impl<B: Backend> fmt::Debug for Var<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "Var(%{id}, {:?})", self.value),
            None => write!(f, "Var(const, {:?})", self.value),
        }
    }
}

impl<'t, B: Backend> Var<'t, B> {
    pub fn value(&self) -> &Tensor<B> {
        &self.value
    }
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }
    pub fn tape(&self) -> &'t Tape<B> {
        self.tape
    }
    /// Whether gradients flow back through this value.
    pub fn requires_grad(&self) -> bool {
        self.id.is_some()
    }
    /// The same value, cut off from the tape (gradients stop here).
    pub fn detach(&self) -> Self {
        Var { tape: self.tape, id: None, value: self.value.clone() }
    }
}

impl<B: Backend> Default for Tape<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Tape<B> {
    /// A tape that records operations for a backward pass.
    pub fn new() -> Self {
        Tape { nodes: RefCell::new(Vec::new()), recording: true, backward_done: Cell::new(false) }
    }
    /// A tape that records nothing: for inference, where no gradient is needed.
    pub fn no_grad() -> Self {
        Tape { recording: false, ..Self::new() }
    }
    pub fn is_recording(&self) -> bool {
        self.recording
    }
    /// Number of recorded nodes (parameters included).
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A leaf whose gradient `backward` will return (a weight, a bias).
    pub fn param(&self, value: &Tensor<B>) -> Var<'_, B> {
        if !self.recording {
            return self.constant(value);
        }
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node { name: "param", inputs: vec![], shape: value.shape().to_vec(), rule: None, leaf: true });
        Var { tape: self, id: Some(nodes.len() - 1), value: value.clone() }
    }

    /// A value that needs no gradient (input data, targets, noise).
    pub fn constant(&self, value: &Tensor<B>) -> Var<'_, B> {
        Var { tape: self, id: None, value: value.clone() }
    }

    /// Records an op with output `value` computed from `inputs`, and the rule
    /// for its gradients. Nothing is recorded if the tape is not recording or
    /// no input needs a gradient. Every op in `ops/` goes through here.
    pub fn record<'t>(
        &'t self,
        name: &'static str,
        inputs: &[&Var<'t, B>],
        value: Tensor<B>,
        rule: impl Fn(&Tensor<B>, &[bool]) -> Result<Vec<Option<Tensor<B>>>> + 'static,
    ) -> Result<Var<'t, B>> {
        if let Some(other) = inputs.iter().find(|v| !std::ptr::eq(v.tape, self)) {
            return Err(TensorError::invalid(name, format!("input {:?} belongs to another tape", other.shape())));
        }
        let ids: Vec<Option<usize>> = inputs.iter().map(|v| v.id).collect();
        if !self.recording || ids.iter().all(Option::is_none) {
            return Ok(Var { tape: self, id: None, value });
        }
        if self.backward_done.get() {
            return Err(TensorError::invalid(name, "this tape has already run backward; start a new tape for a new step"));
        }
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node { name, inputs: ids, shape: value.shape().to_vec(), rule: Some(Box::new(rule)), leaf: false });
        Ok(Var { tape: self, id: Some(nodes.len() - 1), value })
    }

    /// Gradients of the scalar `loss` with respect to every parameter it
    /// depends on. Frees every saved tensor on the way; runs once per tape.
    pub fn backward(&self, loss: &Var<'_, B>) -> Result<Grads<B>> {
        if loss.value.numel() != 1 {
            return Err(TensorError::invalid("backward", format!("the loss must be a single number, its shape is {:?}", loss.shape())));
        }
        let Some(root) = loss.id else {
            return Err(TensorError::invalid("backward", "the loss does not depend on any parameter of this tape"));
        };
        if self.backward_done.replace(true) {
            return Err(TensorError::invalid("backward", "backward already ran on this tape; record a new forward pass"));
        }
        let mut nodes = self.nodes.borrow_mut();
        let mut grads: Vec<Option<Tensor<B>>> = (0..=root).map(|_| None).collect();
        grads[root] = Some(Tensor::ones(loss.value.backend(), loss.shape())?);
        let mut out = HashMap::new();
        for i in (0..=root).rev() {
            let node = &mut nodes[i];
            let rule = node.rule.take(); // dropping it frees what it saved
            let Some(g) = grads[i].take() else { continue };
            if node.leaf {
                out.insert(i, g);
                continue;
            }
            let Some(rule) = rule else { continue };
            let needs: Vec<bool> = node.inputs.iter().map(Option::is_some).collect();
            let input_grads = rule(&g, &needs)?;
            for (input, ig) in node.inputs.clone().into_iter().zip(input_grads) {
                let (Some(j), Some(ig)) = (input, ig) else { continue };
                if ig.shape() != nodes[j].shape.as_slice() {
                    return Err(TensorError::shape(
                        "backward",
                        ig.shape(),
                        &nodes[j].shape,
                        format!("the rule of '{}' gave a gradient of the wrong shape", nodes[i].name),
                    ));
                }
                grads[j] = Some(match grads[j].take() {
                    Some(acc) => acc.add(&ig)?,
                    None => ig,
                });
            }
        }
        Ok(Grads { by_id: out })
    }
}

impl<B: Backend> fmt::Display for Tape<B> {
    /// One line per node: `%3 = mul(%1, const) [32, 12]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nodes.borrow().iter().enumerate() {
            let args: Vec<String> = n.inputs.iter().map(|a| a.map_or("const".into(), |j| format!("%{j}"))).collect();
            writeln!(f, "%{i} = {}({}) {:?}", n.name, args.join(", "), n.shape)?;
        }
        Ok(())
    }
}

/// The gradients `backward` computed, one per parameter.
pub struct Grads<B: Backend> {
    by_id: HashMap<usize, Tensor<B>>,
}

impl<B: Backend> Grads<B> {
    /// `dL/dparam`, or `None` if the loss does not depend on it.
    pub fn get(&self, param: &Var<'_, B>) -> Option<&Tensor<B>> {
        param.id.and_then(|id| self.by_id.get(&id))
    }
}
