// check.cpp: runs every kernel of kernels/*.cu on the CPU through
// cuda_emu.h and compares it with plain loops written from the kernels'
// documented formulas (the CPU backend's formulas). Built and run by
// crates/cuda/tests/emulated.rs; prints one line per failure and exits 1 if
// there was any.
//
// Outputs are filled with NaN before each launch (as the GPU tests poison
// them), so an element a kernel forgets to write is caught. Launch shapes
// are the ones the Rust side uses (crates/cuda/src/device/*.rs), plus small
// grids on purpose so that the grid-stride and batch loops run more than once.

#include <chrono>
#include <cstdio>
#include <utility>
#include <string>

#include "cuda_emu.h"

// Each file in its own namespace: they repeat small helpers (thread_id,
// max_first, StridedIndex) that would otherwise collide.
namespace k_elementwise {
#include "../../../../kernels/elementwise.cu"
}
namespace k_reduce {
#include "../../../../kernels/reduce.cu"
}
namespace k_gemm {
#include "../../../../kernels/gemm.cu"
}
namespace k_window {
#include "../../../../kernels/window.cu"
}
namespace k_layout {
#include "../../../../kernels/layout.cu"
}
namespace k_optim {
#include "../../../../kernels/optim.cu"
}
namespace k_random {
#include "../../../../kernels/random.cu"
}

static int failures = 0;
static int checks = 0;

static void fail(const std::string& what) {
    if (failures < 50) {
        std::printf("FAIL %s\n", what.c_str());
    }
    ++failures;
}

// A float buffer, 16-byte aligned (float4 accesses), NaN-filled by default.
struct Buf {
    std::vector<float4> store;
    size_t n;
    explicit Buf(size_t len, float fill = NAN) : store(len / 4 + 2), n(len) {
        for (size_t i = 0; i < n; ++i) {
            p()[i] = fill;
        }
    }
    float* p() { return reinterpret_cast<float*>(store.data()); }
    float& operator[](size_t i) { return p()[i]; }
};

// Deterministic values in [lo, hi).
static Buf values(size_t n, unsigned seed, float lo, float hi) {
    Buf b(n);
    unsigned long long s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; ++i) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = lo + (hi - lo) * (float)((s >> 40) & 0xffffff) / 16777216.0f;
    }
    return b;
}

static bool near(double got, double want, double tol) {
    if (std::isnan(want)) {
        return std::isnan(got);
    }
    return std::isfinite(got) && std::fabs(got - want) <= tol;
}

static void expect_near(const std::string& what, Buf& got, const std::vector<double>& want, const std::vector<double>& tol) {
    ++checks;
    for (size_t i = 0; i < want.size(); ++i) {
        if (!near(got[i], want[i], tol[i])) {
            fail(what + ": element " + std::to_string(i) + " = " + std::to_string(got[i]) + ", expected " + std::to_string(want[i]));
            return;
        }
    }
}

static void expect_exact(const std::string& what, Buf& got, const std::vector<float>& want) {
    ++checks;
    for (size_t i = 0; i < want.size(); ++i) {
        const bool same = (std::isnan(got[i]) && std::isnan(want[i])) || std::memcmp(&got[i], &want[i], 4) == 0;
        if (!same) {
            fail(what + ": element " + std::to_string(i) + " = " + std::to_string(got[i]) + ", expected " + std::to_string(want[i]));
            return;
        }
    }
}

static unsigned blocks_for(unsigned long long work, unsigned cap = 65536) {
    unsigned long long b = (work + 255) / 256;
    return (unsigned)std::max(1ull, std::min<unsigned long long>(b, cap));
}

// ---- gemm -------------------------------------------------------------------

