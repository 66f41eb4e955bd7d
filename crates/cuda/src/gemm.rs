//! The GEMM variants of `kernels/gemm.cu`, by number, and how the backend
//! picks one. Pure host logic (no GPU needed), so it is tested everywhere.
//!
//! | # | name       | idea                                                       |
//! |---|------------|------------------------------------------------------------|
//! | 1 | naive      | one thread per output, k loop from global memory           |
//! | 2 | tiled      | 16x16 shared-memory tiles, one output per thread           |
//! | 3 | register   | 128x128 block tile, 8x8 outputs per thread in registers    |
//! | 4 | vectorized | 3 + float4 loads/stores, double buffering, split 2x(4x4)   |
//!
//! A test checks that the header of `gemm.cu` lists the same numbers and names.

use recon_tensor::{Matmul, Result, TensorError};

use crate::params::GemmShape;

/// `v % 4 == 0` (written with a mask: `is_multiple_of` is newer than the
/// workspace's minimum Rust).
fn multiple_of_4(v: usize) -> bool {
    v & 3 == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GemmVariant {
    Naive = 1,
    Tiled = 2,
    Register = 3,
    Vectorized = 4,
}

/// Threads and grid of one launch: ((x, y, z) blocks, (x, y, z) threads).
pub type LaunchDims = ((u32, u32, u32), (u32, u32, u32));

impl GemmVariant {
    pub const ALL: [GemmVariant; 4] = [GemmVariant::Naive, GemmVariant::Tiled, GemmVariant::Register, GemmVariant::Vectorized];

    pub fn number(self) -> u32 {
        self as u32
    }

    pub fn name(self) -> &'static str {
        match self {
            GemmVariant::Naive => "naive",
            GemmVariant::Tiled => "tiled",
            GemmVariant::Register => "register",
            GemmVariant::Vectorized => "vectorized",
        }
    }

    pub fn from_number(n: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.number() == n)
    }

    /// Output rows and columns one block computes.
    fn tile(self) -> (u32, u32) {
        match self {
            GemmVariant::Naive | GemmVariant::Tiled => (16, 16),
            GemmVariant::Register | GemmVariant::Vectorized => (128, 128),
        }
    }

    /// Whether this variant can run `spec` (variant 4 needs m, n, k and the
    /// batch strides to be multiples of 4, for aligned float4 accesses).
    pub fn fits(self, spec: &Matmul) -> bool {
        match self {
            GemmVariant::Vectorized => [spec.m, spec.n, spec.k, spec.a_batch_stride, spec.b_batch_stride].iter().all(|&d| multiple_of_4(d)),
            _ => true,
        }
    }

    /// The backend's choice. Large outputs (at least one full 128x128 tile
    /// per row and column) take the register-blocked kernels, vectorized
    /// where the shape allows; smaller ones the 16x16 tiles, which give more
    /// blocks to a small product (the training shapes, e.g. 32 x 29 x 12,
    /// are far below one 128x128 tile). The thresholds are first guesses to
    /// be tuned with `examples/gemm_bench.rs` on the GPU.
    pub fn auto(spec: &Matmul) -> Self {
        if spec.m >= 128 && spec.n >= 128 {
            if GemmVariant::Vectorized.fits(spec) {
                GemmVariant::Vectorized
            } else {
                GemmVariant::Register
            }
        } else {
            GemmVariant::Tiled
        }
    }

    /// The entry point in `gemm.cu` for this variant and layout.
    pub fn kernel(self, trans_a: bool, trans_b: bool) -> &'static str {
        const V3: [&str; 4] = ["gemm_v3_nn_fwd_f32", "gemm_v3_nt_fwd_f32", "gemm_v3_tn_fwd_f32", "gemm_v3_tt_fwd_f32"];
        const V4: [&str; 4] = ["gemm_v4_nn_fwd_f32", "gemm_v4_nt_fwd_f32", "gemm_v4_tn_fwd_f32", "gemm_v4_tt_fwd_f32"];
        let layout = (trans_a as usize) * 2 + trans_b as usize;
        match self {
            GemmVariant::Naive => "gemm_v1_fwd_f32",
            GemmVariant::Tiled => "gemm_v2_fwd_f32",
            GemmVariant::Register => V3[layout],
            GemmVariant::Vectorized => V4[layout],
        }
    }

    /// Grid and block for `spec`: x over column tiles, y over row tiles, z
    /// over batch items (at most 65535; the kernels loop over the rest).
    pub fn launch_dims(self, spec: &Matmul) -> Result<LaunchDims> {
        let (tm, tn) = self.tile();
        let gy = spec.m.div_ceil(tm as usize);
        let gx = spec.n.div_ceil(tn as usize);
        if gy > 65535 || gx > u32::MAX as usize {
            return Err(TensorError::invalid("matmul", format!("{} x {} outputs are too many tiles for one CUDA grid", spec.m, spec.n)));
        }
        let gz = spec.batch.clamp(1, 65535);
        let block = match self {
            GemmVariant::Naive | GemmVariant::Tiled => (16, 16, 1),
            GemmVariant::Register | GemmVariant::Vectorized => (256, 1, 1),
        };
        Ok(((gx as u32, gy as u32, gz as u32), block))
    }
}

