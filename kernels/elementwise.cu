// elementwise.cu: functions applied to every element of a buffer.
//
// Compiled at run time by NVRTC (crates/cuda/src/device/compile.rs) and
// checked by `cargo xtask kernels` (NVRTC to PTX, then ptxas for sm_90).
// The Rust side lives in crates/cuda/src/device/elementwise.rs; the CPU
// reference it is tested against is crates/tensor/src/cpu/elementwise.rs.
//
// Every formula below is written exactly as the CPU backend writes it (same
// comparisons, same branch for the stable sigmoid and softplus), so the only
// differences between CPU and GPU results are the last-bit differences of
// the math library (expf, logf, tanhf, powf).
//
// Work split. Contiguous kernels (`map1`, `map2`): a grid-stride loop over
// float4 groups, so each thread moves 16 bytes per load and the loop covers
// any size with any grid; the n % 4 leftover elements are done by the first
// threads. All our buffers start at a cudaMalloc address (256-byte aligned),
// which makes the float4 reinterpretation valid. Broadcasting kernels: one
// thread per output element, the element's coordinates recovered from its
// flat index by dividing by the output dims (rank <= 6 after the host merges
// axes that can be read as one, crates/cuda/src/plan.rs).
//
// Entry points are named <op>_<pass>_f32 (pass: fwd, bwd, fwd_bwd).

// ---- shared helpers -------------------------------------------------------

#define MAX_RANK 6

// Mirrors `StridedIndex` in crates/cuda/src/params.rs (a test compares the
// two field by field). Output dims, and per operand the stride (in elements)
// to step when that output coordinate grows by one; stride 0 = broadcast.
struct StridedIndex {
    unsigned int rank;
    unsigned int dims[MAX_RANK];
    unsigned int a_strides[MAX_RANK];
    unsigned int b_strides[MAX_RANK];
};

// Offsets into a and b of output element `i` (row-major over dims).
__device__ __forceinline__ void strided_offsets(const StridedIndex& s, unsigned int i, unsigned int& oa, unsigned int& ob) {
    oa = 0;
    ob = 0;
#pragma unroll
    for (int ax = MAX_RANK - 1; ax >= 0; --ax) {
        if (ax < (int)s.rank) {
            unsigned int d = s.dims[ax];
            unsigned int c = i % d;
            i /= d;
            oa += c * s.a_strides[ax];
            ob += c * s.b_strides[ax];
        }
    }
}

