//! Feature scaling, fitted on the training rows only and stored with a model.
//!
//! Two scalers, each per feature `j`:
//!
//! - [`StandardScaler`]: `x' = (x - mean_j) / std_j`, with `mean_j` and the
//!   population standard deviation `std_j = sqrt(sum_i (x_ij - mean_j)^2 / n)`
//!   of the fitted rows; inverse `x = x' std_j + mean_j`.
//! - [`MinMaxScaler`]: `x' = (x - min_j) / (max_j - min_j)`, mapping the fitted
//!   rows onto `[0, 1]`; inverse `x = x' (max_j - min_j) + min_j`.
//!
//! A feature that is constant on the fitted rows has no spread to divide by.
//! Both scalers then divide by 1 instead, so that feature becomes `x - mean`
//! (0 on the training rows) or `x - min` (likewise 0): finite, and still
//! showing how far a test row strays from the constant. Fitting is done in
//! `f64` so a mean over many rows does not lose float32 digits.
//!
//! A fitted scaler is fitted on the training rows only: fitting on the test
//! rows too would leak their statistics into training. [`Scaler`] holds
//! either kind and writes itself as one line of JSON to store beside a model.

use serde_json::{json, Value};

use crate::error::{DataError, Result};

/// Standardisation to mean 0 and standard deviation 1 per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardScaler {
    pub mean: Vec<f64>,
    /// The divisor per feature: the population std, or 1 for a constant feature.
    pub scale: Vec<f64>,
}

/// Rescaling of each feature's fitted range onto `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    pub min: Vec<f64>,
    /// The divisor per feature: `max - min`, or 1 for a constant feature.
    pub range: Vec<f64>,
}

/// Either scaler, as stored with a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Scaler {
    Standard(StandardScaler),
    MinMax(MinMaxScaler),
}

/// Per-feature statistics of the chosen rows of `data` (`n_features` per row).
struct Stats {
    mean: Vec<f64>,
    std: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

fn stats(op: &'static str, data: &[f32], n_features: usize, rows: &[usize]) -> Result<Stats> {
    check_shape(op, data, n_features)?;
    let n_rows = data.len() / n_features;
    if rows.is_empty() {
        return Err(DataError::invalid(op, "cannot fit on zero rows"));
    }
    if let Some(r) = rows.iter().find(|&&r| r >= n_rows) {
        return Err(DataError::invalid(op, format!("row {r} is past the end of {n_rows} rows")));
    }
    let row = |r: usize| &data[r * n_features..(r + 1) * n_features];
    let n = rows.len() as f64;
    let mut mean = vec![0.0f64; n_features];
    let mut min = vec![f64::INFINITY; n_features];
    let mut max = vec![f64::NEG_INFINITY; n_features];
    for &r in rows {
        for (j, &x) in row(r).iter().enumerate() {
            let x = f64::from(x);
            mean[j] += x;
            min[j] = min[j].min(x);
            max[j] = max[j].max(x);
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    // Two passes (mean first, then squared deviations) rather than
    // E[x^2] - E[x]^2, which cancels catastrophically for large means.
    let mut var = vec![0.0f64; n_features];
    for &r in rows {
        for (j, &x) in row(r).iter().enumerate() {
            let d = f64::from(x) - mean[j];
            var[j] += d * d;
        }
    }
    let std = var.iter().map(|v| (v / n).sqrt()).collect();
    Ok(Stats { mean, std, min, max })
}

fn check_shape(op: &'static str, data: &[f32], n_features: usize) -> Result<()> {
    if n_features == 0 || data.len() % n_features != 0 {
        return Err(DataError::invalid(op, format!("{} values are not rows of {n_features} features", data.len())));
    }
    Ok(())
}

/// The divisor for a feature: its spread, or 1 when the feature was constant
/// on the fitted rows (min == max exactly, so no rounding in the std decides it).
fn divisor(spread: f64, min: f64, max: f64) -> f64 {
    if min == max || spread == 0.0 || !spread.is_finite() {
        1.0
    } else {
        spread
    }
}

/// Applies `x' = (x - offset_j) / divisor_j` (or its inverse) to every row.
fn apply(op: &'static str, data: &[f32], offset: &[f64], divisor: &[f64], inverse: bool) -> Result<Vec<f32>> {
    check_shape(op, data, offset.len())?;
    let n = offset.len();
    Ok(data
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let (o, d) = (offset[i % n], divisor[i % n]);
            let y = if inverse { f64::from(x) * d + o } else { (f64::from(x) - o) / d };
            y as f32
        })
        .collect())
}

impl StandardScaler {
    /// Fits on all rows of `data` (`n_features` values per row).
    pub fn fit(data: &[f32], n_features: usize) -> Result<Self> {
        check_shape("StandardScaler::fit", data, n_features)?;
        Self::fit_rows(data, n_features, &(0..data.len() / n_features).collect::<Vec<_>>())
    }

