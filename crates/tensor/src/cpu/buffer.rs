//! `Buffer`: the CPU backend's storage, a `Vec` that goes back to a pool when
//! its tensor is dropped, instead of back to the allocator.
//!
//! A training step creates and frees the same buffers, of the same sizes,
//! every step (activations, gradients, im2col columns). Reusing them avoids a
//! `malloc`/`free` per op, and for large buffers the page faults and kernel
//! page zeroing that come with fresh memory: perf showed allocator work at
//! ~40% of a dense step and page faults at a third of a conv step.
//!
//! The pool is per thread and per element type, keyed by length, bounded in
//! how many buffers of one length and how many bytes in all it keeps.
//!
//! It keeps the tensors' handles too: every tensor shares its buffer through
//! an `Arc`, one small allocation per op result. When the last handle of a
//! buffer is dropped, `release` sends the values to the free list and keeps
//! the emptied `Arc`; `share` fills a kept one with the next op's buffer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::element::Element;

/// Buffers of one length kept for reuse, at most.
const MAX_PER_LEN: usize = 16;
/// Bytes kept in all, per thread and element type.
const MAX_BYTES: usize = 1 << 30;
/// Empty tensor handles kept for reuse, at most (40 bytes each).
const MAX_HANDLES: usize = 4096;

/// Hashes a buffer length by one multiplication (Fibonacci hashing). The
/// default SipHash resists keys chosen by an adversary, which lengths are
/// not, and cost about 2% of a batch-1 conv-ae call (a lookup per op result).
#[derive(Default)]
struct LenHasher(u64);

impl Hasher for LenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `usize` keys; any bytes still hash to something.
        bytes.iter().for_each(|&b| self.write_u64(b as u64));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        // The high bits of the product mix every bit of `n`; the table
        // takes its low bits, so rotate them down.
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32);
    }
}

/// Free buffers by length, and empty tensor handles.
pub struct Pool<E: Element> {
    free: HashMap<usize, Vec<Vec<E>>, BuildHasherDefault<LenHasher>>,
    bytes: usize,
    handles: Vec<Arc<Buffer<E>>>,
}

impl<E: Element> Pool<E> {
    /// An empty pool, built at compile time: the `thread_local!` holding it
    /// then skips the lazy-initialisation check on every access (one per op
    /// result and per dropped tensor).
    pub(crate) const fn new() -> Self {
        Pool { free: HashMap::with_hasher(BuildHasherDefault::new()), bytes: 0, handles: Vec::new() }
    }
    fn take(&mut self, len: usize) -> Option<Vec<E>> {
        let v = self.free.get_mut(&len)?.pop()?;
        self.bytes -= len * std::mem::size_of::<E>();
        Some(v)
    }
    fn put(&mut self, v: Vec<E>) {
        let bytes = v.len() * std::mem::size_of::<E>();
        let list = self.free.entry(v.len()).or_default();
        if list.len() < MAX_PER_LEN && self.bytes + bytes <= MAX_BYTES {
            self.bytes += bytes;
            list.push(v);
        }
    }
}

pub struct Buffer<E: Element> {
    data: Vec<E>,
}

impl<E: Element> Buffer<E> {
    /// `len` zeros, in a recycled buffer when one of that length is free.
    pub fn zeroed(len: usize) -> Self {
        Self::filled(len, E::ZERO)
    }
    pub fn filled(len: usize, value: E) -> Self {
        match E::with_pool(|p| p.take(len)) {
            Some(mut data) => {
                data.fill(value);
                Buffer { data }
            }
            None => Buffer { data: vec![value; len] },
        }
    }
    /// `len` values the caller will overwrite entirely: a recycled buffer
    /// keeps its old (initialised, stale) values, saving a pass over memory.
    /// Kernels that write every element use this; kernels that accumulate or
    /// skip elements (padding) use `zeroed`.
    pub fn for_overwrite(len: usize) -> Self {
        match E::with_pool(|p| p.take(len)) {
            Some(data) => Buffer { data },
            None => Buffer { data: vec![E::ZERO; len] },
        }
    }
    /// A buffer that owns `data` (and recycles it when dropped).
    pub fn from_vec(data: Vec<E>) -> Self {
        Buffer { data }
    }
    /// Buffers currently free in this thread's pool (for tests and benchmarks).
    pub fn pooled() -> usize {
        E::with_pool(|p| p.free.values().map(Vec::len).sum())
    }
}

