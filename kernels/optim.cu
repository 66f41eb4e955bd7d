// optim.cu: the optimizers' parameter updates, each fused into one kernel per
// parameter tensor: the unfused form (crates/nn/src/optim/) makes about ten
// passes over memory per parameter, these make one. Rust side:
// crates/cuda/src/device/optim.rs; the parameter structs are mirrored by
// `#[repr(C)]` structs in crates/cuda/src/params.rs, and a test there parses
// this file and compares the field names and offsets.
//
// The formulas are Keras', as in crates/nn/src/optim/: epsilon goes outside
// the square root (Keras and burn; dfdx puts it inside), and Adam's bias
// correction is folded into the step size on the host:
//   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t).
// The host also sends 1 - beta as its own field, computed in f64 and rounded
// once, exactly as the CPU path rounds it.
//
// Work split: one thread per element (grid-stride); the state buffers are
// updated in place.

// Adam: m <- beta1 m + (1 - beta1) g; v <- beta2 v + (1 - beta2) g^2;
// w <- w - lr_t m / (sqrt(v) + epsilon).
struct AdamParams {
    float lr_t;
    float beta1;
    float one_minus_beta1;
    float beta2;
    float one_minus_beta2;
    float epsilon;
};

// RMSprop: s <- rho s + (1 - rho) g^2; w <- w - lr g / (sqrt(s) + epsilon).
struct RmsPropParams {
    float lr;
    float rho;
    float one_minus_rho;
    float epsilon;
};

// SGD with momentum: v <- momentum v - lr g; w <- w + v.
// Without momentum (sgd_step_f32, no velocity buffer): w <- w - lr g.
struct SgdParams {
    float lr;
    float momentum;
};

__device__ __forceinline__ unsigned long long thread_id() {
    return (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ unsigned long long thread_count() {
    return (unsigned long long)gridDim.x * blockDim.x;
}

// One Adam step on n weights w with gradient g and moments m, v (in place).
extern "C" __global__ void adam_step_f32(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v,
                                         unsigned long long n, AdamParams p) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        const float gi = g[i];
        const float mi = m[i] * p.beta1 + gi * p.one_minus_beta1;
        const float vi = v[i] * p.beta2 + (gi * gi) * p.one_minus_beta2;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] - (mi / (sqrtf(vi) + p.epsilon)) * p.lr_t;
    }
}

// One RMSprop step on n weights w with gradient g and mean square s (in place).
extern "C" __global__ void rmsprop_step_f32(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ s, unsigned long long n,
                                            RmsPropParams p) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        const float gi = g[i];
        const float si = s[i] * p.rho + (gi * gi) * p.one_minus_rho;
        s[i] = si;
        w[i] = w[i] - (gi / (sqrtf(si) + p.epsilon)) * p.lr;
    }
}

// One SGD step with momentum on n weights w, gradient g, velocity vel (in place).
extern "C" __global__ void sgd_momentum_step_f32(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ vel, unsigned long long n,
                                                 SgdParams p) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        const float vi = vel[i] * p.momentum - g[i] * p.lr;
        vel[i] = vi;
        w[i] = w[i] + vi;
    }
}

// One plain SGD step (no momentum, no state): w <- w - lr g; p.momentum is ignored.
extern "C" __global__ void sgd_step_f32(float* __restrict__ w, const float* __restrict__ g, unsigned long long n, SgdParams p) {
    for (unsigned long long i = thread_id(); i < n; i += thread_count()) {
        w[i] = w[i] - g[i] * p.lr;
    }
}
