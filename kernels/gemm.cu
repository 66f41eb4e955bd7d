// gemm.cu: batched matrix products C[b] = op(A[b]) op(B[b]), float32.
//
// Variants (numbered; `GemmVariant` in crates/cuda/src/gemm.rs must list the
// same numbers and names, a test checks this header against it):
//   1 naive       one thread per output, k loop straight from global memory
//   2 tiled       16x16 shared-memory tiles, one output per thread
//   3 register    128x128 block tile, 8x8 outputs per thread in registers
//   4 vectorized  variant 3 with float4 loads/stores, double-buffered shared
//                 memory and a split 2x(4x4) thread tile (fewer bank conflicts)
// The backend picks one by size and alignment (crates/cuda/src/gemm.rs,
// `GemmVariant::auto`); the benchmark (crates/cuda/examples/gemm_bench.rs)
// can force any of them. All four are checked against the CPU backend.
//
// Shapes. A is stored m x k (k x m when trans_a), B k x n (n x k when
// trans_b), C m x n, all row-major and contiguous; batch item b starts at
// A + b * a_batch_stride, B + b * b_batch_stride, C + b * m * n (a stride of
// 0 shares one matrix across the batch: a layer's weight). Variants 1 and 2
// read the transposes through runtime strides; 3 and 4 are templates
// instantiated per layout (nn, nt, tn, tt) so every global load is coalesced.
//
// Grids: x over column tiles, y over row tiles, z over batch items (blocks
// loop over b when batch > gridDim.z). Products with k == 0 write zeros.
// Each output is a sum over k in increasing order within each thread
// (fused multiply-add), so results are deterministic.

// Mirrors `GemmShape` in crates/cuda/src/params.rs.
struct GemmShape {
    unsigned int batch;
    unsigned int m;
    unsigned int n;
    unsigned int k;
    unsigned int trans_a;
    unsigned int trans_b;
    unsigned long long a_batch_stride;
    unsigned long long b_batch_stride;
};

// Element (i, p) of op(A) and (p, j) of op(B) for the runtime-strided variants.
__device__ __forceinline__ float load_a(const float* a, const GemmShape& s, unsigned int i, unsigned int p) {
    return s.trans_a ? a[(unsigned long long)p * s.m + i] : a[(unsigned long long)i * s.k + p];
}
__device__ __forceinline__ float load_b(const float* b, const GemmShape& s, unsigned int p, unsigned int j) {
    return s.trans_b ? b[(unsigned long long)j * s.k + p] : b[(unsigned long long)p * s.n + j];
}

// ---- 1: naive ---------------------------------------------------------------

// One thread per C element: block (16, 16), x over columns, y over rows.
// Reads 2k floats from global memory per output (caches do the rest).
extern "C" __global__ void gemm_v1_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    const unsigned int j = blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned int i = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= s.m || j >= s.n) {
        return;
    }
    for (unsigned int b = blockIdx.z; b < s.batch; b += gridDim.z) {
        const float* a = A + b * s.a_batch_stride;
        const float* bb = B + b * s.b_batch_stride;
        float acc = 0.0f;
        for (unsigned int p = 0; p < s.k; ++p) {
            acc = fmaf(load_a(a, s, i, p), load_b(bb, s, p, j), acc);
        }
        C[(unsigned long long)b * s.m * s.n + (unsigned long long)i * s.n + j] = acc;
    }
}

// ---- 2: shared-memory tiles -----------------------------------------------

#define T2 16