impl<E: Element> Drop for Buffer<E> {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        if !data.is_empty() {
            E::with_pool(|p| p.put(data));
        }
    }
}

impl<E: Element> Deref for Buffer<E> {
    type Target = [E];
    fn deref(&self) -> &[E] {
        &self.data
    }
}

impl<E: Element> DerefMut for Buffer<E> {
    fn deref_mut(&mut self) -> &mut [E] {
        &mut self.data
    }
}

/// `storage` behind a handle for tensors to share: a kept one if there is
/// one (each kept handle is unshared and holds an empty buffer).
pub fn share<E: Element>(storage: Buffer<E>) -> Arc<Buffer<E>> {
    match E::with_pool(|p| p.handles.pop()) {
        Some(mut handle) => match Arc::get_mut(&mut handle) {
            Some(empty) => {
                *empty = storage;
                handle
            }
            None => Arc::new(storage), // not reached: only the pool holds a kept handle
        },
        None => Arc::new(storage),
    }
}

/// Gives back a dropped tensor's handle: if it was the last one, its values
/// go to the free list and the emptied handle is kept for `share`.
pub fn release<E: Element>(mut handle: Arc<Buffer<E>>) {
    let Some(buffer) = Arc::get_mut(&mut handle) else {
        return; // other tensors still share the buffer
    };
    drop(std::mem::replace(buffer, Buffer { data: Vec::new() })); // pools the values
    E::with_pool(|p| {
        if p.handles.len() < MAX_HANDLES {
            p.handles.push(handle);
        }
    });
}

/// Access to the calling thread's pool for one element type (implemented in
/// `element.rs` with a `thread_local!` per type).
pub fn with<E: Element, R>(pool: &'static std::thread::LocalKey<RefCell<Pool<E>>>, f: impl FnOnce(&mut Pool<E>) -> R) -> R {
    pool.with(|p| f(&mut p.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_reused_and_comes_back_zeroed() {
        let before = Buffer::<f32>::pooled();
        let mut a = Buffer::<f32>::zeroed(1234);
        a.fill(7.0);
        let ptr = a.as_ptr();
        drop(a);
        assert_eq!(Buffer::<f32>::pooled(), before + 1);
        let b = Buffer::<f32>::zeroed(1234);
        assert_eq!(b.as_ptr(), ptr, "the same allocation is handed out again");
        assert!(b.iter().all(|&v| v == 0.0));
        assert_eq!(Buffer::<f32>::pooled(), before);
    }

    #[test]
    fn the_last_handle_of_a_buffer_is_kept_and_filled_again() {
        let a = share(Buffer::<f32>::filled(5, 1.0));
        let (handle, values) = (Arc::as_ptr(&a), a.as_ptr());
        let other = Arc::clone(&a);
        release(a); // still shared: nothing kept, nothing freed
        assert_eq!(other[4], 1.0);
        release(other); // the last handle: the values go to the free list
        let b = share(Buffer::<f32>::zeroed(5));
        assert_eq!(Arc::as_ptr(&b), handle, "the same handle is handed out again");
        assert_eq!(b.as_ptr(), values, "and the same values buffer");
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_pool_is_bounded_per_length() {
        let bufs: Vec<_> = (0..MAX_PER_LEN + 5).map(|_| Buffer::<f64>::zeroed(777)).collect();
        drop(bufs);
        let kept = f64::with_pool(|p| p.free.get(&777).map_or(0, Vec::len));
        assert_eq!(kept, MAX_PER_LEN);
    }
}
