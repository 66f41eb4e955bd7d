//! Structs passed by value to kernels, each a `#[repr(C)]` mirror of a
//! `struct` in `kernels/*.cu`. The two sides must agree byte for byte; the
//! tests at the bottom parse the CUDA declarations and compare every field's
//! name, offset and the total size, so they cannot drift apart silently.
//!
//! Only fixed-size types appear (`u32`/`unsigned int`, `f32`/`float`,
//! `u64`/`unsigned long long`, arrays of them), whose C layout is the natural
//! one on every CUDA target.

use recon_tensor::{Result, TensorError, Window2d};

/// Largest tensor rank a strided kernel handles after merging axes
/// (`plan.rs`); `MAX_RANK` in `elementwise.cu` and `layout.cu`.
pub const MAX_RANK: usize = 6;

/// How to read one or two operands for each element of an output of shape
/// `dims`: operand `a` (and `b`) advances by `a_strides[ax]` (`b_strides[ax]`)
/// elements when output coordinate `ax` grows by one; stride 0 broadcasts.
/// `rank == 0` tells the binary kernels that both operands are contiguous
/// with the output's shape. Built by `plan.rs`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StridedIndex {
    pub rank: u32,
    pub dims: [u32; MAX_RANK],
    pub a_strides: [u32; MAX_RANK],
    pub b_strides: [u32; MAX_RANK],
}

/// One batched product (see `recon_tensor::Matmul` and `kernels/gemm.cu`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmShape {
    pub batch: u32,
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub trans_a: u32,
    pub trans_b: u32,
    pub a_batch_stride: u64,
    pub b_batch_stride: u64,
}

/// `recon_tensor::Window2d` as 32-bit integers (`kernels/window.cu`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowGeom {
    pub batch: u32,
    pub channels: u32,
    pub height: u32,
    pub width: u32,
    pub kernel_h: u32,
    pub kernel_w: u32,
    pub stride: u32,
    pub pad_top: u32,
    pub pad_left: u32,
    pub out_h: u32,
    pub out_w: u32,
}

impl WindowGeom {
    /// The window in 32-bit form, or an error when a tensor it touches has
    /// 2^32 elements or more (the kernels index with 32-bit integers).
    pub fn new(op: &'static str, w: &Window2d) -> Result<Self> {
        let input = w.batch as u128 * w.channels as u128 * w.height as u128 * w.width as u128;
        let cols = w.batch as u128 * w.patch_len() as u128 * w.out_len() as u128;
        if input > u32::MAX as u128 || cols > u32::MAX as u128 {
            return Err(TensorError::invalid(
                op,
                "the CUDA backend indexes windows with 32-bit integers; this tensor has 2^32 elements or more",
            ));
        }
        let c = |v: usize| v as u32;
        Ok(WindowGeom {
            batch: c(w.batch),
            channels: c(w.channels),
            height: c(w.height),
            width: c(w.width),
            kernel_h: c(w.kernel_h),
            kernel_w: c(w.kernel_w),
            stride: c(w.stride),
            pad_top: c(w.pad_top),
            pad_left: c(w.pad_left),
            out_h: c(w.out_h),
            out_w: c(w.out_w),
        })
    }
}

/// Adam's step (`kernels/optim.cu`), Keras' form:
/// `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
/// `w <- w - lr_t m / (sqrt(v) + eps)` with `lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`.
/// Epsilon is added outside the square root (Keras, burn; dfdx puts it inside).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamParams {
    pub lr_t: f32,
    pub beta1: f32,
    pub one_minus_beta1: f32,
    pub beta2: f32,
    pub one_minus_beta2: f32,
    pub epsilon: f32,
}

impl AdamParams {
    /// Parameters of update number `t` (1 for the first), computed in f64
    /// and rounded once, as the CPU path (`recon-nn`'s `optim/adam.rs`) does.
    pub fn new(lr: f64, beta1: f64, beta2: f64, epsilon: f64, t: u64) -> Self {
        let t = t as i32;
        let lr_t = lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t));
        Self::with_step_size(lr_t, beta1, beta2, epsilon)
    }

    /// Parameters from a step size `lr_t` that already carries the bias
    /// correction (`recon_tensor::Update::Adam`).
    pub fn with_step_size(lr_t: f64, beta1: f64, beta2: f64, epsilon: f64) -> Self {
        AdamParams {
            lr_t: lr_t as f32,
            beta1: beta1 as f32,
            one_minus_beta1: (1.0 - beta1) as f32,
            beta2: beta2 as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            epsilon: epsilon as f32,
        }
    }
}

/// RMSprop's step: `s <- rho s + (1 - rho) g^2`, `w <- w - lr g / (sqrt(s) + eps)`
/// (epsilon outside the square root, as Keras).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropParams {
    pub lr: f32,
    pub rho: f32,
    pub one_minus_rho: f32,
    pub epsilon: f32,
}