static void test_gemm() {
    using namespace k_gemm;
    struct Case {
        unsigned batch, m, k, n;
        bool share_b;
        unsigned grid_z;  // 0 = batch
    };
    const Case cases[] = {{1, 1, 1, 1, false, 0},      {2, 17, 5, 33, true, 1},  {1, 130, 9, 129, false, 0}, {1, 128, 8, 128, false, 0},
                          {2, 132, 12, 136, false, 1}, {1, 3, 0, 5, false, 0},   {1, 36, 20, 4, false, 0},   {3, 20, 16, 132, true, 0},
                          {1, 4, 260, 8, false, 0}};
    typedef void (*Kernel)(const float*, const float*, float*, GemmShape);
    const Kernel v3[4] = {gemm_v3_nn_fwd_f32, gemm_v3_nt_fwd_f32, gemm_v3_tn_fwd_f32, gemm_v3_tt_fwd_f32};
    const Kernel v4[4] = {gemm_v4_nn_fwd_f32, gemm_v4_nt_fwd_f32, gemm_v4_tn_fwd_f32, gemm_v4_tt_fwd_f32};
    for (const Case& c : cases) {
        for (int layout = 0; layout < 4; ++layout) {
            const bool ta = layout >= 2, tb = layout % 2 == 1;
            GemmShape s{c.batch, c.m, c.n, c.k, ta, tb, (unsigned long long)c.m * c.k, c.share_b ? 0ull : (unsigned long long)c.k * c.n};
            Buf a = values((size_t)c.batch * c.m * c.k, 1, -1, 1);
            Buf b = values(c.share_b ? (size_t)c.k * c.n : (size_t)c.batch * c.k * c.n, 2, -1, 1);
            std::vector<double> want((size_t)c.batch * c.m * c.n), tol(want.size());
            for (unsigned bi = 0; bi < c.batch; ++bi) {
                for (unsigned i = 0; i < c.m; ++i) {
                    for (unsigned j = 0; j < c.n; ++j) {
                        double acc = 0, mag = 0;
                        for (unsigned p = 0; p < c.k; ++p) {
                            const float av = ta ? a[bi * s.a_batch_stride + (size_t)p * c.m + i] : a[bi * s.a_batch_stride + (size_t)i * c.k + p];
                            const float bv = tb ? b[bi * s.b_batch_stride + (size_t)j * c.k + p] : b[bi * s.b_batch_stride + (size_t)p * c.n + j];
                            acc += (double)av * bv;
                            mag += std::fabs((double)av * bv);
                        }
                        const size_t o = ((size_t)bi * c.m + i) * c.n + j;
                        want[o] = acc;
                        tol[o] = 1e-5 * mag + 1e-6;
                    }
                }
            }
            const unsigned gz = c.grid_z ? c.grid_z : c.batch;
            const std::string name = std::to_string(c.batch) + "x" + std::to_string(c.m) + "x" + std::to_string(c.k) + "x" +
                                     std::to_string(c.n) + (ta ? " A^T" : "") + (tb ? " B^T" : "");
            for (int v = 1; v <= 4; ++v) {
                const bool aligned = c.m % 4 == 0 && c.n % 4 == 0 && c.k % 4 == 0 && s.a_batch_stride % 4 == 0 && s.b_batch_stride % 4 == 0;
                if (v == 4 && !aligned) {
                    continue;
                }
                Buf out(want.size());
                if (v <= 2) {
                    launch(v == 1 ? gemm_v1_fwd_f32 : gemm_v2_fwd_f32, dim3{(c.n + 15) / 16, (c.m + 15) / 16, gz}, dim3{16, 16, 1}, a.p(), b.p(),
                           out.p(), s);
                } else {
                    launch(v == 3 ? v3[layout] : v4[layout], dim3{(c.n + 127) / 128, (c.m + 127) / 128, gz}, dim3{256, 1, 1}, a.p(), b.p(), out.p(), s);
                }
                expect_near("gemm v" + std::to_string(v) + " " + name, out, want, tol);
            }
        }
    }
}

// ---- reduce -------------------------------------------------------------------

static unsigned row_threads(unsigned len) {
    unsigned p = 1;
    while (p < len) {
        p <<= 1;
    }
    return std::min(256u, std::max(32u, p));
}

