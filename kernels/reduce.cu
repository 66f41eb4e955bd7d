// reduce.cu: sums and maxima along an axis, the sum of everything, and the
// row softmaxes. Rust side: crates/cuda/src/device/reduce.rs; CPU reference:
// crates/tensor/src/cpu/reduce.rs.
//
// Determinism. No atomics anywhere: every output is produced by one block
// that combines its inputs in an order fixed by the launch shape alone
// (a strided per-thread loop, then a fixed tree across threads), and the
// host picks the launch shape from the tensor's shape only, never from the
// device (SM count) or timing. The same input therefore gives the same bits
// on every run and every GPU model. The order differs from the CPU's, so
// CPU and GPU sums agree to rounding, not bit for bit.
//
// A tensor reduced along one axis is viewed as [outer, len, inner]:
// - inner == 1 (the axis is the last one, each output a contiguous run):
//   *_rows_fwd_f32, one block per output;
// - inner > 1: *_cols_fwd_f32, one thread column per output, 8 threads down
//   the reduced axis, combined in a fixed tree.
// sum_all runs sum_rows_fwd_f32 twice: first over fixed chunks of
// SUM_ALL_CHUNK elements (crates/cuda/src/device/reduce.rs; so the number
// of partial sums depends on the size alone), then over the partials.

// -infinity (NVRTC has no <math.h> INFINITY macro).
#define NEG_INF __int_as_float(0xff800000u)

// ---- combining ------------------------------------------------------------

// The CPU's max (crates/tensor/src/element.rs): the first operand wins ties.
__device__ __forceinline__ float max_first(float a, float b) { return a >= b ? a : b; }

template <bool MAX>
__device__ __forceinline__ float combine(float a, float b) {
    return MAX ? max_first(a, b) : a + b;
}

template <bool MAX>
__device__ __forceinline__ float identity() {
    return MAX ? NEG_INF : 0.0f;
}

// Combines `v` across the block (blockDim.x a power of two, 32..1024) in a
// fixed butterfly order; every thread receives the result. `scratch` holds
// one value per warp. Ends with a barrier, so scratch may be reused at once.
template <bool MAX>
__device__ __forceinline__ float block_combine(float v, float* scratch) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        v = combine<MAX>(v, __shfl_xor_sync(0xffffffffu, v, off));
    }
    const int warps = blockDim.x / 32;
    if (warps == 1) {
        return v;
    }
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    v = lane < warps ? scratch[lane] : identity<MAX>();
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        v = combine<MAX>(v, __shfl_xor_sync(0xffffffffu, v, off));
    }
    __syncthreads();
    return v;
}

// ---- along the last axis: one block per output ----------------------------

// out[r] = combine of x[r * len + a] for a in 0..len with r * len + a < total.
// Block (blockDim.x threads, a power of two chosen from len by the host):
// thread t folds a = t, t + blockDim.x, ... in order, then block_combine.
// Rows beyond gridDim.x are taken by the same block in a loop.
// `total` lets sum_all use a short last chunk: it is outer * len otherwise.
template <bool MAX>
__device__ __forceinline__ void reduce_rows(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned long long total) {
    __shared__ float scratch[32];
    for (unsigned int r = blockIdx.x; r < outer; r += gridDim.x) {
        const unsigned long long start = (unsigned long long)r * len;
        const unsigned long long end = min(start + len, total);
        float acc = identity<MAX>();
        for (unsigned long long i = start + threadIdx.x; i < end; i += blockDim.x) {
            acc = combine<MAX>(acc, x[i]);
        }
        acc = block_combine<MAX>(acc, scratch);
        if (threadIdx.x == 0) {
            out[r] = acc;
        }
    }
}

// Sum of each row (see reduce_rows).
extern "C" __global__ void sum_rows_fwd_f32(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned long long total) {
    reduce_rows<false>(x, out, outer, len, total);
}
// Max of each row (see reduce_rows).
extern "C" __global__ void max_rows_fwd_f32(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned long long total) {
    reduce_rows<true>(x, out, outer, len, total);
}

// ---- along a middle axis: columns -----------------------------------------

#define COLS_X 32
#define COLS_Y 8

