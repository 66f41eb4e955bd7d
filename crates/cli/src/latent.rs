//! The latent space in two dimensions for the report's scatter plot: the
//! codes projected on their first two principal components.
//!
//! PCA by power iteration on the `k x k` covariance of the codes: repeatedly
//! multiplying a vector by the covariance turns it towards the direction of
//! largest variance; removing that component (deflation) and repeating gives
//! the second. `k` is small (4 to 128), so this is instant.

/// `codes` is row-major `n x k`; returns one `(pc1, pc2)` pair per row.
pub fn pca2(codes: &[f64], k: usize) -> Vec<(f64, f64)> {
    if k == 0 || codes.is_empty() {
        return Vec::new();
    }
    let n = codes.len() / k;
    let mean: Vec<f64> = (0..k).map(|j| (0..n).map(|i| codes[i * k + j]).sum::<f64>() / n as f64).collect();
    let mut cov = vec![0.0; k * k];
    for i in 0..n {
        let r = &codes[i * k..(i + 1) * k];
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] += (r[a] - mean[a]) * (r[b] - mean[b]) / n as f64;
            }
        }
    }
    let mut axes = Vec::new();
    for _ in 0..2.min(k) {
        let mut v: Vec<f64> = (0..k).map(|j| 1.0 + j as f64 * 0.01).collect();
        let mut lambda = 0.0;
        for _ in 0..200 {
            let w: Vec<f64> = (0..k).map(|a| (0..k).map(|b| cov[a * k + b] * v[b]).sum()).collect();
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            lambda = norm;
            v = w.iter().map(|x| x / norm).collect();
        }
        // Deflate: remove this direction's variance before finding the next.
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] -= lambda * v[a] * v[b];
            }
        }
        axes.push(v);
    }
    let project =
        |r: &[f64], axis: Option<&Vec<f64>>| axis.map_or(0.0, |v| r.iter().zip(&mean).zip(v).map(|((x, m), w)| (x - m) * w).sum());
    (0..n)
        .map(|i| {
            let r = &codes[i * k..(i + 1) * k];
            (project(r, axes.first()), project(r, axes.get(1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_direction_of_largest_variance() {
        // Points spread along (1, 1, 0) with a little spread along (1, -1, 0).
        let mut codes = Vec::new();
        for i in 0..50 {
            let t = i as f64 - 25.0;
            let s = if i % 2 == 0 { 0.5 } else { -0.5 };
            codes.extend([t + s, t - s, 3.0]);
        }
        let p = pca2(&codes, 3);
        let var = |f: fn(&(f64, f64)) -> f64| p.iter().map(|q| f(q).powi(2)).sum::<f64>() / p.len() as f64;
        let (v1, v2) = (var(|q| q.0), var(|q| q.1));
        assert!(v1 > 100.0 * v2, "{v1} vs {v2}");
        // The exact eigenvalues of this covariance are 416.50, 0.49940 and 0
        // (numpy.linalg.eigvalsh): the +-0.5 zig-zag correlates slightly with t.
        assert!((v1 - 416.5006).abs() < 1e-3, "first component variance {v1}");
        assert!((v2 - 0.499399).abs() < 1e-5, "second component variance {v2}");
    }
}
