//! What every plot shares: scales, ticks at nice round numbers, the frame with
//! its grid and labels, the title and the legend.
//!
//! A plot is drawn in its own SVG coordinate system (`viewBox`), in "pixels"
//! that the page scales to the card's width. Data values go through an
//! [`Axis`] (linear or log10) to a fraction of the plot area, then to pixels.

use std::fmt::Write as _;

use super::palette;
use crate::escape::escape;
use crate::format;

/// Formats an SVG coordinate: one decimal, no trailing `.0` (keeps files small).
pub fn c(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".into(),
        Some(t) => t.into(),
        None => s,
    }
}

/// Whether values in `[lo, hi]` read better on a log scale: all positive and
/// spanning more than two decades.
pub fn should_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi.is_finite() && lo.is_finite() && hi / lo > 100.0
}

/// The smallest "nice" step (1, 2 or 5 times a power of ten) at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let exp = raw.log10().floor() as i32;
    let base = 10f64.powi(exp);
    let f = raw / base;
    let m = if f <= 1.0 + 1e-9 {
        1.0
    } else if f <= 2.0 + 1e-9 {
        2.0
    } else if f <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    clean(m * base)
}

/// Rounds away binary noise: `3.0 * 0.1` becomes `0.3`.
fn clean(v: f64) -> f64 {
    format!("{v:.12e}").parse().unwrap_or(v)
}

/// Nice tick values covering `[lo, hi]`, about `target` intervals apart: the
/// first tick is at or below `lo`, the last at or above `hi`, and all are
/// whole multiples of one nice step. Returns `(ticks, step)`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize, min_step: f64) -> (Vec<f64>, f64) {
    let (lo, hi) = sane_range(lo, hi);
    let step = nice_step(((hi - lo) / target.max(1) as f64).max(min_step));
    let first = (lo / step + 1e-9).floor() as i64;
    let last = (hi / step - 1e-9).ceil() as i64;
    ((first..=last.max(first + 1)).map(|k| clean(k as f64 * step)).collect(), step)
}

/// A usable, non-empty range: non-finite ends become `[0, 1]`, an empty range is widened.
fn sane_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => (0.0, 1.0),
    };
    if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        let pad = lo.abs() * 0.1;
        (lo - pad, hi + pad)
    }
}

/// Linear or logarithmic mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleKind {
    Linear,
    Log,
}

/// A tick: where it is and, for major ticks, its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub value: f64,
    /// `None` for a minor tick (drawn as a faint grid line, unlabelled).
    pub label: Option<String>,
}

/// One axis: its scale, domain and ticks.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub kind: ScaleKind,
    /// Domain start (for a log axis, a positive value).
    pub lo: f64,
    /// Domain end.
    pub hi: f64,
    pub ticks: Vec<Tick>,
}

impl Axis {
    /// A linear axis over `[lo, hi]` widened to the nearest nice ticks, about `target` ticks.
    pub fn linear(lo: f64, hi: f64, target: usize) -> Axis {
        Self::linear_with(lo, hi, target, 0.0)
    }

    /// Like [`Axis::linear`] with ticks on whole numbers only (sample indices, epochs).
    pub fn integer(lo: f64, hi: f64, target: usize) -> Axis {
        Self::linear_with(lo, hi, target, 1.0)
    }

    fn linear_with(lo: f64, hi: f64, target: usize, min_step: f64) -> Axis {
        let (values, step) = nice_ticks(lo, hi, target, min_step);
        let (first, last) = (values[0], values[values.len() - 1]);
        Axis { kind: ScaleKind::Linear, lo: first, hi: last, ticks: linear_labels(&values, step) }
    }

    /// A linear axis over exactly `[lo, hi]` (e.g. rates in `[0, 1]`), nice ticks inside it.
    pub fn exact(lo: f64, hi: f64, target: usize) -> Axis {
        let (lo, hi) = sane_range(lo, hi);
        let (values, step) = nice_ticks(lo, hi, target, 0.0);
        let inside: Vec<f64> = values.into_iter().filter(|v| *v >= lo - 1e-9 * (hi - lo) && *v <= hi + 1e-9 * (hi - lo)).collect();
        Axis { kind: ScaleKind::Linear, lo, hi, ticks: linear_labels(&inside, step) }
    }

