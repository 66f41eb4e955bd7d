//! The GPU half on a machine (or a build) without a GPU: `gpu` must exit
//! with 0 and write why it measured nothing, in Markdown and JSON, so the
//! report can say so. (A build with `--features cuda` on a GPU machine
//! measures instead; `cargo test` builds without it.)

use std::process::Command;

#[test]
fn gpu_says_why_it_measured_nothing() {
    let dir = std::env::temp_dir().join(format!("recon-gpu-bench-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_gpu")).env("RECON_BENCH_RESULTS", &dir).output().expect("run gpu");
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(dir.join("gpu.md")).expect("gpu.md");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("gpu.json")).expect("gpu.json")).unwrap();
    // Without the feature: "this build has no CUDA backend (build with
    // `--features cuda`)"; with it and no driver: "no CUDA driver: ...".
    let why = json["skipped"].as_str().expect("a reason in gpu.json");
    assert!(why.contains("CUDA"), "{json}");
    assert!(md.contains(&format!("**No GPU half in this run**: {why}")), "{md}");
    assert!(json["machine"]["logical_cpus"].as_u64().is_some_and(|n| n >= 1), "{json}");
    std::fs::remove_dir_all(&dir).unwrap();
}
