//! Sliding windows over a time series, and scores of windows mapped back to
//! the points they cover.
//!
//! A series of `n_points` time steps with `n_cols` values each (a [`Table`]'s
//! rows in time order) is cut into windows of `window` consecutive steps,
//! starting every `stride` steps:
//!
//! ```text
//! starts = 0, stride, 2 stride, ...   while start + window <= n_points
//! window k = rows starts[k] .. starts[k] + window, flattened row-major
//!            (time step by time step, all columns of a step together)
//! ```
//!
//! so window `k` is the contiguous slice `values[starts[k] * n_cols ..
//! (starts[k] + window) * n_cols]`. The windows do not reach past the end:
//! when `(n_points - window)` is not a multiple of `stride`, the last few
//! points are in no window, and [`scores_to_points`] gives them the score of
//! the window that ends nearest.

use crate::csv::Table;
use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// Windows cut from a series: `n_windows x (window * n_cols)` values,
/// row-major, and the time step each window starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    pub data: Vec<f32>,
    pub n_windows: usize,
    pub window: usize,
    pub n_cols: usize,
    pub starts: Vec<usize>,
}

impl Windows {
    /// The values of one window: `window * n_cols`.
    pub fn row_len(&self) -> usize {
        self.window * self.n_cols
    }

    /// The windows as a dataset of rows shaped `[window, n_cols]`, with
    /// features named `"{column}@{k}"` for step `k` of the window, and no labels.
    pub fn into_dataset(self, column_names: &[String]) -> Result<Dataset> {
        if column_names.len() != self.n_cols {
            let why = format!("{} column names for windows of {} columns", column_names.len(), self.n_cols);
            return Err(DataError::invalid("Windows::into_dataset", why));
        }
        let names = (0..self.window).flat_map(|k| column_names.iter().map(move |c| format!("{c}@{k}"))).collect();
        Dataset::new(self.data, self.n_windows, vec![self.window, self.n_cols], names, None)
    }
}

/// Cuts `values` (`n_points x n_cols`, row-major, rows in time order) into
/// windows of `window` steps every `stride` steps (see the file header).
pub fn sliding_windows(values: &[f32], n_cols: usize, window: usize, stride: usize) -> Result<Windows> {
    if n_cols == 0 || window == 0 || stride == 0 {
        let why = format!("columns ({n_cols}), window ({window}) and stride ({stride}) must all be at least 1");
        return Err(DataError::invalid("sliding_windows", why));
    }
    if values.len() % n_cols != 0 {
        return Err(DataError::invalid("sliding_windows", format!("{} values are not rows of {n_cols} columns", values.len())));
    }
    let n_points = values.len() / n_cols;
    if n_points < window {
        let why = format!("a series of {n_points} points is shorter than one window of {window}");
        return Err(DataError::invalid("sliding_windows", why));
    }
    let starts: Vec<usize> = (0..=n_points - window).step_by(stride).collect();
    let mut data = Vec::with_capacity(starts.len() * window * n_cols);
    for &s in &starts {
        data.extend_from_slice(&values[s * n_cols..(s + window) * n_cols]);
    }
    Ok(Windows { data, n_windows: starts.len(), window, n_cols, starts })
}

/// Cuts a table's feature rows into windows (its labels are not used; see
/// [`window_labels`] for those).
pub fn table_windows(table: &Table, window: usize, stride: usize) -> Result<Windows> {
    sliding_windows(&table.features, table.n_features(), window, stride)
}

/// A window is anomalous when any point in it is: `labels[k] = OR over
/// p in [starts[k], starts[k] + window) of point_is_anomaly[p]`.
pub fn window_labels(point_is_anomaly: &[bool], starts: &[usize], window: usize) -> Result<Vec<bool>> {
    check_spans("window_labels", starts, window, point_is_anomaly.len())?;
    Ok(starts.iter().map(|&s| point_is_anomaly[s..s + window].iter().any(|&a| a)).collect())
}

/// Spreads one score per window back over the `n_points` points of the series.
///
/// A point covered by windows takes the largest of their scores:
/// `score[p] = max { window_scores[k] : starts[k] <= p < starts[k] + window }`
/// (an anomaly anywhere in a window raises the whole window's score, and the
/// maximum keeps a point flagged if any window that saw it was flagged).
///
/// A point covered by no window (the tail past the last window, or a gap when
/// `stride > window`) takes the score of the nearest window, the distance
/// from `p` to window `k` being `starts[k] - p` before it or
/// `p - (starts[k] + window - 1)` after it; on a tie, the larger score. So the
/// tail repeats the last window's score rather than being left as NaN, which
/// every threshold comparison would silently count as normal.
pub fn scores_to_points(window_scores: &[f32], starts: &[usize], window: usize, n_points: usize) -> Result<Vec<f32>> {
    if window_scores.len() != starts.len() {
        let why = format!("{} scores for {} windows", window_scores.len(), starts.len());
        return Err(DataError::invalid("scores_to_points", why));
    }
    if starts.is_empty() {
        return Err(DataError::invalid("scores_to_points", "no windows to take scores from"));
    }
    check_spans("scores_to_points", starts, window, n_points)?;

    // Pass 1: the max over covering windows; also the best score among the
    // windows starting (ending) at each step, for the uncovered points.
    let mut covered: Vec<Option<f32>> = vec![None; n_points];
    let mut starting_at: Vec<Option<f32>> = vec![None; n_points];
    let mut ending_at: Vec<Option<f32>> = vec![None; n_points];
    let bump = |slot: &mut Option<f32>, s: f32| *slot = Some(slot.map_or(s, |old| old.max(s)));
    for (&s, &score) in starts.iter().zip(window_scores) {
        for slot in &mut covered[s..s + window] {
            bump(slot, score);
        }
        bump(&mut starting_at[s], score);
        bump(&mut ending_at[s + window - 1], score);
    }

    // Pass 2: for each point, the nearest window end at or before it (sweeping
    // left to right) and the nearest window start at or after it (right to left).
    let mut before: Vec<Option<(usize, f32)>> = vec![None; n_points]; // (distance, score)
    let mut last = None;
    for p in 0..n_points {
        if let Some(s) = ending_at[p] {
            last = Some((p, s));
        }
        before[p] = last.map(|(e, s)| (p - e, s));
    }
    let mut out = vec![0.0; n_points];
    let mut next = None;
    for p in (0..n_points).rev() {
        if let Some(s) = starting_at[p] {
            next = Some((p, s));
        }
        let after = next.map(|(b, s)| (b - p, s));
        out[p] = match (covered[p], before[p], after) {
            (Some(s), _, _) => s,
            (None, Some((d1, s1)), Some((d2, s2))) if d1 == d2 => s1.max(s2),
            (None, Some((d1, s1)), Some((d2, s2))) => {
                if d1 < d2 {
                    s1
                } else {
                    s2
                }
            }
            (None, Some((_, s)), None) | (None, None, Some((_, s))) => s,
            // Unreachable with at least one window, but no panic on it.
            (None, None, None) => f32::NAN,
        };
    }
    Ok(out)
}