static void test_reduce() {
    using namespace k_reduce;
    // Rows (inner == 1), with a grid smaller than the row count.
    for (unsigned len : {1u, 3u, 33u, 1000u}) {
        const unsigned outer = 5;
        Buf x = values(outer * len, 3, -2, 2);
        Buf sum(outer), mx(outer);
        launch(sum_rows_fwd_f32, dim3{2, 1, 1}, dim3{row_threads(len), 1, 1}, x.p(), sum.p(), outer, len, (unsigned long long)outer * len);
        launch(max_rows_fwd_f32, dim3{outer, 1, 1}, dim3{row_threads(len), 1, 1}, x.p(), mx.p(), outer, len, (unsigned long long)outer * len);
        std::vector<double> ws(outer), tol(outer);
        std::vector<float> wm(outer);
        for (unsigned r = 0; r < outer; ++r) {
            double acc = 0, mag = 0;
            float m = -INFINITY;
            for (unsigned a = 0; a < len; ++a) {
                acc += x[r * len + a];
                mag += std::fabs(x[r * len + a]);
                m = std::max(m, x[r * len + a]);
            }
            ws[r] = acc;
            tol[r] = 1e-5 * mag + 1e-6;
            wm[r] = m;
        }
        expect_near("sum_rows len " + std::to_string(len), sum, ws, tol);
        expect_exact("max_rows len " + std::to_string(len), mx, wm);
    }
    // sum_all in two passes, as device/reduce.rs does it (chunks of 8192).
    {
        const unsigned n = 20000, chunk = 8192, parts = (n + chunk - 1) / chunk;
        Buf x = values(n, 4, -1, 1);
        Buf partial(parts), total(1);
        launch(sum_rows_fwd_f32, dim3{parts, 1, 1}, dim3{256, 1, 1}, x.p(), partial.p(), parts, chunk, (unsigned long long)n);
        launch(sum_rows_fwd_f32, dim3{1, 1, 1}, dim3{row_threads(parts), 1, 1}, partial.p(), total.p(), 1u, parts, (unsigned long long)parts);
        double acc = 0, mag = 0;
        for (unsigned i = 0; i < n; ++i) {
            acc += x[i];
            mag += std::fabs(x[i]);
        }
        expect_near("sum_all 20000", total, {acc}, {1e-5 * mag});
    }
    // Columns (inner > 1), grid y smaller than outer.
    for (unsigned inner : {2u, 70u}) {
        const unsigned outer = 3, len = 50;
        Buf x = values(outer * len * inner, 5, -2, 2);
        Buf sum(outer * inner), mx(outer * inner);
        launch(sum_cols_fwd_f32, dim3{(inner + 31) / 32, 2, 1}, dim3{32, 8, 1}, x.p(), sum.p(), outer, len, inner);
        launch(max_cols_fwd_f32, dim3{(inner + 31) / 32, outer, 1}, dim3{32, 8, 1}, x.p(), mx.p(), outer, len, inner);
        std::vector<double> ws(outer * inner), tol(outer * inner);
        std::vector<float> wm(outer * inner);
        for (unsigned o = 0; o < outer; ++o) {
            for (unsigned i = 0; i < inner; ++i) {
                double acc = 0, mag = 0;
                float m = -INFINITY;
                for (unsigned a = 0; a < len; ++a) {
                    const float v = x[(o * len + a) * inner + i];
                    acc += v;
                    mag += std::fabs(v);
                    m = std::max(m, v);
                }
                ws[o * inner + i] = acc;
                tol[o * inner + i] = 1e-5 * mag + 1e-6;
                wm[o * inner + i] = m;
            }
        }
        expect_near("sum_cols inner " + std::to_string(inner), sum, ws, tol);
        expect_exact("max_cols inner " + std::to_string(inner), mx, wm);
    }
    // Softmax and log-softmax.
    for (unsigned cols : {1u, 5u, 300u}) {
        const unsigned rows = 4;
        Buf x = values(rows * cols, 6, -20, 20);
        Buf sm(rows * cols), lsm(rows * cols);
        launch(softmax_rows_fwd_f32, dim3{3, 1, 1}, dim3{row_threads(cols), 1, 1}, x.p(), sm.p(), rows, cols);
        launch(log_softmax_rows_fwd_f32, dim3{rows, 1, 1}, dim3{row_threads(cols), 1, 1}, x.p(), lsm.p(), rows, cols);
        std::vector<double> ws(rows * cols), wl(rows * cols), ts(rows * cols), tl(rows * cols);
        for (unsigned r = 0; r < rows; ++r) {
            double m = -INFINITY, s = 0;
            for (unsigned c = 0; c < cols; ++c) {
                m = std::max(m, (double)x[r * cols + c]);
            }
            for (unsigned c = 0; c < cols; ++c) {
                s += std::exp(x[r * cols + c] - m);
            }
            for (unsigned c = 0; c < cols; ++c) {
                const size_t i = r * cols + c;
                ws[i] = std::exp(x[i] - m) / s;
                wl[i] = x[i] - m - std::log(s);
                ts[i] = 1e-5 * ws[i] + 1e-7;
                tl[i] = 1e-5 * (1 + std::fabs(wl[i]));
            }
        }
        expect_near("softmax cols " + std::to_string(cols), sm, ws, ts);
        expect_near("log_softmax cols " + std::to_string(cols), lsm, wl, tl);
    }
}

