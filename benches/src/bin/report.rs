//! The suite's one report: reads what the other binaries wrote under
//! `benches/results/` (`cpu-ops`, `threshold`, `train`, `score`, `gpu`, each
//! `.md` and `.json`) and writes `report.md`, `report.json` and the roofline plot
//! `roofline.svg`. `cargo xtask bench` runs it last.
//!
//! Run: `cargo run --release -p recon-benches --bin report`

use recon_benches::report::{results_dir, write_result, Json, Machine};
use recon_benches::roofline::{self, Point, Roof};
use serde_json::Value;

/// The parts, in report order: (file stem, section title).
const PARTS: [(&str, &str); 5] = [
    ("score", "Scoring: Recon against PyTorch"),
    ("train", "Training: Recon against PyTorch"),
    ("cpu-ops", "Kernels against this machine's ceilings"),
    ("threshold", "The parallel threshold sweep"),
    ("gpu", "The GPU half"),
];

fn read_json(stem: &str) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(results_dir().join(format!("{stem}.json"))).ok()?).ok()
}

/// A part's Markdown without its title, with its headings one level down.
fn body(stem: &str) -> Option<String> {
    let md = std::fs::read_to_string(results_dir().join(format!("{stem}.md"))).ok()?;
    let mut out = String::new();
    for line in md.lines() {
        if line.starts_with("# ") {
            continue;
        }
        if line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

/// serde_json's value as the report's own JSON type.
fn conv(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Json::str(s),
        Value::Array(a) => Json::Arr(a.iter().map(conv).collect()),
        Value::Object(o) => Json::Obj(o.iter().map(|(k, v)| (k.clone(), conv(v))).collect()),
    }
}

/// Kernels and roofs from `cpu-ops.json`.
fn roofline_data(ops: &Value) -> (Vec<Point>, Vec<Roof>) {
    let threads = ops["machine"]["rayon_threads"].as_f64().unwrap_or(0.0);
    let mut roofs = Vec::new();
    for c in ops["ceilings"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or("");
        let all = c["threads"].as_f64() == Some(threads) || c["threads"] == "blas";
        let rate = c["rate"].as_f64().unwrap_or(f64::NAN);
        match name {
            "STREAM copy" | "STREAM triad" | "read (sum)" if all => {
                roofs.push(Roof { label: format!("{name}, {threads} threads"), value: rate, bandwidth: true })
            }
            "FMA peak" if all => roofs.push(Roof { label: format!("FMA peak, {threads} threads"), value: rate, bandwidth: false }),
            n if n.starts_with("numpy") => roofs.push(Roof { label: n.to_string(), value: rate, bandwidth: false }),
            _ => {}
        }
    }
    let mut points = Vec::new();
    for k in ops["kernels"].as_array().into_iter().flatten() {
        let (Some(flops), Some(bytes), Some(t)) =
            (k["flops_per_call"].as_f64(), k["bytes_per_call"].as_f64(), k["stats"]["median_s"].as_f64())
        else {
            continue;
        };
        let label = format!("{} {}", k["name"].as_str().unwrap_or("?"), k["shape"].as_str().unwrap_or(""));
        points.push(Point { label, flops, bytes, gflops: flops / t / 1e9 });
    }
    (points, roofs)
}

fn main() {
    let machine = Machine::detect();
    let mut md = format!(
        "# Recon benchmark report\n\n{}\nCommand: `cargo xtask bench` (runs the `threshold`, `ops`, `train`, \
         `score` and `gpu` binaries of `benches/`, then `report`, which gathers their results here). Each part below \
         names the commit and date it was measured at; the lines above are when this report was put together.\n\n",
        machine.markdown()
    );
    let mut parts = vec![("machine", machine.json())];
    let mut missing = Vec::new();

    // The headline: the CPU targets of the scoring benchmark.
    if let Some(score) = read_json("score") {
        if let Some(b) = body("score") {
            if let Some(i) = b.find("### CPU targets") {
                md += &format!("## Summary: CPU targets\n{}\n", &b[i + "### CPU targets".len()..]);
            }
        }
        parts.push(("score", conv(&score)));
    }
    for (stem, title) in PARTS {
        match body(stem) {
            Some(b) => {
                md += &format!("## {title}\n{b}\n");
                if stem == "cpu-ops" {
                    if let Some(ops) = read_json("cpu-ops") {
                        let (points, roofs) = roofline_data(&ops);
                        let svg = roofline::svg("Recon CPU kernels: roofline", &points, &roofs);
                        write_result("roofline.svg", &svg);
                        md += &format!(
                            "## Roofline\n\nEach kernel of the table above placed by arithmetic intensity (flops per byte \
                             of compulsory traffic) against the ceilings measured in the same run: the all-thread \
                             bandwidths (sloped roofs) and the FMA peak and numpy's GEMM (flat roofs). The roof at a \
                             kernel's intensity is `min(peak, intensity x bandwidth)` with the highest of each; left \
                             of the ridge ({} flop/byte) a kernel is memory-bound. The bandwidth roofs are DRAM bandwidths, so a \
                             small kernel whose data sits in L1/L2 can pass them (a share above 100%). Plot: \
                             [`roofline.svg`](roofline.svg).\n\n{}\n\
                             ![roofline](roofline.svg)\n\n",
                            recon_benches::timing::sig3(roofline::ridge(&roofs)),
                            roofline::table(&points, &roofs)
                        );
                        let pts = points
                            .iter()
                            .map(|p| {
                                Json::obj(vec![
                                    ("kernel", Json::str(&p.label)),
                                    ("intensity", Json::num(p.intensity())),
                                    ("gflops", Json::num(p.gflops)),
                                    ("roof_gflops", Json::num(roofline::attainable(&roofs, p.intensity()))),
                                ])
                            })
                            .collect();
                        parts.push(("roofline", Json::Arr(pts)));
                    }
                }
            }
            None => missing.push(stem),
        }
        if stem != "score" {
            if let Some(j) = read_json(stem) {
                parts.push((if stem == "cpu-ops" { "ops" } else { stem }, conv(&j)));
            }
        }
    }
    if !missing.is_empty() {
        md += &format!(
            "**Missing parts**: {} (run `cargo run --release -p recon-benches --bin NAME` for each, or `cargo xtask bench`).\n",
            missing.join(", ")
        );
    }
    write_result("report.md", &md);
    write_result("report.json", &format!("{}\n", Json::obj(parts)));
}
