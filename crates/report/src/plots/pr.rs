//! The precision-recall curve.

use std::fmt::Write as _;

use super::axes::{self, c, Axis, Frame, LegendEntry, Mark};
use super::palette;
use super::roc::{operating_point, SIDE, WIDTH};
use crate::format;

/// The precision-recall curve from `(recall, precision)` points in the order
/// scikit-learn's `precision_recall_curve` gives them (recall falling; the
/// other order is reversed first), drawn as steps so that the shaded area is
/// the average precision shown in the title. `prevalence` (the share of
/// anomalies) is the chance level, a dashed line; `operating` is the chosen
/// threshold's `(recall, precision)`.
pub fn pr_curve(points: &[(f64, f64)], average_precision: f64, prevalence: Option<f64>, operating: Option<(f64, f64)>) -> String {
    let plot_title = format!("Precision-recall curve · AP = {}", format::fixed(average_precision, 3));
    let frame = Frame::square(WIDTH, SIDE, Axis::exact(0.0, 1.0, 5), Axis::exact(0.0, 1.0, 5));
    let mut pts: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if pts.is_empty() {
        return axes::no_data(frame.width, frame.height, &plot_title, "No precision-recall points.");
    }
    if pts[0].0 < pts[pts.len() - 1].0 {
        pts.reverse();
    }

    let mut out = String::with_capacity(8 * 1024);
    axes::open(&mut out, frame.width, frame.height, &plot_title);
    axes::title(&mut out, &plot_title);
    frame.draw_axes(&mut out, "recall (share of anomalies caught)", "precision (share of flagged that are anomalies)");

    let mut legend = vec![LegendEntry::new("model", palette::MODEL, Mark::Line)];
    if let Some(p) = prevalence.filter(|p| p.is_finite() && (0.0..=1.0).contains(p)) {
        let y = frame.py(p);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>",
            c(frame.x0),
            c(y),
            c(frame.x1),
            c(y),
            palette::REFERENCE
        );
        legend.push(LegendEntry::new(format!("chance = {}", format::fixed(p, 2)), palette::REFERENCE, Mark::Dashed));
    }
    // Steps: from each point, along at its precision to the next point's recall, then to its precision.
    let mut steps = Vec::with_capacity(pts.len() * 2);
    for (i, &(r, p)) in pts.iter().enumerate() {
        steps.push((r, p));
        if let Some(&(next_r, _)) = pts.get(i + 1) {
            steps.push((next_r, p));
        }
    }
    let curve = axes::polyline(steps.iter().map(|&(x, y)| (frame.px(x), frame.py(y))));
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
    if let Some((r, p)) = operating.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        operating_point(&mut out, &frame, r, p);
        legend.push(LegendEntry::new("chosen threshold", palette::THRESHOLD, Mark::Ring));
    }
    axes::legend(&mut out, &legend);
    axes::close(&mut out);
    out
}
