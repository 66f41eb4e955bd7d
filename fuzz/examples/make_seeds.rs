//! Writes the starting corpus of each fuzz target into `fuzz/seeds/<target>/`
//! from the repository's own files and from files the library writes:
//!
//! - `csv`: every `tests/corpus/*.csv`, the first 40 lines of
//!   `data/breast_cancer.csv` (raw and gzipped), each behind a few option
//!   bytes (see `fuzz_targets/csv.rs`);
//! - `idx`: small images and labels files written by `write_idx_u8` (raw and
//!   gzipped), and the first 3 bundled MNIST digits;
//! - `checkpoint`: a small checkpoint of every preset written by
//!   `saved::save` (with and without optimizer state); `checkpoint_header`:
//!   the same files as header, zero byte, data;
//! - `model_config`: the configuration JSON of every preset.
//!
//! Run from the repository root (`cargo xtask fuzz` runs it first):
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use recon_data::{read_idx_u8, write_idx_u8};
use recon_nn::optim::{Optimizer, OptimizerConfig};
use recon_nn::{saved, Autoencoder, Kind, ModelConfig};
use recon_tensor::Cpu32;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("fuzz/ is inside the repository").to_path_buf();
    let seeds = root.join("fuzz/seeds");
    let dir = |t: &str| {
        let d = seeds.join(t);
        fs::create_dir_all(&d).unwrap();
        d
    };

    // CSV: option byte 0 (features only), 1 | label index << 3, 7 (label,
    // drop and non-finite allowed); see fuzz_targets/csv.rs.
    let csv = dir("csv");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut corpus: Vec<PathBuf> = fs::read_dir(root.join("tests/corpus")).unwrap().map(|e| e.unwrap().path()).collect();
    corpus.sort();
    for p in corpus.iter().filter(|p| p.extension().is_some_and(|e| e == "csv")) {
        files.push((p.file_stem().unwrap().to_string_lossy().into_owned(), fs::read(p).unwrap()));
    }
    let bc = fs::read_to_string(root.join("data/breast_cancer.csv")).unwrap();
    let head: String = bc.lines().take(40).map(|l| format!("{l}\n")).collect();
    files.push(("breast_cancer_head".into(), head.clone().into_bytes()));
    files.push(("breast_cancer_head_gz".into(), gzip(head.as_bytes())));
    for (name, bytes) in &files {
        for pick in [0u8, 1 | 3 << 3, 7 | 3 << 3 | 1 << 5] {
            let mut seed = vec![pick];
            seed.extend_from_slice(bytes);
            put(&csv, &format!("{name}-{pick}"), &seed);
        }
    }

    // IDX: byte 0 = which reader (0 any, 1 images, 2 labels).
    let idx = dir("idx");
    let tmp = std::env::temp_dir().join(format!("recon-fuzz-seeds-{}", std::process::id()));
    let write = |name: &str, pick: u8, data: &[u8], dims: &[usize], gz: bool| {
        write_idx_u8(&tmp, data, dims, gz).unwrap();
        let mut seed = vec![pick];
        seed.extend(fs::read(&tmp).unwrap());
        put(&idx, name, &seed);
    };
    let small: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 37 % 256) as u8).collect();
    write("images_2x3x4", 1, &small, &[2, 3, 4], false);
    write("images_2x3x4_gz", 1, &small, &[2, 3, 4], true);
    write("labels_5", 2, &[0, 1, 9, 3, 3], &[5], false);
    write("labels_5_gz", 2, &[0, 1, 9, 3, 3], &[5], true);
    write("any_4d", 0, &small, &[1, 2, 3, 4], false);
    let mnist = read_idx_u8(root.join("data/mnist-10k-images-idx3-ubyte.gz")).unwrap();
    write("mnist_3_gz", 1, &mnist.data[..3 * 784], &[3, 28, 28], true);
    let _ = fs::remove_file(&tmp);

    // Checkpoints and configurations of every preset, small sizes.
    let ckpt = dir("checkpoint");
    let headers = dir("checkpoint_header");
    let configs = dir("model_config");
    let cpu = Cpu32::new();
    for kind in Kind::ALL {
        let input: &[usize] = if kind == Kind::ConvAe { &[1, 28, 28] } else { &[5] };
        let mut config = ModelConfig::preset(kind, input).unwrap();
        if !config.is_conv() {
            config.hidden = config.hidden.iter().map(|_| 3).collect();
            config.latent = 2;
        }
        put(&configs, kind.name(), config.to_json().as_bytes());
        if config.is_conv() {
            continue; // ~7k parameters: too big a file to mutate quickly
        }
        let model = Autoencoder::new(config, &cpu, 1).unwrap();
        let opt = Optimizer::new(OptimizerConfig::default(), &model.params).unwrap();
        let meta: BTreeMap<String, String> = [("scaler".to_string(), "{}".to_string())].into();
        for (name, opt) in [("", None), ("-adam", Some(&opt))] {
            let path = ckpt.join(format!("{}{name}.safetensors", kind.name()));
            saved::save(&path, &model, opt, 3, &meta).unwrap();
            // `checkpoint_header`'s spelling: the header, a zero byte, the data.
            let file = fs::read(&path).unwrap();
            let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
            let mut inside = file[8..8 + n].to_vec();
            inside.push(0);
            inside.extend_from_slice(&file[8 + n..]);
            put(&headers, &format!("{}{name}", kind.name()), &inside);
        }
    }
    println!("seeds written under {}", seeds.display());
}
