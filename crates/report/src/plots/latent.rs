//! The latent space: 2-D codes of the test rows, coloured by class.

use super::axes::{self, extent, Axis, Frame, LegendEntry, Mark};
use super::palette;
use crate::format;

/// Width and height of the SVG.
pub const SIZE: (f64, f64) = (600.0, 460.0);

/// A scatter of the test rows' 2-D codes (`codes[i]` belongs to the row of
/// `is_anomaly[i]`), normals blue, anomalies vermillion drawn on top, rows
/// without a label grey.
pub fn latent_scatter(codes: &[(f64, f64)], is_anomaly: &[bool]) -> String {
    let (w, h) = SIZE;
    let plot_title = "Latent space of the test rows";
    let (Some((xlo, xhi)), Some((ylo, yhi))) = (extent(codes.iter().map(|p| p.0)), extent(codes.iter().map(|p| p.1))) else {
        return axes::no_data(w, h, plot_title, "No latent codes to show.");
    };
    let frame = Frame::new(w, h, Axis::linear(xlo, xhi, 6), Axis::linear(ylo, yhi, 6));
    let mut out = String::with_capacity(16 * 1024);
    axes::open(&mut out, w, h, plot_title);
    axes::title(&mut out, plot_title);
    frame.draw_axes(&mut out, "latent dimension 1", "latent dimension 2");

    let class = |i: usize| is_anomaly.get(i).copied();
    let radius = if codes.len() > 3000 { 1.8 } else { 2.8 };
    let point = |(_, &(x, y)): (usize, &(f64, f64))| (frame.px(x), frame.py(y));
    axes::dots(&mut out, codes.iter().enumerate().filter(|(i, _)| class(*i).is_none()).map(point), palette::REFERENCE, radius, 0.6);
    axes::dots(&mut out, codes.iter().enumerate().filter(|(i, _)| class(*i) == Some(false)).map(point), palette::NORMAL, radius, 0.55);
    axes::dots(&mut out, codes.iter().enumerate().filter(|(i, _)| class(*i) == Some(true)).map(point), palette::ANOMALY, radius, 0.8);

    let count = |c: Option<bool>| (0..codes.len()).filter(|&i| class(i) == c).count() as u64;
    let mut legend = vec![
        LegendEntry::new(format!("normal (n = {})", format::count(count(Some(false)))), palette::NORMAL, Mark::Dot),
        LegendEntry::new(format!("anomaly (n = {})", format::count(count(Some(true)))), palette::ANOMALY, Mark::Dot),
    ];
    if count(None) > 0 {
        legend.push(LegendEntry::new(format!("no label (n = {})", format::count(count(None))), palette::REFERENCE, Mark::Dot));
    }
    axes::legend(&mut out, &legend);
    axes::close(&mut out);
    out
}