// out[o, i] = combine over a of x[o, a, i]. Block (32, 8): threadIdx.x picks
// the column i (32 adjacent columns: coalesced reads), threadIdx.y the
// starting a; each thread folds a = y, y + 8, ... in order, then the 8
// partial results of a column are combined in a fixed tree through shared
// memory. grid = (ceil(inner / 32), min(outer, 65535)); blocks loop over o.
template <bool MAX>
__device__ __forceinline__ void reduce_cols(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned int inner) {
    __shared__ float part[COLS_Y][COLS_X + 1];
    const unsigned int i = blockIdx.x * COLS_X + threadIdx.x;
    for (unsigned int o = blockIdx.y; o < outer; o += gridDim.y) {
        float acc = identity<MAX>();
        if (i < inner) {
            const float* base = x + (unsigned long long)o * len * inner + i;
            for (unsigned int a = threadIdx.y; a < len; a += COLS_Y) {
                acc = combine<MAX>(acc, base[(unsigned long long)a * inner]);
            }
        }
        part[threadIdx.y][threadIdx.x] = acc;
        __syncthreads();
#pragma unroll
        for (int half = COLS_Y / 2; half > 0; half >>= 1) {
            if (threadIdx.y < half) {
                part[threadIdx.y][threadIdx.x] = combine<MAX>(part[threadIdx.y][threadIdx.x], part[threadIdx.y + half][threadIdx.x]);
            }
            __syncthreads();
        }
        if (threadIdx.y == 0 && i < inner) {
            out[(unsigned long long)o * inner + i] = part[0][threadIdx.x];
        }
        __syncthreads();
    }
}

// Sum along the middle axis (see reduce_cols).
extern "C" __global__ void sum_cols_fwd_f32(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned int inner) {
    reduce_cols<false>(x, out, outer, len, inner);
}
// Max along the middle axis (see reduce_cols).
extern "C" __global__ void max_cols_fwd_f32(const float* __restrict__ x, float* __restrict__ out, unsigned int outer, unsigned int len,
                                            unsigned int inner) {
    reduce_cols<true>(x, out, outer, len, inner);
}

// ---- row softmax ----------------------------------------------------------

// softmax: y = e^(x - m) / sum e^(x - m), m the row max (so no e^x overflows).
// log-softmax: y = x - (m + ln sum e^(x - m)).
// One block per row (blockDim.x a power of two from cols, as for
// reduce_rows), blocks loop over rows: pass 1 the row max, pass 2 the sum of
// exponentials (both with block_combine), pass 3 writes. The row is read
// three times; rows of a few thousand floats stay in L1/L2 between passes.
template <bool LOG>
__device__ __forceinline__ void softmax_rows(const float* __restrict__ x, float* __restrict__ y, unsigned int rows, unsigned int cols) {
    __shared__ float scratch[32];
    for (unsigned int r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = x + (unsigned long long)r * cols;
        float* out = y + (unsigned long long)r * cols;
        float m = NEG_INF;
        for (unsigned int c = threadIdx.x; c < cols; c += blockDim.x) {
            m = max_first(m, row[c]);
        }
        m = block_combine<true>(m, scratch);
        float s = 0.0f;
        for (unsigned int c = threadIdx.x; c < cols; c += blockDim.x) {
            s += expf(row[c] - m);
        }
        s = block_combine<false>(s, scratch);
        if (LOG) {
            const float lse = m + logf(s);
            for (unsigned int c = threadIdx.x; c < cols; c += blockDim.x) {
                out[c] = row[c] - lse;
            }
        } else {
            const float inv = 1.0f / s;
            for (unsigned int c = threadIdx.x; c < cols; c += blockDim.x) {
                out[c] = expf(row[c] - m) * inv;
            }
        }
    }
}

// Row softmax (see softmax_rows).
extern "C" __global__ void softmax_rows_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned int rows, unsigned int cols) {
    softmax_rows<false>(x, y, rows, cols);
}
// Row log-softmax (see softmax_rows).
extern "C" __global__ void log_softmax_rows_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned int rows, unsigned int cols) {
    softmax_rows<true>(x, y, rows, cols);
}
