//! The random constructors draw what they claim: moments, a quantile and
//! uncorrelated neighbours for `rand_normal`, the range and mean of
//! `rand_uniform`; the same values from the same seed on any number of
//! threads (large tensors are filled in parallel, chunk by chunk).

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_tensor::{Cpu32, Cpu64, Tensor};

const N: usize = 200_001; // several chunks, the last one short

fn draws(mean: f64, std: f64, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Tensor::rand_normal(&Cpu64::new(), &[N], mean, std, &mut rng).unwrap().to_vec().unwrap()
}

#[test]
fn rand_normal_has_the_asked_mean_spread_and_shape() {
    let (mean, std) = (3.0, 0.5);
    let v = draws(mean, std, 7);
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    // Standard errors: std / sqrt(n) for the mean, about std^2 sqrt(2 / n)
    // for the variance; allow five of each.
    assert!((m - mean).abs() < 5.0 * std / n.sqrt(), "mean {m}");
    assert!((var - std * std).abs() < 5.0 * std * std * (2.0 / n).sqrt(), "variance {var}");
    // P(|z| < 1) = 0.6827 for a normal (a uniform or a bimodal mix with the
    // same moments would miss it).
    let inside = v.iter().filter(|x| ((*x - mean) / std).abs() < 1.0).count() as f64 / n;
    assert!((inside - 0.6827).abs() < 0.005, "share within one sd {inside}");
    // Neighbours are independent.
    let z: Vec<f64> = v.iter().map(|x| (x - mean) / std).collect();
    let corr = z.chunks_exact(2).map(|p| p[0] * p[1]).sum::<f64>() / (n / 2.0);
    assert!(corr.abs() < 5.0 / (n / 2.0).sqrt(), "pair correlation {corr}");
}

#[test]
fn rand_normal_repeats_with_its_seed_on_any_number_of_threads() {
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| draws(0.0, 1.0, 11))
    };
    let one = on(1);
    assert_eq!(one, on(2));
    assert_eq!(one, on(3));
    assert_ne!(one, draws(0.0, 1.0, 12));
}

#[test]
fn rand_uniform_stays_in_its_range_with_the_middle_as_mean() {
    let mut rng = StdRng::seed_from_u64(5);
    let v = Tensor::rand_uniform(&Cpu32::new(), &[N], -2.0, 6.0, &mut rng).unwrap().to_f64_vec().unwrap();
    assert!(v.iter().all(|&x| (-2.0..6.0).contains(&x)));
    let m = v.iter().sum::<f64>() / N as f64;
    // sd of U(-2, 6) is 8 / sqrt(12).
    assert!((m - 2.0).abs() < 5.0 * 8.0 / 12f64.sqrt() / (N as f64).sqrt(), "mean {m}");
}
