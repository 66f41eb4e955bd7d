// window.cu: sliding 2-D windows over NCHW tensors: im2col (convolution as a
// GEMM), its adjoint col2im, and max pooling forward and backward.
// Rust side: crates/cuda/src/device/window.rs; CPU reference and the
// geometry: crates/tensor/src/cpu/window.rs and crates/tensor/src/window.rs.
//
// Geometry: output (oy, ox) reads input row oy * stride - pad_top + i and
// column ox * stride - pad_left + j for kernel offsets (i, j); anything
// outside the input is padding (zero for im2col, never the max for pooling).
//
// Determinism: the two backward kernels (col2im, max_pool2d_bwd) are written
// as gathers, one thread per *input* element summing the contributions that
// land on it in a fixed order, so no two threads ever write the same address
// and no atomics are needed. The order is the CPU backend's order, so these
// sums even match the CPU bit for bit.
//
// Indexing uses 32-bit unsigned integers: the host refuses tensors of 2^32
// elements or more (crates/cuda/src/device/window.rs).

// -infinity (NVRTC has no <math.h> INFINITY macro).
#define NEG_INF __int_as_float(0xff800000u)

// Mirrors `WindowGeom` in crates/cuda/src/params.rs (Window2d as u32s).
struct WindowGeom {
    unsigned int batch;
    unsigned int channels;
    unsigned int height;
    unsigned int width;
    unsigned int kernel_h;
    unsigned int kernel_w;
    unsigned int stride;
    unsigned int pad_top;
    unsigned int pad_left;
    unsigned int out_h;
    unsigned int out_w;
};

