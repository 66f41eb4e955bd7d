//! The roofline view: each kernel placed by its arithmetic intensity (flops
//! per byte of compulsory memory traffic) against the machine's two kinds of
//! ceiling, measured in the same run: memory bandwidth (a sloped roof,
//! `GFLOP/s = intensity x GB/s`) and arithmetic peak (a flat roof). A kernel
//! under the sloped part is memory-bound: it can only go faster by moving
//! fewer bytes; under the flat part it is compute-bound.
//!
//! `table` gives the numbers as Markdown; `svg` draws them as a plain,
//! hand-written SVG file (log-log axes), readable in any browser.

use std::fmt::Write as _;

use crate::report::Table;
use crate::timing::sig3;

/// A kernel on the plot.
pub struct Point {
    pub label: String,
    /// Flops per call.
    pub flops: f64,
    /// Bytes of compulsory traffic per call (each input read once, the output
    /// written once).
    pub bytes: f64,
    /// Achieved GFLOP/s.
    pub gflops: f64,
}

impl Point {
    pub fn intensity(&self) -> f64 {
        self.flops / self.bytes
    }
}

/// A ceiling: a bandwidth in GB/s (sloped) or a rate in GFLOP/s (flat).
pub struct Roof {
    pub label: String,
    pub value: f64,
    pub bandwidth: bool,
}

/// The attainable GFLOP/s at `intensity` under the highest flat roof and the
/// highest bandwidth: `min(peak, intensity x bandwidth)`.
pub fn attainable(roofs: &[Roof], intensity: f64) -> f64 {
    let peak = roofs.iter().filter(|r| !r.bandwidth).map(|r| r.value).fold(f64::NAN, f64::max);
    let bw = roofs.iter().filter(|r| r.bandwidth).map(|r| r.value).fold(f64::NAN, f64::max);
    (intensity * bw).min(peak)
}

/// The ridge point: the intensity where the bandwidth roof meets the peak.
pub fn ridge(roofs: &[Roof]) -> f64 {
    let peak = roofs.iter().filter(|r| !r.bandwidth).map(|r| r.value).fold(f64::NAN, f64::max);
    let bw = roofs.iter().filter(|r| r.bandwidth).map(|r| r.value).fold(f64::NAN, f64::max);
    peak / bw
}

