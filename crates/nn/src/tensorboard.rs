//! A minimal TensorBoard event-file writer for scalar curves (loss, validation
//! loss, learning rate, ...), written by hand with no dependencies.
//!
//! Point TensorBoard at the directory (`tensorboard --logdir runs/`) and every
//! tag passed to [`EventWriter::add_scalar`] shows up as a curve over `step`.
//!
//! # The file format, from the outside in
//!
//! An event file is a sequence of **TFRecord** records. A record frames one
//! opaque byte string (`data`) like this, all integers little-endian:
//!
//! ```text
//! u64  length              number of bytes in `data`
//! u32  masked_crc32c(length's 8 bytes)
//! [u8; length] data
//! u32  masked_crc32c(data)
//! ```
//!
//! The length has its own checksum so that a reader can tell a corrupted
//! length (which would make it skip to a nonsense position) from a corrupted
//! payload, and a record cut short by a crash (the writer died mid-write) is
//! detected instead of being parsed as garbage.
//!
//! The checksum is CRC-32C (the *Castagnoli* polynomial, not the zlib/PNG
//! CRC-32), then **masked**: `((crc >> 15) | (crc << 17)) + 0xa282ead8`
//! (rotate right by 15 bits, add a constant, wrapping). Why mask? A CRC of data
//! that itself contains CRCs has poor properties: computing the CRC of a string
//! with its own CRC appended gives a constant, so if records (with their
//! checksums) are ever embedded in other checksummed data, errors can cancel
//! out. Rotating and adding a constant breaks that algebraic relationship. The
//! recipe comes from LevelDB's log format, which TFRecord copies.
//!
//! Each record's `data` is one **`Event`** protocol-buffer message
//! (`tensorflow/core/util/event.proto`). We only need these fields:
//!
//! ```text
//! message Event {
//!   double  wall_time    = 1;   // seconds since the Unix epoch
//!   int64   step         = 2;   // x-axis of the curve
//!   string  file_version = 3;   // only in the first record: "brain.Event:2"
//!   Summary summary      = 5;   // the values logged at this step
//! }
//! message Summary { repeated Value value = 1; }
//! message Value {
//!   string tag          = 1;    // curve name, e.g. "loss"
//!   float  simple_value = 2;    // the scalar
//! }
//! ```
//!
//! The first record of a file carries `file_version` so that readers know
//! which dialect of `Event` follows; every later record is one scalar.
//!
//! # Protocol buffers by hand
//!
//! A protobuf message is a flat list of `(key, value)` pairs. The key is a
//! varint `field_number << 3 | wire_type`, and the wire type says how to read
//! the value:
//!
//! | wire type | name             | used here for                               |
//! |-----------|------------------|---------------------------------------------|
//! | 0         | varint           | `int64 step`                                |
//! | 1         | 64-bit           | `double wall_time` (8 bytes LE)             |
//! | 2         | length-delimited | `string`, nested messages (varint len + bytes) |
//! | 5         | 32-bit           | `float simple_value` (4 bytes LE)           |
//!
//! A *varint* stores an integer 7 bits per byte, least significant group
//! first; the high bit of each byte says "more bytes follow". Negative
//! `int64`s are sign-extended to 64 bits first, so they always take 10 bytes.
//! A nested message is just its encoded bytes written as a length-delimited
//! field.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// CRC-32C
// ---------------------------------------------------------------------------

/// The Castagnoli polynomial 0x1EDC6F41, bit-reversed because the CRC is
/// computed least-significant bit first.
const CRC32C_POLY_REVERSED: u32 = 0x82F6_3B78;

/// 256-entry lookup table: `TABLE[b]` is the CRC register after shifting the
/// byte `b` through it, so the main loop handles a whole byte per step.
/// Built at compile time.
const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ CRC32C_POLY_REVERSED } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-32C (Castagnoli) of `data`, the checksum TFRecord uses.
///
/// Standard parameters: initial register `0xFFFF_FFFF`, reflected input and
/// output, final XOR `0xFFFF_FFFF`. Check value: `crc32c(b"123456789") ==
/// 0xE306_9283`.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc = CRC32C_TABLE[((crc ^ byte as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The masking delta from LevelDB / TFRecord.
const MASK_DELTA: u32 = 0xa282_ead8;