// ---- window -------------------------------------------------------------------

static k_window::WindowGeom geom(unsigned n, unsigned c, unsigned h, unsigned w, unsigned kh, unsigned kw, unsigned s, bool same) {
    auto axis = [&](unsigned len, unsigned k, unsigned& out, unsigned& pad) {
        if (same) {
            out = (len + s - 1) / s;
            const int total = (int)((out - 1) * s + k) - (int)len;
            pad = total > 0 ? total / 2 : 0;
        } else {
            out = (len - k) / s + 1;
            pad = 0;
        }
    };
    k_window::WindowGeom g{n, c, h, w, kh, kw, s, 0, 0, 0, 0};
    axis(h, kh, g.out_h, g.pad_top);
    axis(w, kw, g.out_w, g.pad_left);
    return g;
}

static void test_window() {
    using namespace k_window;
    const WindowGeom windows[] = {geom(2, 3, 7, 6, 3, 2, 2, true), geom(1, 2, 5, 5, 3, 3, 1, true), geom(2, 1, 8, 8, 2, 2, 2, false),
                                  geom(1, 2, 9, 7, 4, 3, 3, false), geom(1, 1, 3, 3, 1, 1, 1, true), geom(1, 2, 4, 5, 2, 3, 2, true)};
    for (const WindowGeom& g : windows) {
        const std::string name = "window " + std::to_string(g.height) + "x" + std::to_string(g.width) + " k" + std::to_string(g.kernel_h) +
                                 "x" + std::to_string(g.kernel_w) + " s" + std::to_string(g.stride) + " pad" + std::to_string(g.pad_top) +
                                 "," + std::to_string(g.pad_left);
        const unsigned in_len = g.batch * g.channels * g.height * g.width;
        const unsigned plen = g.channels * g.kernel_h * g.kernel_w, olen = g.out_h * g.out_w;
        auto in_y = [&](unsigned oy, unsigned i) { return (int)(oy * g.stride + i) - (int)g.pad_top; };
        auto in_x = [&](unsigned ox, unsigned j) { return (int)(ox * g.stride + j) - (int)g.pad_left; };
        // im2col
        Buf x = values(in_len, 7, -1, 1);
        for (unsigned i = 0; i < in_len; ++i) {
            x[i] = std::round(x[i] * 3);  // ties inside windows, for pooling
        }
        const unsigned cols_len = g.batch * plen * olen;
        Buf cols(cols_len);
        launch(im2col_fwd_f32, dim3{blocks_for(cols_len, 3), 1, 1}, dim3{256, 1, 1}, x.p(), cols.p(), g);
        std::vector<float> want(cols_len, 0.0f);
        for (unsigned n = 0; n < g.batch; ++n)
            for (unsigned c = 0; c < g.channels; ++c)
                for (unsigned i = 0; i < g.kernel_h; ++i)
                    for (unsigned j = 0; j < g.kernel_w; ++j)
                        for (unsigned oy = 0; oy < g.out_h; ++oy)
                            for (unsigned ox = 0; ox < g.out_w; ++ox) {
                                const int y = in_y(oy, i), xx = in_x(ox, j);
                                const size_t o = ((size_t)n * plen + (c * g.kernel_h + i) * g.kernel_w + j) * olen + oy * g.out_w + ox;
                                if (y >= 0 && y < (int)g.height && xx >= 0 && xx < (int)g.width) {
                                    want[o] = x[((n * g.channels + c) * g.height + y) * g.width + xx];
                                }
                            }
        expect_exact("im2col " + name, cols, want);
        // col2im: scatter-add in the CPU's order.
        Buf cv = values(cols_len, 8, -1, 1);
        Buf back(in_len);
        launch(col2im_fwd_f32, dim3{blocks_for(in_len, 2), 1, 1}, dim3{256, 1, 1}, cv.p(), back.p(), g);
        std::vector<float> wb(in_len, 0.0f);
        for (unsigned n = 0; n < g.batch; ++n)
            for (unsigned c = 0; c < g.channels; ++c)
                for (unsigned i = 0; i < g.kernel_h; ++i)
                    for (unsigned j = 0; j < g.kernel_w; ++j)
                        for (unsigned oy = 0; oy < g.out_h; ++oy)
                            for (unsigned ox = 0; ox < g.out_w; ++ox) {
                                const int y = in_y(oy, i), xx = in_x(ox, j);
                                if (y >= 0 && y < (int)g.height && xx >= 0 && xx < (int)g.width) {
                                    wb[((n * g.channels + c) * g.height + y) * g.width + xx] +=
                                        cv[((size_t)n * plen + (c * g.kernel_h + i) * g.kernel_w + j) * olen + oy * g.out_w + ox];
                                }
                            }
        expect_exact("col2im " + name, back, wb);
        // max pooling forward (first maximum) and backward (gather in output order)
        const unsigned out_len = g.batch * g.channels * olen;
        Buf y(out_len);
        std::vector<unsigned> idx(out_len, 0x12345678u);
        launch(max_pool2d_fwd_f32, dim3{blocks_for(out_len, 1), 1, 1}, dim3{256, 1, 1}, x.p(), y.p(), idx.data(), g);
        std::vector<float> wy(out_len);
        std::vector<unsigned> widx(out_len);
        for (unsigned p = 0; p < g.batch * g.channels; ++p)
            for (unsigned oy = 0; oy < g.out_h; ++oy)
                for (unsigned ox = 0; ox < g.out_w; ++ox) {
                    float best = -INFINITY;
                    unsigned at = 0xffffffffu;
                    for (unsigned i = 0; i < g.kernel_h; ++i)
                        for (unsigned j = 0; j < g.kernel_w; ++j) {
                            const int yy = in_y(oy, i), xx = in_x(ox, j);
                            if (yy < 0 || yy >= (int)g.height || xx < 0 || xx >= (int)g.width) continue;
                            const unsigned q = p * g.height * g.width + yy * g.width + xx;
                            if (x[q] > best || at == 0xffffffffu) {
                                best = x[q];
                                at = q;
                            }
                        }
                    wy[p * olen + oy * g.out_w + ox] = best;
                    widx[p * olen + oy * g.out_w + ox] = at;
                }
        expect_exact("max_pool2d " + name, y, wy);
        ++checks;
        if (idx != widx) fail("max_pool2d indices " + name);
        Buf dy = values(out_len, 9, -1, 1);
        Buf dx(in_len);
        launch(max_pool2d_bwd_f32, dim3{blocks_for(in_len, 2), 1, 1}, dim3{256, 1, 1}, dy.p(), (const unsigned*)widx.data(), dx.p(), g);
        std::vector<float> wdx(in_len, 0.0f);
        for (unsigned o = 0; o < out_len; ++o) wdx[widx[o]] += dy[o];
        expect_exact("max_pool2d_bwd " + name, dx, wdx);
    }
}

