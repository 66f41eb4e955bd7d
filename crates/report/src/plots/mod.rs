//! The plots: each is a function from plain data to a complete SVG string.
//!
//! They share [`axes`] (scales, nice ticks, frame, title, legend) and
//! [`palette`]. Every function accepts empty or non-finite input and then
//! draws a "no data" panel instead of panicking.

pub mod axes;
pub mod confusion;
pub mod histogram;
pub mod images;
pub mod latent;
pub mod loss;
pub mod pr;
pub mod roc;
pub mod scores;

pub use confusion::confusion_matrix;
pub use histogram::score_histograms;
pub use images::{most_anomalous, reconstruction_grid};
pub use latent::latent_scatter;
pub use loss::loss_curves;
pub use pr::pr_curve;
pub use roc::roc_curve;
pub use scores::score_per_sample;

/// Colours. Classes use the Okabe-Ito palette, which stays distinguishable
/// with the common forms of colour blindness: normal is blue, anomaly is
/// vermillion, everywhere on the page.
pub mod palette {
    /// Normal rows.
    pub const NORMAL: &str = "#0072B2";
    /// Anomalous rows.
    pub const ANOMALY: &str = "#D55E00";
    /// Training loss, and the model's ROC / precision-recall curves.
    pub const MODEL: &str = "#009E73";
    /// Validation loss.
    pub const VALIDATION: &str = "#CC79A7";
    /// Threshold lines and markers.
    pub const THRESHOLD: &str = "#1f2937";
    /// Reference lines (chance level).
    pub const REFERENCE: &str = "#9ca3af";
    /// Main text.
    pub const INK: &str = "#1f2937";
    /// Secondary text (tick labels, notes).
    pub const MUTED: &str = "#5b6472";
    /// Axis lines.
    pub const AXIS: &str = "#9ca3af";
    /// Major grid lines.
    pub const GRID: &str = "#e5e7eb";
    /// Minor grid lines.
    pub const GRID_MINOR: &str = "#f3f4f6";
    /// Background of empty panels.
    pub const PANEL: &str = "#f5f6f8";
    /// Fonts, the system's own first.
    pub const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif";
}

/// Pairs scores with labels; with unequal lengths only the common prefix counts.
pub(crate) fn paired<'a>(scores: &'a [f64], is_anomaly: &'a [bool]) -> impl Iterator<Item = (usize, f64, bool)> + Clone + 'a {
    scores.iter().zip(is_anomaly).enumerate().map(|(i, (&s, &a))| (i, s, a))
}