    /// A log10 axis from the decade at or below `lo` to the decade at or above
    /// `hi` (both must be positive; anything else gives `[1, 10]`). Powers of
    /// ten are labelled; with few decades the 2..9 multiples get faint lines.
    pub fn log(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = if lo > 0.0 && hi >= lo && hi.is_finite() { (lo, hi) } else { (1.0, 10.0) };
        let e0 = (lo.log10() + 1e-9).floor() as i32;
        let mut e1 = (hi.log10() - 1e-9).ceil() as i32;
        if e1 <= e0 {
            e1 = e0 + 1;
        }
        let decades = (e1 - e0) as usize;
        let label_every = decades.div_ceil(6).max(1);
        let decimal = (-4..=5).contains(&e0) && (-4..=5).contains(&e1);
        let mut ticks = Vec::new();
        for e in e0..=e1 {
            let value = clean(10f64.powi(e));
            let label = ((e - e0) as usize % label_every == 0).then(|| if decimal { format::sig(value, 1) } else { power_of_ten(e) });
            ticks.push(Tick { value, label });
            if decades <= 5 && e < e1 {
                ticks.extend((2..10).map(|m| Tick { value: clean(f64::from(m) * 10f64.powi(e)), label: None }));
            }
        }
        Axis { kind: ScaleKind::Log, lo: 10f64.powi(e0), hi: 10f64.powi(e1), ticks }
    }

    /// Log when the values are positive and span more than two decades
    /// ([`should_log`]), linear otherwise (from 0 when `from_zero` and the values
    /// are not negative).
    pub fn auto(lo: f64, hi: f64, target: usize, from_zero: bool) -> Axis {
        if should_log(lo, hi) {
            Axis::log(lo, hi)
        } else if from_zero && lo >= 0.0 {
            Axis::linear(0.0, hi, target)
        } else {
            Axis::linear(lo, hi, target)
        }
    }

    pub fn is_log(&self) -> bool {
        self.kind == ScaleKind::Log
    }

    /// Position of `v` along the axis, 0 at `lo` and 1 at `hi` (clamped to a
    /// little outside, so stray values stay near the frame).
    pub fn frac(&self, v: f64) -> f64 {
        let f = match self.kind {
            ScaleKind::Linear => (v - self.lo) / (self.hi - self.lo),
            ScaleKind::Log => {
                if v <= 0.0 {
                    return 0.0;
                }
                (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
            }
        };
        if f.is_nan() {
            0.0
        } else {
            f.clamp(-0.02, 1.02)
        }
    }

    fn longest_label(&self) -> usize {
        self.ticks.iter().filter_map(|t| t.label.as_ref()).map(|l| l.chars().count()).max().unwrap_or(1)
    }
}

fn power_of_ten(e: i32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::from("10");
    if e < 0 {
        s.push('⁻');
    }
    for d in e.unsigned_abs().to_string().bytes() {
        s.push(SUP[usize::from(d - b'0')]);
    }
    s
}

/// Labels for linear ticks `step` apart: as many decimals as the step needs,
/// scientific notation for very large or small numbers.
fn linear_labels(values: &[f64], step: f64) -> Vec<Tick> {
    let biggest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scientific = biggest >= 1e6 || step < 1e-4;
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    values
        .iter()
        .map(|&v| {
            let label = if v == 0.0 {
                "0".to_string()
            } else if scientific {
                let s = format!("{v:.2e}");
                let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
                format!("{}e{exp}", mantissa.trim_end_matches('0').trim_end_matches('.'))
            } else {
                format!("{v:.decimals$}")
            };
            Tick { value: v, label: Some(label) }
        })
        .collect()
}

/// Approximate width in pixels of `text` at `size` (no text metrics in SVG;
/// 0.6 em per character is right for digits and close for lower-case letters).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// The vertical space above the plot area that [`title`] and [`legend`] use.
pub const TOP: f64 = 64.0;

/// A plot area inside an SVG of `width` × `height`, with its two axes.
#[derive(Clone, Debug)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// Plot area: left, top, right, bottom edges in SVG pixels.
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub x: Axis,
    pub y: Axis,
}

impl Frame {
    /// A frame with room above for a title and legend and, on the left, for
    /// the y tick labels (measured) and the y axis title.
    pub fn new(width: f64, height: f64, x: Axis, y: Axis) -> Frame {
        let left = 32.0 + text_width(&"0".repeat(y.longest_label()), 12.0) + 12.0;
        Frame { width, height, x0: left, y0: TOP, x1: width - 22.0, y1: height - 52.0, x, y }
    }