// ---- layout -------------------------------------------------------------------

static void test_layout() {
    using namespace k_layout;
    {
        Buf y(1003);
        launch(fill_fwd_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, y.p(), 1003ull, 2.5f);
        expect_exact("fill", y, std::vector<float>(1003, 2.5f));
    }
    {  // transpose [3, 5] -> [5, 3]: out dims {5, 3}, read strides {1, 5}
        Buf x = values(15, 10, -1, 1);
        StridedIndex s{2, {5, 3}, {1, 5}, {0, 0}};
        Buf y(15);
        launch(gather_strided_fwd_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, x.p(), y.p(), 15ull, s);
        std::vector<float> w(15);
        for (int i = 0; i < 5; ++i)
            for (int j = 0; j < 3; ++j) w[i * 3 + j] = x[j * 5 + i];
        expect_exact("gather_strided transpose", y, w);
    }
    {  // broadcast [4] -> [3, 4] and a scalar-like rank 0
        Buf x = values(4, 11, -1, 1);
        StridedIndex s{2, {3, 4}, {0, 1}, {0, 0}};
        Buf y(12);
        launch(gather_strided_fwd_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, x.p(), y.p(), 12ull, s);
        std::vector<float> w(12);
        for (int i = 0; i < 12; ++i) w[i] = x[i % 4];
        expect_exact("gather_strided broadcast", y, w);
    }
    {
        Buf x = values(6 * 7, 12, -1, 1);
        std::vector<unsigned> rows = {5, 0, 0, 3};
        Buf y(4 * 7);
        launch(gather_rows_fwd_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, x.p(), (const unsigned*)rows.data(), y.p(), 4u, 7u);
        std::vector<float> w;
        for (unsigned r : rows)
            for (int c = 0; c < 7; ++c) w.push_back(x[r * 7 + c]);
        expect_exact("gather_rows", y, w);
    }
}