impl RmsPropParams {
    pub fn new(lr: f64, rho: f64, epsilon: f64) -> Self {
        RmsPropParams { lr: lr as f32, rho: rho as f32, one_minus_rho: (1.0 - rho) as f32, epsilon: epsilon as f32 }
    }
}

/// SGD's step: `v <- momentum v - lr g`, `w <- w + v` (Keras' form), or
/// `w <- w - lr g` without a velocity buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdParams {
    pub lr: f32,
    pub momentum: f32,
}

/// The Philox stream of `kernels/random.cu` (and `philox.rs`): key = seed,
/// the counter's high half = stream number, then `mean + std * z`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhiloxParams {
    pub key: [u32; 2],
    pub stream: [u32; 2],
    pub mean: f32,
    pub std: f32,
}

impl PhiloxParams {
    pub fn new(seed: u64, stream: u64, mean: f32, std: f32) -> Self {
        PhiloxParams { key: [seed as u32, (seed >> 32) as u32], stream: [stream as u32, (stream >> 32) as u32], mean, std }
    }
}

/// The activations the fused kernels know (`ACT_*` in `elementwise.cu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Activation {
    Identity = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
}

impl Activation {
    pub const ALL: [Activation; 4] = [Activation::Identity, Activation::Relu, Activation::Sigmoid, Activation::Tanh];
    /// The code passed to the kernel.
    pub fn code(self) -> i32 {
        self as i32
    }
    /// The name of the `#define` in `elementwise.cu`.
    pub fn define(self) -> &'static str {
        match self {
            Activation::Identity => "ACT_IDENTITY",
            Activation::Relu => "ACT_RELU",
            Activation::Sigmoid => "ACT_SIGMOID",
            Activation::Tanh => "ACT_TANH",
        }
    }
}

#[cfg(feature = "cuda")]
mod device_repr {
    use super::*;
    use cudarc::driver::DeviceRepr;
    // SAFETY: each type is `#[repr(C)]`, made only of u32/u64/f32 and arrays
    // of them, and matches its CUDA declaration field for field (tested below).
    unsafe impl DeviceRepr for StridedIndex {}
    unsafe impl DeviceRepr for GemmShape {}
    unsafe impl DeviceRepr for WindowGeom {}
    unsafe impl DeviceRepr for AdamParams {}
    unsafe impl DeviceRepr for RmsPropParams {}
    unsafe impl DeviceRepr for SgdParams {}
    unsafe impl DeviceRepr for PhiloxParams {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::FILES;
    use std::mem::{offset_of, size_of};

    /// Fields of `struct NAME { ... };` in a CUDA source: (name, offset) by C
    /// layout rules, and the total size. Knows the types our structs use.
    fn c_layout(source: &str, name: &str) -> (Vec<(String, usize)>, usize) {
        let head = format!("struct {name} {{");
        let start = source.find(&head).unwrap_or_else(|| panic!("struct {name} not found")) + head.len();
        let body = &source[start..start + source[start..].find("};").expect("struct end")];
        let mut fields = Vec::new();
        let (mut off, mut align_max) = (0usize, 1usize);
        for line in body.lines() {
            let line = line.split("//").next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let decl = line.strip_suffix(';').unwrap_or_else(|| panic!("odd line in struct {name}: {line}"));
            let (ty, var) = decl.rsplit_once(' ').unwrap();
            let size = match ty.trim() {
                "float" | "unsigned int" | "int" => 4,
                "unsigned long long" => 8,
                other => panic!("type {other} not handled"),
            };
            let (var, count) = match var.split_once('[') {
                Some((v, n)) => {
                    let n = n.trim_end_matches(']');
                    let n = if n == "MAX_RANK" { MAX_RANK } else { n.parse().unwrap() };
                    (v, n)
                }
                None => (var, 1),
            };
            off = off.div_ceil(size) * size;
            fields.push((var.to_string(), off));
            off += size * count;
            align_max = align_max.max(size);
        }
        (fields, off.div_ceil(align_max) * align_max)
    }

    fn check(file: &str, name: &str, rust: &[(&str, usize)], size: usize) {
        let src = FILES.iter().find(|f| f.name == file).unwrap().source;
        let (c, c_size) = c_layout(src, name);
        let rust: Vec<(String, usize)> = rust.iter().map(|(n, o)| (n.to_string(), *o)).collect();
        assert_eq!(rust, c, "{name}: Rust and kernels/{file}.cu disagree on fields or offsets");
        assert_eq!(size, c_size, "{name}: sizes differ");
    }

    #[test]
    fn adam_params_match_optim_cu() {
        type T = AdamParams;
        let f = [
            ("lr_t", offset_of!(T, lr_t)),
            ("beta1", offset_of!(T, beta1)),
            ("one_minus_beta1", offset_of!(T, one_minus_beta1)),
            ("beta2", offset_of!(T, beta2)),
            ("one_minus_beta2", offset_of!(T, one_minus_beta2)),
            ("epsilon", offset_of!(T, epsilon)),
        ];
        assert_eq!(size_of::<T>(), 24);
        check("optim", "AdamParams", &f, size_of::<T>());
    }

