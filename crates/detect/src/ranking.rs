//! Scores ranked from highest to lowest, with equal scores merged: the
//! counts both the ROC and the precision-recall curve are read from.
//!
//! Sort the rows by score, descending. Walking down the list and lowering a
//! threshold `t` past each *distinct* score `s_k`, the rule `score >= s_k`
//! flags every row with a score at least `s_k`; let
//!
//! ```text
//! TP_k = anomalies with score >= s_k      FP_k = normals with score >= s_k
//! ```
//!
//! Rows with equal scores cannot be separated by any threshold, so they
//! enter together, as one step: a tie between a normal and an anomaly is a
//! diagonal step of the ROC curve (half credit in the AUC), never a
//! staircase in an order that depends on how the rows were listed. This is
//! scikit-learn's `_binary_clf_curve`; the counts are integers, so the result
//! does not depend on the order of the input rows at all.
//!
//! Note the `>=`: the curves list the score values at which the counts
//! change, as scikit-learn does. The threshold rules of this crate flag
//! `score > t` (see [`crate::confusion`]); the two describe the same cuts.

/// Cumulative counts at each distinct score, highest score first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranking {
    /// The distinct scores, descending.
    pub scores: Vec<f64>,
    /// `tps[k]`: anomalies with score >= `scores[k]`.
    pub tps: Vec<usize>,
    /// `fps[k]`: normals with score >= `scores[k]`.
    pub fps: Vec<usize>,
}

impl Ranking {
    /// Ranks checked input (equal lengths, finite scores; see
    /// [`crate::input::check_scored`]).
    pub fn new(scores: &[f64], labels: &[bool]) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        // Scores are finite, so `total_cmp` is the plain numeric order (with
        // -0.0 just below 0.0, adjacent, and merged below because they compare
        // equal).
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let mut r = Ranking { scores: Vec::new(), tps: Vec::new(), fps: Vec::new() };
        let (mut tp, mut fp) = (0, 0);
        for (pos, &i) in order.iter().enumerate() {
            if labels[i] {
                tp += 1;
            } else {
                fp += 1;
            }
            // Close the step at the last row of a group of equal scores.
            let last_of_group = order.get(pos + 1).is_none_or(|&next| scores[next] != scores[i]);
            if last_of_group {
                r.scores.push(scores[i]);
                r.tps.push(tp);
                r.fps.push(fp);
            }
        }
        r
    }

    /// Total anomalies (the last cumulative count).
    pub fn positives(&self) -> usize {
        self.tps.last().copied().unwrap_or(0)
    }

    /// Total normals.
    pub fn negatives(&self) -> usize {
        self.fps.last().copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_form_one_step() {
        // scores 0.8 A, 0.5 N, 0.5 A, 0.5 N, 0.1 N
        let r = Ranking::new(&[0.5, 0.8, 0.1, 0.5, 0.5], &[false, true, false, true, false]);
        assert_eq!(r.scores, vec![0.8, 0.5, 0.1]);
        assert_eq!(r.tps, vec![1, 2, 2]);
        assert_eq!(r.fps, vec![0, 2, 3]);
        assert_eq!((r.positives(), r.negatives()), (2, 3));
    }

    #[test]
    fn signed_zeros_are_one_score() {
        let r = Ranking::new(&[0.0, -0.0, 1.0], &[true, false, false]);
        assert_eq!(r.tps, vec![0, 1]);
        assert_eq!(r.fps, vec![1, 2]);
    }
}