// ---- elementwise ----------------------------------------------------------------

static void test_elementwise() {
    using namespace k_elementwise;
    const unsigned long long n = 1001;  // a float4 tail of 1
    Buf x = values(n, 13, -6, 6);
    x[3] = 0.0f;
    x[4] = -0.0f;
    struct U {
        const char* name;
        void (*k)(const float*, float*, unsigned long long, float, float);
        float p0, p1;
        double (*f)(double, double, double);
    };
    const U ops[] = {
        {"relu", relu_fwd_f32, 0, 0, [](double v, double, double) { return v > 0 ? v : 0.0; }},
        {"sigmoid", sigmoid_fwd_f32, 0, 0, [](double v, double, double) { return 1 / (1 + std::exp(-v)); }},
        {"softplus", softplus_fwd_f32, 0, 0, [](double v, double, double) { return std::log1p(std::exp(v)); }},
        {"tanh", tanh_fwd_f32, 0, 0, [](double v, double, double) { return std::tanh(v); }},
        {"sign", sign_fwd_f32, 0, 0, [](double v, double, double) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }},
        {"clamp", clamp_fwd_f32, -1, 1.5, [](double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }},
        {"in_range", in_range_fwd_f32, -1, 1.5, [](double v, double lo, double hi) { return (v >= lo && v <= hi) ? 1.0 : 0.0; }},
        {"add_scalar", add_scalar_fwd_f32, 0.25, 0, [](double v, double c, double) { return v + c; }},
        {"exp", exp_fwd_f32, 0, 0, [](double v, double, double) { return std::exp(v); }},
    };
    for (const U& u : ops) {
        Buf y(n);
        launch(u.k, dim3{1, 1, 1}, dim3{256, 1, 1}, x.p(), y.p(), n, u.p0, u.p1);
        std::vector<double> w(n), t(n);
        for (size_t i = 0; i < n; ++i) {
            w[i] = u.f(x[i], u.p0, u.p1);
            t[i] = 1e-5 * std::fabs(w[i]) + 1e-6;
        }
        expect_near(std::string("unary ") + u.name, y, w, t);
    }
    {  // bias over rows through strides: [7, 10] + [10]
        Buf a = values(70, 14, -1, 1), b = values(10, 15, -1, 1);
        StridedIndex s{2, {7, 10}, {10, 1}, {0, 1}};
        Buf y(70);
        launch(sub_fwd_f32, dim3{1, 1, 1}, dim3{64, 1, 1}, a.p(), b.p(), y.p(), 70ull, s);
        std::vector<float> w(70);
        for (int i = 0; i < 70; ++i) w[i] = a[i] - b[i % 10];
        expect_exact("sub broadcast", y, w);
        // rank 0: same shapes, float4 path with a tail
        Buf c = values(n, 16, -1, 1), d = values(n, 17, 0.5, 2);
        StridedIndex s0{};
        Buf q(n);
        launch(div_fwd_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, c.p(), d.p(), q.p(), n, s0);
        std::vector<float> wq(n);
        for (size_t i = 0; i < n; ++i) wq[i] = c[i] / d[i];
        expect_exact("div contiguous", q, wq);
        Buf mx(n);
        launch(max_fwd_f32, dim3{2, 1, 1}, dim3{32, 1, 1}, c.p(), d.p(), mx.p(), n, s0);
        std::vector<float> wm(n);
        for (size_t i = 0; i < n; ++i) wm[i] = c[i] >= d[i] ? c[i] : d[i];
        expect_exact("max contiguous", mx, wm);
    }
    for (unsigned cols : {12u, 13u}) {  // bias + activation, float4 path (12) and scalar path (13)
        const unsigned rows = 9;
        Buf a = values(rows * cols, 18, -3, 3), b = values(cols, 19, -1, 1);
        for (int act = 0; act < 4; ++act) {
            Buf y(rows * cols);
            launch(bias_act_fwd_f32, dim3{1, 1, 1}, dim3{32, 1, 1}, a.p(), b.p(), y.p(), rows, cols, act);
            std::vector<double> w(rows * cols), t(rows * cols);
            for (unsigned i = 0; i < rows * cols; ++i) {
                const double v = (double)a[i] + b[i % cols];
                w[i] = act == 0 ? v : act == 1 ? (v > 0 ? v : 0) : act == 2 ? 1 / (1 + std::exp(-v)) : std::tanh(v);
                t[i] = 1e-5 * std::fabs(w[i]) + 1e-6;
            }
            expect_near("bias_act " + std::to_string(act) + " cols " + std::to_string(cols), y, w, t);
            Buf dy = values(rows * cols, 20, -1, 1), dx(rows * cols);
            launch(act_bwd_f32, dim3{1, 1, 1}, dim3{64, 1, 1}, y.p(), dy.p(), dx.p(), (unsigned long long)rows * cols, act);
            std::vector<double> wd(rows * cols), td(rows * cols);
            for (unsigned i = 0; i < rows * cols; ++i) {
                const double v = y[i];
                const double d = act == 0 ? 1 : act == 1 ? (v > 0 ? 1 : 0) : act == 2 ? v * (1 - v) : 1 - v * v;
                wd[i] = dy[i] * d;
                td[i] = 1e-6 * (1 + std::fabs(wd[i]));
            }
            expect_near("act_bwd " + std::to_string(act), dx, wd, td);
        }
    }
    {
        Buf p = values(n, 21, -2, 2), t = values(n, 22, -2, 2), sq(n), g(n);
        launch(mse_fwd_bwd_f32, dim3{1, 1, 1}, dim3{128, 1, 1}, p.p(), t.p(), sq.p(), g.p(), n, 0.5f);
        std::vector<float> ws(n), wg(n);
        for (size_t i = 0; i < n; ++i) {
            const float d = p[i] - t[i];
            ws[i] = d * d;
            wg[i] = 0.5f * d;
        }
        expect_exact("mse squares", sq, ws);
        expect_exact("mse gradient", g, wg);
    }
}

