//! `recon-cuda-ptx`: compiles CUDA sources to PTX with NVRTC, using exactly
//! the options the backend uses at run time (`recon_cuda::kernels::nvrtc_options`).
//! No GPU is needed, only libnvrtc (and libnvrtc-builtins) on the library path.
//! `cargo xtask kernels` runs it on every `kernels/*.cu`, then `ptxas`.
//!
//! Usage: `recon-cuda-ptx [--arch compute_90] --out DIR FILE.cu...`
//! Writes `DIR/<stem>.ptx` per file; exits 1 if any file fails to compile
//! (printing NVRTC's log), 2 on bad usage.

use std::path::{Path, PathBuf};
use std::process::exit;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut arch, mut out, mut files) = ("compute_90".to_string(), None::<PathBuf>, Vec::<PathBuf>::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--arch" => arch = args.next().unwrap_or_default(),
            "--out" => out = args.next().map(PathBuf::from),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let Some(out) = out.filter(|_| !files.is_empty() && !arch.is_empty()) else {
        eprintln!("usage: recon-cuda-ptx [--arch compute_90] --out DIR FILE.cu...");
        exit(2);
    };
    if !recon_cuda::nvrtc_available() {
        eprintln!("recon-cuda-ptx: libnvrtc.so.13 not found; `cargo xtask kernels` finds it and sets LD_LIBRARY_PATH");
        exit(1);
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("recon-cuda-ptx: cannot create {}: {e}", out.display());
        exit(1);
    }
    let mut failed = false;
    for f in &files {
        if let Err(e) = compile_one(f, &out, &arch) {
            eprintln!("{e}");
            failed = true;
        }
    }
    exit(i32::from(failed));
}

fn compile_one(file: &Path, out: &Path, arch: &str) -> Result<(), String> {
    let src = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("kernel");
    let ptx = recon_cuda::compile_to_ptx(stem, &src, arch)?;
    let dest = out.join(format!("{stem}.ptx"));
    std::fs::write(&dest, ptx).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}