    /// A frame `width` wide whose plot area is a square of `side` pixels,
    /// centred, for plots of rates against rates (ROC, precision-recall).
    pub fn square(width: f64, side: f64, x: Axis, y: Axis) -> Frame {
        let left = Frame::new(width, 0.0, x.clone(), y.clone()).x0;
        let x0 = left + ((width - left - 22.0 - side) / 2.0).max(0.0);
        Frame { width: width.max(x0 + side + 22.0), height: TOP + side + 52.0, x0, y0: TOP, x1: x0 + side, y1: TOP + side, x, y }
    }

    /// The SVG x coordinate of data value `v`.
    pub fn px(&self, v: f64) -> f64 {
        self.x0 + self.x.frac(v) * (self.x1 - self.x0)
    }

    /// The SVG y coordinate of data value `v` (up is larger).
    pub fn py(&self, v: f64) -> f64 {
        self.y1 - self.y.frac(v) * (self.y1 - self.y0)
    }

    /// Grid lines, tick labels, the axis lines and both axis titles.
    pub fn draw_axes(&self, out: &mut String, x_title: &str, y_title: &str) {
        let (x0, y0, x1, y1) = (self.x0, self.y0, self.x1, self.y1);
        out.push_str("<g shape-rendering=\"crispEdges\">");
        for (axis, vertical) in [(&self.y, false), (&self.x, true)] {
            for t in &axis.ticks {
                let (color, width) = if t.label.is_some() { (palette::GRID, 1.0) } else { (palette::GRID_MINOR, 1.0) };
                if vertical {
                    let x = self.px(t.value);
                    let _ = write!(
                        out,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"{width}\"/>",
                        c(x),
                        c(y0),
                        c(x),
                        c(y1)
                    );
                } else {
                    let y = self.py(t.value);
                    let _ = write!(
                        out,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"{width}\"/>",
                        c(x0),
                        c(y),
                        c(x1),
                        c(y)
                    );
                }
            }
        }
        let _ = write!(
            out,
            "<path d=\"M{} {}V{}H{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"/></g>",
            c(x0),
            c(y0),
            c(y1),
            c(x1),
            palette::AXIS
        );
        let _ = write!(out, "<g font-size=\"12\" fill=\"{}\">", palette::MUTED);
        for t in &self.y.ticks {
            if let Some(label) = &t.label {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                    c(x0 - 7.0),
                    c(self.py(t.value) + 4.0),
                    escape(label)
                );
            }
        }
        for t in &self.x.ticks {
            if let Some(label) = &t.label {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    c(self.px(t.value)),
                    c(y1 + 18.0),
                    escape(label)
                );
            }
        }
        out.push_str("</g>");
        let _ = write!(
            out,
            "<g font-size=\"13\" fill=\"{}\"><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text transform=\"translate({} {}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
            palette::INK,
            c((x0 + x1) / 2.0),
            c(y1 + 40.0),
            escape(x_title),
            c(x0 - 7.0 - text_width(&"0".repeat(self.y.longest_label()), 12.0) - 14.0),
            c((y0 + y1) / 2.0),
            escape(y_title)
        );
    }
}

/// Opens an SVG of `width` × `height` with a white background; `label` is its
/// accessible name (and tooltip). Close it with [`close`].
pub fn open(out: &mut String, width: f64, height: f64, label: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"{l}\" font-family=\"{font}\"><title>{l}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>",
        w = c(width),
        h = c(height),
        l = escape(label),
        font = palette::FONT
    );
}

/// Closes an SVG opened with [`open`].
pub fn close(out: &mut String) {
    out.push_str("</svg>");
}

/// The plot's title, top left.
pub fn title(out: &mut String, text: &str) {
    let _ = write!(out, "<text x=\"14\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"{}\">{}</text>", palette::INK, escape(text));
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A filled dot (scatter plots).
    Dot,
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// A filled square (bars, areas).
    Swatch,
    /// A ringed dot (a marked point such as the chosen threshold).
    Ring,
}

/// One legend entry.
#[derive(Clone, Debug)]
pub struct LegendEntry {
    pub label: String,
    pub color: &'static str,
    pub mark: Mark,
}

impl LegendEntry {
    pub fn new(label: impl Into<String>, color: &'static str, mark: Mark) -> LegendEntry {
        LegendEntry { label: label.into(), color, mark }
    }
}