// ---- optim --------------------------------------------------------------------

static void test_optim() {
    using namespace k_optim;
    const unsigned long long n = 517;
    Buf w = values(n, 23, -1, 1), g = values(n, 24, -1, 1), m(n, 0.0f), v(n, 0.0f);
    std::vector<double> hw(n), hm(n, 0), hv(n, 0);
    for (size_t i = 0; i < n; ++i) hw[i] = w[i];
    for (int t = 1; t <= 3; ++t) {
        const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        const double lr_t = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
        AdamParams p{(float)lr_t, (float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)eps};
        launch(adam_step_f32, dim3{1, 1, 1}, dim3{128, 1, 1}, w.p(), g.p(), m.p(), v.p(), n, p);
        for (size_t i = 0; i < n; ++i) {
            hm[i] = b1 * hm[i] + (1 - b1) * g[i];
            hv[i] = b2 * hv[i] + (1 - b2) * g[i] * g[i];
            hw[i] -= lr_t * hm[i] / (std::sqrt(hv[i]) + eps);
        }
    }
    std::vector<double> tol(n, 1e-5);
    expect_near("adam", w, hw, tol);
    Buf w2 = values(n, 25, -1, 1), s(n, 0.0f), vel(n, 0.0f);
    std::vector<double> h2(n), hs(n, 0), hvel(n, 0);
    for (size_t i = 0; i < n; ++i) h2[i] = w2[i];
    RmsPropParams rp{1e-3f, 0.9f, 0.1f, 1e-7f};
    launch(rmsprop_step_f32, dim3{2, 1, 1}, dim3{64, 1, 1}, w2.p(), g.p(), s.p(), n, rp);
    for (size_t i = 0; i < n; ++i) {
        hs[i] = 0.1 * g[i] * g[i];
        h2[i] -= 1e-3 * g[i] / (std::sqrt(hs[i]) + 1e-7);
    }
    expect_near("rmsprop", w2, h2, tol);
    SgdParams sp{0.1f, 0.9f};
    launch(sgd_momentum_step_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, w2.p(), g.p(), vel.p(), n, sp);
    launch(sgd_step_f32, dim3{1, 1, 1}, dim3{256, 1, 1}, w2.p(), g.p(), n, sp);
    for (size_t i = 0; i < n; ++i) h2[i] += -0.1 * g[i] - 0.1 * g[i];
    expect_near("sgd (momentum then plain)", w2, h2, tol);
}

