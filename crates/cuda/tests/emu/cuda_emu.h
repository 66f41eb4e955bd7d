// cuda_emu.h: just enough of CUDA C++ to run kernels/*.cu on the CPU, so the
// kernels' index arithmetic, tiling, barriers and edge handling are executed
// and checked on machines without a GPU (crates/cuda/tests/emulated.rs).
//
// Model: a launch runs its blocks one after another; within a block every
// CUDA thread is a fiber (ucontext) on one OS thread, and __syncthreads()
// switches to the next fiber, so all threads of the block run up to the
// barrier before any runs past it, round robin. (Fibers rather than OS
// threads: a barrier costs a few hundred nanoseconds instead of hundreds of
// futex wake-ups.) __shared__ becomes `static`: one block runs at a time, so
// a function-local static array is exactly that block's shared memory.
// __shfl_xor_sync goes through a block-wide exchange array with barriers,
// which is only right when every thread of the block makes the call
// together (true of our kernels, which use it in block-wide reductions only).
//
// The barrier is checked: if some threads of a block finish while others
// wait at a __syncthreads (a barrier in divergent code), the launch aborts.
//
// What this does NOT check: the GPU's memory model, warp-synchronous
// behaviour, performance, or the float rounding of the GPU's math library
// (expf and friends come from the host's libm here).

#pragma once

#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <vector>

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

struct alignas(16) float4 {
    float x, y, z, w;
};
inline float4 make_float4(float a, float b, float c, float d) { return float4{a, b, c, d}; }

namespace emu {
inline dim3 thread_idx, block_idx, block_dim, grid_dim;
inline float exchange[1024];
// The scheduler's context and the running fiber's.
inline ucontext_t scheduler;
inline ucontext_t* current = nullptr;
}  // namespace emu

#define threadIdx emu::thread_idx
#define blockIdx emu::block_idx
#define blockDim emu::block_dim
#define gridDim emu::grid_dim
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

using std::max;
using std::min;

inline void __syncthreads() { swapcontext(emu::current, &emu::scheduler); }

inline float __shfl_xor_sync(unsigned int, float v, int lane_mask) {
    const unsigned int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    emu::exchange[t] = v;
    __syncthreads();
    const float r = emu::exchange[t ^ (unsigned int)lane_mask];
    __syncthreads();
    return r;
}

inline float __int_as_float(unsigned int u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((unsigned long long)a * b) >> 32); }
inline void sincospif(float x, float* s, float* c) {
    const double a = 3.14159265358979323846 * (double)x;
    *s = (float)std::sin(a);
    *c = (float)std::cos(a);
}

namespace emu {
// The kernel call of the launch in progress (fibers start with no arguments).
inline void (*body)() = nullptr;
inline bool ended = false;
inline void fiber_main() {
    body();
    ended = true;
}
}  // namespace emu

// Runs kernel `k` over `grid` x `block` threads with `args`: block after
// block, each block's threads as fibers switched at every __syncthreads.
template <class... P, class... A>
void launch(void (*k)(P...), dim3 grid, dim3 block, A... args) {
    const unsigned int n = block.x * block.y * block.z;
    // Fiber stacks, allocated once for the largest block and reused (fresh
    // memory per launch would cost a page fault per 4 KiB every time).
    const size_t stack_size = 64 * 1024;
    static std::vector<char> stacks;
    if (stacks.size() < (size_t)n * stack_size) {
        stacks.resize((size_t)n * stack_size);
    }
    emu::grid_dim = grid;
    emu::block_dim = block;
    static void (*kernel)(P...);
    static std::tuple<A...> saved;
    kernel = k;
    saved = std::tuple<A...>(args...);
    emu::body = [] { std::apply(kernel, saved); };
    std::vector<ucontext_t> ctx(n);
    std::vector<int> done(n);
    for (unsigned int z = 0; z < grid.z; ++z) {
        for (unsigned int y = 0; y < grid.y; ++y) {
            for (unsigned int x = 0; x < grid.x; ++x) {
                emu::block_idx = dim3{x, y, z};
                for (unsigned int t = 0; t < n; ++t) {
                    getcontext(&ctx[t]);
                    ctx[t].uc_stack.ss_sp = &stacks[(size_t)t * stack_size];
                    ctx[t].uc_stack.ss_size = stack_size;
                    ctx[t].uc_link = &emu::scheduler;
                    makecontext(&ctx[t], emu::fiber_main, 0);
                    done[t] = 0;
                }
                // Round robin: every live thread runs to its next barrier (or
                // to its end); a finished thread returns through uc_link.
                for (unsigned int live = n; live > 0;) {
                    unsigned int finished = 0, waiting = 0;
                    for (unsigned int t = 0; t < n; ++t) {
                        if (done[t]) {
                            continue;
                        }
                        emu::thread_idx = dim3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
                        emu::current = &ctx[t];
                        emu::ended = false;  // set by fiber_main when the kernel returns
                        swapcontext(&emu::scheduler, &ctx[t]);
                        if (emu::ended) {
                            done[t] = 1;
                            ++finished;
                        } else {
                            ++waiting;
                        }
                    }
                    live -= finished;
                    if (finished > 0 && waiting > 0) {
                        std::fprintf(stderr, "cuda_emu: a __syncthreads() that not every thread of the block reaches\n");
                        std::abort();
                    }
                }
            }
        }
    }
}
