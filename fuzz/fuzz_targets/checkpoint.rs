//! The checkpoint reader on arbitrary bytes: `checkpoint::from_bytes` (the
//! safetensors layer: our header checks, then the reference reader), then
//! `saved::from_bytes` (the model configuration in the metadata, the model
//! rebuilt from it, every array checked against its parameter), which is
//! what `recon score --model` does with a file.
//!
//! Besides "no panic" and no allocation sized by the header's claims, an
//! `Ok` file must hold arrays whose data fill their shapes, and a model
//! that loads must reconstruct a row of zeros into a row of its width.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use recon_nn::{checkpoint, saved};
use recon_tensor::{Cpu32, Tensor};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.safetensors");
    let Ok((arrays, _)) = checkpoint::from_bytes(path, data) else { return };
    for a in &arrays {
        assert_eq!(a.data.len(), a.shape.iter().product::<usize>());
    }
    let cpu = Cpu32::new();
    let Ok(loaded) = saved::from_bytes(path, data, &cpu) else { return };
    let d = loaded.model.config.features();
    let x = Tensor::from_f64s(&cpu, &vec![0.0; d], &[1, d]).expect("a row of zeros");
    let out = loaded.model.reconstruct(&x).expect("a loaded model reconstructs");
    assert_eq!(out.shape(), [1, d]);
});
