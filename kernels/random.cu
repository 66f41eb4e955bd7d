// random.cu: seeded normal noise for the VAE's reparameterization trick and
// the denoising autoencoder, from the Philox4x32-10 counter-based generator
// (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011). Rust side: crates/cuda/src/device/random.rs; the same stream on
// the CPU: crates/cuda/src/philox.rs.
//
// Counter-based: output block b is philox(counter_b, key), a pure function,
// so any thread computes any block without shared state; a run is
// reproducible from (seed, stream) alone, whatever the launch shape.
//
// Philox4x32-10: a round maps (c0, c1, c2, c3) with key (k0, k1) to
//   (hi(M1 * c2) ^ c1 ^ k0,  lo(M1 * c2),  hi(M0 * c0) ^ c3 ^ k1,  lo(M0 * c0))
// with M0 = 0xD2511F53, M1 = 0xCD9E8D57 (32 x 32 -> 64-bit products);
// between rounds the key is bumped by the Weyl constants (0x9E3779B9,
// 0xBB67AE85); ten rounds, nine bumps.
//
// Known-answer values, Random123's tests/kat_vectors (counter[4] key[2] ->
// output[4]); crates/cuda/src/philox.rs tests the CPU version against them:
//   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff -> 408f276d 41c83b0e a20bc7c6 6d5451fd
//   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0 -> d16cfe09 94fdcceb 5001e420 24126ea1
//
// Our stream: key = (seed low 32 bits, seed high 32 bits); block b (outputs
// 4b .. 4b + 3) uses counter (b low, b high, stream low, stream high). Each
// 32-bit word becomes a uniform u = ((w >> 9) + 0.5) * 2^-23, exact in f32
// and strictly inside (0, 1); each pair (u1, u2) becomes two normals by
// Box-Muller: r = sqrt(-2 ln u1), z = (r cos 2 pi u2, r sin 2 pi u2) (sincospif:
// no large-argument reduction, so no local memory). The
// uniforms are bit-identical to the CPU's; the normals agree to the last
// bits of logf/sincospif.

// Mirrors `PhiloxParams` in crates/cuda/src/params.rs.
struct PhiloxParams {
    unsigned int key[2];
    unsigned int stream[2];
    float mean;
    float std;
};

struct U4 {
    unsigned int v[4];
};

__device__ __forceinline__ U4 philox_round(U4 c, unsigned int k0, unsigned int k1) {
    const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    const unsigned int hi0 = __umulhi(M0, c.v[0]), lo0 = M0 * c.v[0];
    const unsigned int hi1 = __umulhi(M1, c.v[2]), lo1 = M1 * c.v[2];
    U4 r;
    r.v[0] = hi1 ^ c.v[1] ^ k0;
    r.v[1] = lo1;
    r.v[2] = hi0 ^ c.v[3] ^ k1;
    r.v[3] = lo0;
    return r;
}

__device__ __forceinline__ U4 philox4x32_10(U4 c, unsigned int k0, unsigned int k1) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        c = philox_round(c, k0, k1);
    }
    return c;
}

// ((w >> 9) + 0.5) * 2^-23: 2^23 evenly spaced values in (0, 1), all exact.
__device__ __forceinline__ float uniform_open(unsigned int w) {
    return ((float)(w >> 9) + 0.5f) * 1.1920928955078125e-7f;
}

// y[i] = mean + std * z_i for i < n, z the standard normals of the stream
// above. One thread per block of 4 outputs (one Philox call), grid-stride.
extern "C" __global__ void philox_normal_fwd_f32(float* __restrict__ y, unsigned long long n, PhiloxParams p) {
    const unsigned long long blocks = (n + 3) / 4;
    for (unsigned long long b = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; b < blocks;
         b += (unsigned long long)gridDim.x * blockDim.x) {
        U4 c;
        c.v[0] = (unsigned int)b;
        c.v[1] = (unsigned int)(b >> 32);
        c.v[2] = p.stream[0];
        c.v[3] = p.stream[1];
        const U4 w = philox4x32_10(c, p.key[0], p.key[1]);
        float z[4];
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const float u1 = uniform_open(w.v[2 * h]);
            const float u2 = uniform_open(w.v[2 * h + 1]);
            const float r = sqrtf(-2.0f * logf(u1));
            float s, co;
            sincospif(2.0f * u2, &s, &co);  // sin and cos of 2 pi u2
            z[2 * h] = r * co;
            z[2 * h + 1] = r * s;
        }
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            const unsigned long long i = b * 4 + q;
            if (i < n) {
                y[i] = p.mean + p.std * z[q];
            }
        }
    }
}