// Block (16, 16) computes a 16x16 tile of C, one output per thread. Each step
// stages a 16x16 tile of op(A) and of op(B) in shared memory (each element
// read from global memory once per block instead of 16 times). A transposed
// operand is loaded with threadIdx.x running along its contiguous axis, so
// the global reads stay coalesced; the +1 column avoids bank conflicts when
// such a tile is written column-wise.
extern "C" __global__ void gemm_v2_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    __shared__ float As[T2][T2 + 1];  // As[row i][p]
    __shared__ float Bs[T2][T2 + 1];  // Bs[p][col j]
    const unsigned int tx = threadIdx.x, ty = threadIdx.y;
    const unsigned int i0 = blockIdx.y * T2, j0 = blockIdx.x * T2;
    for (unsigned int b = blockIdx.z; b < s.batch; b += gridDim.z) {
        const float* a = A + b * s.a_batch_stride;
        const float* bb = B + b * s.b_batch_stride;
        float acc = 0.0f;
        for (unsigned int p0 = 0; p0 < s.k; p0 += T2) {
            if (s.trans_a) {  // contiguous along i: tx walks i
                const unsigned int i = i0 + tx, p = p0 + ty;
                As[tx][ty] = (i < s.m && p < s.k) ? a[(unsigned long long)p * s.m + i] : 0.0f;
            } else {  // contiguous along p: tx walks p
                const unsigned int i = i0 + ty, p = p0 + tx;
                As[ty][tx] = (i < s.m && p < s.k) ? a[(unsigned long long)i * s.k + p] : 0.0f;
            }
            if (s.trans_b) {  // contiguous along p: tx walks p
                const unsigned int j = j0 + ty, p = p0 + tx;
                Bs[tx][ty] = (j < s.n && p < s.k) ? bb[(unsigned long long)j * s.k + p] : 0.0f;
            } else {  // contiguous along j: tx walks j
                const unsigned int j = j0 + tx, p = p0 + ty;
                Bs[ty][tx] = (j < s.n && p < s.k) ? bb[(unsigned long long)p * s.n + j] : 0.0f;
            }
            __syncthreads();
#pragma unroll
            for (int q = 0; q < T2; ++q) {
                acc = fmaf(As[ty][q], Bs[q][tx], acc);
            }
            __syncthreads();
        }
        const unsigned int i = i0 + ty, j = j0 + tx;
        if (i < s.m && j < s.n) {
            C[(unsigned long long)b * s.m * s.n + (unsigned long long)i * s.n + j] = acc;
        }
    }
}

// ---- 3: register blocking ---------------------------------------------------

#define BM 128
#define BN 128
#define BK 8
#define TM 8
#define TN 8
#define PAD 4
#define THREADS3 256  // (BM / TM) * (BN / TN)

// Block of 256 threads computes a 128x128 tile of C; thread t owns the 8x8
// outputs at rows (t / 16) * 8 + 0..8 and columns (t % 16) * 8 + 0..8, held
// in 64 registers. Each step stages op(A)[128 x 8] and op(B)[8 x 128] in
// shared memory, A stored k-major (As[p][i]) so a thread's 8 rows at one p
// are adjacent; then per p a thread reads 8 + 8 values and does 64 FMAs.
// Loads: 4 elements per thread per operand, consecutive threads on
// consecutive addresses of the operand's contiguous axis (the template picks
// the mapping); edges are zero-filled. PAD spreads the transposed stores
// over all 32 banks.
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_v3(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, const GemmShape& s) {
    __shared__ float As[BK][BM + PAD];
    __shared__ float Bs[BK][BN + PAD];
    const unsigned int tid = threadIdx.x;
    const unsigned int tr = tid / (BN / TN), tc = tid % (BN / TN);
    const unsigned int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
    for (unsigned int b = blockIdx.z; b < s.batch; b += gridDim.z) {
        const float* a = A + b * s.a_batch_stride;
        const float* bb = B + b * s.b_batch_stride;
        float acc[TM][TN];
#pragma unroll
        for (int r = 0; r < TM; ++r) {
#pragma unroll
            for (int c = 0; c < TN; ++c) {
                acc[r][c] = 0.0f;
            }
        }
        for (unsigned int p0 = 0; p0 < s.k; p0 += BK) {
#pragma unroll
            for (int r = 0; r < (BM * BK) / THREADS3; ++r) {
                const unsigned int l = tid + r * THREADS3;
                const unsigned int i = TA ? l % BM : l / BK;
                const unsigned int p = TA ? l / BM : l % BK;
                const unsigned int gi = i0 + i, gp = p0 + p;
                float v = 0.0f;
                if (gi < s.m && gp < s.k) {
                    v = TA ? a[(unsigned long long)gp * s.m + gi] : a[(unsigned long long)gi * s.k + gp];
                }
                As[p][i] = v;
            }
#pragma unroll
            for (int r = 0; r < (BK * BN) / THREADS3; ++r) {
                const unsigned int l = tid + r * THREADS3;
                const unsigned int j = TB ? l / BK : l % BN;
                const unsigned int p = TB ? l % BK : l / BN;
                const unsigned int gj = j0 + j, gp = p0 + p;
                float v = 0.0f;
                if (gj < s.n && gp < s.k) {
                    v = TB ? bb[(unsigned long long)gj * s.k + gp] : bb[(unsigned long long)gp * s.n + gj];
                }
                Bs[p][j] = v;
            }
            __syncthreads();
#pragma unroll
            for (int p = 0; p < BK; ++p) {
                float ra[TM], rb[TN];
#pragma unroll
                for (int r = 0; r < TM; ++r) {
                    ra[r] = As[p][tr * TM + r];
                }
#pragma unroll
                for (int c = 0; c < TN; ++c) {
                    rb[c] = Bs[p][tc * TN + c];
                }
#pragma unroll
                for (int r = 0; r < TM; ++r) {
#pragma unroll
                    for (int c = 0; c < TN; ++c) {
                        acc[r][c] = fmaf(ra[r], rb[c], acc[r][c]);
                    }
                }
            }
            __syncthreads();
        }
        float* cb = C + (unsigned long long)b * s.m * s.n;
#pragma unroll
        for (int r = 0; r < TM; ++r) {
            const unsigned int gi = i0 + tr * TM + r;
#pragma unroll
            for (int c = 0; c < TN; ++c) {
                const unsigned int gj = j0 + tc * TN + c;
                if (gi < s.m && gj < s.n) {
                    cb[(unsigned long long)gi * s.n + gj] = acc[r][c];
                }
            }
        }
    }
}