    /// Fits on the chosen `rows` of `data` only (the training rows).
    pub fn fit_rows(data: &[f32], n_features: usize, rows: &[usize]) -> Result<Self> {
        let s = stats("StandardScaler::fit", data, n_features, rows)?;
        let scale = (0..n_features).map(|j| divisor(s.std[j], s.min[j], s.max[j])).collect();
        Ok(StandardScaler { mean: s.mean, scale })
    }

    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// `x' = (x - mean) / scale` for every row of `data`.
    pub fn transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        apply("StandardScaler::transform", data, &self.mean, &self.scale, false)
    }

    /// `x = x' scale + mean`: undoes [`StandardScaler::transform`].
    pub fn inverse_transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        apply("StandardScaler::inverse_transform", data, &self.mean, &self.scale, true)
    }
}

impl MinMaxScaler {
    /// Fits on all rows of `data` (`n_features` values per row).
    pub fn fit(data: &[f32], n_features: usize) -> Result<Self> {
        check_shape("MinMaxScaler::fit", data, n_features)?;
        Self::fit_rows(data, n_features, &(0..data.len() / n_features).collect::<Vec<_>>())
    }

    /// Fits on the chosen `rows` of `data` only (the training rows).
    pub fn fit_rows(data: &[f32], n_features: usize, rows: &[usize]) -> Result<Self> {
        let s = stats("MinMaxScaler::fit", data, n_features, rows)?;
        let range = (0..n_features).map(|j| divisor(s.max[j] - s.min[j], s.min[j], s.max[j])).collect();
        Ok(MinMaxScaler { min: s.min, range })
    }

    pub fn n_features(&self) -> usize {
        self.min.len()
    }

    /// `x' = (x - min) / range` for every row of `data`.
    pub fn transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        apply("MinMaxScaler::transform", data, &self.min, &self.range, false)
    }

    /// `x = x' range + min`: undoes [`MinMaxScaler::transform`].
    pub fn inverse_transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        apply("MinMaxScaler::inverse_transform", data, &self.min, &self.range, true)
    }
}