/// `Matmul` in the kernels' form, or an error when a size does not fit the
/// kernels' 32-bit dimensions.
pub fn gemm_shape(spec: &Matmul) -> Result<GemmShape> {
    let small = |v: usize| {
        u32::try_from(v).map_err(|_| TensorError::invalid("matmul", format!("dimension {v} exceeds the CUDA kernels' 32-bit sizes")))
    };
    Ok(GemmShape {
        batch: small(spec.batch)?,
        m: small(spec.m)?,
        n: small(spec.n)?,
        k: small(spec.k)?,
        trans_a: spec.trans_a as u32,
        trans_b: spec.trans_b as u32,
        a_batch_stride: spec.a_batch_stride as u64,
        b_batch_stride: spec.b_batch_stride as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::FILES;

    fn spec(m: usize, k: usize, n: usize) -> Matmul {
        Matmul { batch: 1, m, k, n, trans_a: false, trans_b: false, a_batch_stride: m * k, b_batch_stride: k * n }
    }

    /// llm.c's variant list drifted from its dispatcher; ours cannot: the
    /// header of gemm.cu must name exactly these numbers and names.
    #[test]
    fn gemm_cu_header_lists_the_same_variants() {
        let src = FILES.iter().find(|f| f.name == "gemm").unwrap().source;
        let header: Vec<&str> = src.lines().take_while(|l| l.starts_with("//")).collect();
        let start = header.iter().position(|l| l.contains("Variants")).expect("a Variants list in the header");
        let mut listed = Vec::new();
        for l in &header[start + 1..] {
            let words: Vec<&str> = l.trim_start_matches("//").split_whitespace().collect();
            match words.as_slice() {
                [num, name, ..] if num.parse::<u32>().is_ok() => listed.push((num.parse::<u32>().unwrap(), name.to_string())),
                _ if !listed.is_empty() && !l.starts_with("//   ") => break,
                _ => {}
            }
        }
        let ours: Vec<(u32, String)> = GemmVariant::ALL.iter().map(|v| (v.number(), v.name().to_string())).collect();
        assert_eq!(listed, ours);
        for v in GemmVariant::ALL {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let k = v.kernel(ta, tb);
                assert!(FILES[2].entries.contains(&k), "{k} is not an entry of gemm.cu");
                assert!(k.starts_with(&format!("gemm_v{}_", v.number())));
            }
        }
    }

    #[test]
    fn numbers_round_trip() {
        for v in GemmVariant::ALL {
            assert_eq!(GemmVariant::from_number(v.number()), Some(v));
        }
        assert_eq!(GemmVariant::from_number(0), None);
    }

    #[test]
    fn auto_picks_by_size_and_alignment() {
        assert_eq!(GemmVariant::auto(&spec(32, 29, 12)), GemmVariant::Tiled);
        assert_eq!(GemmVariant::auto(&spec(4096, 4096, 4096)), GemmVariant::Vectorized);
        assert_eq!(GemmVariant::auto(&spec(1024, 783, 256)), GemmVariant::Register);
        let mut s = spec(256, 256, 256);
        s.a_batch_stride = 2;
        assert!(!GemmVariant::Vectorized.fits(&s));
        assert!(GemmVariant::Register.fits(&s));
    }

    #[test]
    fn launch_dims_cover_the_output() {
        let ((gx, gy, gz), b) = GemmVariant::Vectorized.launch_dims(&spec(129, 5, 257)).unwrap();
        assert_eq!((gx, gy, gz, b), (3, 2, 1, (256, 1, 1)));
        let ((gx, gy, _), b) = GemmVariant::Naive.launch_dims(&spec(17, 5, 1)).unwrap();
        assert_eq!((gx, gy, b), (1, 2, (16, 16, 1)));
        let mut s = spec(2, 2, 2);
        s.batch = 100_000;
        assert_eq!(GemmVariant::Tiled.launch_dims(&s).unwrap().0 .2, 65535);
    }
}
