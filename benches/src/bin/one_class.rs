//! One-class MNIST: do our autoencoders beat PCA?
//!
//! For each digit `d`: the bundled 10,000 digits are split 80/20, stratified
//! by digit, as `recon train` splits them (`recon_data::stratified_split`,
//! same seed); the models train on the training images of `d` only, then
//! score every test image; ROC AUC with every other digit as the anomaly.
//! Models: the `conv-ae`, `ae` and `vae` presets as `recon train` trains
//! them by default (20 epochs, batch 32, Adam with learning rate 1e-3; no
//! validation hold-out, no early stopping), scored by the mean squared
//! reconstruction error (the VAE decodes its mean). Baseline: PCA
//! reconstruction error with `k` components fit on the same training
//! images (subspace iteration on their covariance, in `f64`).
//!
//! Run: `cargo run --release -p recon-benches --bin one_class [-- --epochs N --seeds S --latent L --hidden W,..]`
//! (defaults: 20 epochs, 1 seed, the presets' sizes; `--latent` and
//! `--hidden` change `ae`'s and `vae`'s, as `recon train`'s flags do). Writes `benches/results/one-class.md` and
//! `one-class.json`. About 2 minutes on 2 cores per seed.

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_benches::report::{write_result, Json, Machine, Table};
use recon_benches::MNIST;
use recon_data::stratified_split;
use recon_detect::roc_auc;
use recon_nn::score::ErrorMetric;
use recon_nn::train::{fit, FitConfig, Silent};
use recon_nn::{Autoencoder, Kind, ModelConfig, Optimizer, OptimizerConfig};
use recon_tensor::{Cpu32, Cpu64, Tensor};

/// `--latent` and `--hidden` for the dense models.
struct Dense {
    latent: Option<usize>,
    hidden: Option<Vec<usize>>,
}

/// PCA sizes reported.
const KS: [usize; 3] = [16, 32, 64];
/// Subspace iterations for each PCA fit.
const ITERATIONS: usize = 100;

/// The top-`k` principal directions of the rows of `x` (`n x d`, centred)
/// as the columns of a `d x k` matrix (row-major), by subspace iteration on
/// the covariance `x^T x`: `V <- orth(C V)`, from a seeded random start.
fn principal_directions(x: &Tensor<Cpu64>, k: usize, seed: u64) -> Vec<f64> {
    let d = x.shape()[1];
    let c = x.matmul_t(x, true, false).expect("x^T x");
    let mut v = Tensor::rand_uniform(x.backend(), &[d, k], -1.0, 1.0, &mut StdRng::seed_from_u64(seed)).expect("start").to_vec().unwrap();
    for _ in 0..ITERATIONS {
        orthonormalise(&mut v, d, k);
        let vt = Tensor::from_vec(x.backend(), v, &[d, k]).unwrap();
        v = c.matmul(&vt).expect("C V").to_vec().unwrap();
    }
    orthonormalise(&mut v, d, k);
    v
}

/// Gram-Schmidt (twice, for stability) on the `k` columns of `v` (`d x k`, row-major).
fn orthonormalise(v: &mut [f64], d: usize, k: usize) {
    for j in 0..k {
        for _ in 0..2 {
            for i in 0..j {
                let dot: f64 = (0..d).map(|r| v[r * k + i] * v[r * k + j]).sum();
                (0..d).for_each(|r| v[r * k + j] -= dot * v[r * k + i]);
            }
        }
        let norm = (0..d).map(|r| v[r * k + j] * v[r * k + j]).sum::<f64>().sqrt().max(1e-300);
        (0..d).for_each(|r| v[r * k + j] /= norm);
    }
}

/// Mean squared residual of each row of `x` (centred) off the span of `v`'s columns.
fn pca_scores(x: &Tensor<Cpu64>, v: &[f64], k: usize) -> Vec<f64> {
    let d = x.shape()[1];
    let vt = Tensor::from_vec(x.backend(), v.to_vec(), &[d, k]).unwrap();
    let back = x.matmul(&vt).unwrap().matmul_t(&vt, false, true).unwrap();
    let r = x.sub(&back).unwrap().square().unwrap().mean_axis(1, false).unwrap();
    r.to_vec().unwrap()
}

