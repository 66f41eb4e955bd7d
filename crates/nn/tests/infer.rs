//! The tape-free scoring path (`infer.rs`, taken by `Autoencoder::score` for
//! the dense presets) gives the same scores as the general path
//! (`score_with_tape`: `reconstruct` on a no-grad tape, then tensor
//! arithmetic) to the last bit: for every dense preset, both metrics, one
//! row, a few rows, and batches that span several blocks and several
//! `SCORE_BATCH`es, with 1 and with 2 threads.

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_nn::score::{ErrorMetric, SCORE_BATCH};
use recon_nn::{fit, Autoencoder, FitConfig, Kind, ModelConfig, Optimizer, OptimizerConfig, Silent};
use recon_tensor::{Cpu32, Cpu64, Tensor};

fn data(n: usize, d: usize, seed: u64) -> Tensor<Cpu32> {
    Tensor::rand_normal(&Cpu32::new(), &[n, d], 0.0, 1.5, &mut StdRng::seed_from_u64(seed)).unwrap()
}

/// A model trained for one epoch, so the weights are not just their initial values.
fn trained(kind: Kind, d: usize) -> Autoencoder<Cpu32> {
    let mut model = Autoencoder::new(ModelConfig::preset(kind, &[d]).unwrap(), &Cpu32::new(), 3).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::default(), &model.params).unwrap();
    let cfg = FitConfig { epochs: 1, batch_size: 32, seed: 1, patience: None };
    fit(&mut model, &mut opt, &data(256, d, 9), None, &cfg, 0, &mut Silent).unwrap();
    model
}

fn assert_same_bits(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: row {i}: lean {x} vs tape {y}");
    }
}

#[test]
fn the_lean_path_gives_the_tape_paths_scores_bit_for_bit() {
    for kind in [Kind::Ae, Kind::SparseAe, Kind::DeepAe, Kind::DenoisingAe, Kind::Vae] {
        let model = trained(kind, 29);
        for rows in [1, 3, 32, 257, 1000, SCORE_BATCH + 5] {
            let x = data(rows, 29, rows as u64);
            for metric in [ErrorMetric::Mse, ErrorMetric::Mae] {
                let what = format!("{} rows={rows} {metric:?}", kind.name());
                let lean = model.score(&x, metric).unwrap();
                assert_same_bits(&lean, &model.score_with_tape(&x, metric).unwrap(), &what);
                // The thread count changes neither path.
                let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
                assert_same_bits(&one.install(|| model.score(&x, metric).unwrap()), &lean, &format!("{what}, 1 thread"));
            }
        }
    }
}

#[test]
fn every_activation_and_a_wide_input_match_too() {
    // The Gaussian decoder (an extra head the score ignores), a sigmoid
    // output (BCE loss) and an input wider than one GEMM block of k.
    let mut cfg = ModelConfig::preset(Kind::Vae, &[300]).unwrap();
    cfg.gaussian_decoder = true;
    let vae = Autoencoder::new(cfg, &Cpu32::new(), 5).unwrap();
    let mut cfg = ModelConfig::preset(Kind::DeepAe, &[300]).unwrap();
    cfg.loss = recon_nn::ReconLoss::Bce;
    let bce = Autoencoder::new(cfg, &Cpu32::new(), 6).unwrap();
    for model in [vae, bce] {
        let x = data(700, 300, 4);
        assert_same_bits(&model.score(&x, ErrorMetric::Mse).unwrap(), &model.score_with_tape(&x, ErrorMetric::Mse).unwrap(), "wide");
    }
    // f64 models take the lean path too.
    let m64 = Autoencoder::new(ModelConfig::preset(Kind::Ae, &[7]).unwrap(), &Cpu64::new(), 2).unwrap();
    let x = Tensor::rand_normal(&Cpu64::new(), &[300, 7], 0.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap();
    assert_same_bits(&m64.score(&x, ErrorMetric::Mse).unwrap(), &m64.score_with_tape(&x, ErrorMetric::Mse).unwrap(), "f64");
}

#[test]
fn the_lean_path_checks_its_input_and_scores_nothing_for_no_rows() {
    let model = Autoencoder::new(ModelConfig::preset(Kind::Ae, &[29]).unwrap(), &Cpu32::new(), 1).unwrap();
    let err = model.score(&data(4, 28, 1), ErrorMetric::Mse).unwrap_err().to_string();
    assert!(err.contains("29 features"), "{err}");
    assert_eq!(model.score(&data(0, 29, 1), ErrorMetric::Mse).unwrap(), Vec::<f64>::new());
}