/// Every window `[s, s + window)` must lie inside `0..n_points`.
fn check_spans(op: &'static str, starts: &[usize], window: usize, n_points: usize) -> Result<()> {
    if window == 0 {
        return Err(DataError::invalid(op, "the window must be at least 1 point long"));
    }
    if let Some(&s) = starts.iter().find(|&&s| s.checked_add(window).is_none_or(|end| end > n_points)) {
        let why = format!("a window starting at {s} with length {window} runs past the {n_points} points of the series");
        return Err(DataError::invalid(op, why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_a_small_series() {
        // 5 steps, 2 columns: step t holds (t, 10 t).
        let values: Vec<f32> = (0..5).flat_map(|t| [t as f32, 10.0 * t as f32]).collect();
        let w = sliding_windows(&values, 2, 3, 1).unwrap();
        assert_eq!(w.starts, [0, 1, 2]);
        assert_eq!(w.row_len(), 6);
        assert_eq!(&w.data[..6], [0.0, 0.0, 1.0, 10.0, 2.0, 20.0]);
        assert_eq!(&w.data[12..], [2.0, 20.0, 3.0, 30.0, 4.0, 40.0]);

        // Stride 2 over 8 points with window 3: starts 0, 2, 4; point 7 is in none.
        let w = sliding_windows(&[0.0; 8], 1, 3, 2).unwrap();
        assert_eq!(w.starts, [0, 2, 4]);
        let ds = w.into_dataset(&["x".to_string()]).unwrap();
        assert_eq!(ds.row_shape, [3, 1]);
        assert_eq!(ds.feature_names, ["x@0", "x@1", "x@2"]);
    }

    #[test]
    fn window_errors() {
        let e = sliding_windows(&[1.0, 2.0], 1, 3, 1).unwrap_err().to_string();
        assert_eq!(e, "sliding_windows: a series of 2 points is shorter than one window of 3");
        assert!(sliding_windows(&[1.0; 4], 1, 2, 0).is_err());
        assert!(sliding_windows(&[1.0; 5], 2, 2, 1).is_err());
    }

    #[test]
    fn scores_back_to_points_by_hand() {
        // Windows [0,3), [2,5), [4,7) scored 1, 5, 2; point 7 is uncovered.
        //   point:  0  1  2        3  4        5  6  7
        //   score:  1  1  max(1,5) 5  max(5,2) 2  2  2 (nearest: the window ending at 6)
        let p = scores_to_points(&[1.0, 5.0, 2.0], &[0, 2, 4], 3, 8).unwrap();
        assert_eq!(p, [1.0, 1.0, 5.0, 5.0, 5.0, 2.0, 2.0, 2.0]);
    }

    #[test]
    fn gaps_take_the_nearest_window_and_ties_the_larger() {
        // Window 2, stride 5 over 12 points: windows [0,2), [5,7), [10,12).
        let w = sliding_windows(&[0.0; 12], 1, 2, 5).unwrap();
        assert_eq!(w.starts, [0, 5, 10]);
        let p = scores_to_points(&[1.0, 3.0, 2.0], &w.starts, 2, 12).unwrap();
        //   point 2: 1 past window 0, 3 before window 1  -> 1
        //   point 3: 2 past window 0, 2 before window 1  -> tie, max(1, 3) = 3
        //   point 8: 2 past window 1, 2 before window 2  -> tie, max(3, 2) = 3
        //   point 9: 3 past window 1, 1 before window 2  -> 2
        assert_eq!(p, [1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0]);
    }

    #[test]
    fn scores_to_points_errors() {
        let e = scores_to_points(&[1.0], &[0, 1], 2, 4).unwrap_err().to_string();
        assert_eq!(e, "scores_to_points: 1 scores for 2 windows");
        let e = scores_to_points(&[1.0], &[3], 2, 4).unwrap_err().to_string();
        assert_eq!(e, "scores_to_points: a window starting at 3 with length 2 runs past the 4 points of the series");
        assert!(scores_to_points(&[], &[], 2, 4).is_err());
    }

    #[test]
    fn window_labels_or_their_points() {
        let anomalous = [false, false, false, true, false, false];
        assert_eq!(window_labels(&anomalous, &[0, 1, 2, 3], 3).unwrap(), [false, true, true, true]);
    }
}
