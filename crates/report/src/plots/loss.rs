//! Training and validation loss per epoch.

use std::fmt::Write as _;

use super::axes::{self, c, extent, Axis, Frame, LegendEntry, Mark};
use super::palette;
use crate::EpochPoint;

/// Width and height of the SVG.
pub const SIZE: (f64, f64) = (600.0, 420.0);

/// Training loss (solid) and validation loss (dashed) against the epoch, on a
/// log scale when the losses span more than two decades; the epoch with the
/// lowest validation loss is ringed.
pub fn loss_curves(epochs: &[EpochPoint]) -> String {
    let (w, h) = SIZE;
    let plot_title = "Loss per epoch";
    let mut points: Vec<&EpochPoint> = epochs.iter().collect();
    points.sort_by_key(|p| p.epoch);
    let values = || points.iter().flat_map(|p| [Some(p.loss), p.val_loss]).flatten();
    let (Some((lo, hi)), Some((e0, e1))) = (extent(values()), extent(points.iter().map(|p| p.epoch as f64))) else {
        return axes::no_data(w, h, plot_title, "No training history.");
    };
    let frame = Frame::new(w, h, Axis::integer(e0, e1, 8), Axis::auto(lo, hi, 5, false));

    let mut out = String::with_capacity(8 * 1024);
    axes::open(&mut out, w, h, plot_title);
    axes::title(&mut out, plot_title);
    frame.draw_axes(&mut out, "epoch", if frame.y.is_log() { "loss (log scale)" } else { "loss" });

    let markers = points.len() <= 40;
    let train: Vec<(f64, f64)> = points.iter().map(|p| (p.epoch as f64, p.loss)).filter(|p| p.1.is_finite()).collect();
    let val: Vec<(f64, f64)> = points.iter().filter_map(|p| p.val_loss.map(|v| (p.epoch as f64, v))).filter(|p| p.1.is_finite()).collect();
    let mut legend = Vec::new();
    for (series, color, dash, name) in
        [(&train, palette::MODEL, "", "training"), (&val, palette::VALIDATION, " stroke-dasharray=\"7 4\"", "validation")]
    {
        if series.is_empty() {
            continue;
        }
        let d = axes::polyline(series.iter().map(|&(e, v)| (frame.px(e), frame.py(v))));
        let _ = write!(out, "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" stroke-linejoin=\"round\"{dash}/>");
        if markers {
            let _ = write!(out, "<g fill=\"{color}\">");
            for &(e, v) in series.iter() {
                let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"3.2\"/>", c(frame.px(e)), c(frame.py(v)));
            }
            out.push_str("</g>");
        }
        legend.push(LegendEntry::new(name, color, if dash.is_empty() { Mark::Line } else { Mark::Dashed }));
    }
    if let Some(&(e, v)) = val.iter().min_by(|a, b| a.1.total_cmp(&b.1)) {
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"7.5\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            c(frame.px(e)),
            c(frame.py(v)),
            palette::THRESHOLD
        );
        legend.push(LegendEntry::new("lowest validation loss", palette::THRESHOLD, Mark::Ring));
    }
    axes::legend(&mut out, &legend);
    axes::close(&mut out);
    out
}
