//! The IDX readers (`read_idx_u8_from`, `read_idx_images_from`,
//! `read_idx_labels_from`) on arbitrary bytes, gzipped or not, exactly as
//! the file readers open a file (`open::sniff` first).
//!
//! The first byte picks the reader. Besides "no panic" (and, under
//! libFuzzer's `-rss_limit_mb`, no allocation sized by the header's claims),
//! an `Ok` array must hold exactly the product of its sizes, and images must
//! be three non-zero sizes of pixels in `[0, 1]`.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use recon_data::{open::sniff, read_idx_images_from, read_idx_labels_from, read_idx_u8_from};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else { return };
    let Ok(reader) = sniff(file) else { return };
    let path = Path::new("fuzz-images-idx3-ubyte");
    match pick % 3 {
        0 => {
            if let Ok(idx) = read_idx_u8_from(reader, path) {
                assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>());
            }
        }
        1 => {
            if let Ok((pixels, dims)) = read_idx_images_from(reader, path) {
                assert!(!dims.contains(&0));
                assert_eq!(pixels.len(), dims.iter().product::<usize>());
                assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
            }
        }
        _ => {
            let _ = read_idx_labels_from(reader, path);
        }
    }
});
