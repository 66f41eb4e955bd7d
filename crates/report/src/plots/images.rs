//! Image grids: inputs next to their reconstructions, and the most anomalous
//! test images. Each image is a greyscale PNG `data:` URI (see `png.rs`),
//! drawn enlarged with crisp pixels.

use std::fmt::Write as _;

use super::axes::{self, c};
use super::palette;
use crate::png::gray_data_uri;
use crate::{format, ImageSet};

/// Images per row.
const COLUMNS: usize = 10;
/// Side of one drawn image, in SVG pixels.
const CELL: f64 = 84.0;
const GAP: f64 = 10.0;
const LABEL_WIDTH: f64 = 150.0;

fn image(out: &mut String, set: &ImageSet, x: f64, y: f64, values: &[f32]) {
    let scale = CELL / set.width.max(set.height) as f64;
    let _ = write!(
        out,
        "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" style=\"image-rendering:pixelated\" href=\"{}\"/>\
         <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{}\"/>",
        c(x),
        c(y),
        c(set.width as f64 * scale),
        c(set.height as f64 * scale),
        gray_data_uri(set.width, set.height, values),
        c(x - 0.5),
        c(y - 0.5),
        c(set.width as f64 * scale + 1.0),
        c(set.height as f64 * scale + 1.0),
        palette::AXIS
    );
}

fn image_height(set: &ImageSet) -> f64 {
    CELL / set.width.max(set.height) as f64 * set.height as f64
}

/// Rows of images side by side: for a denoising model (`noisy` given) the noisy
/// input, the denoised output and the clean image; otherwise the input and
/// its reconstruction. A last row shows `|output − clean input|`, scaled so
/// the largest difference shown is white.
pub fn reconstruction_grid(set: &ImageSet) -> String {
    let denoising = set.noisy.is_some();
    let plot_title = if denoising { "Noisy inputs, denoised outputs and clean images" } else { "Inputs and their reconstructions" };
    let mut columns = set.inputs.len().min(set.reconstructions.len()).min(COLUMNS);
    if let Some(noisy) = &set.noisy {
        columns = columns.min(noisy.len());
    }
    if set.width == 0 || set.height == 0 || columns == 0 {
        return axes::no_data(760.0, 240.0, plot_title, "No images to show.");
    }
    let pixels = set.width * set.height;
    let diffs: Vec<Vec<f32>> =
        (0..columns).map(|i| (0..pixels).map(|p| (px(&set.reconstructions[i], p) - px(&set.inputs[i], p)).abs()).collect()).collect();
    let largest = diffs.iter().flatten().fold(0.0f32, |m, &d| m.max(d));
    let diffs: Vec<Vec<f32>> =
        diffs.into_iter().map(|d| d.into_iter().map(|v| if largest > 0.0 { v / largest } else { 0.0 }).collect()).collect();

    let mut rows: Vec<(&str, Vec<&[f32]>)> = Vec::new();
    if let Some(noisy) = &set.noisy {
        rows.push(("noisy input", noisy[..columns].iter().map(Vec::as_slice).collect()));
        rows.push(("denoised", set.reconstructions[..columns].iter().map(Vec::as_slice).collect()));
        rows.push(("clean", set.inputs[..columns].iter().map(Vec::as_slice).collect()));
    } else {
        rows.push(("input", set.inputs[..columns].iter().map(Vec::as_slice).collect()));
        rows.push(("reconstruction", set.reconstructions[..columns].iter().map(Vec::as_slice).collect()));
    }
    rows.push(("|difference|", diffs.iter().map(Vec::as_slice).collect()));

    let ih = image_height(set);
    let width = LABEL_WIDTH + columns as f64 * (CELL + GAP) + 4.0;
    let height = axes::TOP - 20.0 + rows.len() as f64 * (ih + GAP) + 8.0;
    let mut out = String::with_capacity(columns * rows.len() * 1400);
    axes::open(&mut out, width, height, plot_title);
    axes::title(&mut out, plot_title);
    for (r, (label, images)) in rows.iter().enumerate() {
        let y = axes::TOP - 20.0 + r as f64 * (ih + GAP);
        let _ = write!(
            out,
            "<text x=\"14\" y=\"{}\" font-size=\"13\" fill=\"{}\">{}</text>",
            c(y + ih / 2.0 + 4.0),
            palette::INK,
            crate::escape(label)
        );
        for (i, values) in images.iter().enumerate() {
            image(&mut out, set, LABEL_WIDTH + i as f64 * (CELL + GAP), y, values);
        }
    }
    axes::close(&mut out);
    out
}

/// The most anomalous test images, highest score first, each with its rank and score.
pub fn most_anomalous(set: &ImageSet, score_name: &str) -> String {
    let plot_title = "Most anomalous test images";
    let mut shown: Vec<&(Vec<f32>, f64)> = set.most_anomalous.iter().collect();
    shown.sort_by(|a, b| b.1.total_cmp(&a.1));
    shown.truncate(2 * COLUMNS);
    if set.width == 0 || set.height == 0 || shown.is_empty() {
        return axes::no_data(760.0, 240.0, plot_title, "No images to show.");
    }
    let columns = shown.len().min(COLUMNS);
    let rows = shown.len().div_ceil(COLUMNS);
    let ih = image_height(set);
    let row_height = ih + 34.0;
    let width = 14.0 + columns as f64 * (CELL + GAP) + 4.0;
    let height = axes::TOP + rows as f64 * row_height;
    let mut out = String::with_capacity(shown.len() * 1500);
    axes::open(&mut out, width.max(560.0), height, plot_title);
    axes::title(&mut out, plot_title);
    let _ = write!(
        out,
        "<text x=\"14\" y=\"46\" font-size=\"12.5\" fill=\"{}\">highest first · rank and {} under each</text>",
        palette::MUTED,
        crate::escape(score_name)
    );
    for (k, (values, score)) in shown.iter().enumerate() {
        let (x, y) = (14.0 + (k % COLUMNS) as f64 * (CELL + GAP), axes::TOP + (k / COLUMNS) as f64 * row_height);
        image(&mut out, set, x, y, values);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{}\">#{} · {}</text>",
            c(x + CELL / 2.0),
            c(y + ih + 17.0),
            palette::INK,
            k + 1,
            format::sig(*score, 3)
        );
    }
    axes::close(&mut out);
    out
}

fn px(values: &[f32], i: usize) -> f32 {
    values.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0).clamp(0.0, 1.0)
}