// ---- random -------------------------------------------------------------------

static void test_random() {
    using namespace k_random;
    // Random123's known answers, through the kernel's own device function.
    const unsigned kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (const auto& k : kat) {
        U4 c{{k[0], k[1], k[2], k[3]}};
        const U4 r = philox4x32_10(c, k[4], k[5]);
        ++checks;
        if (r.v[0] != k[6] || r.v[1] != k[7] || r.v[2] != k[8] || r.v[3] != k[9]) fail("philox known answer");
    }
    // The normal stream: block b = Philox((b, 0, stream), seed), Box-Muller.
    const unsigned long long n = 1001;
    PhiloxParams p{{7, 0}, {3, 0}, 0.5f, 2.0f};
    Buf y(n);
    launch(philox_normal_fwd_f32, dim3{1, 1, 1}, dim3{64, 1, 1}, y.p(), n, p);
    std::vector<double> w(n), t(n);
    for (unsigned long long b = 0; b < (n + 3) / 4; ++b) {
        const U4 r = philox4x32_10(U4{{(unsigned)b, 0, 3, 0}}, 7, 0);
        for (int h = 0; h < 2; ++h) {
            const double u1 = ((r.v[2 * h] >> 9) + 0.5) / 8388608.0, u2 = ((r.v[2 * h + 1] >> 9) + 0.5) / 8388608.0;
            const double rad = std::sqrt(-2 * std::log(u1));
            const double z[2] = {rad * std::cos(2 * M_PI * u2), rad * std::sin(2 * M_PI * u2)};
            for (int q = 0; q < 2; ++q) {
                const unsigned long long i = b * 4 + 2 * h + q;
                if (i < n) {
                    w[i] = 0.5 + 2.0 * z[q];
                    t[i] = 2e-5 * (1 + std::fabs(w[i]));
                }
            }
        }
    }
    expect_near("philox normal", y, w, t);
}

int main() {
    const std::pair<const char*, void (*)()> tests[] = {{"gemm", test_gemm},     {"reduce", test_reduce},
                                                        {"window", test_window}, {"layout", test_layout},
                                                        {"elementwise", test_elementwise}, {"optim", test_optim},
                                                        {"random", test_random}};
    for (const auto& [name, run] : tests) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%-12s %.2f s\n", name, s);
    }
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
