//! Host-side planning for the strided kernels: turning numpy broadcasting
//! and axis permutations into the smallest [`StridedIndex`] that reads the
//! same elements, plus the caching allocator's size classes. Pure functions,
//! tested on the CPU against direct index arithmetic.
//!
//! Merging axes. Two adjacent output axes `(d1, s1)`, `(d2, s2)` can be read
//! as one axis of length `d1 * d2` and stride `s2` exactly when `s1 = s2 * d2`
//! for every operand; axes of length 1 are dropped. A bias added to a
//! `[32, 10, 12]` tensor of shape `[12]` becomes two axes `[320, 12]`, a
//! contiguous same-shape operation becomes one axis (and then the kernels'
//! float4 path), so rank 6 is plenty for real tensors of any rank.

use recon_tensor::shape::{broadcast_strides, numel, strides, Shape};
use recon_tensor::{Result, TensorError};

use crate::params::{StridedIndex, MAX_RANK};

/// Merges the axes of `dims` that every operand can read as one (module
/// docs). `operands[k][ax]` is operand k's stride for output axis `ax`.
pub fn collapse(dims: &[usize], operands: &[Shape]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); operands.len()];
    for ax in 0..dims.len() {
        let d = dims[ax];
        if d == 1 {
            continue;
        }
        let mergeable = !out_dims.is_empty() && operands.iter().zip(&out_strides).all(|(s, o)| *o.last().unwrap() == s[ax] * d);
        if mergeable {
            *out_dims.last_mut().unwrap() *= d;
            for (s, o) in operands.iter().zip(out_strides.iter_mut()) {
                *o.last_mut().unwrap() = s[ax];
            }
        } else {
            out_dims.push(d);
            for (s, o) in operands.iter().zip(out_strides.iter_mut()) {
                o.push(s[ax]);
            }
        }
    }
    (out_dims, out_strides)
}

fn too_big(op: &'static str, what: impl std::fmt::Display) -> TensorError {
    TensorError::invalid(op, format!("the CUDA backend indexes strided reads with 32-bit integers; {what}"))
}

/// Packs merged axes into the kernel struct (at most `MAX_RANK`, sizes and
/// strides in u32, the output under 2^32 elements).
fn pack(op: &'static str, dims: &[usize], a: &[usize], b: &[usize], out_len: usize) -> Result<StridedIndex> {
    if dims.len() > MAX_RANK {
        return Err(TensorError::invalid(
            op,
            format!("after merging axes the CUDA kernels still see {} axes ({dims:?}); they handle at most {MAX_RANK}", dims.len()),
        ));
    }
    if out_len > u32::MAX as usize {
        return Err(too_big(op, format!("the output has {out_len} elements")));
    }
    let mut s = StridedIndex { rank: dims.len() as u32, ..Default::default() };
    for ax in 0..dims.len() {
        let fit = |v: usize| u32::try_from(v).map_err(|_| too_big(op, format!("a stride of {v} elements")));
        s.dims[ax] = fit(dims[ax])?;
        s.a_strides[ax] = fit(a[ax])?;
        s.b_strides[ax] = fit(b[ax])?;
    }
    Ok(s)
}

impl StridedIndex {
    /// The reads of `op(a, b)` with `a`, `b` broadcast to `out`. Rank 0 when
    /// both operands are contiguous with the output's shape.
    pub fn binary(a_shape: &[usize], b_shape: &[usize], out: &[usize]) -> Result<Self> {
        let n = numel(out);
        if numel(a_shape) == n && numel(b_shape) == n {
            // Same element count as the output: no broadcasting at all.
            return pack("binary", &[], &[], &[], n);
        }
        let (dims, s) = collapse(out, &[broadcast_strides(a_shape, out), broadcast_strides(b_shape, out)]);
        pack("binary", &dims, &s[0], &s[1], n)
    }

    /// The reads of a permutation: output axis `i` is input axis `axes[i]`.
    pub fn permute(shape: &[usize], axes: &[usize]) -> Result<Self> {
        let st = strides(shape);
        let out: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
        let read: Shape = axes.iter().map(|&a| st[a]).collect();
        let (dims, s) = collapse(&out, &[read]);
        pack("permute", &dims, &s[0], &s[0], numel(shape))
    }

    /// The reads of `x` of shape `from` materialised at shape `to`.
    pub fn broadcast(from: &[usize], to: &[usize]) -> Result<Self> {
        let (dims, s) = collapse(to, &[broadcast_strides(from, to)]);
        pack("broadcast_to", &dims, &s[0], &s[0], numel(to))
    }

