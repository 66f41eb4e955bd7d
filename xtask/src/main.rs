//! `cargo xtask <task>`: the project's commands, in Rust so they run the same
//! everywhere a cargo runs.
//!
//! - `test`: the whole test suite: formatting, clippy (deny warnings), every
//!   crate's tests, the CUDA crate with its `cuda` feature (GPU tests skip
//!   with a message when there is no GPU) and, when NVRTC and ptxas are
//!   installed, `kernels`. This is what CI runs.
//! - `test --cuda`: the CUDA backend's tests (GPU equivalence tests included) and
//!   `recon --device cuda` end to end against `--device cpu` (`cli_cuda.rs`),
//!   with NVRTC put on the library path: run this on a machine
//!   with a GPU (set `RECON_CUDA_REQUIRED=1` to make a missing GPU a failure
//!   instead of a skip).
//! - `kernels`: every `kernels/*.cu` through NVRTC and `ptxas -v` for sm_90:
//!   a table of registers, shared memory and spills; fails on a compile
//!   error or a spill (see `kernels.rs`).
//! - `fuzz [SECONDS] [TARGET...]`: each cargo-fuzz target of `fuzz/` for
//!   SECONDS (default 60), then a table of executions and crashes (see
//!   `fuzz.rs`); needs `cargo install cargo-fuzz`. Not part of `test`.
//! - `bench`: every benchmark under `benches/` (kernels and ceilings, the
//!   parallel threshold, training and scoring next to PyTorch, and the GPU
//!   half, which says why it is empty on a machine without a GPU), then one report:
//!   `benches/results/report.md`, `report.json` and `roofline.svg`.

mod fuzz;
mod kernels;

use std::path::PathBuf;
use std::process::{exit, Command};

fn run(what: &str, cmd: &mut Command) {
    eprintln!("xtask: {what}: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("xtask: {what} failed ({s})");
            exit(1);
        }
        Err(e) => {
            eprintln!("xtask: cannot run {what}: {e}");
            exit(1);
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The workspace root (xtask lives one folder below it).
fn root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent().map(PathBuf::from).unwrap_or(dir)
}

/// `cargo` with NVRTC's library folder on `LD_LIBRARY_PATH` when it can be
/// found (the CUDA backend compiles its kernels with it at run time).
fn cargo_with_nvrtc() -> Command {
    let mut c = cargo();
    if let Ok(tools) = kernels::find_tools(&root()) {
        let mut ld = tools.nvrtc_lib_dir.into_os_string();
        if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|o| !o.is_empty()) {
            ld.push(":");
            ld.push(old);
        }
        c.env("LD_LIBRARY_PATH", ld);
    }
    c
}

fn test() {
    run("format check", cargo().args(["fmt", "--all", "--check"]));
    run("clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    run(
        "clippy (recon-cuda, recon and recon-benches, cuda feature)",
        cargo().args([
            "clippy",
            "-p",
            "recon-cuda",
            "-p",
            "recon",
            "-p",
            "recon-benches",
            "--all-targets",
            "--features",
            "recon-cuda/cuda,recon/cuda,recon-benches/cuda",
            "--",
            "-D",
            "warnings",
        ]),
    );
    run("tests", cargo().args(["test", "--workspace"]));
    run("tests (recon-cuda, cuda feature)", cargo_with_nvrtc().args(["test", "-p", "recon-cuda", "--features", "cuda"]));
    run(
        "recon --device cuda (skips without a GPU)",
        cargo_with_nvrtc().args(["test", "-p", "recon", "--features", "cuda", "--test", "cli_cuda"]),
    );
    match kernels::find_tools(&root()) {
        Ok(_) => kernels_task(),
        // CI installs the tools (.ci/run), so there a missing tool is a failure.
        Err(why) if std::env::var_os("CI").is_some() => {
            eprintln!("xtask: the kernel check cannot run under CI: {why}");
            exit(1);
        }
        Err(why) => eprintln!("xtask: SKIPPED the kernel check (cargo xtask kernels): {why}"),
    }
}

/// The GPU part of the suite: recon-cuda's tests with the `cuda` feature,
/// output shown (the skip message, or what the equivalence tests checked).
fn test_cuda() {
    run("CUDA tests", cargo_with_nvrtc().args(["test", "-p", "recon-cuda", "--features", "cuda", "--", "--nocapture"]));
    run(
        "recon --device cuda against --device cpu",
        cargo_with_nvrtc().args(["test", "--release", "-p", "recon", "--features", "cuda", "--test", "cli_cuda", "--", "--nocapture"]),
    );
}

fn kernels_task() {
    if let Err(e) = kernels::run(&root(), cargo) {
        eprintln!("xtask kernels: {e}");
        exit(1);
    }
}

/// Every benchmark binary, then `report`, which gathers their results into
/// `benches/results/report.{md,json}` and `roofline.svg`. Without numpy or
/// torch the binaries still run; the report says what was skipped.
fn bench() {
    for bin in ["threshold", "ops", "train", "score"] {
        run(bin, cargo().args(["run", "--release", "-p", "recon-benches", "--bin", bin]));
    }
    // The GPU half: says why it measured nothing where there is no GPU.
    run("gpu", cargo().args(["run", "--release", "-p", "recon-benches", "--features", "cuda", "--bin", "gpu"]));
    run("report", cargo().args(["run", "--release", "-p", "recon-benches", "--bin", "report"]));
}

fn fuzz_task(args: &[&str]) {
    match fuzz::run(&root(), cargo, args) {
        Ok(true) => {}
        Ok(false) => exit(1),
        Err(e) => {
            eprintln!("xtask fuzz: {e}");
            exit(2);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["test"] => test(),
        ["test", "--cuda"] => test_cuda(),
        ["kernels"] => kernels_task(),
        ["bench"] => bench(),
        ["fuzz", rest @ ..] => fuzz_task(rest),
        _ => {
            eprintln!("usage: cargo xtask <test [--cuda]|kernels|bench|fuzz [SECONDS] [TARGET...]>");
            exit(2);
        }
    }
}
