//! The ROC curve.

use std::fmt::Write as _;

use super::axes::{self, c, Axis, Frame, LegendEntry, Mark};
use super::palette;
use crate::format;

/// Width of the SVG (as the other plots in the grid, so text has one size).
pub const WIDTH: f64 = 600.0;
/// Side of the square plot area.
pub const SIDE: f64 = 440.0;

/// The ROC curve from `(false-positive rate, true-positive rate)` points, with
/// the chance diagonal, the area under it shaded, the AUC in the title and,
/// when given, the chosen threshold's operating point `(fpr, tpr)` ringed.
pub fn roc_curve(points: &[(f64, f64)], auc: f64, operating: Option<(f64, f64)>) -> String {
    let plot_title = format!("ROC curve · AUC = {}", format::fixed(auc, 3));
    let frame = Frame::square(WIDTH, SIDE, Axis::exact(0.0, 1.0, 5), Axis::exact(0.0, 1.0, 5));
    let mut pts: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if pts.is_empty() {
        return axes::no_data(frame.width, frame.height, &plot_title, "No ROC points (the test set needs both classes).");
    }
    // A ROC curve rises in both coordinates, so sorting restores its order whatever the input's.
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));

    let mut out = String::with_capacity(8 * 1024);
    axes::open(&mut out, frame.width, frame.height, &plot_title);
    axes::title(&mut out, &plot_title);
    frame.draw_axes(&mut out, "false-positive rate (share of normals flagged)", "true-positive rate (share of anomalies caught)");
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>",
        c(frame.x0),
        c(frame.y1),
        c(frame.x1),
        c(frame.y0),
        palette::REFERENCE
    );
    let curve = axes::polyline(pts.iter().map(|&(x, y)| (frame.px(x), frame.py(y))));
    let (first, last) = (pts[0].0, pts[pts.len() - 1].0);
    let _ = write!(
        out,
        "<path d=\"{curve}L{} {}L{} {}Z\" fill=\"{m}\" fill-opacity=\"0.12\"/>\
         <path d=\"{curve}\" fill=\"none\" stroke=\"{m}\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>",
        c(frame.px(last)),
        c(frame.y1),
        c(frame.px(first)),
        c(frame.y1),
        m = palette::MODEL
    );
    let mut legend =
        vec![LegendEntry::new("model", palette::MODEL, Mark::Line), LegendEntry::new("chance", palette::REFERENCE, Mark::Dashed)];
    if let Some((fpr, tpr)) = operating.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        operating_point(&mut out, &frame, fpr, tpr);
        legend.push(LegendEntry::new("chosen threshold", palette::THRESHOLD, Mark::Ring));
    }
    axes::legend(&mut out, &legend);
    axes::close(&mut out);
    out
}

/// A ringed dot with a label, placed on the side with more room.
pub(crate) fn operating_point(out: &mut String, frame: &Frame, x: f64, y: f64) {
    let (px, py) = (frame.px(x), frame.py(y));
    let _ = write!(
        out,
        "<circle cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" stroke=\"{t}\" stroke-width=\"2\"/><circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{t}\"/>",
        c(px),
        c(py),
        c(px),
        c(py),
        t = palette::THRESHOLD
    );
    let right = px < (frame.x0 + frame.x1) / 2.0;
    // Below the point is under the curve (the shaded area), where no line runs.
    let below = py < frame.y1 - 34.0;
    let (lx, anchor) = if right { (px + 12.0, "start") } else { (px - 12.0, "end") };
    let ly = if below { py + 24.0 } else { py - 12.0 };
    let label = format!("chosen threshold ({}, {})", format::fixed(x, 2), format::fixed(y, 2));
    axes::halo_text(out, lx, ly, anchor, 12.5, palette::THRESHOLD, &label);
}
