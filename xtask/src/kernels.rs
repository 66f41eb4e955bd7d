//! `cargo xtask kernels`: compiles every `kernels/*.cu` to PTX with NVRTC for
//! `compute_90`, runs `ptxas -arch=sm_90 -v --warn-on-spills
//! --warning-as-error` on each, and prints registers, shared memory, stack
//! and spills per kernel. Fails on a compile error or any spill. No GPU needed.
//!
//! How: NVRTC runs inside `recon-cuda-ptx` (a binary of `recon-cuda`, built
//! here with `--features cuda`), which compiles with the very options the
//! backend uses at run time, so the report describes the code that runs.
//! NVRTC and ptxas come from NVIDIA's pip wheels (or a CUDA toolkit); this
//! task installs nothing, it finds them and prints the pip command if they
//! are missing. It puts the NVRTC library folder (which must also hold
//! `libnvrtc-builtins.so.13.0`) on `LD_LIBRARY_PATH` for the compiler.
//!
//! The version matters: PTX from a newer NVRTC (13.2, as PyTorch's wheels
//! pull in) is refused by ptxas 13.0 and by the GPU machine's 580 driver.
//! So the recommended install is a private folder, `target/cuda-tools`
//! (`pip install --target`), which no other Python package can upgrade.
//!
//! Tool search order: `RECON_NVRTC_LIB_DIR` / `RECON_PTXAS`; the pip folder
//! `RECON_CUDA_TOOLS` (default `target/cuda-tools`); the `nvidia` packages of
//! `python3`; `/usr/local/cuda`; `ptxas` on `PATH`. An NVRTC of another 13.x
//! version is skipped, and named in the error if nothing else is found.
//!
//! Output: the table on stdout and `target/kernels/ptxas-report.md`
//! (with the PTX and cubin files beside it).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The NVRTC/ptxas version the kernels are checked with (the GPU machine's
/// driver is CUDA 13.0).
const NVRTC_BUILTINS: &str = "libnvrtc-builtins.so.13.0";

/// The pip command that installs the pinned tools into `dir`.
pub fn pip_install(dir: &Path) -> String {
    format!("python3 -m pip install --target {} --no-deps nvidia-cuda-nvrtc==13.0.88 nvidia-cuda-nvcc==13.0.88", dir.display())
}

const ARCH: &str = "compute_90";
const SM: &str = "sm_90";

/// Where NVRTC and ptxas were found.
pub struct Tools {
    pub nvrtc_lib_dir: PathBuf,
    pub ptxas: PathBuf,
}

/// One kernel's line of the ptxas report.
#[derive(Debug, Default, Clone, PartialEq)]
struct Entry {
    file: String,
    kernel: String,
    registers: u32,
    smem: u32,
    stack: u32,
    spill_stores: u32,
    spill_loads: u32,
}

/// The `nvidia` package folders of the system's Python, if it has any.
fn python_nvidia_dirs() -> Vec<PathBuf> {
    let out = Command::new("python3").args(["-c", "import nvidia; print('\\n'.join(nvidia.__path__))"]).output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).lines().map(|l| PathBuf::from(l.trim())).collect(),
        _ => Vec::new(),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The folder `pip install --target` puts the pinned tools in.
pub fn tools_dir(root: &Path) -> PathBuf {
    std::env::var_os("RECON_CUDA_TOOLS").map(PathBuf::from).unwrap_or_else(|| target_dir(root).join("cuda-tools"))
}

/// Cargo's target folder.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// The NVRTC builtins version in `dir` other than the pinned one, if any.
fn other_nvrtc(dir: &Path) -> Option<String> {
    if !dir.join("libnvrtc.so.13").is_file() {
        return None;
    }
    std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()?.file_name().into_string().ok()).find(|n| n.starts_with("libnvrtc-builtins.so.13."))
}

