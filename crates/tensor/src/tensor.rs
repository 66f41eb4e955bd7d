//! `Tensor<B>`: an n-dimensional array of `B::Elem` on backend `B`.
//!
//! Storage is always contiguous and row-major, and shared behind an `Arc`, so
//! cloning a tensor is cheap and never copies data; every operation returns a
//! new tensor. Operations live in the files beside this one, by family:
//! `layout.rs` (reshape, permute, broadcast, rows), `math.rs` (elementwise,
//! reductions, matmul) and `conv.rs` (sliding windows).

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::backend::Backend;
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::{numel, Shape};

/// Values per independently seeded chunk of a random tensor (`random`).
const RANDOM_CHUNK: usize = 1 << 14;

pub struct Tensor<B: Backend> {
    shape: Shape,
    /// Handed back to the backend on drop (`Drop` below), not dropped here.
    data: ManuallyDrop<Arc<B::Storage>>,
    backend: B,
}

impl<B: Backend> Clone for Tensor<B> {
    fn clone(&self) -> Self {
        Tensor { shape: self.shape.clone(), data: ManuallyDrop::new(Arc::clone(&self.data)), backend: self.backend.clone() }
    }
}

impl<B: Backend> Drop for Tensor<B> {
    /// The backend may keep the handle for the next tensor (`Backend::release`).
    fn drop(&mut self) {
        // SAFETY: `data` is taken once, here, and never used again.
        let data = unsafe { ManuallyDrop::take(&mut self.data) };
        self.backend.release(data);
    }
}

impl<B: Backend> fmt::Debug for Tensor<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}>{:?}", self.backend.name(), self.shape)?;
        if self.numel() <= 16 {
            if let Ok(v) = self.to_vec() {
                write!(f, " {v:?}")?;
            }
        }
        Ok(())
    }
}

impl<B: Backend> Tensor<B> {
    /// Wraps a buffer the backend produced; `storage` must hold `numel(shape)` elements.
    pub(crate) fn from_storage(backend: &B, shape: Shape, storage: B::Storage) -> Self {
        Tensor { shape, data: ManuallyDrop::new(backend.share(storage)), backend: backend.clone() }
    }

    pub fn from_vec(backend: &B, data: Vec<B::Elem>, shape: &[usize]) -> Result<Self> {
        if data.len() != numel(shape) {
            return Err(TensorError::invalid(
                "from_vec",
                format!("{} values cannot fill shape {shape:?} ({} elements)", data.len(), numel(shape)),
            ));
        }
        Ok(Self::from_storage(backend, Shape::from_slice(shape), backend.upload(data)?))
    }

    /// Converts `f64` values into this backend's element type.
    pub fn from_f64s(backend: &B, data: &[f64], shape: &[usize]) -> Result<Self> {
        Self::from_vec(backend, data.iter().map(|&x| B::Elem::from_f64(x)).collect(), shape)
    }

    pub fn full(backend: &B, shape: &[usize], value: f64) -> Result<Self> {
        let storage = backend.full(numel(shape), B::Elem::from_f64(value))?;
        Ok(Self::from_storage(backend, Shape::from_slice(shape), storage))
    }
    pub fn zeros(backend: &B, shape: &[usize]) -> Result<Self> {
        Self::full(backend, shape, 0.0)
    }
    pub fn ones(backend: &B, shape: &[usize]) -> Result<Self> {
        Self::full(backend, shape, 1.0)
    }
    /// A rank-0 tensor holding one value.
    pub fn scalar(backend: &B, value: f64) -> Result<Self> {
        Self::full(backend, &[], value)
    }

    /// Values drawn uniformly from `[lo, hi)` by `rng` itself, one after the
    /// other (seed it for reproducible runs). Weight initialisation uses this:
    /// drawing in order from the caller's generator, not in parallel chunks
    /// as `rand_normal` does, keeps every model's initial weights what they
    /// were, and init is not where time goes.
    pub fn rand_uniform(backend: &B, shape: &[usize], lo: f64, hi: f64, rng: &mut impl Rng) -> Result<Self> {
        let v: Vec<f64> = (0..numel(shape)).map(|_| lo + (hi - lo) * rng.random::<f64>()).collect();
        Self::from_f64s(backend, &v, shape)
    }

