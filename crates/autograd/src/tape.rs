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
//! time on the same recording is an error, not a silent double count.
//!
//! Allocation: a training loop records the same ops at the same shapes every
//! step, so one tape serves the whole run. `Tape::reset` empties it but keeps
//! its memory, and `backward_into` writes into a `Grads` the caller keeps, so
//! that after the first step the tape asks the allocator for nothing. To make
//! that hold, everything a node holds is stored inline: its input positions
//! (at most `MAX_INPUTS`), its shape (`Shape`), its rule (a `SmallBox` with
//! `RULE_SPACE` bytes of room for what the closure captures; `record` refuses
//! to compile a closure that would not fit) and the gradients the rule returns
//! (`InputGrads`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use recon_tensor::{Backend, Result, Shape, Tensor, TensorError};
use smallbox::{smallbox, SmallBox};
use smallvec::SmallVec;

/// The most inputs an op has: `conv2d_bias` takes the input, the weights and
/// the bias. Ops with more still work; their lists just move to the heap.
pub const MAX_INPUTS: usize = 3;

/// Bytes a backward rule may capture: two saved tensors (about 64 bytes
/// each) and a convolution window, with room to spare.
pub const RULE_SPACE: usize = std::mem::size_of::<smallbox::space::S32>();

/// What a rule returns: `dL/d(input)` for each input, `None` where that input
/// needs no gradient. Inline for up to `MAX_INPUTS` inputs.
pub type InputGrads<B> = SmallVec<[Option<Tensor<B>>; MAX_INPUTS]>;

/// A backward rule: given `dL/d(output)` and which inputs need a gradient,
/// returns `dL/d(input)` for each input. Stored inline in the node (a
/// `SmallBox` with `RULE_SPACE` bytes) rather than in a `Box` of its own.
/// `Send`, so that a tape can move to another thread with its step.
pub type BackwardFn<B> = SmallBox<dyn Fn(&Tensor<B>, &[bool]) -> Result<InputGrads<B>> + Send, smallbox::space::S32>;

struct Node<B: Backend> {
    /// The op's name, for printing the tape.
    name: &'static str,
    /// Tape positions of the inputs; `None` for inputs that need no gradient.
    inputs: SmallVec<[Option<usize>; MAX_INPUTS]>,
    shape: Shape,
    /// `None` for a leaf (a parameter), and for a rule that already ran.
    rule: Option<BackwardFn<B>>,
    leaf: bool,
}

pub struct Tape<B: Backend> {
    nodes: RefCell<Vec<Node<B>>>,
    recording: bool,
    backward_done: Cell<bool>,
    /// Which recording this is: unique to the tape and renewed by `reset`,
    /// so `Grads` can tell a variable of this recording from one of
    /// another tape (or of before a reset) that sits at the same position.
    recording_id: u64,
}

/// The source of `Tape::recording_id`s (0 is never one: `Grads` that no
/// backward pass has filled).
static RECORDINGS: AtomicU64 = AtomicU64::new(1);

