// layout.cu: moving data without arithmetic: filling a buffer, reading a
// tensor through strides (permute and broadcast_to are both this), and
// gathering whole rows (mini-batches). Rust side:
// crates/cuda/src/device/layout.rs; CPU reference:
// crates/tensor/src/cpu/layout.rs.

#define MAX_RANK 6

// Mirrors `StridedIndex` in crates/cuda/src/params.rs (also declared in
// elementwise.cu; each .cu file is compiled on its own). Only a_strides is
// read here.
struct StridedIndex {
    unsigned int rank;
    unsigned int dims[MAX_RANK];
    unsigned int a_strides[MAX_RANK];
    unsigned int b_strides[MAX_RANK];
};

__device__ __forceinline__ unsigned long long thread_id() {
    return (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ unsigned long long thread_count() {
    return (unsigned long long)gridDim.x * blockDim.x;
}

// y[i] = value for i < n. One thread per float4 group (grid-stride); the
// n % 4 leftovers go to the first threads.
extern "C" __global__ void fill_fwd_f32(float* __restrict__ y, unsigned long long n, float value) {
    float4* y4 = reinterpret_cast<float4*>(y);
    const float4 v = make_float4(value, value, value, value);
    for (unsigned long long i = thread_id(); i < n / 4; i += thread_count()) {
        y4[i] = v;
    }
    for (unsigned long long i = (n / 4) * 4 + thread_id(); i < n; i += thread_count()) {
        y[i] = value;
    }
}

// y[i] = x[sum over axes of coord(i, ax) * s.a_strides[ax]], where coord(i, ax)
// are the coordinates of i in the row-major shape s.dims. permute passes the
// input strides in the new axis order; broadcast_to passes stride 0 on the
// stretched axes. One thread per output element (grid-stride): the writes
// are coalesced, the reads are whatever the strides make them.
extern "C" __global__ void gather_strided_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, StridedIndex s) {
    for (unsigned long long e = thread_id(); e < n; e += thread_count()) {
        unsigned int i = (unsigned int)e;
        unsigned int off = 0;
#pragma unroll
        for (int ax = MAX_RANK - 1; ax >= 0; --ax) {
            if (ax < (int)s.rank) {
                off += (i % s.dims[ax]) * s.a_strides[ax];
                i /= s.dims[ax];
            }
        }
        y[e] = x[off];
    }
}

// y[r][c] = x[rows[r]][c] for r < nrows, c < row_len. One thread per output
// element (grid-stride): consecutive threads copy consecutive elements of a
// row.
extern "C" __global__ void gather_rows_fwd_f32(const float* __restrict__ x, const unsigned int* __restrict__ rows, float* __restrict__ y,
                                               unsigned int nrows, unsigned int row_len) {
    const unsigned long long n = (unsigned long long)nrows * row_len;
    for (unsigned long long e = thread_id(); e < n; e += thread_count()) {
        const unsigned long long r = e / row_len;
        const unsigned long long c = e % row_len;
        y[e] = x[(unsigned long long)rows[r] * row_len + c];
    }
}
