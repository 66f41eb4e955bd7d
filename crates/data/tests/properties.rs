//! Properties of the scalers, through the public API only: for any table of
//! finite float32 values (magnitudes from 1e-30 to 1e30, constant columns,
//! columns whose spread is tiny next to their mean), scaling gives finite
//! values and unscaling gives the data back; a scaler fitted on some rows
//! and stored as JSON scales the other rows exactly as the fitted one does.

use proptest::prelude::*;
use recon_data::{MinMaxScaler, Scaler, StandardScaler};

/// What a column looks like.
#[derive(Debug, Clone)]
enum Column {
    /// Independent values `m * 10^e`, `m` in `[-1, 1]`, `e` in `-30..=30`
    /// (each column one exponent, so the column has one magnitude).
    Spread(i32),
    /// The same value in every row (zero variance).
    Constant(f32),
    /// A big offset plus a small wobble: the spread is ~1e-6 of the mean,
    /// a few float32 ulps (the case that cancels badly in `E[x^2] - E[x]^2`).
    Offset(f32),
}

fn column() -> impl Strategy<Value = Column> {
    prop_oneof![(-30i32..=30).prop_map(Column::Spread), (-1e30f32..1e30).prop_map(Column::Constant), (1e3f32..1e7).prop_map(Column::Offset),]
}

/// `(n_features, row-major data)`: 1..=24 rows of 1..=5 columns.
fn table() -> impl Strategy<Value = (usize, Vec<f32>)> {
    (proptest::collection::vec(column(), 1..=5), 1usize..=24).prop_flat_map(|(cols, n)| {
        let nf = cols.len();
        proptest::collection::vec(-1.0f32..=1.0, nf * n).prop_map(move |unit| {
            let data = unit
                .iter()
                .enumerate()
                .map(|(i, &u)| match cols[i % nf] {
                    Column::Spread(e) => (f64::from(u) * 10f64.powi(e)) as f32,
                    Column::Constant(c) => c,
                    Column::Offset(m) => m + u * m * 1e-6,
                })
                .collect();
            (nf, data)
        })
    })
}

/// The largest `|x|` of each column (at least the smallest normal float32,
/// so a column of zeros still has a tolerance).
fn column_magnitudes(data: &[f32], nf: usize) -> Vec<f32> {
    let mut mag = vec![f32::MIN_POSITIVE; nf];
    for (i, x) in data.iter().enumerate() {
        mag[i % nf] = mag[i % nf].max(x.abs());
    }
    mag
}

/// Both scalers fitted on `rows` of `data`.
fn fitted(data: &[f32], nf: usize, rows: &[usize]) -> [Scaler; 2] {
    [
        Scaler::Standard(StandardScaler::fit_rows(data, nf, rows).expect("fit a standard scaler")),
        Scaler::MinMax(MinMaxScaler::fit_rows(data, nf, rows).expect("fit a min-max scaler")),
    ]
}

/// `inverse_transform(transform(x)) == x` within float32 rounding of each
/// column's magnitude (scaled values keep ~7 digits, as do the unscaled).
fn assert_round_trip(s: &Scaler, data: &[f32], nf: usize) -> Result<(), TestCaseError> {
    let t = s.transform(data).expect("transform");
    prop_assert_eq!(t.len(), data.len());
    prop_assert!(t.iter().all(|x| x.is_finite()), "{:?} gave non-finite values {:?}", s, t);
    let back = s.inverse_transform(&t).expect("inverse_transform");
    let mag = column_magnitudes(data, nf);
    for (i, (a, b)) in data.iter().zip(&back).enumerate() {
        let tol = 1e-6 * mag[i % nf];
        prop_assert!((a - b).abs() <= tol, "value {} came back as {} (column {}, tolerance {}) with {:?}", a, b, i % nf, tol, s);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Scaling then unscaling is the identity, on all rows.
    #[test]
    fn scale_then_unscale_is_the_identity((nf, data) in table()) {
        let all: Vec<usize> = (0..data.len() / nf).collect();
        for s in fitted(&data, nf, &all) {
            assert_round_trip(&s, &data, nf)?;
        }
    }

    /// Fitted on only some rows, the scalers still round-trip every row
    /// (the test rows may lie far outside the fitted range) and stay finite
    /// on a column that was constant on the fitted rows only.
    #[test]
    fn fitted_on_some_rows_round_trips_all_rows((nf, data) in table(), take in 1usize..=24) {
        let n = data.len() / nf;
        let rows: Vec<usize> = (0..n.min(take)).collect();
        for s in fitted(&data, nf, &rows) {
            assert_round_trip(&s, &data, nf)?;
        }
    }

    /// On the fitted rows, a standardised column has mean 0 and standard
    /// deviation 1 (or is all zeros when it was constant), and a min-max
    /// column spans [0, 1] (or is all zeros).
    #[test]
    fn fitted_rows_are_standardised((nf, data) in table()) {
        let n = data.len() / nf;
        let [standard, minmax] = fitted(&data, nf, &(0..n).collect::<Vec<_>>());
        let (z, u) = (standard.transform(&data).unwrap(), minmax.transform(&data).unwrap());
        for j in 0..nf {
            let col = |v: &[f32]| v.iter().skip(j).step_by(nf).map(|&x| f64::from(x)).collect::<Vec<f64>>();
            let (z, u, x) = (col(&z), col(&u), col(&data));
            let constant = x.iter().all(|&v| v == x[0]);
            let mean = z.iter().sum::<f64>() / n as f64;
            let std = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            if constant {
                prop_assert!(z.iter().chain(&u).all(|&v| v == 0.0), "constant column {} scaled to {:?} / {:?}", j, z, u);
            } else {
                prop_assert!(mean.abs() < 1e-5, "column {}: mean {} after standardising", j, mean);
                prop_assert!((std - 1.0).abs() < 1e-5, "column {}: std {} after standardising", j, std);
                let (lo, hi) = u.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                prop_assert!(lo.abs() < 1e-6 && (hi - 1.0).abs() < 1e-6, "column {}: min-max range [{}, {}]", j, lo, hi);
            }
        }
    }

    /// A scaler stored as JSON and read back is the same scaler, and so
    /// scales bit-for-bit like the one that was fitted.
    #[test]
    fn a_stored_scaler_scales_the_same((nf, data) in table()) {
        let n = data.len() / nf;
        for s in fitted(&data, nf, &(0..n.div_ceil(2)).collect::<Vec<_>>()) {
            let back = Scaler::from_json(&s.to_json()).expect("read back a stored scaler");
            prop_assert_eq!(&back, &s);
            let (a, b) = (s.transform(&data).unwrap(), back.transform(&data).unwrap());
            prop_assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
