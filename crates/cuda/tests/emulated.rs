//! Runs the kernels of `kernels/*.cu` on the CPU, without a GPU: the C++
//! program `tests/emu/check.cpp` includes every `.cu` file through
//! `tests/emu/cuda_emu.h` (CUDA's built-ins mapped onto fibers, one block at
//! a time, `__syncthreads` a real barrier), launches each kernel with the
//! launch shapes the backend uses, and compares with plain loops. This
//! executes the kernels' index arithmetic, tiling, barriers, edge handling
//! and grid-stride loops; it does not check the GPU's memory model or
//! its math library's rounding (the GPU tests in `equivalence.rs` do).
//!
//! Needs a C++20 compiler (`$CXX`, else `c++`, `g++` or `clang++`); without
//! one the test prints `SKIPPED` and passes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn compiler() -> Option<String> {
    let candidates = std::env::var("CXX").ok().into_iter().chain(["c++", "g++", "clang++"].map(String::from));
    candidates.into_iter().find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

#[test]
fn kernels_match_plain_loops_under_cpu_emulation() {
    let Some(cxx) = compiler() else {
        let _ = std::io::stderr().lock().write_all(b"SKIPPED: kernels_match_plain_loops_under_cpu_emulation: no C++ compiler (set CXX)\n");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/emu");
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cuda_emu_check");
    let out = Command::new(&cxx)
        .args(["-std=c++20", "-O1", "-fno-strict-aliasing", "-w", "-o"])
        .arg(&exe)
        .arg(dir.join("check.cpp"))
        .output()
        .expect("run the C++ compiler");
    assert!(out.status.success(), "{cxx} could not build tests/emu/check.cpp:\n{}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().expect("run the emulated kernels");
    let report = String::from_utf8_lossy(&run.stdout);
    println!("{report}");
    assert!(run.status.success(), "emulated kernels disagree with the reference loops:\n{report}{}", String::from_utf8_lossy(&run.stderr));
}