__device__ __forceinline__ unsigned int thread_id() { return blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ unsigned int thread_count() { return gridDim.x * blockDim.x; }

// First and last output index whose window (size k, stride s, leading pad p)
// covers input position y: oy * s - p <= y <= oy * s - p + k - 1, clipped to
// [0, out). Returns false when there is none.
__device__ __forceinline__ bool covering(int y, int k, int s, int p, int out, int& lo, int& hi) {
    const int top = y + p;          // oy * s <= top
    const int bottom = top - k + 1; // oy * s >= bottom
    lo = bottom <= 0 ? 0 : (bottom + s - 1) / s;
    hi = min(top / s, out - 1);
    return lo <= hi;
}

// cols[n][(c * kh + i) * kw + j][oy * out_w + ox] = x[n][c][iy][ix] or 0 in the
// padding. One thread per element of cols (grid-stride), consecutive threads
// on consecutive ox: the writes are coalesced, the reads strided by `stride`.
extern "C" __global__ void im2col_fwd_f32(const float* __restrict__ x, float* __restrict__ cols, WindowGeom g) {
    const unsigned int olen = g.out_h * g.out_w;
    const unsigned int plen = g.channels * g.kernel_h * g.kernel_w;
    const unsigned int total = g.batch * plen * olen;
    for (unsigned int e = thread_id(); e < total; e += thread_count()) {
        const unsigned int ox = e % g.out_w;
        unsigned int t = e / g.out_w;
        const unsigned int oy = t % g.out_h;
        t /= g.out_h;
        const unsigned int row = t % plen;
        const unsigned int n = t / plen;
        const unsigned int j = row % g.kernel_w;
        const unsigned int i = (row / g.kernel_w) % g.kernel_h;
        const unsigned int c = row / (g.kernel_w * g.kernel_h);
        const int iy = (int)(oy * g.stride + i) - (int)g.pad_top;
        const int ix = (int)(ox * g.stride + j) - (int)g.pad_left;
        float v = 0.0f;
        if (iy >= 0 && iy < (int)g.height && ix >= 0 && ix < (int)g.width) {
            v = x[((n * g.channels + c) * g.height + iy) * g.width + ix];
        }
        cols[e] = v;
    }
}

// The adjoint of im2col: x[n][c][y][x] = sum of every cols entry read from
// that position. One thread per input element (grid-stride) gathers over
// kernel offsets i, then j, ascending (at most one window position per
// offset pair), which is the CPU's order of additions.
extern "C" __global__ void col2im_fwd_f32(const float* __restrict__ cols, float* __restrict__ x, WindowGeom g) {
    const unsigned int olen = g.out_h * g.out_w;
    const unsigned int plen = g.channels * g.kernel_h * g.kernel_w;
    const unsigned int total = g.batch * g.channels * g.height * g.width;
    for (unsigned int e = thread_id(); e < total; e += thread_count()) {
        const int px = (int)(e % g.width);
        unsigned int t = e / g.width;
        const int py = (int)(t % g.height);
        t /= g.height;
        const unsigned int c = t % g.channels;
        const unsigned int n = t / g.channels;
        const float* base = cols + (unsigned long long)n * plen * olen;
        float acc = 0.0f;
        for (unsigned int i = 0; i < g.kernel_h; ++i) {
            const int ty = py + (int)g.pad_top - (int)i;  // = oy * stride
            if (ty < 0 || ty % (int)g.stride != 0 || ty / (int)g.stride >= (int)g.out_h) {
                continue;
            }
            const unsigned int oy = ty / g.stride;
            for (unsigned int j = 0; j < g.kernel_w; ++j) {
                const int tx = px + (int)g.pad_left - (int)j;
                if (tx < 0 || tx % (int)g.stride != 0 || tx / (int)g.stride >= (int)g.out_w) {
                    continue;
                }
                const unsigned int ox = tx / g.stride;
                const unsigned int row = (c * g.kernel_h + i) * g.kernel_w + j;
                acc += base[row * olen + oy * g.out_w + ox];
            }
        }
        x[e] = acc;
    }
}

// y[n][c][oy][ox] = max over the window, idx = flat input index of the first
// maximum (row-major scan; strict > keeps the first; the first real element
// always replaces the -inf start, so padding never wins). One thread per
// output element, grid-stride.
extern "C" __global__ void max_pool2d_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned int* __restrict__ idx, WindowGeom g) {
    const unsigned int olen = g.out_h * g.out_w;
    const unsigned int total = g.batch * g.channels * olen;
    for (unsigned int e = thread_id(); e < total; e += thread_count()) {
        const unsigned int ox = e % g.out_w;
        const unsigned int oy = (e / g.out_w) % g.out_h;
        const unsigned int plane = e / olen;
        const unsigned int base = plane * g.height * g.width;
        float best = NEG_INF;
        unsigned int at = 0xffffffffu;
        for (unsigned int i = 0; i < g.kernel_h; ++i) {
            const int iy = (int)(oy * g.stride + i) - (int)g.pad_top;
            if (iy < 0 || iy >= (int)g.height) {
                continue;
            }
            for (unsigned int j = 0; j < g.kernel_w; ++j) {
                const int ix = (int)(ox * g.stride + j) - (int)g.pad_left;
                if (ix < 0 || ix >= (int)g.width) {
                    continue;
                }
                const unsigned int p = base + iy * g.width + ix;
                const float v = x[p];
                if (v > best || at == 0xffffffffu) {
                    best = v;
                    at = p;
                }
            }
        }
        y[e] = best;
        idx[e] = at;
    }
}

// dx[p] = sum of dy[o] over the outputs o whose argmax idx[o] is p. One
// thread per input element (grid-stride) visits only the windows that cover
// it (an argmax always lies inside its own window), in increasing o: the
// CPU's order.
extern "C" __global__ void max_pool2d_bwd_f32(const float* __restrict__ dy, const unsigned int* __restrict__ idx, float* __restrict__ dx, WindowGeom g) {
    const unsigned int olen = g.out_h * g.out_w;
    const unsigned int plane_len = g.height * g.width;
    const unsigned int total = g.batch * g.channels * plane_len;
    for (unsigned int e = thread_id(); e < total; e += thread_count()) {
        const int px = (int)(e % g.width);
        const int py = (int)((e / g.width) % g.height);
        const unsigned int plane = e / plane_len;
        float acc = 0.0f;
        int y_lo, y_hi, x_lo, x_hi;
        if (covering(py, g.kernel_h, g.stride, g.pad_top, g.out_h, y_lo, y_hi) &&
            covering(px, g.kernel_w, g.stride, g.pad_left, g.out_w, x_lo, x_hi)) {
            for (int oy = y_lo; oy <= y_hi; ++oy) {
                for (int ox = x_lo; ox <= x_hi; ++ox) {
                    const unsigned int o = plane * olen + oy * g.out_w + ox;
                    if (idx[o] == e) {
                        acc += dy[o];
                    }
                }
            }
        }
        dx[e] = acc;
    }
}