/// CRC-32C, masked as TFRecord stores it: rotate right by 15 bits, then add
/// `0xa282ead8` (wrapping). See the module docs for why.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    // `rotate_right(15)` is `(crc >> 15) | (crc << 17)`.
    crc32c(data).rotate_right(15).wrapping_add(MASK_DELTA)
}

// ---------------------------------------------------------------------------
// Protobuf encoding
// ---------------------------------------------------------------------------

/// Protobuf wire types (the low 3 bits of a field key).
const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;
const WIRE_FIXED32: u32 = 5;

/// Appends `value` as a protobuf varint: 7 bits per byte, low bits first,
/// high bit set on every byte but the last.
pub fn encode_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Field key: `field_number << 3 | wire_type`, as a varint.
fn put_key(field: u32, wire_type: u32, out: &mut Vec<u8>) {
    encode_varint(u64::from(field << 3 | wire_type), out);
}

/// `double` field (wire type 1): 8 bytes little-endian IEEE 754.
fn put_double(field: u32, value: f64, out: &mut Vec<u8>) {
    put_key(field, WIRE_FIXED64, out);
    out.extend_from_slice(&value.to_le_bytes());
}

/// `float` field (wire type 5): 4 bytes little-endian IEEE 754.
fn put_float(field: u32, value: f32, out: &mut Vec<u8>) {
    put_key(field, WIRE_FIXED32, out);
    out.extend_from_slice(&value.to_le_bytes());
}

/// `int64` field (wire type 0): two's complement reinterpreted as `u64`, so
/// negative values take the full 10 varint bytes (that is what protobuf does
/// for `int64`, as opposed to the zig-zag `sint64`).
fn put_int64(field: u32, value: i64, out: &mut Vec<u8>) {
    put_key(field, WIRE_VARINT, out);
    encode_varint(value as u64, out);
}

/// `string`, `bytes` or nested-message field (wire type 2): varint length,
/// then the bytes.
fn put_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    put_key(field, WIRE_LEN, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

// Field numbers from tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto.
const EVENT_WALL_TIME: u32 = 1;
const EVENT_STEP: u32 = 2;
const EVENT_FILE_VERSION: u32 = 3;
const EVENT_SUMMARY: u32 = 5;
const SUMMARY_VALUE: u32 = 1;
const VALUE_TAG: u32 = 1;
const VALUE_SIMPLE_VALUE: u32 = 2;

/// The version string TensorBoard expects in a file's first event.
pub const FILE_VERSION: &str = "brain.Event:2";

/// Encodes the header `Event { wall_time, file_version: "brain.Event:2" }`.
fn encode_file_version_event(wall_time: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    put_double(EVENT_WALL_TIME, wall_time, &mut out);
    put_bytes(EVENT_FILE_VERSION, FILE_VERSION.as_bytes(), &mut out);
    out
}

/// Encodes `Event { wall_time, step, summary: Summary { value: [Value { tag,
/// simple_value }] } }`, building the nested messages innermost first since
/// each is written with its length in front.
fn encode_scalar_event(wall_time: f64, step: i64, tag: &str, value: f32) -> Vec<u8> {
    let mut summary_value = Vec::with_capacity(tag.len() + 8);
    put_bytes(VALUE_TAG, tag.as_bytes(), &mut summary_value);
    put_float(VALUE_SIMPLE_VALUE, value, &mut summary_value);

    let mut summary = Vec::with_capacity(summary_value.len() + 4);
    put_bytes(SUMMARY_VALUE, &summary_value, &mut summary);

    let mut event = Vec::with_capacity(summary.len() + 24);
    put_double(EVENT_WALL_TIME, wall_time, &mut event);
    put_int64(EVENT_STEP, step, &mut event);
    put_bytes(EVENT_SUMMARY, &summary, &mut event);
    event
}

// ---------------------------------------------------------------------------
// TFRecord framing
// ---------------------------------------------------------------------------

/// Writes one TFRecord: length, masked CRC of the length, data, masked CRC of
/// the data.
fn write_record<W: Write>(out: &mut W, data: &[u8]) -> io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(&masked_crc32c(&len).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc32c(data).to_le_bytes())
}