/// One row per kernel: intensity, achieved GFLOP/s, the roof above it, which
/// side of the ridge it is on, and the share of the roof reached.
pub fn table(points: &[Point], roofs: &[Roof]) -> Table {
    let mut t = Table::new(&["Kernel", "Flop/byte", "GFLOP/s", "Roof at this intensity", "Bound by", "Share of roof"], 1);
    let r = ridge(roofs);
    for p in points {
        let ai = p.intensity();
        let roof = attainable(roofs, ai);
        t.row(vec![
            p.label.clone(),
            sig3(ai),
            sig3(p.gflops),
            format!("{} GFLOP/s", sig3(roof)),
            if ai < r { "memory".into() } else { "compute".into() },
            format!("{:.1}%", 100.0 * p.gflops / roof),
        ]);
    }
    t
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The plot as an SVG document.
pub fn svg(title: &str, points: &[Point], roofs: &[Roof]) -> String {
    let (w, h) = (900.0, 600.0);
    let (left, right, top, bottom) = (70.0, 230.0, 40.0, 60.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    // Axis ranges in powers of ten, covering every point and roof.
    let finite = |v: f64| v.is_finite() && v > 0.0;
    let ais: Vec<f64> = points.iter().map(Point::intensity).filter(|v| finite(*v)).collect();
    let mut ys: Vec<f64> = points.iter().map(|p| p.gflops).filter(|v| finite(*v)).collect();
    ys.extend(roofs.iter().filter(|r| !r.bandwidth).map(|r| r.value).filter(|v| finite(*v)));
    let lo = |v: &[f64], d: f64| v.iter().copied().fold(f64::INFINITY, f64::min).min(d).log10().floor();
    let hi = |v: &[f64], d: f64| v.iter().copied().fold(0.0, f64::max).max(d).log10().ceil();
    let (x0, x1) = (lo(&ais, 0.1), hi(&ais, 100.0).max(lo(&ais, 0.1) + 1.0));
    let (y0, y1) = (lo(&ys, 0.1), hi(&ys, 10.0).max(lo(&ys, 0.1) + 1.0));
    let px = |ai: f64| left + (ai.log10() - x0) / (x1 - x0) * pw;
    let py = |g: f64| top + ph - (g.log10() - y0) / (y1 - y0) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#, left + pw / 2.0, esc(title));
    // Grid and axis labels at each power of ten.
    for e in x0 as i32..=x1 as i32 {
        let x = px(10f64.powi(e));
        let _ = writeln!(s, r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#ddd"/>"##, top + ph);
        let _ = writeln!(s, r#"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#, top + ph + 16.0, pow10(e));
    }
    for e in y0 as i32..=y1 as i32 {
        let y = py(10f64.powi(e));
        let _ = writeln!(s, r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/>"##, left + pw);
        let _ = writeln!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 6.0, y + 4.0, pow10(e));
    }
    let _ = writeln!(s, r#"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">arithmetic intensity (flop per byte of compulsory traffic)</text>"#,
        left + pw / 2.0,
        h - 18.0
    );
    let _ = writeln!(s, r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">GFLOP/s</text>"#, top + ph / 2.0);
    // Roofs, clipped to the plot.
    let _ = writeln!(s, r#"<clipPath id="plot"><rect x="{left}" y="{top}" width="{pw}" height="{ph}"/></clipPath>"#);
    let colours = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];
    let (ax0, ax1) = (10f64.powf(x0), 10f64.powf(x1));
    let mut legend = Vec::new();
    for (i, r) in roofs.iter().enumerate().filter(|(_, r)| finite(r.value)) {
        let c = colours[i % colours.len()];
        let (a, b) = if r.bandwidth { ((ax0, ax0 * r.value), (ax1, ax1 * r.value)) } else { ((ax0, r.value), (ax1, r.value)) };
        let dash = if r.bandwidth { "" } else { r#" stroke-dasharray="6 3""# };
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="1.5"{dash} clip-path="url(#plot)"/>"#,
            px(a.0),
            py(a.1),
            px(b.0),
            py(b.1)
        );
        let unit = if r.bandwidth { "GB/s" } else { "GFLOP/s" };
        legend.push((c, format!("{} ({} {unit})", r.label, sig3(r.value)), !r.bandwidth));
    }
    // Kernels.
    for (i, p) in points.iter().enumerate().filter(|(_, p)| finite(p.intensity()) && finite(p.gflops)) {
        let (x, y) = (px(p.intensity()), py(p.gflops));
        let _ = writeln!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="black"/>"#);
        let _ =
            writeln!(s, r#"<text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#, x + 6.0, y - 4.0 - (i % 3) as f64 * 9.0, esc(&p.label));
    }
    // Legend on the right.
    for (i, (c, text, dashed)) in legend.iter().enumerate() {
        let y = top + 10.0 + i as f64 * 18.0;
        let x = left + pw + 12.0;
        let dash = if *dashed { r#" stroke-dasharray="6 3""# } else { "" };
        let _ = writeln!(s, r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{c}" stroke-width="1.5"{dash}/>"#, x + 22.0);
        let _ = writeln!(s, r#"<text x="{}" y="{}" font-size="11">{}</text>"#, x + 28.0, y + 4.0, esc(text));
    }
    s.push_str("</svg>\n");
    s
}

fn pow10(e: i32) -> String {
    match e {
        -3..=-1 => format!("{}", 10f64.powi(e)),
        0..=5 => format!("{}", 10u64.pow(e as u32)),
        _ => format!("1e{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roofs() -> Vec<Roof> {
        vec![Roof { label: "peak".into(), value: 100.0, bandwidth: false }, Roof { label: "copy".into(), value: 10.0, bandwidth: true }]
    }

    #[test]
    fn the_roof_is_the_lower_of_slope_and_peak() {
        let r = roofs();
        assert_eq!(attainable(&r, 1.0), 10.0);
        assert_eq!(attainable(&r, 50.0), 100.0);
        assert_eq!(ridge(&r), 10.0);
    }

    #[test]
    fn the_plot_is_a_complete_svg() {
        let p = vec![Point { label: "add <1e7>".into(), flops: 1e7, bytes: 1.2e8, gflops: 0.8 }];
        let s = svg("t", &p, &roofs());
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("add &lt;1e7&gt;") && s.contains("<circle"));
        let t = table(&p, &roofs()).to_string();
        assert!(t.contains("memory"), "{t}");
    }
}
