//! Opening a data file, gzipped or not.
//!
//! A gzip stream starts with the two bytes `0x1f 0x8b` (RFC 1952), and no text
//! file or IDX file does (an IDX file starts with two zero bytes), so the
//! readers look at those bytes rather than at the file name: `x.csv.gz`,
//! `x.gz` and a gzipped file someone renamed all read the same way.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{DataError, Result};

/// The first two bytes of every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens `path` for reading, decompressing on the fly when it is gzipped.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    sniff(file).map_err(|e| DataError::io(path, e))
}

/// Wraps any reader (a file, bytes in memory) the way [`open`] wraps a file:
/// decompressed when its first two bytes are the gzip magic, as is otherwise.
pub fn sniff<'a>(mut reader: impl Read + 'a) -> std::io::Result<Box<dyn BufRead + 'a>> {
    let head = read_up_to(&mut reader, 2)?;
    // Put the peeked bytes back in front of the rest of the stream.
    let gzip = head == GZIP_MAGIC;
    let whole = Cursor::new(head).chain(reader);
    if gzip {
        // Multi-member: `cat a.gz b.gz` is a valid gzip file of both.
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(whole))))
    } else {
        Ok(Box::new(BufReader::new(whole)))
    }
}

/// Reads all of `path`, decompressed. A gzip stream cut short is reported as
/// a truncated file rather than as a bare "unexpected end of file".
pub fn read_all(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_into(&mut open(path)?, &mut bytes, path)?;
    Ok(bytes)
}

/// `read_to_end` with [`read_all`]'s error for a gzip stream cut short;
/// `path` only names the source in errors.
pub(crate) fn read_into(reader: &mut impl Read, bytes: &mut Vec<u8>, path: &Path) -> Result<usize> {
    reader.read_to_end(bytes).map_err(|e| read_error(path, e))
}

/// A read error naming `path`; a gzip stream cut short says so.
pub(crate) fn read_error(path: &Path, e: std::io::Error) -> DataError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        let why = "the gzip stream is truncated (the file ends before the compressed data does)";
        DataError::io(path, std::io::Error::new(e.kind(), why))
    } else {
        DataError::io(path, e)
    }
}

/// Reads up to `n` bytes, fewer only at the end of the stream (a single
/// `read` may return less than asked even mid-stream, so loop).
pub(crate) fn read_up_to(r: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}
