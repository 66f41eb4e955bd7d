//! A made-up but realistic report, for tests, the example and for looking at
//! the layout without training a model (`cargo run -p recon-report --example sample`).
//!
//! The numbers are synthetic: log-normal scores for two overlapping classes,
//! with the ROC curve, average precision and threshold metrics computed from
//! them (simply; the real metrics live in the detector).

use crate::{EpochPoint, ImageSet, ReportData, ThresholdRow};

/// A small deterministic random generator (SplitMix64), so the sample needs no dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// Threshold metrics for "flag when score > t".
pub fn threshold_row(scores: &[f64], is_anomaly: &[bool], value: f64, rule: &str) -> ThresholdRow {
    let mut m = [[0u64; 2]; 2];
    for (&s, &a) in scores.iter().zip(is_anomaly) {
        m[usize::from(a)][usize::from(s > value)] += 1;
    }
    let (tn, fp, fn_, tp) = (m[0][0] as f64, m[0][1] as f64, m[1][0] as f64, m[1][1] as f64);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    ThresholdRow {
        value,
        rule: rule.to_string(),
        precision,
        recall,
        f1: ratio(2.0 * precision * recall, precision + recall),
        accuracy: ratio(tp + tn, tn + fp + fn_ + tp),
        confusion: m,
    }
}

/// ROC points `(fpr, tpr)`, its AUC, PR points `(recall, precision)` in
/// scikit-learn's order (recall falling) and the average precision.
#[allow(clippy::type_complexity)]
pub fn curves(scores: &[f64], is_anomaly: &[bool]) -> (Vec<(f64, f64)>, f64, Vec<(f64, f64)>, f64) {
    let mut order: Vec<usize> = (0..scores.len().min(is_anomaly.len())).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = order.iter().filter(|&&i| is_anomaly[i]).count() as f64;
    let negatives = order.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return (Vec::new(), f64::NAN, Vec::new(), f64::NAN);
    }
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut roc = vec![(0.0, 0.0)];
    let mut pr = Vec::new();
    let (mut auc, mut ap, mut last_recall) = (0.0, 0.0, 0.0);
    let mut k = 0;
    while k < order.len() {
        // All rows tied at this score move together.
        let s = scores[order[k]];
        while k < order.len() && scores[order[k]] == s {
            if is_anomaly[order[k]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            k += 1;
        }
        let (fpr, tpr) = (fp / negatives, tp / positives);
        let prev = roc[roc.len() - 1];
        auc += (fpr - prev.0) * (tpr + prev.1) / 2.0;
        roc.push((fpr, tpr));
        let precision = tp / (tp + fp);
        ap += (tpr - last_recall) * precision;
        last_recall = tpr;
        pr.push((tpr, precision));
    }
    // scikit-learn's order: recall falling, ending at (0, 1).
    pr.reverse();
    pr.push((0.0, 1.0));
    (roc, auc, pr, ap)
}

fn ring(width: usize, radius: f64, thickness: f64, cx: f64, cy: f64) -> Vec<f32> {
    (0..width * width)
        .map(|p| {
            let (x, y) = ((p % width) as f64, (p / width) as f64);
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            (1.0 - ((d - radius).abs() - thickness).max(0.0)).clamp(0.0, 1.0) as f32
        })
        .collect()
}

fn blur(img: &[f32], width: usize) -> Vec<f32> {
    (0..img.len())
        .map(|p| {
            let (x, y) = ((p % width) as i64, (p / width) as i64);
            let mut sum = 0.0;
            let mut n = 0.0;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (xx, yy) = (x + dx, y + dy);
                    if xx >= 0 && yy >= 0 && (xx as usize) < width && (yy as usize) < width {
                        sum += img[yy as usize * width + xx as usize];
                        n += 1.0;
                    }
                }
            }
            sum / n * 0.92
        })
        .collect()
}