fn next_recording() -> u64 {
    RECORDINGS.fetch_add(1, Ordering::Relaxed)
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
        Tape { nodes: RefCell::new(Vec::new()), recording: true, backward_done: Cell::new(false), recording_id: next_recording() }
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

    /// Forgets the recorded pass, keeping the memory of its node list, so the
    /// next pass (the next training step) records without allocating.
    /// `&mut self`: no `Var` of the old pass can outlive it, since every `Var`
    /// borrows its tape; the borrow checker sees to that.
    pub fn reset(&mut self) {
        self.nodes.get_mut().clear();
        self.backward_done.set(false);
        self.recording_id = next_recording();
    }

    /// A leaf whose gradient `backward` will return (a weight, a bias).
    pub fn param(&self, value: &Tensor<B>) -> Var<'_, B> {
        if !self.recording {
            return self.constant(value);
        }
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node { name: "param", inputs: SmallVec::new(), shape: Shape::from_slice(value.shape()), rule: None, leaf: true });
        Var { tape: self, id: Some(nodes.len() - 1), value: value.clone() }
    }

    /// Every tensor of `values` as a parameter, recorded in order; see
    /// `ParamVars` for why this is not a `Vec` of `param`s.
    pub fn params<'t>(&'t self, values: &'t [Tensor<B>]) -> ParamVars<'t, B> {
        let first = self.recording.then(|| self.len());
        for v in values {
            self.param(v);
        }
        ParamVars { tape: self, values, first }
    }

    /// A value that needs no gradient (input data, targets, noise).
    pub fn constant(&self, value: &Tensor<B>) -> Var<'_, B> {
        Var { tape: self, id: None, value: value.clone() }
    }

    /// Records an op with output `value` computed from `inputs`, and the rule
    /// for its gradients. Nothing is recorded if the tape is not recording or
    /// no input needs a gradient. Every op in `ops/` goes through here.
    ///
    /// The rule is stored inline, so what it captures must fit in
    /// `RULE_SPACE` bytes; a larger closure is a compile error (keep large
    /// captures behind an `Arc`, or derive them from the saved tensors):
    ///
    /// ```compile_fail
    /// use recon_autograd::{InputGrads, Tape};
    /// use recon_tensor::{Cpu32, Tensor};
    /// let tape = Tape::new();
    /// let w = tape.param(&Tensor::zeros(&Cpu32::new(), &[1]).unwrap());
    /// let table = [1.0f64; 64]; // 512 bytes, more than RULE_SPACE
    /// let rule = move |g: &Tensor<Cpu32>, _: &[bool]| Ok(InputGrads::from_elem(Some(g.mul_scalar(table.iter().sum())?), 1));
    /// let y = tape.record("big", &[&w], w.value().clone(), rule);
    /// ```
    pub fn record<'t, F>(&'t self, name: &'static str, inputs: &[&Var<'t, B>], value: Tensor<B>, rule: F) -> Result<Var<'t, B>>
    where
        F: Fn(&Tensor<B>, &[bool]) -> Result<InputGrads<B>> + Send + 'static,
    {
        const {
            assert!(
                size_of::<F>() <= RULE_SPACE && align_of::<F>() <= align_of::<usize>(),
                "a backward rule captures more than RULE_SPACE bytes and would be boxed on the heap"
            )
        };
        if let Some(other) = inputs.iter().find(|v| !std::ptr::eq(v.tape, self)) {
            return Err(TensorError::invalid(name, format!("input {:?} belongs to another tape", other.shape())));
        }
        let ids: SmallVec<[Option<usize>; MAX_INPUTS]> = inputs.iter().map(|v| v.id).collect();
        if !self.recording || ids.iter().all(Option::is_none) {
            return Ok(Var { tape: self, id: None, value });
        }
        if self.backward_done.get() {
            return Err(TensorError::invalid(name, "this tape has already run backward; reset it or start a new tape for a new step"));
        }
        let mut nodes = self.nodes.borrow_mut();
        let shape = Shape::from_slice(value.shape());
        nodes.push(Node { name, inputs: ids, shape, rule: Some(smallbox!(rule)), leaf: false });
        Ok(Var { tape: self, id: Some(nodes.len() - 1), value })
    }

    /// Gradients of the scalar `loss` with respect to every parameter it
    /// depends on. Frees every saved tensor on the way; runs once per
    /// recording. A loop that runs it every step calls `backward_into`
    /// instead, which reuses the memory of the last step's `Grads`.
    pub fn backward(&self, loss: &Var<'_, B>) -> Result<Grads<B>> {
        let mut grads = Grads::new();
        self.backward_into(loss, &mut grads)?;
        Ok(grads)
    }

    /// `backward`, writing into `grads` (what it held before is replaced).
    ///
    /// `grads` has one slot per node, indexed by tape position, and serves as
    /// the walk's working memory too: the slot of node `i` accumulates
    /// `dL/d(node i)` from the nodes that use it, which all come later on the
    /// tape, so it is complete when the walk reaches `i`. A node's rule then
    /// takes the slot's gradient and adds its inputs' shares to their slots.
    /// A leaf keeps its gradient: what is left at the end are exactly the
    /// parameters' gradients.
    pub fn backward_into(&self, loss: &Var<'_, B>, grads: &mut Grads<B>) -> Result<()> {
        if loss.value.numel() != 1 {
            return Err(TensorError::invalid("backward", format!("the loss must be a single number, its shape is {:?}", loss.shape())));
        }
        let Some(root) = loss.id else {
            return Err(TensorError::invalid("backward", "the loss does not depend on any parameter of this tape"));
        };
        if !std::ptr::eq(loss.tape, self) {
            return Err(TensorError::invalid("backward", "the loss belongs to another tape"));
        }
        if self.backward_done.replace(true) {
            return Err(TensorError::invalid("backward", "backward already ran on this tape; record a new forward pass"));
        }
        let mut nodes = self.nodes.borrow_mut();
        grads.recording = self.recording_id;
        let slots = &mut grads.by_position;
        slots.clear();
        slots.resize_with(nodes.len(), || None);
        slots[root] = Some(Tensor::ones(loss.value.backend(), loss.shape())?);
        // From the last node, not the root: nodes after the loss get no
        // gradient, but their rules are dropped too, freeing what they saved.
        for i in (0..nodes.len()).rev() {
            let node = &mut nodes[i];
            if node.leaf {
                continue; // its gradient stays in its slot: the result
            }
            let rule = node.rule.take(); // dropping it frees what it saved
            let (Some(g), Some(rule)) = (slots[i].take(), rule) else { continue };
            let inputs = node.inputs.clone(); // inline: no allocation
            let needs: SmallVec<[bool; MAX_INPUTS]> = inputs.iter().map(Option::is_some).collect();
            let input_grads = rule(&g, &needs)?;
            for (input, ig) in inputs.into_iter().zip(input_grads) {
                let (Some(j), Some(ig)) = (input, ig) else { continue };
                if ig.shape() != nodes[j].shape.as_slice() {
                    return Err(TensorError::shape(
                        "backward",
                        ig.shape(),
                        &nodes[j].shape,
                        format!("the rule of '{}' gave a gradient of the wrong shape", nodes[i].name),
                    ));
                }
                slots[j] = Some(match slots[j].take() {
                    Some(acc) => acc.add(&ig)?,
                    None => ig,
                });
            }
        }
        Ok(())
    }
}