    /// What the kernels compute for output element `i`: the offsets into
    /// `a` and `b` (`strided_offsets` in elementwise.cu, the loop in
    /// `gather_strided_fwd_f32`), for testing the plans on the CPU.
    pub fn offsets(&self, mut i: u32) -> (u32, u32) {
        let (mut oa, mut ob) = (0, 0);
        for ax in (0..self.rank as usize).rev() {
            let c = i % self.dims[ax];
            i /= self.dims[ax];
            oa += c * self.a_strides[ax];
            ob += c * self.b_strides[ax];
        }
        (oa, ob)
    }
}

/// The caching allocator's size class for `len` floats: powers of two up to
/// 4096 elements (minimum 64, i.e. 256 bytes), above that the next multiple
/// of an eighth of the largest power of two not above `len`, so at most
/// 12.5% is wasted and nearby sizes (a last, shorter batch) share a class.
pub fn size_class(len: usize) -> usize {
    let len = len.max(64);
    if len <= 4096 {
        return len.next_power_of_two();
    }
    let floor = 1usize << (usize::BITS - 1 - len.leading_zeros());
    let step = floor / 8;
    len.div_ceil(step) * step
}

/// Threads per block for a one-dimensional kernel.
pub const THREADS: u32 = 256;
/// Most blocks a grid-stride kernel is launched with.
pub const MAX_BLOCKS: u64 = 1 << 16;

/// Blocks for `work` items of one thread each (grid-stride kernels loop
/// over the rest): at least 1, at most `MAX_BLOCKS`.
pub fn blocks_for(work: u64) -> u32 {
    work.div_ceil(THREADS as u64).clamp(1, MAX_BLOCKS) as u32
}