/// A synthetic report. With `images`, adds 28×28 pictures (rings as the normal
/// class, bars and crosses as anomalies), and with `denoising` a noisy row too.
pub fn synthetic(seed: u64, images: bool, denoising: bool) -> ReportData {
    let mut rng = Rng(seed);
    let (normals, anomalies) = (340usize, 60usize);
    let mut rows: Vec<(f64, bool, (f64, f64))> = Vec::with_capacity(normals + anomalies);
    for _ in 0..normals {
        let score = (-4.6 + 0.45 * rng.normal()).exp();
        rows.push((score, false, (rng.normal() * 0.8, rng.normal() * 0.6)));
    }
    for _ in 0..anomalies {
        let score = (-3.1 + 0.7 * rng.normal()).exp();
        rows.push((score, true, (2.2 + rng.normal() * 0.7, 1.4 + rng.normal() * 0.9)));
    }
    // Shuffle, as a test split would be.
    for i in (1..rows.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        rows.swap(i, j);
    }
    let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let is_anomaly: Vec<bool> = rows.iter().map(|r| r.1).collect();
    let latent: Vec<(f64, f64)> = rows.iter().map(|r| r.2).collect();

    let mut normal_scores: Vec<f64> = rows.iter().filter(|r| !r.1).map(|r| r.0).collect();
    normal_scores.sort_by(f64::total_cmp);
    let p99 = normal_scores[(normal_scores.len() as f64 * 0.99) as usize];
    let mut thresholds: Vec<ThresholdRow> =
        [0.01, 0.02, 0.03, 0.05].iter().map(|&t| threshold_row(&scores, &is_anomaly, t, "fixed")).collect();
    thresholds.push(threshold_row(&scores, &is_anomaly, p99, "99th percentile of training normals"));
    let best = scores
        .iter()
        .map(|&t| threshold_row(&scores, &is_anomaly, t, "best F1 on validation"))
        .max_by(|a, b| a.f1.total_cmp(&b.f1))
        .expect("scores are not empty");
    thresholds.push(best);
    let chosen = thresholds.len() - 1;
    let (roc, roc_auc, pr, pr_auc) = curves(&scores, &is_anomaly);

    let epochs = (1..=20)
        .map(|e| {
            let t = e as f64;
            EpochPoint {
                epoch: e,
                loss: 0.012 + 0.9 * (-t / 2.5).exp() + 0.002 * rng.normal().abs(),
                val_loss: Some(0.016 + 0.85 * (-t / 2.7).exp() + 0.0002 * t + 0.003 * rng.normal().abs()),
            }
        })
        .collect();

    const FEATURES: [&str; 10] = [
        "mean radius",
        "mean texture",
        "worst concave points",
        "worst area",
        "mean concavity",
        "radius error",
        "worst smoothness",
        "fractal dimension error",
        "worst symmetry",
        "area error",
    ];
    let mut flagged: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > thresholds[chosen].value).collect();
    flagged.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let top_features = flagged
        .iter()
        .take(12)
        .map(|&row| {
            let mut feats: Vec<(String, f64)> =
                FEATURES.iter().map(|f| (f.to_string(), scores[row] * rng.uniform().powi(3) * 3.0)).collect();
            feats.sort_by(|a, b| b.1.total_cmp(&a.1));
            feats.truncate(5);
            (row, feats)
        })
        .collect();

    let images = images.then(|| {
        let w = 28;
        let inputs: Vec<Vec<f32>> = (0..10).map(|i| ring(w, 7.0 + (i % 3) as f64, 1.2, 14.0 + rng.normal(), 14.0 + rng.normal())).collect();
        let noisy: Vec<Vec<f32>> =
            inputs.iter().map(|img| img.iter().map(|&v| (v as f64 + 0.35 * rng.normal()).clamp(0.0, 1.0) as f32).collect()).collect();
        let reconstructions: Vec<Vec<f32>> = inputs.iter().map(|img| blur(img, w)).collect();
        let most_anomalous = (0..8)
            .map(|k| {
                let img: Vec<f32> = (0..w * w)
                    .map(|p| {
                        let (x, y) = (p % w, p / w);
                        let bar = (x as i64 - 6 - k as i64).abs() < 2 && (4..24).contains(&y);
                        let cross = k % 2 == 1 && (x as i64 - y as i64).abs() < 2;
                        f32::from(u8::from(bar || cross))
                    })
                    .collect();
                (img, 0.25 / (k as f64 + 1.0).sqrt())
            })
            .collect();
        ImageSet { width: w, height: w, inputs, reconstructions, noisy: denoising.then_some(noisy), most_anomalous }
    });

    ReportData {
        title: "ae on breast_cancer.csv".into(),
        model_summary: "Autoencoder (dense)\n  encoder: 30 -> 16 (relu) -> 8 (relu) -> 4\n  decoder: 4 -> 8 (relu) -> 16 (relu) -> 30\n  \
                        parameters: 1,562\n  optimizer: adam, lr 0.001, batch 32, 20 epochs, seed 7\n  device: cpu"
            .into(),
        epochs,
        scores,
        is_anomaly,
        score_name: "reconstruction MSE".into(),
        thresholds,
        chosen,
        roc,
        roc_auc,
        pr,
        pr_auc,
        latent: Some(latent),
        images,
        top_features,
        notes: vec![
            "Synthetic data: this page shows the layout, not a trained model.".into(),
            "Trained on 80% of the normal rows; tested on the other 20% plus every anomaly.".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_of_a_perfect_and_a_reversed_score() {
        let labels = [false, false, true, true];
        let (_, auc, _, ap) = curves(&[0.1, 0.2, 0.8, 0.9], &labels);
        assert_eq!((auc, ap), (1.0, 1.0));
        let (_, auc, _, _) = curves(&[0.9, 0.8, 0.2, 0.1], &labels);
        assert_eq!(auc, 0.0);
        let (roc, auc, _, _) = curves(&[0.5; 4], &labels);
        assert_eq!((roc.len(), auc), (2, 0.5));
    }

    #[test]
    fn synthetic_report_is_consistent() {
        let d = synthetic(1, true, true);
        assert_eq!(d.scores.len(), d.is_anomaly.len());
        assert!(d.roc_auc > 0.8 && d.roc_auc <= 1.0, "{}", d.roc_auc);
        assert!(d.pr_auc > 0.3 && d.pr_auc <= 1.0, "{}", d.pr_auc);
        assert!(d.chosen < d.thresholds.len());
        let m = d.thresholds[d.chosen].confusion;
        assert_eq!(m.iter().flatten().sum::<u64>(), d.scores.len() as u64);
    }
}