/// Finds NVRTC 13.0 (with its builtins library) and ptxas, or says what to install.
pub fn find_tools(root: &Path) -> Result<Tools, String> {
    let private = tools_dir(root).join("nvidia/cu13");
    let py: Vec<PathBuf> = python_nvidia_dirs().into_iter().map(|p| p.join("cu13")).collect();
    let mut lib_dirs: Vec<PathBuf> = std::env::var_os("RECON_NVRTC_LIB_DIR").map(PathBuf::from).into_iter().collect();
    lib_dirs.push(private.join("lib"));
    lib_dirs.extend(py.iter().map(|p| p.join("lib")));
    lib_dirs.push(PathBuf::from("/usr/local/cuda/lib64"));
    let mut ptxas: Vec<PathBuf> = std::env::var_os("RECON_PTXAS").map(PathBuf::from).into_iter().collect();
    ptxas.push(private.join("bin/ptxas"));
    ptxas.extend(py.iter().map(|p| p.join("bin/ptxas")));
    ptxas.push(PathBuf::from("/usr/local/cuda/bin/ptxas"));
    ptxas.extend(on_path("ptxas"));
    let nvrtc_lib_dir = lib_dirs.iter().find(|d| d.join("libnvrtc.so.13").is_file() && d.join(NVRTC_BUILTINS).is_file()).cloned();
    let ptxas = ptxas.into_iter().find(|p| p.is_file());
    match (nvrtc_lib_dir, ptxas) {
        (Some(nvrtc_lib_dir), Some(ptxas)) => Ok(Tools { nvrtc_lib_dir, ptxas }),
        (lib, px) => {
            let mut missing = Vec::new();
            if lib.is_none() {
                missing.push("NVRTC 13.0 (libnvrtc.so.13 with libnvrtc-builtins.so.13.0)".to_string());
            }
            if px.is_none() {
                missing.push("ptxas".to_string());
            }
            let mut msg = format!("{} not found", missing.join(" and "));
            for d in &lib_dirs {
                if let Some(other) = other_nvrtc(d) {
                    msg.push_str(&format!(
                        "\n(skipped {}: it has {other}, another NVRTC version, whose PTX the 13.0 tools and driver refuse)",
                        d.display()
                    ));
                }
            }
            msg.push_str(&format!(
                "\ninstall the pinned tools (about 330 MB) with:\n    {}\n(or set RECON_CUDA_TOOLS, or RECON_NVRTC_LIB_DIR and RECON_PTXAS)",
                pip_install(&tools_dir(root))
            ));
            Err(msg)
        }
    }
}

/// Parses `ptxas -v` output into one entry per kernel.
fn parse_ptxas(file: &str, text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let num_before = |line: &str, unit: &str| -> u32 {
        line.split(',').find_map(|part| part.trim().strip_suffix(unit).and_then(|n| n.split_whitespace().last()?.parse().ok())).unwrap_or(0)
    };
    for line in text.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let kernel = rest.split('\'').next().unwrap_or_default().to_string();
            out.push(Entry { file: file.to_string(), kernel, ..Default::default() });
        } else if let Some(e) = out.last_mut() {
            if line.contains("bytes stack frame") {
                e.stack = num_before(line, "bytes stack frame");
                e.spill_stores = num_before(line, "bytes spill stores");
                e.spill_loads = num_before(line, "bytes spill loads");
            } else if line.contains("Used") && line.contains("registers") {
                e.registers = line.split("Used").nth(1).and_then(|r| r.split_whitespace().next()?.parse().ok()).unwrap_or(0);
                e.smem = num_before(line, "bytes smem");
            }
        }
    }
    out
}

fn table(entries: &[Entry]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "| {:<12} | {:<26} | {:>9} | {:>11} | {:>11} | {:>12} | {:>11} |\n",
        "file", "kernel", "registers", "smem bytes", "stack bytes", "spill stores", "spill loads"
    ));
    s.push_str(&format!("|{:-<14}|{:-<28}|{:->11}|{:->13}|{:->13}|{:->14}|{:->13}|\n", "", "", "", "", "", "", ""));
    for e in entries {
        s.push_str(&format!(
            "| {:<12} | {:<26} | {:>9} | {:>11} | {:>11} | {:>12} | {:>11} |\n",
            e.file, e.kernel, e.registers, e.smem, e.stack, e.spill_stores, e.spill_loads
        ));
    }
    s
}

