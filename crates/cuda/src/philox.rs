//! Philox4x32-10 on the CPU: the same counter-based generator and the same
//! normal stream as `kernels/random.cu`, so CPU and GPU noise can be
//! compared (and a CPU run could draw the very noise a GPU run draws).
//!
//! Philox (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
//! SC 2011) encrypts a 128-bit counter with a 64-bit key in ten rounds of
//! multiply-and-xor; output block `b` depends only on `(b, key)`, so blocks
//! can be computed in any order by any thread.
//!
//! The stream (`normal`): key = the seed's two halves; block `b` encrypts the
//! counter `(b low, b high, stream low, stream high)`; each output word `w`
//! becomes `u = ((w >> 9) + 0.5) * 2^-23` (exact in f32, strictly inside
//! (0, 1)) and each pair `(u1, u2)` two normals by Box-Muller,
//! `sqrt(-2 ln u1) * (cos 2 pi u2, sin 2 pi u2)`. The uniforms are the GPU's
//! bit for bit; the transcendental functions are computed here in f64 and
//! rounded once, so the two streams agree to a few float32 ulps.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// One Philox round.
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with ten rounds: the key is bumped by the Weyl constants
/// before every round but the first.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (counter, key);
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        c = round(c, k);
    }
    c
}

/// A 32-bit word as a uniform float in (0, 1): `((w >> 9) + 0.5) * 2^-23`.
pub fn uniform_open(w: u32) -> f32 {
    ((w >> 9) as f32 + 0.5) * (1.0 / (1u32 << 23) as f32)
}

/// The four 32-bit words of block `b` of stream `stream` under `seed`.
pub fn block(seed: u64, stream: u64, b: u64) -> [u32; 4] {
    philox4x32_10([b as u32, (b >> 32) as u32, stream as u32, (stream >> 32) as u32], [seed as u32, (seed >> 32) as u32])
}

/// `len` values `mean + std * z`, z standard normal: the stream
/// `philox_normal_fwd_f32` writes for the same arguments.
pub fn normal(len: usize, seed: u64, stream: u64, mean: f32, std: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(len + 3);
    for b in 0..len.div_ceil(4) as u64 {
        let w = block(seed, stream, b);
        for h in 0..2 {
            let u1 = uniform_open(w[2 * h]) as f64;
            let u2 = uniform_open(w[2 * h + 1]) as f64;
            let r = (-2.0 * u1.ln()).sqrt();
            let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
            out.push(mean + std * (r * c) as f32);
            out.push(mean + std * (r * s) as f32);
        }
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's tests/kat_vectors, the three `philox4x32 10` lines
    /// (counter[4] key[2] -> output[4]); also quoted in kernels/random.cu.
    const KAT: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        ([0, 0, 0, 0], [0, 0], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        ([u32::MAX; 4], [u32::MAX; 2], [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        (
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0],
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
        ),
    ];

    #[test]
    fn known_answers_from_random123() {
        for (ctr, key, want) in KAT {
            assert_eq!(philox4x32_10(ctr, key), want, "counter {ctr:08x?} key {key:08x?}");
        }
    }

    #[test]
    fn the_cuda_source_quotes_the_same_known_answers() {
        let src = crate::kernels::FILES.iter().find(|f| f.name == "random").unwrap().source;
        for (ctr, key, want) in KAT {
            let hex = |v: &[u32]| v.iter().map(|x| format!("{x:08x}")).collect::<Vec<_>>().join(" ");
            let line = format!("philox4x32 10 {} {} -> {}", hex(&ctr), hex(&key), hex(&want));
            assert!(src.contains(&line), "random.cu lacks `{line}`");
        }
    }

    #[test]
    fn uniforms_are_strictly_inside_the_unit_interval() {
        assert_eq!(uniform_open(0), 0.5 / 8_388_608.0);
        assert!(uniform_open(u32::MAX) < 1.0);
        assert!(uniform_open(0) > 0.0);
    }

    #[test]
    fn normal_stream_is_reproducible_and_roughly_standard() {
        let a = normal(100_003, 7, 0, 0.0, 1.0);
        assert_eq!(a, normal(100_003, 7, 0, 0.0, 1.0));
        assert_ne!(a[..8], normal(8, 7, 1, 0.0, 1.0)[..]);
        assert_ne!(a[..8], normal(8, 8, 0, 0.0, 1.0)[..]);
        // A prefix of a longer draw is the shorter draw.
        assert_eq!(a[..10], normal(10, 7, 0, 0.0, 1.0)[..]);
        let n = a.len() as f64;
        let mean = a.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = a.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        let shifted = normal(10, 7, 0, 3.0, 2.0);
        for (s, z) in shifted.iter().zip(&a) {
            assert!((s - (3.0 + 2.0 * z)).abs() < 1e-5);
        }
    }
}
