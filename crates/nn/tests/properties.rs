//! Properties of the model API, on small random models of every preset:
//!
//! - whatever sizes `ModelConfig` and `Autoencoder::new` accept, finite
//!   inputs give finite outputs (codes, reconstructions, both error scores,
//!   the training loss and its parts, the VAE's five scores), of the shapes
//!   the API promises, and `ModelConfig::param_count` (worked out without
//!   building anything, used to refuse oversized checkpoints) is the
//!   number of parameters the model really has;
//! - anomaly scores do not depend on row order: permuting the rows permutes
//!   the scores (and the reconstructions, and the per-feature errors) the
//!   same way. The VAE's Monte-Carlo scores are left out on purpose: sample
//!   `l` of row `i` uses noise drawn for position `i` of the batch, so they
//!   are estimates that change (within their noise) when rows move.
//!
//! Case counts are small so the file runs in seconds in a debug build.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_autograd::Tape;
use recon_nn::layers::Ctx;
use recon_nn::score::ErrorMetric;
use recon_nn::{Autoencoder, Kind, ModelConfig, ReconLoss};
use recon_tensor::{Cpu32, Tensor};

/// A configuration made from a preset, resized and re-regularised.
#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    input: Vec<usize>,
    hidden: Vec<usize>,
    latent: usize,
    bce: bool,
    activity_l1: f64,
    noise: f64,
    noise_clip: bool,
    beta: f64,
    gaussian_decoder: bool,
    seed: u64,
}

impl Spec {
    /// The configuration, or `None` where the API refuses the sizes.
    fn config(&self) -> Option<ModelConfig> {
        let mut c = ModelConfig::preset(self.kind, &self.input).ok()?;
        if !c.is_conv() {
            c.hidden = self.hidden.clone();
            c.latent = self.latent;
        }
        c.loss = if self.bce { ReconLoss::Bce } else { ReconLoss::Mse };
        if self.kind == Kind::SparseAe {
            c.activity_l1 = self.activity_l1;
        }
        if self.kind == Kind::DenoisingAe {
            c.noise = self.noise;
            c.noise_clip = self.noise_clip.then_some((-1.0, 1.0));
        }
        if self.kind == Kind::Vae {
            c.beta = self.beta;
            c.gaussian_decoder = self.gaussian_decoder;
        }
        c.validate().ok()?;
        Some(c)
    }
}

/// Row shapes: mostly flat tables of 1..=6 features, sometimes 2-D or 3-D
/// rows, and MNIST-sized images (what the conv architecture needs).
fn input_shape() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        6 => (1usize..=6).prop_map(|d| vec![d]),
        1 => proptest::collection::vec(1usize..=3, 2..=3),
        1 => (1usize..=2).prop_map(|c| vec![c, 28, 28]),
    ]
}

fn spec(kinds: &'static [Kind]) -> impl Strategy<Value = Spec> {
    (
        proptest::sample::select(kinds),
        input_shape(),
        proptest::collection::vec(1usize..=8, 0..=2),
        1usize..=6,
        any::<bool>(),
        (0.0f64..1e-2, 0.0f64..1.0, any::<bool>(), 0.0f64..4.0, any::<bool>()),
        any::<u64>(),
    )
        .prop_map(|(kind, input, hidden, latent, bce, (activity_l1, noise, noise_clip, beta, gaussian_decoder), seed)| Spec {
            kind,
            input,
            hidden,
            latent,
            bce,
            activity_l1,
            noise,
            noise_clip,
            beta,
            gaussian_decoder,
            seed,
        })
}