/// Threads per block of a kernel that reduces rows of `len` elements with
/// one block per row: a power of two from 32 (one warp) to 256, so a short
/// row does not leave most of a large block idle. Depends only on `len`,
/// which keeps reductions deterministic.
pub fn row_threads(len: usize) -> u32 {
    len.next_power_of_two().clamp(32, 256) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Direct numpy-style index arithmetic: the offset in an operand of
    /// shape `from` read at output coordinates `coord` of shape `to`.
    fn direct_offset(from: &[usize], to: &[usize], coord: &[usize]) -> usize {
        let lead = to.len() - from.len();
        let st = strides(from);
        (0..from.len()).map(|i| if from[i] == 1 { 0 } else { coord[lead + i] * st[i] }).sum()
    }

    fn coords(mut i: usize, shape: &[usize]) -> Vec<usize> {
        let mut c = vec![0; shape.len()];
        for ax in (0..shape.len()).rev() {
            c[ax] = i % shape[ax];
            i /= shape[ax];
        }
        c
    }

    fn squeeze(shape: &[usize], bits: u64) -> Vec<usize> {
        let drop = (bits & 7) as usize % (shape.len() + 1);
        shape[drop..].iter().enumerate().map(|(k, &d)| if bits >> (3 + k) & 1 == 1 { 1 } else { d }).collect()
    }

    #[test]
    fn a_broadcast_that_alternates_on_seven_axes_is_refused_with_a_message() {
        // Found by the property below in CI: no two neighbouring axes of
        // these operands merge, so seven axes remain.
        let out = [2; 7];
        let b = [2, 1, 2, 1, 2, 1, 2];
        let e = StridedIndex::binary(&out, &b, &out).unwrap_err().to_string();
        assert!(e.contains("7 axes") && e.contains("at most 6"), "{e}");
        // Six such axes fit.
        assert_eq!(StridedIndex::binary(&[2; 6], &[2, 1, 2, 1, 2, 1], &[2; 6]).unwrap().rank, 6);
    }

    proptest! {
        #[test]
        fn binary_plan_reads_what_numpy_reads(out in prop::collection::vec(1usize..5, 0..8), ba in any::<u64>(), bb in any::<u64>()) {
            let a = squeeze(&out, ba);
            let b = squeeze(&out, bb);
            // Alternating broadcast patterns can leave more than MAX_RANK
            // axes that no merge removes; the plan must then refuse, and
            // only then.
            let (merged, _) = collapse(&out, &[broadcast_strides(&a, &out), broadcast_strides(&b, &out)]);
            let s = match StridedIndex::binary(&a, &b, &out) {
                Ok(s) => s,
                Err(e) => {
                    prop_assert!(merged.len() > MAX_RANK, "refused a plan of {} axes: {}", merged.len(), e);
                    return Ok(());
                }
            };
            prop_assert!(s.rank as usize <= MAX_RANK);
            for i in 0..numel(&out) {
                let c = coords(i, &out);
                let (oa, ob) = if s.rank == 0 { (i as u32, i as u32) } else { s.offsets(i as u32) };
                prop_assert_eq!(oa as usize, direct_offset(&a, &out, &c), "a {:?} b {:?} out {:?} i {}", a, b, out, i);
                prop_assert_eq!(ob as usize, direct_offset(&b, &out, &c));
            }
        }

        #[test]
        fn permute_plan_reads_the_permuted_element(shape in prop::collection::vec(1usize..5, 1..7), seed in any::<u64>()) {
            let mut axes: Vec<usize> = (0..shape.len()).collect();
            // A permutation from the seed (Fisher-Yates with its bits).
            let mut r = seed;
            for i in (1..axes.len()).rev() {
                axes.swap(i, (r % (i as u64 + 1)) as usize);
                r = r.rotate_left(7) ^ 0x9E37_79B9_7F4A_7C15;
            }
            let s = StridedIndex::permute(&shape, &axes).unwrap();
            let out: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
            let st = strides(&shape);
            for i in 0..numel(&out) {
                let c = coords(i, &out);
                let want: usize = (0..out.len()).map(|k| c[k] * st[axes[k]]).sum();
                prop_assert_eq!(s.offsets(i as u32).0 as usize, want);
            }
        }

        #[test]
        fn broadcast_plan_reads_what_numpy_reads(to in prop::collection::vec(1usize..5, 0..8), bits in any::<u64>()) {
            let from = squeeze(&to, bits);
            let s = StridedIndex::broadcast(&from, &to).unwrap();
            for i in 0..numel(&to) {
                prop_assert_eq!(s.offsets(i as u32).0 as usize, direct_offset(&from, &to, &coords(i, &to)));
            }
        }
    }

    #[test]
    fn common_shapes_collapse_to_few_axes() {
        // bias over a batch
        let s = StridedIndex::binary(&[32, 10, 12], &[12], &[32, 10, 12]).unwrap();
        assert_eq!((s.rank, &s.dims[..2], &s.b_strides[..2]), (2, &[320, 12][..], &[0, 1][..]));
        // same shape: the contiguous fast path
        assert_eq!(StridedIndex::binary(&[3, 4], &[3, 4], &[3, 4]).unwrap().rank, 0);
        // a scalar
        let s = StridedIndex::binary(&[5, 6], &[], &[5, 6]).unwrap();
        assert_eq!((s.rank, s.dims[0], s.a_strides[0], s.b_strides[0]), (1, 30, 1, 0));
        // identity permutation = one contiguous axis
        let s = StridedIndex::permute(&[2, 3, 4], &[0, 1, 2]).unwrap();
        assert_eq!((s.rank, s.dims[0], s.a_strides[0]), (1, 24, 1));
        // a rank-9 tensor with alternating broadcast axes is too much
        let out = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        let b = [2, 1, 2, 1, 2, 1, 2, 1, 2];
        assert!(StridedIndex::binary(&out, &b, &out).is_err());
    }

    #[test]
    fn size_classes_bound_the_waste() {
        assert_eq!(size_class(0), 64);
        assert_eq!(size_class(65), 128);
        assert_eq!(size_class(4096), 4096);
        assert_eq!(size_class(4097), 4096 + 512);
        for len in (1..200_000).step_by(997) {
            let c = size_class(len);
            assert!(c >= len && (c as f64) <= (len.max(64) as f64) * 2.0);
            if len > 4096 {
                assert!(c as f64 <= len as f64 * 1.125 + 1.0, "{len} -> {c}");
            }
            assert_eq!(size_class(c), c, "a class is its own class");
        }
    }

    #[test]
    fn launch_helpers() {
        assert_eq!(blocks_for(0), 1);
        assert_eq!(blocks_for(257), 2);
        assert_eq!(blocks_for(u64::MAX / 2), MAX_BLOCKS as u32);
        assert_eq!(row_threads(1), 32);
        assert_eq!(row_threads(100), 128);
        assert_eq!(row_threads(100_000), 256);
    }
}
