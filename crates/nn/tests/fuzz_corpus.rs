//! Replays every input the fuzz targets of `fuzz/` ever crashed on (kept in
//! `tests/corpus/fuzz/<target>/`): each checkpoint through `checkpoint::load`
//! and `saved::load` (the path `recon score --model` takes), each
//! `checkpoint_header` input (header, zero byte, data) assembled into a file
//! as that target does, each configuration through `ModelConfig::from_json`. Every one must come back as `Ok` or `Err`,
//! never a panic, an abort or an allocation sized by the file's claims.

use std::path::Path;

use recon_nn::{checkpoint, saved, ModelConfig};
use recon_tensor::Cpu32;

#[path = "../../../tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;
use fuzz_inputs::inputs;

#[test]
fn checkpoints_that_crashed_the_fuzzer_are_errors_or_models() {
    let files = inputs("checkpoint");
    assert!(!files.is_empty());
    for path in files {
        if let Ok((arrays, _)) = checkpoint::load(&path) {
            for a in &arrays {
                assert_eq!(a.data.len(), a.shape.iter().product::<usize>(), "{}", path.display());
            }
        }
        let bytes = std::fs::read(&path).unwrap();
        let from_file = saved::load(&path, &Cpu32::new()).map(|_| ()).map_err(|e| e.to_string());
        let from_memory = saved::from_bytes(&path, &bytes, &Cpu32::new()).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(from_file, from_memory, "{}", path.display());
    }
}

#[test]
fn checkpoint_headers_that_crashed_the_fuzzer_are_errors_or_models() {
    for path in inputs("checkpoint_header") {
        // As `fuzz/fuzz_targets/checkpoint_header.rs` assembles it.
        let input = std::fs::read(&path).unwrap();
        let (header, data) = match input.iter().position(|&b| b == 0) {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (&input[..], &[][..]),
        };
        let mut file = (header.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(header);
        file.extend_from_slice(data);
        if let Ok((arrays, _)) = checkpoint::from_bytes(&path, &file) {
            for a in &arrays {
                assert_eq!(a.data.len(), a.shape.iter().product::<usize>(), "{}", path.display());
            }
        }
        let _ = saved::from_bytes(&path, &file, &Cpu32::new());
    }
}

#[test]
fn configurations_that_crashed_the_fuzzer_are_errors_or_countable() {
    let files = inputs("model_config");
    assert!(!files.is_empty());
    for path in files {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        if let Ok(c) = ModelConfig::from_json(&text) {
            assert!(c.param_count().is_some(), "{}: a valid configuration must have a parameter count", path.display());
        }
    }
}

/// The three hand-made regressions of `tests/corpus/fuzz/checkpoint/` fail
/// with a message naming the problem, before anything is allocated.
#[test]
fn oversized_configurations_are_refused_with_a_reason() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/fuzz/checkpoint");
    let load = |name: &str| saved::load(&dir.join(name), &Cpu32::new()).err().expect("refused").to_string();
    let e = load("input_product_overflows.safetensors");
    assert!(e.contains("sizes too large"), "{e}");
    let e = load("hidden_weights_overflow.safetensors");
    assert!(e.contains("sizes too large"), "{e}");
    let e = load("latent_1e12.safetensors");
    assert!(e.contains("needs 11000000000005 parameters but the file holds only 10 values"), "{e}");
}