/// A legend in one row under the title (above the plot area, so it never
/// hides data). Returns the x where it ends.
pub fn legend(out: &mut String, entries: &[LegendEntry]) -> f64 {
    let y = 46.0;
    let mut x = 14.0;
    let _ = write!(out, "<g font-size=\"12.5\" fill=\"{}\">", palette::INK);
    for e in entries {
        match e.mark {
            Mark::Dot => {
                let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{}\"/>", c(x + 7.0), c(y - 4.0), e.color);
            }
            Mark::Ring => {
                let _ = write!(
                    out,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"5.5\" fill=\"none\" stroke=\"{col}\" stroke-width=\"1.8\"/><circle cx=\"{x}\" cy=\"{y}\" r=\"2\" fill=\"{col}\"/>",
                    x = c(x + 7.0),
                    y = c(y - 4.0),
                    col = e.color
                );
            }
            Mark::Line | Mark::Dashed => {
                let dash = if e.mark == Mark::Dashed { " stroke-dasharray=\"5 3\"" } else { "" };
                let _ = write!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{dash}/>",
                    c(x),
                    c(y - 4.0),
                    c(x + 18.0),
                    c(y - 4.0),
                    e.color
                );
            }
            Mark::Swatch => {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\" fill-opacity=\"0.6\"/>",
                    c(x + 2.0),
                    c(y - 10.0),
                    e.color
                );
            }
        }
        let _ = write!(out, "<text x=\"{}\" y=\"{}\">{}</text>", c(x + 24.0), c(y), escape(&e.label));
        x += 24.0 + text_width(&e.label, 12.5) + 18.0;
    }
    out.push_str("</g>");
    x
}

/// Text with a white halo, readable on top of data.
pub fn halo_text(out: &mut String, x: f64, y: f64, anchor: &str, size: f64, color: &str, text: &str) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{color}\" stroke=\"#fff\" stroke-width=\"4\" \
         stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
        c(x),
        c(y),
        escape(text)
    );
}

/// A complete SVG saying there is nothing to draw, for empty inputs.
pub fn no_data(width: f64, height: f64, plot_title: &str, message: &str) -> String {
    let mut out = String::new();
    open(&mut out, width, height, plot_title);
    title(&mut out, plot_title);
    let _ = write!(
        out,
        "<rect x=\"14\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" fill=\"{}\">{}</text>",
        c(TOP - 20.0),
        c(width - 28.0),
        c(height - TOP),
        palette::PANEL,
        c(width / 2.0),
        c((TOP - 20.0 + height) / 2.0),
        palette::MUTED,
        escape(message)
    );
    close(&mut out);
    out
}

/// Finite values' minimum and maximum, or `None` when there are none.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Many points as dots, in one `<path>` of zero-length segments with round
/// caps: about 12 bytes a point instead of 40 for `<circle>`. Of the points
/// that fall in the same square of `radius` pixels only the first is drawn
/// (its dot covers the others), so 100,000 rows still make a small file that
/// looks the same.
pub fn dots(out: &mut String, points: impl IntoIterator<Item = (f64, f64)>, color: &str, radius: f64, opacity: f64) {
    let mut seen = std::collections::HashSet::new();
    let mut d = String::new();
    let cell = radius.max(1.0);
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite() && seen.insert(((x / cell).round() as i64, (y / cell).round() as i64))) {
            continue;
        }
        let _ = write!(d, "M{} {}h0", c(x), c(y));
    }
    if !d.is_empty() {
        let _ = write!(
            out,
            "<path d=\"{d}\" stroke=\"{color}\" stroke-width=\"{}\" stroke-linecap=\"round\" stroke-opacity=\"{opacity}\" fill=\"none\"/>",
            c(radius * 2.0)
        );
    }
}

