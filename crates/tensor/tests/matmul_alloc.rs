//! A small matrix product allocates nothing: counted by a global allocator
//! that wraps the system one, around the backend call `Cpu::<f32>::matmul`
//! (a `Tensor` would add its own handle). The output buffer comes from the
//! thread's pool once a first call has returned one of that length; the
//! kernel (`small_gemm`) uses only the stack and a fixed thread-local panel. `matrixmultiply` allocates its
//! packing buffer on every call, which the last check shows.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use recon_tensor::cpu::buffer::Buffer;
use recon_tensor::cpu::matmul::{gemm, Kernel};
use recon_tensor::{Backend, Cpu32, Matmul};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is a plain atomic and allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made (by any thread) while `f` runs. The test binary runs
/// one test only, so no other test allocates meanwhile.
fn counted(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.load(Ordering::SeqCst);
    f();
    ALLOCS.load(Ordering::SeqCst) - before
}

#[test]
fn a_small_matmul_allocates_nothing() {
    let cpu = Cpu32::new();
    // The 29-12-29 autoencoder at batch 32: forward y = x W^T, backward
    // dx = dy W and dW = dy^T x, each with its own operands; then the
    // largest products of the VAE 29-64-12-64-29 at batch 32.
    let products = [
        (32, 29, 12, false, true),
        (32, 12, 29, false, false),
        (12, 32, 29, true, false),
        (32, 29, 64, false, true),
        (32, 64, 29, false, true),
        (29, 32, 64, true, false),
        (32, 29, 64, false, false),
    ];
    let cases: Vec<(Matmul, Buffer<f32>, Buffer<f32>)> = products
        .iter()
        .map(|&(m, k, n, trans_a, trans_b)| {
            assert_eq!(Kernel::for_size(m, k, n), Kernel::Small);
            let spec = Matmul { batch: 1, m, k, n, trans_a, trans_b, a_batch_stride: m * k, b_batch_stride: k * n };
            (spec, Buffer::filled(m * k, 0.5), Buffer::filled(k * n, 0.25))
        })
        .collect();
    let step = || {
        for (spec, a, b) in &cases {
            let c = cpu.matmul(a, b, spec).unwrap();
            assert_eq!(c[0], 0.125 * spec.k as f32);
        }
    };
    step(); // warm-up: the pool gets one output buffer of each length
    assert_eq!(counted(step), 0, "allocations in a steady-state call");
    assert_eq!(counted(step), 0, "allocations in a steady-state call");

    // The packed kernel on the same product does allocate (its packing buffer).
    let (spec, a, b) = &cases[0];
    let mut c = vec![0.0f32; spec.m * spec.n];
    assert!(counted(|| gemm(Kernel::Packed, spec, a, b, &mut c)) >= 1);
}