__device__ __forceinline__ unsigned long long thread_id() {
    return (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ unsigned long long thread_count() {
    return (unsigned long long)gridDim.x * blockDim.x;
}

// y[i] = f(x[i]) for i < n, float4 at a time.
template <class F>
__device__ __forceinline__ void map1(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, F f) {
    const unsigned long long n4 = n / 4;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    float4* y4 = reinterpret_cast<float4*>(y);
    for (unsigned long long i = thread_id(); i < n4; i += thread_count()) {
        float4 v = x4[i];
        v.x = f(v.x);
        v.y = f(v.y);
        v.z = f(v.z);
        v.w = f(v.w);
        y4[i] = v;
    }
    for (unsigned long long i = n4 * 4 + thread_id(); i < n; i += thread_count()) {
        y[i] = f(x[i]);
    }
}

// out[i] = f(a[i], b[i]) for i < n, float4 at a time.
template <class F>
__device__ __forceinline__ void map2(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, F f) {
    const unsigned long long n4 = n / 4;
    const float4* a4 = reinterpret_cast<const float4*>(a);
    const float4* b4 = reinterpret_cast<const float4*>(b);
    float4* o4 = reinterpret_cast<float4*>(out);
    for (unsigned long long i = thread_id(); i < n4; i += thread_count()) {
        float4 u = a4[i];
        float4 v = b4[i];
        o4[i] = make_float4(f(u.x, v.x), f(u.y, v.y), f(u.z, v.z), f(u.w, v.w));
    }
    for (unsigned long long i = n4 * 4 + thread_id(); i < n; i += thread_count()) {
        out[i] = f(a[i], b[i]);
    }
}

// out = f(a, b) with numpy broadcasting. `s.rank == 0` means both operands
// are contiguous with the output's shape (the host found no broadcasting), so
// the float4 path runs; otherwise each output element reads through strides.
template <class F>
__device__ __forceinline__ void broadcast2(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n,
                                           const StridedIndex& s, F f) {
    if (s.rank == 0) {
        map2(a, b, out, n, f);
        return;
    }
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        unsigned int oa, ob;
        strided_offsets(s, (unsigned int)i, oa, ob);
        out[i] = f(a[oa], b[ob]);
    }
}

// The CPU backend's max/min (crates/tensor/src/element.rs): the first operand
// wins ties, so -0 and +0 and NaN behave exactly as on the CPU.
__device__ __forceinline__ float max_first(float a, float b) { return a >= b ? a : b; }
__device__ __forceinline__ float min_first(float a, float b) { return a <= b ? a : b; }

// 1 / (1 + e^-x), through e^x / (1 + e^x) for x < 0 so that e^-x never overflows.
__device__ __forceinline__ float sigmoid(float x) {
    if (x >= 0.0f) {
        return 1.0f / (1.0f + expf(-x));
    }
    float e = expf(x);
    return e / (1.0f + e);
}

// ---- unary: y = f(x), parameters p0, p1 where the op has them -------------
//
// Signature of every unary kernel:
//   (const float* x, float* y, unsigned long long n, float p0, float p1)
// One thread per float4 group (grid-stride), see map1.

// y = -x
extern "C" __global__ void neg_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return -v; });
}
// y = e^x
extern "C" __global__ void exp_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return expf(v); });
}
// y = ln x
extern "C" __global__ void log_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return logf(v); });
}
// y = sqrt x (IEEE-rounded: NVRTC's default --prec-sqrt=true)
extern "C" __global__ void sqrt_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return sqrtf(v); });
}
// y = x^2
extern "C" __global__ void square_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return v * v; });
}
// y = |x|
extern "C" __global__ void abs_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return fabsf(v); });
}
// y = 1 / x (IEEE-rounded: NVRTC's default --prec-div=true)
extern "C" __global__ void recip_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return 1.0f / v; });
}
// y = max(x, 0)
extern "C" __global__ void relu_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return v > 0.0f ? v : 0.0f; });
}
// y = 1 / (1 + e^-x), stable for large |x|
extern "C" __global__ void sigmoid_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return sigmoid(v); });
}
// y = tanh x
extern "C" __global__ void tanh_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return tanhf(v); });
}
// y = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|)
extern "C" __global__ void softplus_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return max_first(v, 0.0f) + log1pf(expf(-fabsf(v))); });
}
// y = 1 where x > 0, else 0 (relu')
extern "C" __global__ void step_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return v > 0.0f ? 1.0f : 0.0f; });
}
// y = -1, 0, 1 by the sign of x (|x|')
extern "C" __global__ void sign_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); });
}
// y = x + p0
extern "C" __global__ void add_scalar_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [=](float v) { return v + p0; });
}
// y = p0 * x (written x * p0, as the CPU does)
extern "C" __global__ void mul_scalar_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [=](float v) { return v * p0; });
}
// y = x^p0 (the host sends p0 = 2 to square_fwd_f32 instead, as the CPU does)
extern "C" __global__ void powf_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [=](float v) { return powf(v, p0); });
}
// y = min(max(x, p0), p1)
extern "C" __global__ void clamp_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [=](float v) { return min_first(max_first(v, p0), p1); });
}
// y = 1 where p0 <= x <= p1, else 0 (clamp')
extern "C" __global__ void in_range_fwd_f32(const float* __restrict__ x, float* __restrict__ y, unsigned long long n, float p0, float p1) {
    map1(x, y, n, [=](float v) { return (v >= p0 && v <= p1) ? 1.0f : 0.0f; });
}

// ---- binary: out = f(a, b), numpy broadcasting ----------------------------
//
// Signature of every binary kernel:
//   (const float* a, const float* b, float* out, unsigned long long n, StridedIndex s)
// n = output elements. One thread per output element (or float4 group when
// s.rank == 0), grid-stride; see broadcast2.