/// ROC AUCs for one digit and seed: the models', then PCA's for each of `KS`.
/// `dense` overrides the dense models' code width (the presets' is 12) and
/// hidden widths (none for ae, 256 for vae), where given.
fn digit(images: &recon_data::Dataset, labels: &[String], d: &str, epochs: usize, dense: &Dense, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let split = stratified_split(labels, 0.2, seed).expect("split");
    let normals: Vec<usize> = split.train.iter().copied().filter(|&i| labels[i] == d).collect();
    let anomaly: Vec<bool> = split.test.iter().map(|&i| labels[i] != d).collect();
    let cpu = Cpu32::new();
    let (train, test) = (images.to_matrix(&cpu, &normals).unwrap(), images.to_matrix(&cpu, &split.test).unwrap());
    let mut models = Vec::new();
    for (kind, input) in [(Kind::ConvAe, vec![1, 28, 28]), (Kind::Ae, vec![784]), (Kind::Vae, vec![784])] {
        let mut config = ModelConfig::preset(kind, &input).unwrap();
        if kind != Kind::ConvAe {
            config.latent = dense.latent.unwrap_or(config.latent);
            config.hidden = dense.hidden.clone().unwrap_or(config.hidden);
        }
        let mut model = Autoencoder::new(config, &cpu, seed).unwrap();
        let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).unwrap();
        let fc = FitConfig { epochs, batch_size: 32, seed, patience: None };
        fit(&mut model, &mut opt, &train, None, &fc, 0, &mut Silent).expect("training");
        models.push(roc_auc(&model.score(&test, ErrorMetric::Mse).unwrap(), &anomaly).unwrap());
    }
    // PCA in f64, on the same images, centred on the training mean.
    let f64s = |t: &Tensor<Cpu32>| {
        let v: Vec<f64> = t.to_vec().unwrap().into_iter().map(f64::from).collect();
        Tensor::from_vec(&Cpu64::new(), v, t.shape()).unwrap()
    };
    let (train, test) = (f64s(&train), f64s(&test));
    let mean = train.mean_axis(0, true).unwrap();
    let (train, test) = (train.sub(&mean).unwrap(), test.sub(&mean).unwrap());
    let pca = KS.iter().map(|&k| roc_auc(&pca_scores(&test, &principal_directions(&train, k, seed), k), &anomaly).unwrap()).collect();
    (models, pca)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| -> usize {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| {
            v.parse().unwrap_or_else(|_| {
                eprintln!("{name} needs a number");
                std::process::exit(2)
            })
        })
    };
    let (epochs, seeds) = (flag("--epochs", 20), flag("--seeds", 1) as u64);
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let hidden = value("--hidden").map(|h| {
        h.split(',')
            .map(|w| {
                w.parse().unwrap_or_else(|_| {
                    eprintln!("--hidden needs widths, comma-separated");
                    std::process::exit(2)
                })
            })
            .collect()
    });
    let dense = Dense { latent: Some(flag("--latent", 0)).filter(|&l| l > 0), hidden };
    let images = recon_data::load_mnist(MNIST).expect("the bundled MNIST digits");
    let labels = images.labels.clone().expect("MNIST labels");
    let names = ["conv-ae", "ae", "vae"];
    let mut headers: Vec<String> = vec!["digit".into()];
    headers.extend(names.iter().map(|n| n.to_string()));
    headers.extend(KS.iter().map(|k| format!("PCA k={k}")));
    let mut table = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    let (mut sums, mut json) = (vec![0.0; names.len() + KS.len()], Vec::new());
    for digit_ in 0..10 {
        let d = digit_.to_string();
        let mut aucs = vec![0.0; names.len() + KS.len()];
        for seed in 1..=seeds {
            let (models, pca) = digit(&images, &labels, &d, epochs, &dense, seed);
            for (a, v) in aucs.iter_mut().zip(models.into_iter().chain(pca)) {
                *a += v / seeds as f64;
            }
        }
        eprintln!("digit {d}: {aucs:.3?}");
        sums.iter_mut().zip(&aucs).for_each(|(s, a)| *s += a / 10.0);
        table.row(std::iter::once(d.clone()).chain(aucs.iter().map(|a| format!("{a:.3}"))).collect());
        json.push(Json::obj(vec![("digit", Json::str(d)), ("roc_auc", Json::Arr(aucs.iter().map(|&a| Json::num(a)).collect()))]));
    }
    table.row(std::iter::once("**mean**".to_string()).chain(sums.iter().map(|a| format!("**{a:.3}**"))).collect());
    let md = format!(
        "# One-class MNIST: the autoencoders against PCA\n\n{}\nCommand: `cargo run --release -p recon-benches --bin one_class \
         -- --epochs {epochs} --seeds {seeds}{}`. For each digit, the models train on that digit's images of an 80/20 \
         stratified split of the 10,000 bundled digits (as `recon train` splits them) and score every test image (about \
         200 of the digit, 1,800 others); ROC AUC with the other digits as anomalies, mean over {seeds} seed(s). \
         Models as `recon train` trains them by default ({epochs} epochs, batch 32, Adam 1e-3), mean squared \
         reconstruction error. PCA: the same training images, centred, k components by {ITERATIONS} subspace \
         iterations on the covariance; mean squared residual.\n\n{table}",
        Machine::detect().markdown(),
        dense.latent.map_or(String::new(), |l| format!(" --latent {l}"))
            + &value("--hidden").map_or(String::new(), |h| format!(" --hidden {h}")),
    );
    print!("{md}");
    write_result("one-class.md", &md);
    let columns = names.iter().map(|n| Json::str(*n)).chain(KS.iter().map(|k| Json::str(format!("pca{k}")))).collect();
    write_result(
        "one-class.json",
        &Json::obj(vec![
            ("epochs", Json::num(epochs as f64)),
            ("seeds", Json::num(seeds as f64)),
            ("columns", Json::Arr(columns)),
            ("digits", Json::Arr(json)),
        ])
        .to_string(),
    );
}
