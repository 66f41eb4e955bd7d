//! The source articles' anomaly chart: each test row's score against its
//! index, coloured by the true class, with the threshold as a line.

use std::fmt::Write as _;

use super::axes::{self, c, extent, Axis, Frame, LegendEntry, Mark};
use super::{paired, palette};
use crate::format;

/// Width and height of the SVG (a wide chart: it gets a full row on the page).
pub const SIZE: (f64, f64) = (1100.0, 440.0);

/// Score per test sample (x = row index, y = score, log scale when the scores
/// span more than two decades), normal rows blue, anomalies vermillion, and
/// the chosen threshold `(value, rule)` as a dashed line labelled with its value.
pub fn score_per_sample(scores: &[f64], is_anomaly: &[bool], score_name: &str, threshold: Option<(f64, &str)>) -> String {
    let (w, h) = SIZE;
    let plot_title = "Anomaly score per test sample";
    let n = scores.len().min(is_anomaly.len());
    let threshold = threshold.filter(|t| t.0.is_finite());
    let Some((lo, hi)) = extent(paired(scores, is_anomaly).map(|p| p.1).chain(threshold.map(|t| t.0))) else {
        return axes::no_data(w, h, plot_title, "No test scores to show.");
    };
    if !paired(scores, is_anomaly).any(|p| p.1.is_finite()) {
        return axes::no_data(w, h, plot_title, "No finite test scores to show.");
    }
    let frame = Frame::new(w, h, Axis::integer(0.0, n.saturating_sub(1).max(1) as f64, 12), Axis::auto(lo, hi, 6, true));

    let mut out = String::with_capacity(16 * 1024);
    axes::open(&mut out, w, h, &format!("{plot_title}: {score_name}"));
    axes::title(&mut out, plot_title);
    let y_title = if frame.y.is_log() { format!("{score_name} (log scale)") } else { score_name.to_string() };
    frame.draw_axes(&mut out, "test sample index", &y_title);

    let radius = match n {
        0..=300 => 3.4,
        301..=3000 => 2.5,
        _ => 1.7,
    };
    let point = |(i, s, _): (usize, f64, bool)| (frame.px(i as f64), frame.py(s));
    axes::dots(&mut out, paired(scores, is_anomaly).filter(|p| !p.2).map(point), palette::NORMAL, radius, 0.65);
    axes::dots(&mut out, paired(scores, is_anomaly).filter(|p| p.2).map(point), palette::ANOMALY, radius, 0.85);

    let normals = paired(scores, is_anomaly).filter(|p| !p.2).count() as u64;
    let anomalies = n as u64 - normals;
    let mut legend = vec![
        LegendEntry::new(format!("normal (n = {})", format::count(normals)), palette::NORMAL, Mark::Dot),
        LegendEntry::new(format!("anomaly (n = {})", format::count(anomalies)), palette::ANOMALY, Mark::Dot),
    ];
    if let Some((value, rule)) = threshold {
        let y = frame.py(value);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.8\" stroke-dasharray=\"7 4\"/>",
            c(frame.x0),
            c(y),
            c(frame.x1),
            c(y),
            palette::THRESHOLD
        );
        let label = if rule.is_empty() {
            format!("threshold {}", format::sig(value, 4))
        } else {
            format!("threshold {} ({rule})", format::sig(value, 4))
        };
        let label_y = if y - 8.0 < frame.y0 + 14.0 { y + 17.0 } else { y - 7.0 };
        axes::halo_text(&mut out, frame.x1 - 6.0, label_y, "end", 13.0, palette::THRESHOLD, &label);
        legend.push(LegendEntry::new("threshold: rows above it are flagged", palette::THRESHOLD, Mark::Dashed));
    }
    let end = axes::legend(&mut out, &legend);
    let hidden = scores[..n].iter().filter(|s| !s.is_finite()).count();
    if hidden > 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"46\" font-size=\"12.5\" fill=\"{}\">{} non-finite scores not shown</text>",
            c(end),
            palette::MUTED,
            format::count(hidden as u64)
        );
    }
    axes::close(&mut out);
    out
}
