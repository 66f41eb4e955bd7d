//! The model configuration a checkpoint carries (`ModelConfig::from_json`),
//! on arbitrary text: the part of the load path that turns a file's sizes
//! into allocations. A configuration that validates must say how many
//! parameters it has without overflowing; when that count is small, the
//! model must build with exactly that many parameters and reconstruct and
//! score a row of zeros (finite, one score per row), or refuse with an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use recon_nn::score::ErrorMetric;
use recon_nn::{Autoencoder, ModelConfig};
use recon_tensor::{Cpu32, Tensor};

/// Models above this many parameters are not built (the fuzzer would spend
/// its time in allocation and matrix products, not in the parser).
const BUILD_AT_MOST: usize = 200_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = ModelConfig::from_json(text) else { return };
    let count = config.param_count().expect("a validated configuration has a parameter count");
    if count > BUILD_AT_MOST || config.features() > BUILD_AT_MOST {
        return;
    }
    let cpu = Cpu32::new();
    let Ok(model) = Autoencoder::new(config, &cpu, 0) else { return };
    assert_eq!(model.params.count(), count);
    let d = model.config.features();
    let x = Tensor::from_f64s(&cpu, &vec![0.0; d], &[1, d]).expect("a row of zeros");
    let out = model.reconstruct(&x).expect("a built model reconstructs");
    assert_eq!(out.shape(), [1, d]);
    let scores = model.score(&x, ErrorMetric::Mse).expect("a built model scores");
    assert_eq!(scores.len(), 1);
    assert!(scores[0].is_finite());
});