// ---------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------

/// Seconds since the Unix epoch, as TensorBoard's `wall_time` wants them.
fn wall_time_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Host name for the file name, from `/etc/hostname`, or `"recon"` when that
/// is unreadable or empty. Path separators are replaced so the name stays one
/// path component.
fn hostname() -> String {
    let name = fs::read_to_string("/etc/hostname").unwrap_or_default();
    let name = name.trim();
    if name.is_empty() {
        "recon".to_string()
    } else {
        name.replace(['/', '\\'], "_")
    }
}

/// Writes scalar curves to a TensorBoard event file.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use recon_nn::tensorboard::EventWriter;
/// let mut tb = EventWriter::create(std::path::Path::new("runs/ae"))?;
/// for step in 0..10 {
///     tb.add_scalar("loss", 1.0 / (step as f32 + 1.0), step)?;
/// }
/// tb.flush()?;
/// # Ok(())
/// # }
/// ```
///
/// Writes are buffered; call [`flush`](Self::flush) (say once per epoch) to
/// make them visible to a TensorBoard that is watching the directory. Dropping
/// the writer also flushes, but silently ignores errors.
#[derive(Debug)]
pub struct EventWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl EventWriter {
    /// Creates `dir` (and its parents) if missing and a new event file in it
    /// named like TensorBoard's own,
    /// `events.out.tfevents.<unix seconds>.<hostname>.<pid>.0`, then writes
    /// the `file_version` header record.
    ///
    /// TensorBoard finds files by the `tfevents` in their name. Should that
    /// name already exist (two writers in one process, same second, same
    /// directory), the trailing counter is bumped (`.1`, `.2`, ...) rather
    /// than overwriting the other run's file.
    pub fn create(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let stem = format!("events.out.tfevents.{secs}.{}.{}", hostname(), std::process::id());
        let mut counter = 0u32;
        let (file, path) = loop {
            let path = dir.join(format!("{stem}.{counter}"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => break (file, path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && counter < 1000 => counter += 1,
                Err(e) => return Err(e),
            }
        };
        let mut writer = EventWriter { out: BufWriter::new(file), path };
        write_record(&mut writer.out, &encode_file_version_event(wall_time_now()))?;
        writer.flush()?;
        Ok(writer)
    }

    /// Path of the event file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Logs `value` for curve `tag` at x-coordinate `step`, stamped with the
    /// current wall-clock time.
    pub fn add_scalar(&mut self, tag: &str, value: f32, step: i64) -> io::Result<()> {
        let event = encode_scalar_event(wall_time_now(), step, tag, value);
        write_record(&mut self.out, &event)
    }

    /// Pushes buffered records to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protobuf field value as decoded by the test reader.
    #[derive(Debug, Clone, PartialEq)]
    enum Field {
        Varint(u64),
        Fixed64([u8; 8]),
        Bytes(Vec<u8>),
        Fixed32([u8; 4]),
    }

    fn decode_varint(buf: &[u8], pos: &mut usize) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = buf[*pos];
            *pos += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
            assert!(shift < 70, "varint too long");
        }
    }

