//! The CUDA sources, embedded in the binary, and the options they are
//! compiled with.
//!
//! Every `kernels/*.cu` file at the repository root is listed here with the
//! entry points it defines. The backend compiles a file through NVRTC the
//! first time one of its kernels is launched (`device/compile.rs`), and
//! `cargo xtask kernels` compiles the same files with the same options
//! ([`nvrtc_options`]) and runs `ptxas` on the result, so the register and
//! spill report describes exactly the code the backend runs.
//!
//! Entry points are named `<op>_<pass>_f32`, where the pass is `fwd`, `bwd`,
//! `fwd_bwd` (both in one kernel) or `step` (an optimizer update). A test
//! below checks that each list matches the `extern "C" __global__` functions
//! the source really declares.

/// One `.cu` file: its family name, its source and its kernels.
#[derive(Debug, Clone, Copy)]
pub struct KernelFile {
    /// The family, also the file stem: `kernels/<name>.cu`.
    pub name: &'static str,
    pub source: &'static str,
    pub entries: &'static [&'static str],
}

/// Every kernel file, in the order `cargo xtask kernels` reports them.
pub const FILES: [KernelFile; 7] = [
    KernelFile {
        name: "elementwise",
        source: include_str!("../../../kernels/elementwise.cu"),
        entries: &[
            "neg_fwd_f32",
            "exp_fwd_f32",
            "log_fwd_f32",
            "sqrt_fwd_f32",
            "square_fwd_f32",
            "abs_fwd_f32",
            "recip_fwd_f32",
            "relu_fwd_f32",
            "sigmoid_fwd_f32",
            "tanh_fwd_f32",
            "softplus_fwd_f32",
            "step_fwd_f32",
            "sign_fwd_f32",
            "add_scalar_fwd_f32",
            "mul_scalar_fwd_f32",
            "powf_fwd_f32",
            "clamp_fwd_f32",
            "in_range_fwd_f32",
            "add_fwd_f32",
            "sub_fwd_f32",
            "mul_fwd_f32",
            "div_fwd_f32",
            "max_fwd_f32",
            "min_fwd_f32",
            "eq_fwd_f32",
            "bias_act_fwd_f32",
            "act_bwd_f32",
            "mse_fwd_bwd_f32",
        ],
    },
    KernelFile {
        name: "reduce",
        source: include_str!("../../../kernels/reduce.cu"),
        entries: &[
            "sum_rows_fwd_f32",
            "max_rows_fwd_f32",
            "sum_cols_fwd_f32",
            "max_cols_fwd_f32",
            "softmax_rows_fwd_f32",
            "log_softmax_rows_fwd_f32",
        ],
    },
    KernelFile {
        name: "gemm",
        source: include_str!("../../../kernels/gemm.cu"),
        entries: &[
            "gemm_v1_fwd_f32",
            "gemm_v2_fwd_f32",
            "gemm_v3_nn_fwd_f32",
            "gemm_v3_nt_fwd_f32",
            "gemm_v3_tn_fwd_f32",
            "gemm_v3_tt_fwd_f32",
            "gemm_v4_nn_fwd_f32",
            "gemm_v4_nt_fwd_f32",
            "gemm_v4_tn_fwd_f32",
            "gemm_v4_tt_fwd_f32",
        ],
    },
    KernelFile {
        name: "window",
        source: include_str!("../../../kernels/window.cu"),
        entries: &["im2col_fwd_f32", "col2im_fwd_f32", "max_pool2d_fwd_f32", "max_pool2d_bwd_f32"],
    },
    KernelFile {
        name: "layout",
        source: include_str!("../../../kernels/layout.cu"),
        entries: &["fill_fwd_f32", "gather_strided_fwd_f32", "gather_rows_fwd_f32"],
    },
    KernelFile {
        name: "optim",
        source: include_str!("../../../kernels/optim.cu"),
        entries: &["adam_step_f32", "rmsprop_step_f32", "sgd_momentum_step_f32", "sgd_step_f32"],
    },
    KernelFile { name: "random", source: include_str!("../../../kernels/random.cu"), entries: &["philox_normal_fwd_f32"] },
];

/// The file that defines kernel `entry`.
pub fn file_of(entry: &str) -> Option<&'static KernelFile> {
    FILES.iter().find(|f| f.entries.contains(&entry))
}

/// NVRTC options for a virtual architecture such as `compute_90`: the
/// defaults otherwise, i.e. IEEE-rounded division and square root, denormals
/// kept, fused multiply-add allowed (no `--use_fast_math`: results are
/// compared with the CPU backend).
pub fn nvrtc_options(arch: &str) -> Vec<String> {
    vec![format!("--gpu-architecture={arch}"), "--std=c++17".to_string()]
}

/// The names of the `extern "C" __global__` functions declared in a CUDA
/// source, in order of appearance (a plain text scan, enough for our files:
/// `extern "C" __global__ void [__launch_bounds__(..)] name(`).
pub fn declared_entries(source: &str) -> Vec<String> {
    const MARK: &str = "extern \"C\" __global__";
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(MARK) {
        let line_start = rest[..at].rfind('\n').map_or(0, |p| p + 1);
        let is_comment = rest[line_start..at].trim_start().starts_with("//");
        rest = &rest[at + MARK.len()..];
        if is_comment {
            continue;
        }
        let mut decl = rest.trim_start().strip_prefix("void").unwrap_or(rest).trim_start();
        if let Some(after) = decl.strip_prefix("__launch_bounds__") {
            let close = after.find(')').map_or(0, |p| p + 1);
            decl = after[close..].trim_start();
        }
        let name: String = decl.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_lists_match_the_sources() {
        for f in &FILES {
            let declared = declared_entries(f.source);
            let mut want: Vec<String> = f.entries.iter().map(|s| s.to_string()).collect();
            let mut got = declared.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want, "kernels/{}.cu declares {declared:?}", f.name);
        }
    }

    #[test]
    fn entry_names_follow_the_scheme_and_are_unique() {
        let mut all: Vec<&str> = FILES.iter().flat_map(|f| f.entries.iter().copied()).collect();
        for e in &all {
            assert!(e.ends_with("_f32"), "{e}");
            let pass = ["_fwd_f32", "_bwd_f32", "_fwd_bwd_f32", "_step_f32"];
            assert!(pass.iter().any(|p| e.ends_with(p)), "{e} does not end in a pass name");
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "an entry point name is used twice");
    }

    #[test]
    fn every_kernel_has_a_comment_above_it() {
        // Each entry point must be preceded (possibly after other entry
        // points of the same group) by a `//` comment saying what it computes.
        for f in &FILES {
            let lines: Vec<&str> = f.source.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if !l.starts_with("extern \"C\" __global__") {
                    continue;
                }
                let mut j = i;
                let mut found = false;
                while j > 0 {
                    j -= 1;
                    let p = lines[j].trim();
                    if p.starts_with("//") {
                        found = true;
                        break;
                    }
                    // Skip the bodies of the entry points grouped above.
                    if p.is_empty() {
                        break;
                    }
                }
                assert!(found, "kernels/{}.cu line {}: no comment above `{l}`", f.name, i + 1);
            }
        }
    }

    #[test]
    fn file_of_finds_each_entry() {
        assert_eq!(file_of("relu_fwd_f32").unwrap().name, "elementwise");
        assert_eq!(file_of("gemm_v4_tt_fwd_f32").unwrap().name, "gemm");
        assert!(file_of("nope").is_none());
    }
}
