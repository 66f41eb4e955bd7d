//! The checkpoint reader again, on inputs that are the *inside* of a
//! safetensors file: the JSON header, a zero byte, then the data section.
//! The target writes the 8-byte length field itself, so every mutation of
//! the header text reaches the JSON, tensor-entry and model-configuration
//! checks instead of mostly breaking the length field (as in `checkpoint`).
//! Same checks as `checkpoint` on the assembled file.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use recon_nn::{checkpoint, saved};
use recon_tensor::{Cpu32, Tensor};

/// `header \0 data` to `len(header) as u64 LE, header, data` (no zero byte:
/// all of it is the header).
fn assemble(input: &[u8]) -> Vec<u8> {
    let (header, data) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[][..]),
    };
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.extend_from_slice(data);
    file
}

fuzz_target!(|input: &[u8]| {
    let data = assemble(input);
    let path = Path::new("fuzz.safetensors");
    let Ok((arrays, _)) = checkpoint::from_bytes(path, &data) else { return };
    for a in &arrays {
        assert_eq!(a.data.len(), a.shape.iter().product::<usize>());
    }
    let cpu = Cpu32::new();
    let Ok(loaded) = saved::from_bytes(path, &data, &cpu) else { return };
    let d = loaded.model.config.features();
    let x = Tensor::from_f64s(&cpu, &vec![0.0; d], &[1, d]).expect("a row of zeros");
    let out = loaded.model.reconstruct(&x).expect("a loaded model reconstructs");
    assert_eq!(out.shape(), [1, d]);
});