    /// Decodes a message into `(field number, value)` pairs, in order.
    fn decode_message(buf: &[u8]) -> Vec<(u32, Field)> {
        let mut fields = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let key = decode_varint(buf, &mut pos);
            let (field, wire) = ((key >> 3) as u32, (key & 7) as u32);
            let value = match wire {
                WIRE_VARINT => Field::Varint(decode_varint(buf, &mut pos)),
                WIRE_FIXED64 => {
                    pos += 8;
                    Field::Fixed64(buf[pos - 8..pos].try_into().unwrap())
                }
                WIRE_LEN => {
                    let len = decode_varint(buf, &mut pos) as usize;
                    pos += len;
                    Field::Bytes(buf[pos - len..pos].to_vec())
                }
                WIRE_FIXED32 => {
                    pos += 4;
                    Field::Fixed32(buf[pos - 4..pos].try_into().unwrap())
                }
                other => panic!("unexpected wire type {other}"),
            };
            fields.push((field, value));
        }
        assert_eq!(pos, buf.len(), "message overran its buffer");
        fields
    }

    /// Splits a TFRecord file into its payloads, checking both CRCs of each.
    fn read_records(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut records = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            assert!(bytes.len() - pos >= 12, "truncated record header at {pos}");
            let len_bytes = &bytes[pos..pos + 8];
            let len = u64::from_le_bytes(len_bytes.try_into().unwrap()) as usize;
            let len_crc = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap());
            assert_eq!(len_crc, masked_crc32c(len_bytes), "length CRC mismatch at {pos}");
            pos += 12;
            assert!(bytes.len() - pos >= len + 4, "truncated record data at {pos}");
            let data = &bytes[pos..pos + len];
            let data_crc = u32::from_le_bytes(bytes[pos + len..pos + len + 4].try_into().unwrap());
            assert_eq!(data_crc, masked_crc32c(data), "data CRC mismatch at {pos}");
            records.push(data.to_vec());
            pos += len + 4;
        }
        records
    }

    fn bytes_field(fields: &[(u32, Field)], number: u32) -> Vec<u8> {
        match fields.iter().find(|(n, _)| *n == number) {
            Some((_, Field::Bytes(b))) => b.clone(),
            other => panic!("field {number}: expected bytes, got {other:?}"),
        }
    }

    fn wall_time_of(fields: &[(u32, Field)]) -> f64 {
        match fields.first() {
            Some((EVENT_WALL_TIME, Field::Fixed64(b))) => f64::from_le_bytes(*b),
            other => panic!("expected wall_time first, got {other:?}"),
        }
    }

    #[test]
    fn crc32c_known_answers() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 (iSCSI) appendix B.4 test vectors.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(&ascending), 0x46DD_794E);
    }

    #[test]
    #[allow(clippy::manual_rotate)] // spelled out on purpose, as the format documents it
    fn masked_crc_matches_formula() {
        let crc = crc32c(b"123456789");
        let expected = ((crc >> 15) | (crc << 17)).wrapping_add(0xa282_ead8);
        assert_eq!(masked_crc32c(b"123456789"), expected);
        // Values from TensorBoard's own Python `masked_crc32c`.
        assert_eq!(masked_crc32c(b"123456789"), 0xC78A_B0E5);
        assert_eq!(masked_crc32c(b""), 0xA282_EAD8);
        // Masking is a bijection, so it never maps two CRCs to one.
        assert_ne!(masked_crc32c(b"a"), masked_crc32c(b"b"));
    }

    #[test]
    fn varint_encoding() {
        let enc = |v: u64| {
            let mut out = Vec::new();
            encode_varint(v, &mut out);
            out
        };
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(1), [0x01]);
        assert_eq!(enc(127), [0x7F]);
        assert_eq!(enc(128), [0x80, 0x01]);
        assert_eq!(enc(300), [0xAC, 0x02]); // the protobuf docs' example
        assert_eq!(enc(16_383), [0xFF, 0x7F]);
        assert_eq!(enc(16_384), [0x80, 0x80, 0x01]);
        assert_eq!(enc(u64::MAX), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        // int64 -1 is sign-extended: ten bytes.
        assert_eq!(enc(-1i64 as u64).len(), 10);
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX - 1] {
            let bytes = enc(v);
            let mut pos = 0;
            assert_eq!(decode_varint(&bytes, &mut pos), v);
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn scalar_event_encoding_is_exact() {
        // Event { wall_time: 1.5, step: 3, summary { value { tag: "loss", simple_value: 0.25 } } }
        let got = encode_scalar_event(1.5, 3, "loss", 0.25);
        let mut want = vec![0x09]; // field 1, wire type 1
        want.extend_from_slice(&1.5f64.to_le_bytes());
        want.extend_from_slice(&[0x10, 0x03]); // field 2, wire type 0, value 3
        want.extend_from_slice(&[0x2A, 13]); // field 5, wire type 2, 13 bytes
        want.extend_from_slice(&[0x0A, 11]); //   Summary.value: field 1, wire type 2, 11 bytes
        want.extend_from_slice(&[0x0A, 4]); //     Value.tag: field 1, wire type 2, 4 bytes
        want.extend_from_slice(b"loss");
        want.push(0x15); //     Value.simple_value: field 2, wire type 5
        want.extend_from_slice(&0.25f32.to_le_bytes());
        assert_eq!(got, want);
    }

    #[test]
    fn record_framing_round_trips() {
        let mut file = Vec::new();
        write_record(&mut file, b"hello").unwrap();
        write_record(&mut file, b"").unwrap();
        assert_eq!(file.len(), (12 + 5 + 4) + (12 + 4));
        assert_eq!(read_records(&file), vec![b"hello".to_vec(), Vec::new()]);
    }

    #[test]
    #[should_panic(expected = "data CRC mismatch")]
    fn reader_detects_corruption() {
        let mut file = Vec::new();
        write_record(&mut file, b"hello").unwrap();
        file[13] ^= 1;
        read_records(&file);
    }

    #[test]
    fn written_file_reads_back() {
        let dir = std::env::temp_dir().join(format!("recon-tensorboard-unit-{}-{}", std::process::id(), wall_time_now()));
        let mut writer = EventWriter::create(&dir).unwrap();
        let name = writer.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with("events.out.tfevents."), "{name}");
        assert!(name.ends_with(&format!(".{}.0", std::process::id())), "{name}");

        let expected: Vec<(&str, i64, f32)> =
            vec![("loss", 0, 1.0), ("val_loss", 0, 1.25), ("loss", 1, 0.5), ("loss", -7, f32::NAN), ("lr", 1 << 40, 3e-4)];
        for &(tag, step, value) in &expected {
            writer.add_scalar(tag, value, step).unwrap();
        }
        writer.flush().unwrap();

        // A second writer in the same second must not clobber the first file.
        let second = EventWriter::create(&dir).unwrap();
        assert_ne!(second.path(), writer.path());

        let bytes = fs::read(writer.path()).unwrap();
        let records = read_records(&bytes);
        assert_eq!(records.len(), 1 + expected.len());

        let header = decode_message(&records[0]);
        assert_eq!(header.len(), 2);
        let t0 = wall_time_of(&header);
        assert!(t0 > 1.6e9, "wall_time {t0} should be Unix seconds");
        assert_eq!(bytes_field(&header, EVENT_FILE_VERSION), FILE_VERSION.as_bytes());

        for (record, &(tag, step, value)) in records[1..].iter().zip(&expected) {
            let event = decode_message(record);
            assert!(wall_time_of(&event) >= t0);
            assert_eq!(event[1], (EVENT_STEP, Field::Varint(step as u64)));
            let summary = decode_message(&bytes_field(&event, EVENT_SUMMARY));
            assert_eq!(summary.len(), 1);
            let val = decode_message(&bytes_field(&summary, SUMMARY_VALUE));
            assert_eq!(val[0], (VALUE_TAG, Field::Bytes(tag.as_bytes().to_vec())));
            match val[1] {
                (VALUE_SIMPLE_VALUE, Field::Fixed32(b)) => {
                    assert_eq!(f32::from_le_bytes(b).to_bits(), value.to_bits())
                }
                ref other => panic!("expected simple_value, got {other:?}"),
            }
        }
        drop(second);
        fs::remove_dir_all(&dir).unwrap();
    }
}
