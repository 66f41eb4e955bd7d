//! Percentiles as numpy computes them by default (`np.percentile(a, q)`,
//! `method="linear"`, type 7 of Hyndman & Fan).
//!
//! Sort the `n` values, `x_0 <= x_1 <= ... <= x_{n-1}`, and place the
//! percentile `q` (0..=100) at the "virtual index"
//!
//! ```text
//! h = (n - 1) * q / 100,    i = floor(h),    g = h - i
//! percentile = x_i + g * (x_{i+1} - x_i)        (= x_{n-1} when h >= n - 1)
//! ```
//!
//! so the 0th percentile is the minimum, the 100th the maximum, and the 50th
//! of an even count the mean of the middle two. numpy evaluates the
//! interpolation from the nearer end, `x_{i+1} - (1 - g) (x_{i+1} - x_i)`
//! when `g >= 0.5`, to stay monotone and exact at the ends; we do the same,
//! so the results agree with numpy to the last bit.

use crate::error::{MetricError, Result};
use crate::input::check_finite;

/// The `q`-th percentile (`0 <= q <= 100`) of `values`, numpy's default
/// linear interpolation. Errors on no values, non-finite values and `q`
/// outside `[0, 100]`.
pub fn percentile(values: &[f64], q: f64) -> Result<f64> {
    check_finite("percentile", values)?;
    if !(0.0..=100.0).contains(&q) {
        return Err(MetricError::Parameter { name: "percentile", value: q, expected: "0 to 100" });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // numpy divides q by 100 first, then multiplies by n - 1.
    let h = (n - 1) as f64 * (q / 100.0);
    if h >= (n - 1) as f64 {
        return Ok(sorted[n - 1]);
    }
    let i = h.floor();
    let g = h - i;
    let (a, b) = (sorted[i as usize], sorted[i as usize + 1]);
    let d = b - a;
    Ok(if g >= 0.5 { b - d * (1.0 - g) } else { a + d * g })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_examples() {
        let v = [3.0, 1.0, 4.0, 2.0];
        assert_eq!(percentile(&v, 0.0).unwrap(), 1.0);
        assert_eq!(percentile(&v, 100.0).unwrap(), 4.0);
        assert_eq!(percentile(&v, 50.0).unwrap(), 2.5);
        // h = 3 * 0.99 = 2.97: 3 + 0.97 * (4 - 3).
        assert!((percentile(&v, 99.0).unwrap() - 3.97).abs() < 1e-15);
        // np.percentile([1, 2, 3, 4], 25) == 1.75
        assert_eq!(percentile(&v, 25.0).unwrap(), 1.75);
        assert_eq!(percentile(&[7.0], 37.0).unwrap(), 7.0);
        assert_eq!(percentile(&[5.0, 5.0, 5.0], 80.0).unwrap(), 5.0);
    }

    #[test]
    fn errors() {
        assert!(percentile(&[], 50.0).is_err());
        assert!(percentile(&[1.0, f64::NAN], 50.0).is_err());
        assert!(percentile(&[1.0], -1.0).is_err());
        assert!(percentile(&[1.0], 100.5).is_err());
        assert!(percentile(&[1.0], f64::NAN).is_err());
    }
}
