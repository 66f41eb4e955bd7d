//! A tiny PNG encoder, enough to embed small images in the page as `data:` URIs.
//!
//! A PNG file is an 8-byte signature followed by chunks, each
//! `length (u32 BE) | type (4 ASCII bytes) | data | CRC-32 of type and data`:
//!
//! - `IHDR`: width, height, bit depth 8, colour type (0 = grey, 2 = RGB), and
//!   compression, filter and interlace methods, all 0;
//! - `IDAT`: the image as a zlib stream; each row of pixels is prefixed with
//!   its filter type (0 = none);
//! - `IEND`: empty, closes the file.
//!
//! We do not compress: the zlib stream is a 2-byte header, the data cut into
//! *stored* deflate blocks (`final flag | LEN (u16 LE) | !LEN | bytes`, at most
//! 65,535 bytes each) and the Adler-32 checksum of the data. For 28×28 digits
//! that costs a few hundred bytes per image, which is fine for a report.

/// Encodes an 8-bit greyscale image (`pixels.len() == width * height`).
///
/// # Panics
/// If the pixel count does not match or a dimension is 0 or above `u32::MAX`.
pub fn encode_gray(width: usize, height: usize, pixels: &[u8]) -> Vec<u8> {
    encode(width, height, 0, 1, pixels)
}

/// Encodes an 8-bit RGB image (`pixels.len() == 3 * width * height`, `r, g, b` per pixel).
///
/// # Panics
/// If the pixel count does not match or a dimension is 0 or above `u32::MAX`.
pub fn encode_rgb(width: usize, height: usize, pixels: &[u8]) -> Vec<u8> {
    encode(width, height, 2, 3, pixels)
}

/// A greyscale image with values in `[0, 1]` (clamped; NaN is black) as a
/// `data:image/png;base64,...` URI. Missing pixels are black, extra ones ignored.
pub fn gray_data_uri(width: usize, height: usize, values: &[f32]) -> String {
    let pixels: Vec<u8> = (0..width * height)
        .map(|i| {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v.is_nan() {
                0
            } else {
                (v.clamp(0.0, 1.0) * 255.0).round() as u8
            }
        })
        .collect();
    format!("data:image/png;base64,{}", base64(&encode_gray(width, height, &pixels)))
}

fn encode(width: usize, height: usize, color_type: u8, channels: usize, pixels: &[u8]) -> Vec<u8> {
    assert!(width > 0 && height > 0, "a PNG needs at least one pixel, got {width}x{height}");
    let (w, h) = (u32::try_from(width).expect("width fits u32"), u32::try_from(height).expect("height fits u32"));
    assert_eq!(pixels.len(), width * height * channels, "pixel buffer does not match {width}x{height}x{channels}");

    let mut raw = Vec::with_capacity(height * (1 + width * channels));
    for row in pixels.chunks(width * channels) {
        raw.push(0); // filter type: none
        raw.extend_from_slice(row);
    }

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);

    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream holding `data` in uncompressed (stored) deflate blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF*256 + FLG a multiple of 31.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]); // one empty final block
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none())); // BFINAL, BTYPE = 00 (stored)
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit: slow but
/// plain, and our images are small.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Adler-32: two running sums modulo 65521, `b << 16 | a`.
pub fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        // 5552 bytes is the most that can be summed before `b` could overflow u32.
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

/// Standard base64 with padding (RFC 4648).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = (u32::from(group[0]) << 16) | (u32::from(*group.get(1).unwrap_or(&0)) << 8) | u32::from(*group.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(b""), 1);
        // Long input exercises the modulo reduction.
        let long = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &long {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(adler32(&long), ((b << 16) | a) as u32);
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("valid PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
        let info = reader.next_frame(&mut buf).expect("valid PNG data");
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn the_png_crate_reads_our_greyscale_and_rgb_images() {
        let (w, h) = (28, 28);
        let grey: Vec<u8> = (0..w * h).map(|i| (i * 7 % 256) as u8).collect();
        let (info, pixels) = decode(&encode_gray(w, h, &grey));
        assert_eq!((info.width, info.height, info.color_type), (28, 28, png::ColorType::Grayscale));
        assert_eq!(pixels, grey);

        let rgb: Vec<u8> = (0..3 * 5 * 3).map(|i| (i * 11 % 256) as u8).collect();
        let (info, pixels) = decode(&encode_rgb(5, 3, &rgb));
        assert_eq!((info.width, info.height, info.color_type), (5, 3, png::ColorType::Rgb));
        assert_eq!(pixels, rgb);
    }

    #[test]
    fn images_larger_than_one_stored_block_round_trip() {
        let (w, h) = (300, 300); // 90,300 bytes of scanlines: two stored blocks
        let grey: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
        let (_, pixels) = decode(&encode_gray(w, h, &grey));
        assert_eq!(pixels, grey);
    }

    #[test]
    fn data_uri_clamps_and_pads() {
        let uri = gray_data_uri(2, 2, &[-1.0, 2.0, f32::NAN, 0.5]);
        assert_eq!(uri, format!("data:image/png;base64,{}", base64(&encode_gray(2, 2, &[0, 255, 0, 128]))));
        let short = gray_data_uri(2, 1, &[1.0]);
        assert_eq!(short, format!("data:image/png;base64,{}", base64(&encode_gray(2, 1, &[255, 0]))));
    }
}
