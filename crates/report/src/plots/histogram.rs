//! Score histograms of the two classes, overlaid on shared bins.

use std::fmt::Write as _;

use super::axes::{self, c, extent, should_log, Axis, Frame, LegendEntry, Mark};
use super::{paired, palette};
use crate::format;

/// Width and height of the SVG.
pub const SIZE: (f64, f64) = (600.0, 420.0);

/// Histograms of the normal and the anomalous rows' scores on the same bins
/// (log-spaced when the scores span more than two decades), each class scaled
/// to 100% so a rare class stays visible, semi-transparent so overlaps show;
/// the threshold is a vertical dashed line.
pub fn score_histograms(scores: &[f64], is_anomaly: &[bool], score_name: &str, threshold: Option<f64>) -> String {
    let (w, h) = SIZE;
    let plot_title = "Score distribution by class";
    let threshold = threshold.filter(|t| t.is_finite());
    let finite: Vec<(f64, bool)> = paired(scores, is_anomaly).filter(|p| p.1.is_finite()).map(|p| (p.1, p.2)).collect();
    let Some((lo, hi)) = extent(finite.iter().map(|p| p.0)) else {
        return axes::no_data(w, h, plot_title, "No finite test scores to show.");
    };
    let log = should_log(lo, hi) && threshold.is_none_or(|t| t > 0.0);
    let t = |v: f64| if log { v.log10() } else { v };
    let (t_lo, t_hi) = if t(hi) > t(lo) { (t(lo), t(hi)) } else { (t(lo) - 0.5, t(hi) + 0.5) };
    let bins = ((finite.len() as f64).sqrt().round() as usize).clamp(10, 40);
    let width = (t_hi - t_lo) / bins as f64;
    let edge = |k: usize| {
        let e = t_lo + width * k as f64;
        if log {
            10f64.powf(e)
        } else {
            e
        }
    };

    let mut counts = [vec![0u64; bins], vec![0u64; bins]];
    for &(s, anomaly) in &finite {
        let k = (((t(s) - t_lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[usize::from(anomaly)][k] += 1;
    }
    let totals = [counts[0].iter().sum::<u64>(), counts[1].iter().sum::<u64>()];
    let share = |class: usize, k: usize| if totals[class] == 0 { 0.0 } else { 100.0 * counts[class][k] as f64 / totals[class] as f64 };
    let top = (0..bins).flat_map(|k| [share(0, k), share(1, k)]).fold(0.0f64, f64::max);

    let (x_lo, x_hi) = extent([edge(0), edge(bins)].into_iter().chain(threshold)).unwrap_or((lo, hi));
    let x = if log { Axis::log(x_lo, x_hi) } else { Axis::linear(x_lo, x_hi, 6) };
    let frame = Frame::new(w, h, x, Axis::linear(0.0, top.max(1.0), 5));

    let mut out = String::with_capacity(8 * 1024);
    axes::open(&mut out, w, h, &format!("{plot_title}: {score_name}"));
    axes::title(&mut out, plot_title);
    let x_title = if log { format!("{score_name} (log scale)") } else { score_name.to_string() };
    frame.draw_axes(&mut out, &x_title, "share of the class (%)");

    for (class, color) in [(0, palette::NORMAL), (1, palette::ANOMALY)] {
        if totals[class] == 0 {
            continue;
        }
        let _ = write!(out, "<g fill=\"{color}\" fill-opacity=\"0.38\">");
        for k in (0..bins).filter(|&k| counts[class][k] > 0) {
            let (xa, xb, y) = (frame.px(edge(k)), frame.px(edge(k + 1)), frame.py(share(class, k)));
            let _ =
                write!(out, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", c(xa), c(y), c((xb - xa).max(0.5)), c(frame.y1 - y));
        }
        out.push_str("</g>");
        let mut d = format!("M{} {}", c(frame.px(edge(0))), c(frame.y1));
        for k in 0..bins {
            let _ = write!(d, "V{}H{}", c(frame.py(share(class, k))), c(frame.px(edge(k + 1))));
        }
        let _ = write!(d, "V{}", c(frame.y1));
        let _ = write!(out, "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>");
    }

    let mut legend = vec![
        LegendEntry::new(format!("normal (n = {})", format::count(totals[0])), palette::NORMAL, Mark::Swatch),
        LegendEntry::new(format!("anomaly (n = {})", format::count(totals[1])), palette::ANOMALY, Mark::Swatch),
    ];
    if let Some(value) = threshold {
        let x = frame.px(value);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.8\" stroke-dasharray=\"7 4\"/>",
            c(x),
            c(frame.y0),
            c(x),
            c(frame.y1),
            palette::THRESHOLD
        );
        let (lx, anchor) = if x > (frame.x0 + frame.x1) / 2.0 { (x - 6.0, "end") } else { (x + 6.0, "start") };
        axes::halo_text(&mut out, lx, frame.y0 + 14.0, anchor, 12.5, palette::THRESHOLD, &format!("threshold {}", format::sig(value, 4)));
        legend.push(LegendEntry::new("threshold", palette::THRESHOLD, Mark::Dashed));
    }
    axes::legend(&mut out, &legend);
    axes::close(&mut out);
    out
}