impl<B: Backend> fmt::Display for Tape<B> {
    /// One line per node: `%3 = mul(%1, const) [32, 12]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nodes.borrow().iter().enumerate() {
            write!(f, "%{i} = {}(", n.name)?;
            for (k, a) in n.inputs.iter().enumerate() {
                let sep = if k == 0 { "" } else { ", " };
                match a {
                    Some(j) => write!(f, "{sep}%{j}")?,
                    None => write!(f, "{sep}const")?,
                }
            }
            writeln!(f, ") {:?}", n.shape.as_slice())?;
        }
        Ok(())
    }
}

/// Parameters put on a tape together by `Tape::params`, at consecutive
/// positions. It owns nothing: `get` makes a parameter's `Var` when asked,
/// from its tensor and its position, and `grads` finds the gradients of all
/// of them as one run of the `Grads` slots. So putting a model's parameters
/// on the tape allocates nothing, where a `Vec` of `Var`s would allocate once
/// per step.
pub struct ParamVars<'t, B: Backend> {
    tape: &'t Tape<B>,
    values: &'t [Tensor<B>],
    /// Position of the first parameter; `None` on a tape that records nothing.
    first: Option<usize>,
}

impl<'t, B: Backend> ParamVars<'t, B> {
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// Parameter `i` as a `Var` (a new handle on the same tensor: no copy).
    pub fn get(&self, i: usize) -> Var<'t, B> {
        Var { tape: self.tape, id: self.first.map(|f| f + i), value: self.values[i].clone() }
    }
    /// The gradients of these parameters, in order, from the last `backward`
    /// into `grads`; empty if the tape recorded nothing.
    pub fn grads<'g>(&self, grads: &'g Grads<B>) -> &'g [Option<Tensor<B>>] {
        if grads.recording != self.tape.recording_id {
            return &[]; // gradients of another recording
        }
        self.first.and_then(|f| grads.by_position.get(f..f + self.len())).unwrap_or(&[])
    }
}

/// The gradients `backward` computed, one per parameter, kept by tape
/// position (a slot per node; only the parameters' slots are filled).
pub struct Grads<B: Backend> {
    by_position: Vec<Option<Tensor<B>>>,
    /// The `Tape::recording_id` of the pass that filled them (0: none).
    recording: u64,
}

impl<B: Backend> fmt::Debug for Grads<B> {
    /// The filled slots: `{position: gradient}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.by_position.iter().enumerate().filter_map(|(i, g)| Some((i, g.as_ref()?)))).finish()
    }
}