// Variant 3, A and B as stored (nn), B transposed (nt), A transposed (tn), both (tt).
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v3_nn_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v3<false, false>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v3_nt_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v3<false, true>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v3_tn_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v3<true, false>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v3_tt_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v3<true, true>(A, B, C, s);
}

// ---- 4: vectorized, double-buffered -----------------------------------------

// Requires (checked on the host, `GemmVariant::fits`): m, n, k and both batch
// strides multiples of 4, so every float4 lies wholly inside or wholly
// outside the matrix and is 16-byte aligned.
//
// Same 128x128x8 block tile and 256 threads as variant 3, but:
// - each thread loads one float4 of op(A) and one of op(B) per step: when the
//   operand's contiguous axis runs along the tile's 128 side the float4 goes
//   to shared memory as is, otherwise it is scattered to 4 rows (k-major);
// - two shared-memory buffers: while the block computes on one, the next
//   tile's float4s are already in flight into registers, stored into the
//   other buffer after the math (one barrier per step);
// - thread (tr, tc) = (t / 16, t % 16) owns rows {tr*4 + 0..4, 64 + tr*4 + 0..4}
//   and columns {tc*4 + 0..4, 64 + tc*4 + 0..4}: its shared-memory reads are
//   float4s that 16 threads take from one contiguous 256-byte run (2
//   wavefronts instead of 4 for an 8-wide run), and its C writes are float4s.
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_v4(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, const GemmShape& s) {
    __shared__ __align__(16) float As[2][BK][BM + PAD];
    __shared__ __align__(16) float Bs[2][BK][BN + PAD];
    const unsigned int tid = threadIdx.x;
    const unsigned int tr = tid / 16, tc = tid % 16;
    const unsigned int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
    // Where this thread's float4 of each operand sits inside the tile.
    // A: TA -> row p = tid / 32, i = (tid % 32) * 4 (contiguous along i);
    //    !TA -> i = tid / 2, p = (tid % 2) * 4 (contiguous along p).
    const unsigned int a_i = TA ? (tid % 32) * 4 : tid / 2;
    const unsigned int a_p = TA ? tid / 32 : (tid % 2) * 4;
    // B: !TB -> p = tid / 32, j = (tid % 32) * 4; TB -> j = tid / 2, p = (tid % 2) * 4.
    const unsigned int b_j = TB ? tid / 2 : (tid % 32) * 4;
    const unsigned int b_p = TB ? (tid % 2) * 4 : tid / 32;
    const unsigned int steps = (s.k + BK - 1) / BK;

    for (unsigned int b = blockIdx.z; b < s.batch; b += gridDim.z) {
        const float* a = A + b * s.a_batch_stride;
        const float* bb = B + b * s.b_batch_stride;

        auto fetch_a = [&](unsigned int p0) -> float4 {
            const unsigned int gi = i0 + a_i, gp = p0 + a_p;
            if (gi < s.m && gp < s.k) {
                return TA ? *reinterpret_cast<const float4*>(a + (unsigned long long)gp * s.m + gi)
                          : *reinterpret_cast<const float4*>(a + (unsigned long long)gi * s.k + gp);
            }
            return make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        };
        auto fetch_b = [&](unsigned int p0) -> float4 {
            const unsigned int gj = j0 + b_j, gp = p0 + b_p;
            if (gj < s.n && gp < s.k) {
                return TB ? *reinterpret_cast<const float4*>(bb + (unsigned long long)gj * s.k + gp)
                          : *reinterpret_cast<const float4*>(bb + (unsigned long long)gp * s.n + gj);
            }
            return make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        };
        auto stash = [&](int buf, float4 va, float4 vb) {
            if (TA) {
                *reinterpret_cast<float4*>(&As[buf][a_p][a_i]) = va;
            } else {
                As[buf][a_p + 0][a_i] = va.x;
                As[buf][a_p + 1][a_i] = va.y;
                As[buf][a_p + 2][a_i] = va.z;
                As[buf][a_p + 3][a_i] = va.w;
            }
            if (TB) {
                Bs[buf][b_p + 0][b_j] = vb.x;
                Bs[buf][b_p + 1][b_j] = vb.y;
                Bs[buf][b_p + 2][b_j] = vb.z;
                Bs[buf][b_p + 3][b_j] = vb.w;
            } else {
                *reinterpret_cast<float4*>(&Bs[buf][b_p][b_j]) = vb;
            }
        };

        float acc[8][8];
#pragma unroll
        for (int r = 0; r < 8; ++r) {
#pragma unroll
            for (int c = 0; c < 8; ++c) {
                acc[r][c] = 0.0f;
            }
        }
        if (steps > 0) {
            stash(0, fetch_a(0), fetch_b(0));
        }
        __syncthreads();
        for (unsigned int st = 0; st < steps; ++st) {
            const int cur = st & 1;
            const bool more = st + 1 < steps;
            float4 na = make_float4(0.0f, 0.0f, 0.0f, 0.0f), nb = na;
            if (more) {
                na = fetch_a((st + 1) * BK);
                nb = fetch_b((st + 1) * BK);
            }
#pragma unroll
            for (int p = 0; p < BK; ++p) {
                const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][p][tr * 4]);
                const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][p][64 + tr * 4]);
                const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][p][tc * 4]);
                const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][p][64 + tc * 4]);
                const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
                const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
                for (int r = 0; r < 8; ++r) {
#pragma unroll
                    for (int c = 0; c < 8; ++c) {
                        acc[r][c] = fmaf(ra[r], rb[c], acc[r][c]);
                    }
                }
            }
            if (more) {
                stash(cur ^ 1, na, nb);
            }
            __syncthreads();
        }
        float* cb = C + (unsigned long long)b * s.m * s.n;
#pragma unroll
        for (int r = 0; r < 8; ++r) {
            const unsigned int gi = i0 + (r < 4 ? tr * 4 + r : 64 + tr * 4 + (r - 4));
            if (gi >= s.m) {
                continue;
            }
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const unsigned int gj = j0 + h * 64 + tc * 4;
                if (gj < s.n) {
                    *reinterpret_cast<float4*>(cb + (unsigned long long)gi * s.n + gj) =
                        make_float4(acc[r][h * 4 + 0], acc[r][h * 4 + 1], acc[r][h * 4 + 2], acc[r][h * 4 + 3]);
                }
            }
        }
        // The next batch item restages buffer 0: wait until all reads are done.
        __syncthreads();
    }
}

// Variant 4 per layout, as for variant 3.
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v4_nn_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v4<false, false>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v4_nt_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v4<false, true>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v4_tn_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v4<true, false>(A, B, C, s);
}
extern "C" __global__ void __launch_bounds__(THREADS3) gemm_v4_tt_fwd_f32(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, GemmShape s) {
    gemm_v4<true, true>(A, B, C, s);
}