impl Scaler {
    pub fn n_features(&self) -> usize {
        match self {
            Scaler::Standard(s) => s.n_features(),
            Scaler::MinMax(s) => s.n_features(),
        }
    }
    pub fn transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        match self {
            Scaler::Standard(s) => s.transform(data),
            Scaler::MinMax(s) => s.transform(data),
        }
    }
    pub fn inverse_transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        match self {
            Scaler::Standard(s) => s.inverse_transform(data),
            Scaler::MinMax(s) => s.inverse_transform(data),
        }
    }

    /// One line of JSON: `{"kind":"standard","mean":[...],"scale":[...]}` or
    /// `{"kind":"minmax","min":[...],"range":[...]}`. Numbers are written in
    /// their shortest exact form, so [`Scaler::from_json`] gives back the
    /// same bits.
    pub fn to_json(&self) -> String {
        let v = match self {
            Scaler::Standard(s) => json!({ "kind": "standard", "mean": s.mean, "scale": s.scale }),
            Scaler::MinMax(s) => json!({ "kind": "minmax", "min": s.min, "range": s.range }),
        };
        v.to_string()
    }

    /// Reads what [`Scaler::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(text).map_err(|e| DataError::parse("a scaler", format!("not JSON: {e}")))?;
        let kind = v.get("kind").and_then(Value::as_str).ok_or_else(|| DataError::parse("a scaler", "no \"kind\" text field"))?;
        let (a, b, scaler) = match kind {
            "standard" => ("mean", "scale", true),
            "minmax" => ("min", "range", false),
            other => return Err(DataError::parse("a scaler", format!("unknown kind \"{other}\" (expected \"standard\" or \"minmax\")"))),
        };
        let offsets = numbers(&v, a)?;
        let divisors = numbers(&v, b)?;
        if offsets.len() != divisors.len() {
            let why = format!("\"{a}\" has {} values but \"{b}\" has {}", offsets.len(), divisors.len());
            return Err(DataError::parse("a scaler", why));
        }
        if let Some(d) = divisors.iter().find(|d| **d == 0.0) {
            return Err(DataError::parse("a scaler", format!("\"{b}\" holds {d}; a divisor must not be 0")));
        }
        Ok(if scaler {
            Scaler::Standard(StandardScaler { mean: offsets, scale: divisors })
        } else {
            Scaler::MinMax(MinMaxScaler { min: offsets, range: divisors })
        })
    }
}