impl<B: Backend> Default for Grads<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Grads<B> {
    /// No gradients yet: a place for `Tape::backward_into` to write.
    pub fn new() -> Self {
        Grads { by_position: Vec::new(), recording: 0 }
    }
    /// Drops the gradients (their buffers go back to the backend), keeping
    /// the slots' memory for the next `backward_into`.
    pub fn clear(&mut self) {
        self.by_position.clear();
        self.recording = 0;
    }
    /// `dL/dparam`, or `None` if the loss does not depend on it, or if
    /// `param` is not of the recording these gradients came from (another
    /// tape, or the same one before a `reset`: its position would name
    /// another node's gradient).
    pub fn get(&self, param: &Var<'_, B>) -> Option<&Tensor<B>> {
        if param.tape.recording_id != self.recording {
            return None;
        }
        param.id.and_then(|id| self.by_position.get(id)?.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recon_tensor::{smallvec, Cpu32, Cpu64};

    fn t(v: &[f64], shape: &[usize]) -> Tensor<Cpu64> {
        Tensor::from_f64s(&Cpu64::new(), v, shape).unwrap()
    }

    #[test]
    fn prints_one_line_per_node() {
        let tape = Tape::new();
        let w = tape.param(&t(&[1.0, 2.0], &[2]));
        let x = tape.constant(&t(&[3.0, 4.0], &[2]));
        w.mul(&x).unwrap().sum_all().unwrap();
        assert_eq!(tape.to_string(), "%0 = param() [2]\n%1 = mul(%0, const) [2]\n%2 = sum_all(%1) []\n");
    }

    #[test]
    fn backward_twice_is_an_error_until_reset() {
        let mut tape = Tape::new();
        for _ in 0..2 {
            let w = tape.param(&t(&[3.0], &[1]));
            let loss = w.square().unwrap().sum_all().unwrap();
            let grads = tape.backward(&loss).unwrap();
            assert_eq!(grads.get(&w).unwrap().to_f64_vec().unwrap(), vec![6.0]);
            let e = tape.backward(&loss).unwrap_err().to_string();
            assert!(e.contains("backward already ran"), "{e}");
            let e = w.square().unwrap_err().to_string();
            assert!(e.contains("already run backward"), "{e}");
            tape.reset(); // a new step: records again, from position 0
            assert!(tape.is_empty());
        }
    }

    #[test]
    fn a_rule_giving_the_wrong_shape_is_caught() {
        let tape = Tape::new();
        let w = tape.param(&t(&[1.0, 2.0], &[2]));
        let y = tape.record("bad", &[&w], t(&[3.0], &[1]), |g, _| Ok(smallvec![Some(g.clone())])).unwrap();
        let e = tape.backward(&y).unwrap_err().to_string();
        assert!(e.contains("'bad'") && e.contains("wrong shape"), "{e}");
    }

    #[test]
    fn inputs_and_losses_from_another_tape_are_refused() {
        let (a, b) = (Tape::new(), Tape::new());
        let wa = a.param(&t(&[1.0], &[1]));
        let wb = b.param(&t(&[2.0], &[1]));
        let e = wa.add(&wb).unwrap_err().to_string();
        assert!(e.contains("another tape"), "{e}");
        let e = b.backward(&wa.sum_all().unwrap()).unwrap_err().to_string();
        assert!(e.contains("another tape"), "{e}");
    }

    #[test]
    fn gradients_answer_only_for_the_recording_that_made_them() {
        // Two tapes with a parameter at the same position (0).
        let (a, mut b) = (Tape::new(), Tape::new());
        let (va, vb) = (t(&[3.0], &[1]), t(&[5.0], &[1]));
        let wa = a.param(&va);
        let loss = wa.mul(&wa).unwrap().sum_all().unwrap();
        let grads = a.backward(&loss).unwrap();
        assert_eq!(grads.get(&wa).unwrap().to_f64_vec().unwrap(), vec![6.0]);
        let wb = b.param(&vb);
        assert!(grads.get(&wb).is_none(), "a variable of another tape must not read a's slot 0");
        assert!(b.params(std::slice::from_ref(&vb)).grads(&grads).is_empty());
        // The same tape after a reset is a new recording too.
        let mut grads = Grads::new();
        let wb = b.param(&vb);
        b.backward_into(&wb.sum_all().unwrap(), &mut grads).unwrap();
        assert!(grads.get(&wb).is_some());
        b.reset();
        let wb = b.param(&vb);
        assert!(grads.get(&wb).is_none(), "gradients from before the reset");
    }

    #[test]
    fn param_vars_give_the_gradients_in_order() {
        let tape = Tape::new();
        let values = [t(&[2.0], &[1]), t(&[5.0], &[1]), t(&[7.0], &[1])];
        let p = tape.params(&values);
        // L = p0 * p1 (p2 unused): dL/dp0 = p1, dL/dp1 = p0.
        let loss = p.get(0).mul(&p.get(1)).unwrap().sum_all().unwrap();
        let mut grads = Grads::new();
        tape.backward_into(&loss, &mut grads).unwrap();
        let g: Vec<_> = p.grads(&grads).iter().map(|g| g.as_ref().map(|g| g.to_f64_vec().unwrap())).collect();
        assert_eq!(g, vec![Some(vec![5.0]), Some(vec![2.0]), None]);
        grads.clear();
        assert!(p.grads(&grads).is_empty() && grads.get(&p.get(0)).is_none());
        // On a tape that records nothing, parameters are constants.
        let off = Tape::no_grad();
        let p = off.params(&values);
        assert!(!p.get(0).requires_grad() && off.is_empty() && p.grads(&grads).is_empty());
    }

    #[test]
    fn a_tape_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<Tape<Cpu32>>();
        send::<Grads<Cpu32>>();
    }
}