/// A polyline through `points` (SVG coordinates), skipping non-finite ones and
/// points closer than a quarter pixel to the previous one.
pub fn polyline(points: impl IntoIterator<Item = (f64, f64)>) -> String {
    let mut d = String::new();
    let mut last: Option<(f64, f64)> = None;
    let mut pending: Option<(f64, f64)> = None;
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        if let Some((lx, ly)) = last {
            if (x - lx).abs() < 0.25 && (y - ly).abs() < 0.25 {
                pending = Some((x, y));
                continue;
            }
        }
        let _ = write!(d, "{}{} {}", if last.is_none() { "M" } else { "L" }, c(x), c(y));
        last = Some((x, y));
        pending = None;
    }
    if let Some((x, y)) = pending {
        let _ = write!(d, "L{} {}", c(x), c(y));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nice number is 1, 2 or 5 times a power of ten.
    fn is_nice(step: f64) -> bool {
        let exp = step.log10().floor();
        let m = step / 10f64.powf(exp);
        [1.0, 2.0, 5.0, 10.0].iter().any(|n| (m - n).abs() < 1e-9)
    }

    #[test]
    fn ticks_are_multiples_of_a_nice_step_and_cover_the_range() {
        for &(lo, hi) in
            &[(0.0, 1.0), (0.0013, 0.0871), (-3.7, 12.2), (95.0, 105.0), (0.0, 56_863.0), (1e-7, 3e-7), (-1.0, -0.5), (2.5, 2.5)]
        {
            let (ticks, step) = nice_ticks(lo, hi, 5, 0.0);
            assert!(is_nice(step), "step {step} for [{lo}, {hi}]");
            assert!(ticks[0] <= lo && *ticks.last().unwrap() >= hi, "{ticks:?} do not cover [{lo}, {hi}]");
            assert!((3..=12).contains(&ticks.len()), "{} ticks for [{lo}, {hi}]: {ticks:?}", ticks.len());
            for t in &ticks {
                let k = t / step;
                assert!((k - k.round()).abs() < 1e-6, "{t} is not a multiple of {step}");
                // No binary noise: the value prints short.
                assert!(format!("{t}").len() <= 12, "{t} prints long");
            }
        }
        assert_eq!(nice_ticks(0.0, 1.0, 5, 0.0).0, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    }

    #[test]
    fn tick_labels_read_like_numbers_people_write() {
        let labels = |a: &Axis| a.ticks.iter().filter_map(|t| t.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&Axis::linear(0.0, 0.87, 5)), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(labels(&Axis::integer(0.0, 3.0, 8)), ["0", "1", "2", "3"]);
        assert_eq!(labels(&Axis::exact(0.0, 1.0, 5)), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(labels(&Axis::log(0.003, 2.0)), ["0.001", "0.01", "0.1", "1", "10"]);
        assert_eq!(labels(&Axis::log(1e-7, 1e-5)), ["10⁻⁷", "10⁻⁶", "10⁻⁵"]);
        assert_eq!(labels(&Axis::linear(0.0, 3e-5, 5)), ["0", "1e-5", "2e-5", "3e-5"]);
        assert_eq!(labels(&Axis::linear(0.0, 2.0e6, 4)), ["0", "5e5", "1e6", "1.5e6", "2e6"]);
    }

    #[test]
    fn degenerate_ranges_do_not_panic() {
        for (lo, hi) in [(f64::NAN, f64::NAN), (0.0, 0.0), (5.0, 5.0), (f64::NEG_INFINITY, f64::INFINITY), (3.0, -3.0)] {
            let a = Axis::linear(lo, hi, 5);
            assert!(a.hi > a.lo && a.ticks.len() >= 2, "{a:?}");
            assert!(a.frac(f64::NAN).is_finite());
        }
        let a = Axis::log(-1.0, 0.0);
        assert!(a.hi > a.lo);
        assert_eq!(a.frac(0.0), 0.0);
    }

    #[test]
    fn log_only_when_it_helps() {
        assert!(should_log(0.001, 1.0));
        assert!(!should_log(0.1, 5.0));
        assert!(!should_log(0.0, 1.0));
        assert!(Axis::auto(1e-4, 1.0, 5, true).is_log());
        let lin = Axis::auto(0.2, 0.9, 5, true);
        assert!(!lin.is_log() && lin.lo == 0.0);
    }

    #[test]
    fn many_decades_label_a_subset() {
        let a = Axis::log(1e-12, 1.0);
        let labelled = a.ticks.iter().filter(|t| t.label.is_some()).count();
        assert!((4..=7).contains(&labelled), "{labelled} labels");
        assert!(a.ticks.iter().all(|t| t.value > 0.0));
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(c(12.0), "12");
        assert_eq!(c(12.345), "12.3");
        assert_eq!(c(-0.01), "0");
        assert_eq!(c(f64::NAN), "0");
    }

    #[test]
    fn dots_deduplicate_points_on_the_same_pixel() {
        let mut out = String::new();
        dots(&mut out, (0..1000).map(|i| (10.0 + (i % 2) as f64 * 0.01, 20.0)).chain([(f64::NAN, 1.0)]), "#000", 2.0, 0.8);
        assert_eq!(out.matches('M').count(), 1);
        let mut none = String::new();
        dots(&mut none, std::iter::empty(), "#000", 2.0, 0.8);
        assert!(none.is_empty());
    }
}