/// The array of numbers in field `key` of a JSON object.
fn numbers(v: &Value, key: &str) -> Result<Vec<f64>> {
    let arr = v.get(key).and_then(Value::as_array).ok_or_else(|| DataError::parse("a scaler", format!("no \"{key}\" array")))?;
    arr.iter().map(|x| x.as_f64().ok_or_else(|| DataError::parse("a scaler", format!("\"{key}\" holds {x}, not a number")))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn standard_scaler_by_hand() {
        // Feature 0: 1, 2, 3 -> mean 2, population std sqrt(2/3).
        let data = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0];
        let s = StandardScaler::fit(&data, 2).unwrap();
        assert_eq!(s.mean, [2.0, 20.0]);
        assert!((s.scale[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let t = s.transform(&data).unwrap();
        let z = (1.5f64).sqrt() as f32; // 1 / sqrt(2/3)
        assert!((t[0] + z).abs() < 1e-6 && t[2].abs() < 1e-6 && (t[4] - z).abs() < 1e-6, "{t:?}");
    }

    #[test]
    fn fit_rows_uses_only_those_rows() {
        let data = [0.0, 100.0, 2.0, 4.0];
        let s = StandardScaler::fit_rows(&data, 1, &[2, 3]).unwrap();
        assert_eq!((s.mean[0], s.scale[0]), (3.0, 1.0));
        let m = MinMaxScaler::fit_rows(&data, 1, &[0, 2]).unwrap();
        assert_eq!((m.min[0], m.range[0]), (0.0, 2.0));
        assert_eq!(m.transform(&data).unwrap(), [0.0, 50.0, 1.0, 2.0]);
    }

    #[test]
    fn constant_feature_gives_finite_values() {
        let data = [5.0, 1.0, 5.0, 2.0, 5.0, 3.0];
        let s = StandardScaler::fit(&data, 2).unwrap();
        assert_eq!(s.scale[0], 1.0);
        let t = s.transform(&data).unwrap();
        assert!(t.iter().all(|x| x.is_finite()));
        assert_eq!([t[0], t[2], t[4]], [0.0, 0.0, 0.0]);
        assert_eq!(s.transform(&[7.0, 2.0]).unwrap()[0], 2.0, "a test row off the constant shows by how much");

        let m = MinMaxScaler::fit(&data, 2).unwrap();
        assert_eq!(m.range[0], 1.0);
        let t = m.transform(&data).unwrap();
        assert!(t.iter().all(|x| x.is_finite()));
        assert_eq!(t, [0.0, 0.0, 0.0, 0.5, 0.0, 1.0]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let e = StandardScaler::fit(&[1.0, 2.0, 3.0], 2).unwrap_err().to_string();
        assert_eq!(e, "StandardScaler::fit: 3 values are not rows of 2 features");
        assert!(StandardScaler::fit(&[], 2).is_err());
        assert!(MinMaxScaler::fit_rows(&[1.0, 2.0], 1, &[2]).is_err());
        let s = StandardScaler::fit(&[1.0, 2.0], 2).unwrap();
        let e = s.transform(&[1.0, 2.0, 3.0]).unwrap_err().to_string();
        assert_eq!(e, "StandardScaler::transform: 3 values are not rows of 2 features");
    }

    #[test]
    fn json_round_trip_is_exact() {
        let data = [0.1, -3.7, 2.25, 1e-3, 7.0, 1e6, 0.3, 0.3];
        for scaler in [Scaler::Standard(StandardScaler::fit(&data, 2).unwrap()), Scaler::MinMax(MinMaxScaler::fit(&data, 2).unwrap())] {
            let text = scaler.to_json();
            assert!(!text.contains('\n'));
            assert_eq!(Scaler::from_json(&text).unwrap(), scaler);
        }
    }

    #[test]
    fn bad_json_is_a_clear_error() {
        let cases = [
            ("nope", "cannot read a scaler: not JSON"),
            ("{}", "cannot read a scaler: no \"kind\" text field"),
            ("{\"kind\":\"robust\"}", "unknown kind \"robust\""),
            ("{\"kind\":\"standard\",\"mean\":[1]}", "no \"scale\" array"),
            ("{\"kind\":\"minmax\",\"min\":[1,2],\"range\":[1]}", "\"min\" has 2 values but \"range\" has 1"),
            ("{\"kind\":\"standard\",\"mean\":[1],\"scale\":[\"x\"]}", "\"scale\" holds \"x\", not a number"),
            ("{\"kind\":\"standard\",\"mean\":[1],\"scale\":[0]}", "a divisor must not be 0"),
        ];
        for (text, want) in cases {
            let e = Scaler::from_json(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    /// `(n_features, data)` with 1..20 rows of 1..5 features in `[-1e3, 1e3]`.
    fn table() -> impl Strategy<Value = (usize, Vec<f32>)> {
        (1usize..5, 1usize..20).prop_flat_map(|(nf, n)| (Just(nf), proptest::collection::vec(-1e3f32..1e3, nf * n)))
    }

    proptest! {
        #[test]
        fn scale_then_unscale_is_identity((nf, mut data) in table(), constant in any::<bool>()) {
            if constant {
                // Feature 0 constant, to exercise the divide-by-1 path.
                for i in (0..data.len()).step_by(nf) {
                    data[i] = 42.5;
                }
            }
            for s in [Scaler::Standard(StandardScaler::fit(&data, nf).unwrap()), Scaler::MinMax(MinMaxScaler::fit(&data, nf).unwrap())] {
                let t = s.transform(&data).unwrap();
                prop_assert!(t.iter().all(|x| x.is_finite()));
                let back = s.inverse_transform(&t).unwrap();
                // Float32 keeps about 7 digits of the scaled value, so the error
                // is relative to the feature's magnitude, not to each value.
                let mag = data.iter().fold(1.0f32, |m, x| m.max(x.abs()));
                for (a, b) in data.iter().zip(&back) {
                    prop_assert!((a - b).abs() <= 1e-5 * mag, "{} vs {} (magnitude {})", a, b, mag);
                }
            }
        }
    }
}
