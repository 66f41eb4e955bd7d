//! The confusion matrix as a 2×2 heat map.

use std::fmt::Write as _;

use super::axes::{self, c};
use super::palette;
use crate::format;

/// Width and height of the SVG.
pub const SIZE: (f64, f64) = (600.0, 420.0);

/// The confusion matrix `[[TN, FP], [FN, TP]]` (rows: true class, columns:
/// predicted) as a heat map: each cell shows its count and its share of the
/// row, and is shaded by that share, so the diagonal is dark when the
/// detector does well whatever the class balance.
pub fn confusion_matrix(m: &[[u64; 2]; 2], threshold: Option<f64>) -> String {
    let (w, h) = SIZE;
    let plot_title = match threshold.filter(|t| t.is_finite()) {
        Some(t) => format!("Confusion matrix at threshold {}", format::sig(t, 4)),
        None => "Confusion matrix".to_string(),
    };
    let (cw, ch, gy) = (180.0, 136.0, 108.0);
    // Row labels take 150 pixels left of the grid; centre labels and grid together.
    let gx = 150.0 + (w - 150.0 - 2.0 * cw - 20.0) / 2.0;
    let mut out = String::with_capacity(4096);
    axes::open(&mut out, w, h, &plot_title);
    axes::title(&mut out, &plot_title);
    let _ = write!(
        out,
        "<g font-size=\"13\" fill=\"{ink}\" text-anchor=\"middle\">\
         <text x=\"{}\" y=\"58\" fill=\"{muted}\">predicted class</text>\
         <text x=\"{}\" y=\"{}\" font-weight=\"600\" fill=\"{n}\">normal</text>\
         <text x=\"{}\" y=\"{}\" font-weight=\"600\" fill=\"{a}\">anomaly</text>\
         <text transform=\"translate({} {}) rotate(-90)\" fill=\"{muted}\">true class</text></g>\
         <g font-size=\"13\" font-weight=\"600\" text-anchor=\"end\">\
         <text x=\"{}\" y=\"{}\" fill=\"{n}\">normal</text>\
         <text x=\"{}\" y=\"{}\" fill=\"{a}\">anomaly</text></g>",
        c(gx + cw),
        c(gx + cw / 2.0),
        c(gy - 12.0),
        c(gx + 1.5 * cw),
        c(gy - 12.0),
        c(gx - 124.0),
        c(gy + ch),
        c(gx - 12.0),
        c(gy + ch / 2.0 + 5.0),
        c(gx - 12.0),
        c(gy + 1.5 * ch + 5.0),
        ink = palette::INK,
        muted = palette::MUTED,
        n = palette::NORMAL,
        a = palette::ANOMALY
    );
    const NAMES: [[&str; 2]; 2] = [["true negatives", "false positives"], ["false negatives", "true positives"]];
    for (row, cells) in m.iter().enumerate() {
        let total: u64 = cells.iter().sum();
        for (col, &count) in cells.iter().enumerate() {
            let share = if total == 0 { f64::NAN } else { count as f64 / total as f64 };
            let (x, y) = (gx + col as f64 * cw, gy + row as f64 * ch);
            let fill = if share.is_nan() { palette::PANEL.to_string() } else { blues(share) };
            let ink = if share > 0.5 { "#ffffff" } else { palette::INK };
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{fill}\"/>\
                 <g fill=\"{ink}\" text-anchor=\"middle\"><text x=\"{}\" y=\"{}\" font-size=\"11.5\" opacity=\"0.85\">{}</text>\
                 <text x=\"{}\" y=\"{}\" font-size=\"30\" font-weight=\"600\">{}</text>\
                 <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text></g>",
                c(x + 2.0),
                c(y + 2.0),
                c(cw - 4.0),
                c(ch - 4.0),
                c(x + cw / 2.0),
                c(y + 28.0),
                NAMES[row][col],
                c(x + cw / 2.0),
                c(y + 78.0),
                format::count(count),
                c(x + cw / 2.0),
                c(y + 106.0),
                if share.is_nan() { "no rows".to_string() } else { format!("{} of row", format::percent(share)) }
            );
        }
    }
    axes::close(&mut out);
    out
}

/// A sequential blue from near-white (0) to dark navy (1).
fn blues(t: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 3] = [(0.0, [239.0, 245.0, 251.0]), (0.5, [107.0, 174.0, 214.0]), (1.0, [8.0, 48.0, 107.0])];
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let (a, b) = if t <= 0.5 { (STOPS[0], STOPS[1]) } else { (STOPS[1], STOPS[2]) };
    let f = (t - a.0) / (b.0 - a.0);
    let ch = |i: usize| (a.1[i] + (b.1[i] - a.1[i]) * f).round() as u8;
    format!("#{:02x}{:02x}{:02x}", ch(0), ch(1), ch(2))
}

#[cfg(test)]
mod tests {
    use super::blues;

    #[test]
    fn colour_scale_ends() {
        assert_eq!(blues(0.0), "#eff5fb");
        assert_eq!(blues(1.0), "#08306b");
        assert_eq!(blues(f64::NAN), blues(0.0));
    }
}