    #[test]
    fn rmsprop_and_sgd_params_match_optim_cu() {
        type R = RmsPropParams;
        let f = [
            ("lr", offset_of!(R, lr)),
            ("rho", offset_of!(R, rho)),
            ("one_minus_rho", offset_of!(R, one_minus_rho)),
            ("epsilon", offset_of!(R, epsilon)),
        ];
        assert_eq!(size_of::<R>(), 16);
        check("optim", "RmsPropParams", &f, size_of::<R>());
        type S = SgdParams;
        let f = [("lr", offset_of!(S, lr)), ("momentum", offset_of!(S, momentum))];
        assert_eq!(size_of::<S>(), 8);
        check("optim", "SgdParams", &f, size_of::<S>());
    }

    #[test]
    fn strided_index_matches_elementwise_and_layout_cu() {
        type T = StridedIndex;
        let f = [
            ("rank", offset_of!(T, rank)),
            ("dims", offset_of!(T, dims)),
            ("a_strides", offset_of!(T, a_strides)),
            ("b_strides", offset_of!(T, b_strides)),
        ];
        assert_eq!(size_of::<T>(), 4 + 3 * 4 * MAX_RANK);
        check("elementwise", "StridedIndex", &f, size_of::<T>());
        check("layout", "StridedIndex", &f, size_of::<T>());
        for file in ["elementwise", "layout"] {
            let src = FILES.iter().find(|x| x.name == file).unwrap().source;
            assert!(src.contains(&format!("#define MAX_RANK {MAX_RANK}")), "{file}.cu MAX_RANK");
        }
    }

    #[test]
    fn gemm_shape_matches_gemm_cu() {
        type T = GemmShape;
        let f = [
            ("batch", offset_of!(T, batch)),
            ("m", offset_of!(T, m)),
            ("n", offset_of!(T, n)),
            ("k", offset_of!(T, k)),
            ("trans_a", offset_of!(T, trans_a)),
            ("trans_b", offset_of!(T, trans_b)),
            ("a_batch_stride", offset_of!(T, a_batch_stride)),
            ("b_batch_stride", offset_of!(T, b_batch_stride)),
        ];
        assert_eq!(size_of::<T>(), 40);
        check("gemm", "GemmShape", &f, size_of::<T>());
    }

    #[test]
    fn window_geom_matches_window_cu() {
        type T = WindowGeom;
        let f = [
            ("batch", offset_of!(T, batch)),
            ("channels", offset_of!(T, channels)),
            ("height", offset_of!(T, height)),
            ("width", offset_of!(T, width)),
            ("kernel_h", offset_of!(T, kernel_h)),
            ("kernel_w", offset_of!(T, kernel_w)),
            ("stride", offset_of!(T, stride)),
            ("pad_top", offset_of!(T, pad_top)),
            ("pad_left", offset_of!(T, pad_left)),
            ("out_h", offset_of!(T, out_h)),
            ("out_w", offset_of!(T, out_w)),
        ];
        assert_eq!(size_of::<T>(), 44);
        check("window", "WindowGeom", &f, size_of::<T>());
    }

    #[test]
    fn philox_params_match_random_cu() {
        type T = PhiloxParams;
        let f =
            [("key", offset_of!(T, key)), ("stream", offset_of!(T, stream)), ("mean", offset_of!(T, mean)), ("std", offset_of!(T, std))];
        assert_eq!(size_of::<T>(), 24);
        check("random", "PhiloxParams", &f, size_of::<T>());
    }

    #[test]
    fn activation_codes_match_elementwise_cu() {
        let src = FILES.iter().find(|f| f.name == "elementwise").unwrap().source;
        for a in Activation::ALL {
            assert!(src.contains(&format!("#define {} {}", a.define(), a.code())), "{a:?}");
        }
    }

    #[test]
    fn adam_params_fold_the_bias_correction_into_the_step() {
        let p = AdamParams::new(1e-3, 0.9, 0.999, 1e-7, 1);
        // t = 1: lr * sqrt(0.001) / 0.1
        assert!((p.lr_t as f64 - 1e-3 * 0.001f64.sqrt() / 0.1).abs() < 1e-9);
        assert_eq!(p.one_minus_beta2, (1.0f64 - 0.999) as f32);
    }

    #[test]
    fn window_geom_refuses_huge_tensors() {
        let w = Window2d::forward("t", &[1 << 12, 1 << 10, 1 << 5, 1 << 5], (1, 1), 1, recon_tensor::Padding::Valid).unwrap();
        assert!(WindowGeom::new("t", &w).is_err());
        let w = Window2d::forward("t", &[2, 3, 8, 8], (3, 3), 1, recon_tensor::Padding::Same).unwrap();
        assert_eq!(WindowGeom::new("t", &w).unwrap().out_h, 8);
    }
}
