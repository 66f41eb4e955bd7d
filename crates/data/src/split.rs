//! Seeded splits of rows into train and test (or train and validation) sets.
//! (The order in which training visits the rows, epoch by epoch, is the
//! trainer's: `recon_nn::train::epoch_order`.)
//!
//! Everything here is a function of its seed: the same seed gives the same
//! split on every machine (the generator is rand's `StdRng`, pinned to one
//! version of rand by the workspace). Each use mixes its own constant into
//! the seed, so passing one `--seed` to the test split and to the
//! validation split does not make them the same permutation.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{DataError, Result};

/// The default share of rows held out for testing (80/20, as the source articles do).
pub const DEFAULT_TEST_FRACTION: f64 = 0.2;

/// Row indices of the two sides of a split, each in increasing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

// Per-use stream constants mixed into the user's seed (arbitrary odd numbers).
const STREAM_SPLIT: u64 = 0x5851_F42D_4C95_7F2D;
const STREAM_VALIDATION: u64 = 0x1405_7B7E_F767_814F;

/// SplitMix64's finaliser: spreads every input bit over the whole output, so
/// seeds 1 and 2 (or epochs 1 and 2) give unrelated generator states.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rng_for(seed: u64, stream: u64, index: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed ^ stream) ^ index))
}

fn check_fraction(op: &'static str, fraction: f64) -> Result<()> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(DataError::invalid(op, format!("the held-out fraction must be in [0, 1), got {fraction}")));
    }
    Ok(())
}

/// Holds out `round(fraction * n_c)` rows of each class `c`, chosen at random,
/// so both sides keep the class proportions (the anomaly ratio) to within
/// half a row per class. `labels[i]` is row `i`'s class.
pub fn stratified_split<L: Ord>(labels: &[L], test_fraction: f64, seed: u64) -> Result<Split> {
    check_fraction("stratified_split", test_fraction)?;
    // Classes in sorted order, so the result does not depend on hash order.
    let mut classes: BTreeMap<&L, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        classes.entry(l).or_default().push(i);
    }
    let mut rng = rng_for(seed, STREAM_SPLIT, 0);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for rows in classes.values_mut() {
        rows.shuffle(&mut rng);
        let n_test = (test_fraction * rows.len() as f64).round() as usize;
        test.extend_from_slice(&rows[..n_test]);
        train.extend_from_slice(&rows[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

/// Holds out `round(fraction * n)` of the rows `0..n` at random (for data
/// without labels).
pub fn random_split(n: usize, test_fraction: f64, seed: u64) -> Result<Split> {
    check_fraction("random_split", test_fraction)?;
    stratified_split(&vec![(); n], test_fraction, seed)
}

/// Splits the given training `rows` (indices into the dataset) into rows to
/// train on and `round(fraction * rows.len())` rows to validate on, at random.
pub fn validation_split(rows: &[usize], fraction: f64, seed: u64) -> Result<Split> {
    check_fraction("validation_split", fraction)?;
    let mut shuffled = rows.to_vec();
    shuffled.shuffle(&mut rng_for(seed, STREAM_VALIDATION, 0));
    let n_val = (fraction * rows.len() as f64).round() as usize;
    let mut test = shuffled[..n_val].to_vec();
    let mut train = shuffled[n_val..].to_vec();
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n_normal: usize, n_anomaly: usize) -> Vec<String> {
        let mut l = vec!["0".to_string(); n_normal];
        l.extend(vec!["1".to_string(); n_anomaly]);
        // Interleave a little so classes are not in blocks.
        l.rotate_left(n_normal / 3);
        l
    }

    #[test]
    fn stratified_split_keeps_class_ratios_within_one_row() {
        for (normal, anomaly, frac) in [(357, 212, 0.2), (1000, 17, 0.2), (50, 3, 0.3), (5, 1, 0.2)] {
            let l = labels(normal, anomaly);
            let s = stratified_split(&l, frac, 7).unwrap();
            assert_eq!(s.train.len() + s.test.len(), l.len());
            let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..l.len()).collect::<Vec<_>>(), "a partition of the rows");
            for (class, n) in [("0", normal), ("1", anomaly)] {
                let in_test = s.test.iter().filter(|&&i| l[i] == class).count() as f64;
                assert!((in_test - frac * n as f64).abs() <= 1.0, "class {class}: {in_test} of {n} held out");
            }
        }
    }

    #[test]
    fn same_seed_same_split_different_seed_different_split() {
        let l = labels(300, 40);
        assert_eq!(stratified_split(&l, 0.2, 1).unwrap(), stratified_split(&l, 0.2, 1).unwrap());
        assert_ne!(stratified_split(&l, 0.2, 1).unwrap(), stratified_split(&l, 0.2, 2).unwrap());
        assert_eq!(random_split(100, 0.2, 5).unwrap(), random_split(100, 0.2, 5).unwrap());
        assert_ne!(random_split(100, 0.2, 5).unwrap(), random_split(100, 0.2, 6).unwrap());
        assert_eq!(random_split(100, 0.2, 5).unwrap().test.len(), 20);
    }

    #[test]
    fn validation_split_draws_from_the_given_rows() {
        let rows: Vec<usize> = (100..200).step_by(2).collect();
        let s = validation_split(&rows, 0.1, 3).unwrap();
        assert_eq!(s.test.len(), 5);
        assert_eq!(s.train.len(), 45);
        assert!(s.train.iter().chain(&s.test).all(|r| rows.contains(r)));
        assert_eq!(s, validation_split(&rows, 0.1, 3).unwrap());
        assert_ne!(s, validation_split(&rows, 0.1, 4).unwrap());
    }

    #[test]
    fn fraction_out_of_range_is_an_error() {
        let e = random_split(10, 1.0, 0).unwrap_err().to_string();
        assert_eq!(e, "random_split: the held-out fraction must be in [0, 1), got 1");
        assert!(stratified_split(&[1, 2], -0.1, 0).is_err());
        assert!(validation_split(&[1, 2], f64::NAN, 0).is_err());
        assert_eq!(random_split(10, 0.0, 0).unwrap().train.len(), 10);
    }
}