/// `rows x d` inputs: in `[0, 1]` for a BCE model (pixels), in `[-10, 10]`
/// otherwise (standardised features, outliers included).
fn inputs(c: &ModelConfig, rows: usize, seed: u64) -> Tensor<Cpu32> {
    let (lo, hi) = if c.loss == ReconLoss::Bce { (0.0, 1.0) } else { (-10.0, 10.0) };
    Tensor::rand_uniform(&Cpu32::new(), &[rows, c.features()], lo, hi, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn all_finite(t: &Tensor<Cpu32>) -> bool {
    t.to_f64_vec().unwrap().iter().all(|v| v.is_finite())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn finite_inputs_give_finite_outputs(spec in spec(&Kind::ALL), rows in 1usize..=4) {
        let Some(config) = spec.config() else { return Ok(()) };
        let cpu = Cpu32::new();
        let count = config.param_count().expect("a valid configuration has a parameter count");
        let built = Autoencoder::new(config.clone(), &cpu, spec.seed);
        if config.input.len() == 1 {
            prop_assert!(built.is_ok(), "{:?} refused: {}", config, built.err().unwrap());
        }
        let Ok(model) = built else { return Ok(()) };
        prop_assert_eq!(model.params.count(), count, "param_count of {:?}", config);
        let d = config.features();
        let x = inputs(&config, rows, spec.seed ^ 1);

        let code = model.encode(&x).unwrap();
        prop_assert_eq!(code.shape()[0], rows);
        prop_assert!(all_finite(&code), "code of {:?}", config);
        let out = model.reconstruct(&x).unwrap();
        prop_assert_eq!(out.shape(), &[rows, d][..]);
        prop_assert!(all_finite(&out), "reconstruction of {:?}", config);
        for metric in [ErrorMetric::Mse, ErrorMetric::Mae] {
            let s = model.score(&x, metric).unwrap();
            prop_assert_eq!(s.len(), rows);
            prop_assert!(s.iter().all(|v| v.is_finite() && *v >= 0.0), "{:?} scores {:?} of {:?}", metric, s, config);
        }
        let per = model.per_feature_errors(&x).unwrap();
        prop_assert_eq!(per.shape(), &[rows, d][..]);
        prop_assert!(all_finite(&per));

        let tape = Tape::no_grad();
        let mut ctx = Ctx::new(&tape, &model.params, StdRng::seed_from_u64(spec.seed));
        let loss = model.loss(&mut ctx, &x).unwrap();
        let (total, recon) = (loss.total.value().item().unwrap(), loss.recon.value().item().unwrap());
        // A Gaussian decoder's NLL `1/2 (lv + (x - out)^2 e^-lv)` stays finite
        // even for an untrained VAE far from its data, because log-variances
        // are clamped (`LOGVAR_RANGE`); unclamped it overflowed here.
        prop_assert!(total.is_finite() && recon.is_finite(), "loss {} (recon {}) of {:?}", total, recon, config);
        if let Some(kl) = &loss.kl {
            let kl = kl.value().item().unwrap();
            prop_assert!(kl.is_finite() && kl >= -1e-6, "KL {} of {:?}", kl, config);
        }
        if config.kind == Kind::Vae {
            let v = model.vae_scores(&x, 2, spec.seed).unwrap();
            for (name, s) in v.named() {
                prop_assert_eq!(s.len(), rows);
                prop_assert!(s.iter().all(|v| v.is_finite()), "{} = {:?} of {:?}", name, s, config);
            }
        }
    }

    #[test]
    fn scores_follow_their_rows(
        spec in spec(&Kind::ALL),
        order in (2usize..=8).prop_flat_map(|n| Just((0..n).collect::<Vec<usize>>()).prop_shuffle()),
    ) {
        let Some(config) = spec.config() else { return Ok(()) };
        let Ok(model) = Autoencoder::new(config.clone(), &Cpu32::new(), spec.seed) else { return Ok(()) };
        let n = order.len();
        let x = inputs(&config, n, spec.seed ^ 2);
        let shuffled = Tensor::from_f64s(
            &Cpu32::new(),
            &order.iter().flat_map(|&r| x.slice_rows(r, r + 1).unwrap().to_f64_vec().unwrap()).collect::<Vec<_>>(),
            x.shape(),
        )
        .unwrap();

        let rows_of = |t: &Tensor<Cpu32>| -> Vec<Vec<f64>> {
            let d = t.shape()[1];
            t.to_f64_vec().unwrap().chunks(d).map(<[f64]>::to_vec).collect()
        };
        for metric in [ErrorMetric::Mse, ErrorMetric::Mae] {
            let (a, b) = (model.score(&x, metric).unwrap(), model.score(&shuffled, metric).unwrap());
            for (i, &r) in order.iter().enumerate() {
                prop_assert!(close(b[i], a[r]), "{:?}: row {} scored {} in place and {} at position {} ({:?})", metric, r, a[r], b[i], i, config);
            }
        }
        let (a, b) = (rows_of(&model.per_feature_errors(&x).unwrap()), rows_of(&model.per_feature_errors(&shuffled).unwrap()));
        for (i, &r) in order.iter().enumerate() {
            prop_assert!(a[r].iter().zip(&b[i]).all(|(p, q)| close(*p, *q)), "per-feature errors of row {} moved", r);
        }
        if config.kind == Kind::Vae {
            let (a, b) = (model.vae_scores(&x, 2, 7).unwrap(), model.vae_scores(&shuffled, 2, 7).unwrap());
            for (i, &r) in order.iter().enumerate() {
                prop_assert!(close(b.recon_mean[i], a.recon_mean[r]), "recon_mean of row {}", r);
                prop_assert!(close(b.latent_kl[i], a.latent_kl[r]), "latent_kl of row {}", r);
            }
        }
    }
}