/// Runs the whole task; `Err` carries the message for a non-zero exit.
pub fn run(root: &Path, cargo: impl Fn() -> Command) -> Result<(), String> {
    let tools = find_tools(root)?;
    eprintln!("xtask kernels: NVRTC from {}, ptxas {}", tools.nvrtc_lib_dir.display(), tools.ptxas.display());

    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("kernels"))
        .map_err(|e| format!("cannot list kernels/: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cu"))
        .collect();
    sources.sort();
    if sources.is_empty() {
        return Err("no kernels/*.cu files".into());
    }

    let status = cargo()
        .current_dir(root)
        .args(["build", "--quiet", "--release", "-p", "recon-cuda", "--features", "cuda", "--bin", "recon-cuda-ptx"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building recon-cuda-ptx failed".into());
    }
    let target = target_dir(root);
    let tool = target.join("release/recon-cuda-ptx");
    let out_dir = target.join("kernels");

    let mut ld = tools.nvrtc_lib_dir.clone().into_os_string();
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|o| !o.is_empty()) {
        ld.push(":");
        ld.push(old);
    }
    let status = Command::new(&tool)
        .env("LD_LIBRARY_PATH", ld)
        .args(["--arch", ARCH, "--out"])
        .arg(&out_dir)
        .args(&sources)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    if !status.success() {
        return Err("NVRTC could not compile every kernel file (log above)".into());
    }

    let mut entries = Vec::new();
    let mut failures = Vec::new();
    for src in &sources {
        let stem = src.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let ptx = out_dir.join(format!("{stem}.ptx"));
        let out = Command::new(&tools.ptxas)
            .args([&format!("-arch={SM}"), "-v", "--warn-on-spills", "--warning-as-error"])
            .arg(&ptx)
            .arg("-o")
            .arg(out_dir.join(format!("{stem}.cubin")))
            .output()
            .map_err(|e| format!("cannot run ptxas: {e}"))?;
        let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        let mut found = parse_ptxas(&stem, &text);
        // ptxas lists entries in reverse order of definition; report in file order.
        found.reverse();
        if !out.status.success() {
            failures.push(format!("ptxas failed on {stem}.ptx:\n{text}"));
        }
        for e in &found {
            if e.spill_stores > 0 || e.spill_loads > 0 {
                failures.push(format!("{stem}: {} spills registers ({} bytes stored, {} loaded)", e.kernel, e.spill_stores, e.spill_loads));
            }
        }
        entries.extend(found);
    }

    let report = table(&entries);
    println!("ptxas {SM} report for kernels/*.cu (NVRTC {ARCH}):\n{report}");
    let md = format!(
        "# ptxas report\n\n`cargo xtask kernels`: NVRTC ({ARCH}, the backend's options) then `ptxas -arch={SM} -v --warn-on-spills --warning-as-error`.\n\n{report}"
    );
    std::fs::write(out_dir.join("ptxas-report.md"), md).map_err(|e| format!("cannot write the report: {e}"))?;
    if !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    println!("{} kernels in {} files: compiled, no spills.", entries.len(), sources.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ptxas_verbose_output() {
        let text = "ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'b_fwd_f32' for 'sm_90'
ptxas info    : Function properties for b_fwd_f32
    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 127 registers, used 1 barriers, 16896 bytes smem
ptxas info    : Compile time = 1.0 ms
ptxas info    : Compiling entry function 'a_fwd_f32' for 'sm_90'
ptxas info    : Function properties for a_fwd_f32
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 22 registers, used 0 barriers
";
        let e = parse_ptxas("f", text);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].kernel.as_str(), e[0].registers, e[0].smem, e[0].stack, e[0].spill_stores, e[0].spill_loads),
            ("b_fwd_f32", 127, 16896, 8, 4, 12)
        );
        assert_eq!((e[1].kernel.as_str(), e[1].registers, e[1].smem, e[1].spill_loads), ("a_fwd_f32", 22, 0, 0));
    }
}