    /// Values drawn from `N(mean, std^2)`: `mean + std * z` with `z`
    /// standard normal, drawn by the ziggurat method (`rand_distr`'s
    /// `StandardNormal`): a table of 256 equal-area strips under the density,
    /// where nearly every draw costs one random integer, one multiply and one
    /// comparison, and the rare rest fall back to exact (rejection) sampling
    /// of the strip's edge or the tail. The textbook Box-Muller transform
    /// (`sqrt(-2 ln u1) cos(2 pi u2)`) spends a log, a square root and a
    /// sine/cosine on every pair, which made the noise of a denoising step at
    /// batch 4096 cost more than its whole forward pass.
    ///
    /// The values are drawn in chunks of `RANDOM_CHUNK`, chunk `i` from a
    /// generator seeded with `(s, i)`, where `s` is one draw of `rng`: the
    /// chunks of a large tensor are then filled in parallel and still give
    /// the same values on any number of threads. The chunks' generator is
    /// rand's `SmallRng` (xoshiro256++ in the pinned rand 0.9.5): three times
    /// faster than the ChaCha behind `StdRng`, and noise needs speed, not
    /// unpredictability.
    pub fn rand_normal(backend: &B, shape: &[usize], mean: f64, std: f64, rng: &mut impl Rng) -> Result<Self> {
        let seed = rng.random::<u64>();
        let storage = backend.generate(numel(shape), RANDOM_CHUNK, |i, chunk| {
            let mut r = SmallRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            chunk.iter_mut().for_each(|v| *v = B::Elem::from_f64(mean + std * r.sample::<f64, _>(StandardNormal)));
        })?;
        Ok(Self::from_storage(backend, Shape::from_slice(shape), storage))
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }
    pub fn backend(&self) -> &B {
        &self.backend
    }
    pub fn storage(&self) -> &B::Storage {
        &self.data
    }

    /// Copies the values out (from the device, on a GPU backend).
    pub fn to_vec(&self) -> Result<Vec<B::Elem>> {
        self.backend.to_vec(&self.data)
    }
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        Ok(self.to_vec()?.into_iter().map(Element::to_f64).collect())
    }
    /// The value of a one-element tensor.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(TensorError::invalid("item", format!("needs one element, shape is {:?}", self.shape)));
        }
        Ok(self.backend.read(&self.data, 0)?.to_f64())
    }

    /// The same values on another backend (and element type), e.g. `f32` to `f64`.
    pub fn to_backend<C: Backend>(&self, other: &C) -> Result<Tensor<C>> {
        Tensor::from_f64s(other, &self.to_f64_vec()?, &self.shape)
    }

    /// The storage, for writing in place; copied first if another tensor
    /// shares it (copy-on-write), so the change is seen by this tensor only.
    pub(crate) fn storage_mut(&mut self) -> Result<&mut B::Storage> {
        if Arc::get_mut(&mut self.data).is_none() {
            let copy = self.backend.unary(crate::backend::Unary::MulScalar(1.0), &self.data)?;
            let shared = std::mem::replace(&mut *self.data, self.backend.share(copy));
            self.backend.release(shared);
        }
        Arc::get_mut(&mut self.data).ok_or_else(|| TensorError::Backend("storage still shared after copy".into()))
    }

    /// A tensor of the same backend with new storage and shape (for ops).
    pub(crate) fn wrap(&self, shape: Shape, storage: B::Storage) -> Self {
        Self::from_storage(&self.backend, shape, storage)
    }

    /// A tensor with the same storage viewed under another shape of equal size.
    pub(crate) fn with_shape(&self, shape: Shape) -> Self {
        Tensor { shape, data: ManuallyDrop::new(Arc::clone(&self.data)), backend: self.backend.clone() }
    }
}
