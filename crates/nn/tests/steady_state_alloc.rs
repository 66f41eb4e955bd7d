//! No heap allocation inside a steady-state training step, shown by a
//! global allocator that counts every call to the system one.
//!
//! A step is one `fit` batch: gather the rows, record the forward pass on
//! the run's tape, run backward into the run's gradient slots, update with
//! Adam. After a warm-up, each of those reuses memory it already has:
//!
//! | what | where it used to allocate | now |
//! |---|---|---|
//! | tensor data (activations, gradients, noise) | a `Vec` per op | the CPU backend's per-thread buffer pool (`cpu/buffer.rs`) |
//! | tensor handles | an `Arc` per op result | emptied `Arc`s kept in the same pool (`Backend::share`/`release`) |
//! | shapes | a `Vec<usize>` per tensor and per clone | inline (`Shape`, up to 6 axes) |
//! | the tape | per node: an input `Vec`, a shape, a boxed rule, the rule's result `Vec`; per step: a fresh tape, a `HashMap` of gradients | one tape per run, `reset` each step; nodes, rules (`SmallBox`) and results inline; gradients in reused slots (`backward_into`) |
//! | `Ctx`, `fit`, the optimizer | a `Vec` of parameter `Var`s, the gradient list, its copy | `Tape::params` (no list), slices of the gradient slots |
//! | GEMM | `matrixmultiply`'s packing buffer, every call | products up to 2^16 multiply-adds (every one of a dense step at batch 32) run in `cpu/small_gemm.rs`, which packs into a thread-local panel |
//! | the loss | `item` copied the tensor out into a `Vec` | `Backend::read` of one element |
//! | VAE and denoising noise | a `Vec<f64>`, then a `Vec<f32>` | drawn straight into a pooled buffer (`Backend::generate`) |
//!
//! Counted at batch 32 before these changes: ae 166 allocations per step,
//! vae 506; now 0 for every dense preset. conv-ae is not counted: its
//! products are large enough for `matrixmultiply` (one packing buffer per
//! call), and rayon allocates when a step splits work across threads.
//!
//! Only the calling thread's allocations are counted: a dense step at batch
//! 32 runs entirely on it (`fit` moves only large steps to rayon's pool, and
//! no kernel at these sizes splits its work), while rayon's own threads,
//! started by the data generation, may still allocate as they come up, at
//! any moment (a CI run once saw such an allocation land in one epoch's
//! count and not the next).
//!
//! The count is taken through the public API: `fit` over one epoch of `k`
//! batches costs `fixed + k * per_step` allocations (`fixed`: the epoch's row
//! order, the log, the run's tape and gradient slots growing in its first
//! step). Epochs of 4, 8 and 16 batches give `per_step` twice; the test
//! asserts both are 0. (The bytes per step it prints are not 0: the epoch's
//! row order is one allocation whose size grows with the number of batches.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_nn::{fit, Autoencoder, FitConfig, Kind, ModelConfig, Optimizer, OptimizerConfig, Silent};
use recon_tensor::{Cpu32, Tensor};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations are being counted (`counted`).
    /// Const-initialised and without a destructor, so reading it from the
    /// allocator allocates nothing.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

/// Counts an allocation of `bytes` if this thread is counting.
fn note(bytes: usize) {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are plain atomics and a const thread-local, and allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `(allocations, bytes)` made by this thread while `f` runs.
fn counted(f: impl FnOnce()) -> (u64, u64) {
    let (a, b) = (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    COUNTING.set(true);
    f();
    COUNTING.set(false);
    (ALLOCS.load(Ordering::SeqCst) - a, BYTES.load(Ordering::SeqCst) - b)
}

fn table(n: usize, d: usize) -> Tensor<Cpu32> {
    let cpu = Cpu32::new();
    let mut rng = StdRng::seed_from_u64(3);
    Tensor::rand_normal(&cpu, &[n, d], 0.0, 1.0, &mut rng).unwrap()
}

/// Allocations per steady-state step of `kind` at batch 32 (29 features, as
/// the credit-card table), measured twice: from epochs of 4 and 8 batches,
/// and of 8 and 16 batches.
fn per_step(kind: Kind) -> [(u64, u64); 2] {
    const BATCH: usize = 32;
    let cpu = Cpu32::new();
    let mut model = Autoencoder::new(ModelConfig::preset(kind, &[29]).unwrap(), &cpu, 1).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).unwrap();
    let data: Vec<Tensor<Cpu32>> = [4, 8, 16].iter().map(|k| table(k * BATCH, 29)).collect();
    let mut epoch = 0;
    let mut run = |x: &Tensor<Cpu32>| {
        let cfg = FitConfig { epochs: epoch + 1, batch_size: BATCH, seed: 5, patience: None };
        let c = counted(|| {
            fit(&mut model, &mut opt, x, None, &cfg, epoch, &mut Silent).unwrap();
        });
        epoch += 1;
        c
    };
    // Warm-up: fills the buffer pool and grows every reusable Vec.
    for x in &data {
        run(x);
        run(x);
    }
    let c: Vec<(u64, u64)> = data.iter().map(&mut run).collect();
    let diff = |a: usize, b: usize, steps: u64| {
        let (n, bytes) = (c[b].0 - c[a].0, c[b].1 - c[a].1);
        assert_eq!(n % steps, 0, "{}: {n} allocations over {steps} steps is not a whole number per step", kind.name());
        (n / steps, bytes / steps)
    };
    [diff(0, 1, 4), diff(1, 2, 8)]
}

#[test]
fn a_steady_state_training_step_of_every_dense_preset_allocates_nothing() {
    for kind in [Kind::Ae, Kind::SparseAe, Kind::DeepAe, Kind::DenoisingAe, Kind::Vae] {
        let [a, b] = per_step(kind);
        eprintln!("{}: {} allocations per step", kind.name(), a.0);
        assert_eq!((a.0, b.0), (0, 0), "{}: allocations per step (two measurements)", kind.name());
    }
}