// out = a + b
extern "C" __global__ void add_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return x + y; });
}
// out = a - b
extern "C" __global__ void sub_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return x - y; });
}
// out = a * b
extern "C" __global__ void mul_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return x * y; });
}
// out = a / b
extern "C" __global__ void div_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return x / y; });
}
// out = max(a, b), a on ties
extern "C" __global__ void max_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return max_first(x, y); });
}
// out = min(a, b), a on ties
extern "C" __global__ void min_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return min_first(x, y); });
}
// out = 1 where a == b, else 0
extern "C" __global__ void eq_fwd_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out, unsigned long long n, StridedIndex s) {
    broadcast2(a, b, out, n, s, [](float x, float y) { return x == y ? 1.0f : 0.0f; });
}

// ---- fused forms: one pass over memory instead of two or three ------------

// Activation codes shared by bias_act_fwd_f32 and act_bwd_f32; mirrored by
// `Activation` in crates/cuda/src/params.rs.
#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3

__device__ __forceinline__ float activate(int act, float v) {
    switch (act) {
        case ACT_RELU: return v > 0.0f ? v : 0.0f;
        case ACT_SIGMOID: return sigmoid(v);
        case ACT_TANH: return tanhf(v);
        default: return v;
    }
}

// y[r, c] = act(x[r, c] + bias[c]) for a rows x cols matrix: a dense layer's
// bias add and activation in one pass (the unfused form reads and writes the
// matrix twice). One thread per float4 group of y when cols % 4 == 0 (a
// group never straddles two rows then), else one per element; grid-stride.
extern "C" __global__ void bias_act_fwd_f32(const float* __restrict__ x, const float* __restrict__ bias, float* __restrict__ y, unsigned int rows,
                                            unsigned int cols, int act) {
    const unsigned long long n = (unsigned long long)rows * cols;
    if ((cols & 3) == 0) {
        const float4* x4 = reinterpret_cast<const float4*>(x);
        float4* y4 = reinterpret_cast<float4*>(y);
        for (unsigned long long i = thread_id(); i < n / 4; i += thread_count()) {
            const unsigned int c = (unsigned int)((i * 4) % cols);
            float4 v = x4[i];
            v.x = activate(act, v.x + bias[c]);
            v.y = activate(act, v.y + bias[c + 1]);
            v.z = activate(act, v.z + bias[c + 2]);
            v.w = activate(act, v.w + bias[c + 3]);
            y4[i] = v;
        }
        return;
    }
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        y[i] = activate(act, x[i] + bias[i % cols]);
    }
}

// dx = dy * act'(.) expressed through the activation's output y, so the
// backward pass needs no copy of the pre-activation:
// relu' = (y > 0), sigmoid' = y (1 - y), tanh' = 1 - y^2, identity' = 1.
// One thread per element, grid-stride.
extern "C" __global__ void act_bwd_f32(const float* __restrict__ y, const float* __restrict__ dy, float* __restrict__ dx, unsigned long long n, int act) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        const float v = y[i];
        float d;
        switch (act) {
            case ACT_RELU: d = v > 0.0f ? 1.0f : 0.0f; break;
            case ACT_SIGMOID: d = v * (1.0f - v); break;
            case ACT_TANH: d = 1.0f - v * v; break;
            default: d = 1.0f;
        }
        dx[i] = dy[i] * d;
    }
}

// The squared-error loss and its gradient in one pass:
// sq[i] = (p[i] - t[i])^2 (summed afterwards by sum_rows_fwd_f32 for the loss)
// grad[i] = scale * (p[i] - t[i]) (scale = 2 / n for the mean).
// One thread per element, grid-stride.
extern "C" __global__ void mse_fwd_bwd_f32(const float* __restrict__ pred, const float* __restrict__ target, float* __restrict__ sq,
                                           float* __restrict__ grad, unsigned long long n, float scale) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        const float d = pred[i] - target[i];
        sq[i] = d * d;
        grad[i] = scale * d;
    }
}
