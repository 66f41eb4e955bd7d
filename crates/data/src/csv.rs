//! Reading a CSV file with a header line into a [`Table`] of float features
//! and, optionally, one column of labels.
//!
//! Every column that is neither the label column nor dropped must be numeric;
//! the first cell that is not a number ends the read with an error naming the
//! file, the line (1-based, the header being line 1) and the column. Quoted
//! fields (`"V1"`, `"1,5"` as text), CRLF line ends, a UTF-8 byte-order mark
//! and gzipped files are accepted, so the Kaggle credit-card fraud file reads
//! as is with `drop: ["Time"], label_col: Some("Class")`.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;

use crate::error::{DataError, Result};
use crate::open::{open, read_up_to};

/// The UTF-8 byte-order mark that Excel and some Windows tools put first.
const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// How to read a CSV file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvOptions {
    /// The column holding each row's class (kept as text, not a feature).
    pub label_col: Option<String>,
    /// Columns to ignore entirely (an id, a timestamp, a free-text note).
    pub drop: Vec<String>,
    /// Keep `NaN` and infinite values instead of refusing the file. Off by
    /// default: one NaN poisons a mean, a scaler and then every gradient, and
    /// the user is better told the line than shown a NaN loss at epoch 3.
    pub allow_nonfinite: bool,
}

impl CsvOptions {
    /// Options with a label column and nothing dropped.
    pub fn with_label(label_col: &str) -> Self {
        CsvOptions { label_col: Some(label_col.to_string()), ..Default::default() }
    }
}

/// A CSV file read into memory: `n_rows x n_features` floats, row-major, and
/// the label of each row when a label column was named.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Every column name of the header, in file order (dropped and label
    /// columns included), trimmed and unquoted.
    pub columns: Vec<String>,
    pub n_rows: usize,
    /// Row-major `n_rows x feature_names.len()` values.
    pub features: Vec<f32>,
    /// The names of the feature columns, in file order.
    pub feature_names: Vec<String>,
    /// Each row's label, trimmed and unquoted, when `label_col` was given.
    pub labels: Option<Vec<String>>,
}

impl Table {
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The features of row `i` (panics past the end, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        let n = self.n_features();
        &self.features[i * n..(i + 1) * n]
    }

    /// For each row, whether it is normal: its label equals `normal_label`.
    /// Without labels every row is normal.
    ///
    /// Labels compare as strings, exactly: with `normal_label = "0"` a row
    /// labelled `0.0` is an anomaly. Labels are compared as written in the
    /// file (after trimming spaces and removing quotes), so `"0"` and `0` match.
    pub fn normal_mask(&self, normal_label: &str) -> Vec<bool> {
        match &self.labels {
            Some(labels) => labels.iter().map(|l| l == normal_label).collect(),
            None => vec![true; self.n_rows],
        }
    }
}

/// Reads the CSV file at `path` (gzipped or not) into a [`Table`].
pub fn read_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<Table> {
    let path = path.as_ref();
    read_csv_from(open(path)?, path, opts)
}

/// Reads CSV text from any reader; `path` only names the source in errors.
pub fn read_csv_from(reader: impl Read, path: &Path, opts: &CsvOptions) -> Result<Table> {
    let mut stream = CsvStream::from_reader(reader, path, opts)?;
    match stream.next_chunk(usize::MAX)? {
        Some(table) => Ok(table),
        None => Err(DataError::csv(path, None, None, "the file has a header line but no data rows")),
    }
}

/// A CSV file read a chunk of rows at a time, so a file larger than memory
/// can be scored: the header is read (and checked) when the stream opens,
/// then each [`CsvStream::next_chunk`] parses up to `max_rows` more rows into
/// a [`Table`] of its own. Errors name the same file, line and column as
/// [`read_csv`] does, whichever chunk they fall in.
pub struct CsvStream<'r> {
    csv: ::csv::Reader<UnixLineEnds<Box<dyn Read + 'r>>>,
    path: std::path::PathBuf,
    allow_nonfinite: bool,
    columns: Vec<String>,
    layout: Layout,
    record: ::csv::StringRecord,
}

impl CsvStream<'static> {
    /// Opens the CSV file at `path` (gzipped or not) and reads its header.
    pub fn open(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<Self> {
        let path = path.as_ref();
        Self::from_reader(open(path)?, path, opts)
    }
}

impl<'r> CsvStream<'r> {
    /// Reads the header from `reader`; `path` only names the source in errors.
    pub fn from_reader(mut reader: impl Read + 'r, path: &Path, opts: &CsvOptions) -> Result<Self> {
        // Skip a byte-order mark ourselves: left in, it would become part of the
        // first column's name and `--drop Time` would not find "\u{feff}Time".
        let head = read_up_to(&mut reader, UTF8_BOM.len()).map_err(|e| DataError::io(path, e))?;
        let head = if head == UTF8_BOM { Vec::new() } else { head };
        let reader: Box<dyn Read + 'r> = Box::new(Cursor::new(head).chain(reader));
        let mut csv = ::csv::ReaderBuilder::new()
            .has_headers(false) // we read the header as record 1, so lines count alike
            .flexible(true) // ragged rows are reported by us, with the line number
            .from_reader(UnixLineEnds::new(reader));
        let mut record = ::csv::StringRecord::new();
        if !csv.read_record(&mut record).map_err(|e| csv_error(path, e))? {
            return Err(DataError::csv(path, None, None, "the file is empty (a header line is needed)"));
        }
        let columns: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        let layout = Layout::new(path, &columns, opts)?;
        Ok(CsvStream { csv, path: path.to_path_buf(), allow_nonfinite: opts.allow_nonfinite, columns, layout, record })
    }

    /// Every column name of the header, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The names of the feature columns, in file order.
    pub fn feature_names(&self) -> Vec<String> {
        self.layout.feature_idx.iter().map(|&i| self.columns[i].clone()).collect()
    }

    /// The next rows, at most `max_rows` of them; `None` once the file has
    /// no more rows.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Table>> {
        let path = self.path.as_path();
        let mut features = Vec::new();
        let mut labels = self.layout.label_idx.map(|_| Vec::new());
        let mut n_rows = 0;
        while n_rows < max_rows && self.csv.read_record(&mut self.record).map_err(|e| csv_error(path, e))? {
            let record = &self.record;
            let line = record.position().map(|p| p.line());
            if record.len() != self.columns.len() {
                let why = format!("{} cells, but the header has {} columns", record.len(), self.columns.len());
                return Err(DataError::csv(path, line, None, why));
            }
            for &i in &self.layout.feature_idx {
                let value = parse_number(&record[i], self.allow_nonfinite)
                    .map_err(|why| DataError::csv(path, line, Some(&self.columns[i]), why))?;
                features.push(value);
            }
            if let (Some(labels), Some(i)) = (labels.as_mut(), self.layout.label_idx) {
                labels.push(record[i].trim().to_string());
            }
            n_rows += 1;
        }
        if n_rows == 0 {
            return Ok(None);
        }
        Ok(Some(Table { columns: self.columns.clone(), n_rows, features, feature_names: self.feature_names(), labels }))
    }
}

/// A reader that turns every `\r\n` and every lone `\r` into `\n`.
///
/// The `csv` crate splits records correctly on all three line ends but only
/// counts `\n`-terminated lines right: on a CRLF file its line numbers fall
/// behind (line 4 is reported as line 3), and on a CR-only file every record
/// is "line 1". Error messages must name the line a text editor shows, so the
/// line ends are normalised before the parser sees them. Inside a quoted
/// field this also turns `\r\n` into `\n`, which no numeric cell or label
/// cares about.
struct UnixLineEnds<R> {
    inner: R,
    /// The last byte passed on was a `\r` (already sent as `\n`), so a `\n`
    /// right after it belongs to the same line end and is dropped. Kept across
    /// `read` calls, since a CRLF can straddle two buffers.
    after_cr: bool,
}

impl<R: Read> UnixLineEnds<R> {
    fn new(inner: R) -> Self {
        UnixLineEnds { inner, after_cr: false }
    }
}

impl<R: Read> Read for UnixLineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            // Rewrite in place: the output is never longer than the input.
            let mut out = 0;
            for i in 0..n {
                let b = buf[i];
                let dropped = b == b'\n' && self.after_cr;
                self.after_cr = b == b'\r';
                if !dropped {
                    buf[out] = if b == b'\r' { b'\n' } else { b };
                    out += 1;
                }
            }
            // A buffer holding only the `\n` of a split CRLF: read again
            // rather than return 0, which would mean the end of the file.
            if out > 0 {
                return Ok(out);
            }
        }
    }
}

/// Which header column plays which part.
struct Layout {
    feature_idx: Vec<usize>,
    label_idx: Option<usize>,
}

impl Layout {
    fn new(path: &Path, columns: &[String], opts: &CsvOptions) -> Result<Self> {
        // Duplicate names would make `--drop X` and `--label-col X` ambiguous.
        let mut position: HashMap<&str, usize> = HashMap::new();
        for (i, name) in columns.iter().enumerate() {
            if let Some(first) = position.insert(name, i) {
                let why = format!("the header names column \"{name}\" twice (columns {} and {})", first + 1, i + 1);
                return Err(DataError::csv(path, Some(1), None, why));
            }
        }
        let find = |name: &str, role: &str| {
            position.get(name).copied().ok_or_else(|| {
                let why = format!("the {role} column \"{name}\" is not in the header; the columns are {}", list_names(columns));
                DataError::csv(path, Some(1), None, why)
            })
        };
        let label_idx = opts.label_col.as_deref().map(|name| find(name, "label")).transpose()?;
        let mut dropped = vec![false; columns.len()];
        for name in &opts.drop {
            let i = find(name, "dropped")?;
            if Some(i) == label_idx {
                let why = format!("column \"{name}\" is both the label column and dropped");
                return Err(DataError::csv(path, Some(1), None, why));
            }
            dropped[i] = true;
        }
        let feature_idx: Vec<usize> = (0..columns.len()).filter(|&i| !dropped[i] && Some(i) != label_idx).collect();
        if feature_idx.is_empty() {
            return Err(DataError::csv(
                path,
                Some(1),
                None,
                "no feature columns are left once the label and dropped columns are set aside",
            ));
        }
        Ok(Layout { feature_idx, label_idx })
    }
}

/// `"a", "b", "c"`, shortened to the first dozen names for a wide header.
fn list_names(columns: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = columns.iter().take(SHOWN).map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    if columns.len() > SHOWN {
        s += &format!(" and {} more", columns.len() - SHOWN);
    }
    s
}

/// Parses one cell as a float32, refusing NaN and infinities unless allowed.
///
/// The text is parsed as `f64` and then narrowed, so a value beyond float32's
/// range (about `3.4e38`) is caught as "too large" instead of silently
/// becoming infinite. Rust's parser also accepts `nan`, `inf` and `infinity`
/// in any case; those are the non-finite values refused by default.
fn parse_number(cell: &str, allow_nonfinite: bool) -> std::result::Result<f32, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Err("empty cell where a number is expected".to_string());
    }
    let wide: f64 = text.parse().map_err(|_| format!("cannot read \"{text}\" as a number"))?;
    let value = wide as f32;
    if !allow_nonfinite {
        if !wide.is_finite() {
            return Err(format!("\"{text}\" is not a finite number (NaN and infinite values are refused unless allowed)"));
        }
        if !value.is_finite() {
            return Err(format!("{text} is too large for a float32 (largest about 3.4e38)"));
        }
    }
    Ok(value)
}

/// Turns a `csv` crate error into ours, keeping the line where it has one.
fn csv_error(path: &Path, e: ::csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => DataError::io(path, io),
        ::csv::ErrorKind::Utf8 { err, .. } => {
            DataError::csv(path, line, None, format!("field {} is not valid UTF-8 text", err.field() + 1))
        }
        other => DataError::csv(path, line, None, format!("{:?}", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempFile;

    fn read_str(text: &str, opts: &CsvOptions) -> Result<Table> {
        read_csv_from(text.as_bytes(), Path::new("mem.csv"), opts)
    }
    fn err_str(text: &str, opts: &CsvOptions) -> String {
        read_str(text, opts).unwrap_err().to_string()
    }

    #[test]
    fn chunks_concatenate_to_the_whole_file() {
        let text = "a,label,b\r\n1,x,2\n3,y,4\n5,x,6\n7,z,8\n9,x,10\n";
        let opts = CsvOptions::with_label("label");
        let whole = read_str(text, &opts).unwrap();
        for size in [1, 2, 3, 5, 100] {
            let mut stream = CsvStream::from_reader(text.as_bytes(), Path::new("t.csv"), &opts).unwrap();
            assert_eq!(stream.feature_names(), whole.feature_names);
            let (mut features, mut labels, mut rows) = (Vec::new(), Vec::new(), 0);
            while let Some(chunk) = stream.next_chunk(size).unwrap() {
                assert!(chunk.n_rows <= size);
                features.extend(chunk.features);
                labels.extend(chunk.labels.unwrap());
                rows += chunk.n_rows;
            }
            assert_eq!((rows, &features, Some(&labels)), (whole.n_rows, &whole.features, whole.labels.as_ref()), "chunks of {size}");
        }
    }

    #[test]
    fn an_error_in_a_later_chunk_names_its_line() {
        let text = "a,b\n1,2\n3,4\n5,x\n";
        let mut stream = CsvStream::from_reader(text.as_bytes(), Path::new("t.csv"), &CsvOptions::default()).unwrap();
        assert_eq!(stream.next_chunk(2).unwrap().unwrap().n_rows, 2);
        let e = stream.next_chunk(2).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("\"b\""), "{e}");
    }

    #[test]
    fn reads_features_and_labels() {
        let t = read_str("a,b,label\n1,2,x\n3.5,-4e2,y\n", &CsvOptions::with_label("label")).unwrap();
        assert_eq!(t.columns, ["a", "b", "label"]);
        assert_eq!(t.n_rows, 2);
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.features, [1.0, 2.0, 3.5, -400.0]);
        assert_eq!(t.labels.as_deref().unwrap(), ["x", "y"]);
        assert_eq!(t.row(1), [3.5, -400.0]);
        assert_eq!(t.normal_mask("x"), [true, false]);
    }

    #[test]
    fn without_label_every_row_is_normal() {
        let t = read_str("a\n1\n2\n", &CsvOptions::default()).unwrap();
        assert!(t.labels.is_none());
        assert_eq!(t.normal_mask("0"), [true, true]);
    }

    #[test]
    fn bom_crlf_and_quoted_fields_with_commas() {
        let text = "\u{feff}\"Time\",\"V1\",\"note\",\"Class\"\r\n0,\"1.5\",\"a, b\",\"0\"\r\n1,2,\"c \"\"q\"\"\",1\r\n";
        let opts = CsvOptions { label_col: Some("Class".into()), drop: vec!["Time".into(), "note".into()], ..Default::default() };
        let t = read_str(text, &opts).unwrap();
        assert_eq!(t.columns, ["Time", "V1", "note", "Class"]);
        assert_eq!(t.feature_names, ["V1"]);
        assert_eq!(t.features, [1.5, 2.0]);
        assert_eq!(t.labels.unwrap(), ["0", "1"]);
    }

    #[test]
    fn kaggle_credit_card_layout() {
        let mut text = String::from("\"Time\"");
        for i in 1..=28 {
            text += &format!(",\"V{i}\"");
        }
        text += ",\"Amount\",\"Class\"\n";
        for (row, class) in [(0, "\"0\""), (1, "0"), (2, "\"1\"")] {
            text += &row.to_string();
            for i in 1..=28 {
                text += &format!(",{}", -1.359807134 * i as f64);
            }
            text += &format!(",149.62,{class}\n");
        }
        let opts = CsvOptions { label_col: Some("Class".into()), drop: vec!["Time".into()], ..Default::default() };
        let t = read_str(&text, &opts).unwrap();
        assert_eq!(t.n_features(), 29);
        assert_eq!(t.feature_names[0], "V1");
        assert_eq!(t.feature_names[28], "Amount");
        assert_eq!(t.labels.as_deref().unwrap(), ["0", "0", "1"]);
        assert_eq!(t.normal_mask("0"), [true, true, false]);
    }

    #[test]
    fn labels_compare_as_exact_strings() {
        let t = read_str("a,c\n1,0\n2,0.0\n3, 0 \n", &CsvOptions::with_label("c")).unwrap();
        assert_eq!(t.normal_mask("0"), [true, false, true]);
    }

    #[test]
    fn non_numeric_cell_names_file_line_and_column() {
        let e = err_str("a,b\n1,2\n3,abc\n", &CsvOptions::default());
        assert_eq!(e, "mem.csv: line 3, column \"b\": cannot read \"abc\" as a number");
        let e = err_str("a,b\n1,\n", &CsvOptions::default());
        assert_eq!(e, "mem.csv: line 2, column \"b\": empty cell where a number is expected");
    }

    #[test]
    fn line_numbers_count_crlf_and_the_header() {
        let e = err_str("a,b\r\n1,2\r\n3,4\r\n5,x\r\n", &CsvOptions::default());
        assert!(e.starts_with("mem.csv: line 4, column \"b\":"), "{e}");
    }

    #[test]
    fn line_numbers_with_cr_only_and_quoted_newlines() {
        let e = err_str("a,b\r1,2\r3,x\r", &CsvOptions::default());
        assert!(e.starts_with("mem.csv: line 3, column \"b\":"), "{e}");
        // The quoted cell spans lines 2 and 3, so the bad row is line 4.
        let e = err_str("a,b\r\n1,\"two\r\nlines\"\r\nx,3\r\n", &CsvOptions::with_label("b"));
        assert!(e.starts_with("mem.csv: line 4, column \"a\":"), "{e}");
        let t = read_str("a,b\r\n1,\"two\r\nlines\"\r\n", &CsvOptions::with_label("b")).unwrap();
        assert_eq!(t.labels.unwrap(), ["two\nlines"]);
    }

    #[test]
    fn crlf_split_across_reads_is_one_line_end() {
        // A reader that hands out one byte at a time splits every CRLF.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.split_first() {
                    Some((&b, rest)) if !buf.is_empty() => {
                        buf[0] = b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let text = b"a,b\r\n1,2\r\n3,x\r\n";
        let e = read_csv_from(OneByte(text), Path::new("mem.csv"), &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("mem.csv: line 3, column \"b\":"), "{e}");
    }

    #[test]
    fn nonfinite_refused_unless_allowed() {
        for bad in ["nan", "NaN", "inf", "-inf", "Infinity"] {
            let e = err_str(&format!("a,b\n1,2\n{bad},3\n"), &CsvOptions::default());
            assert!(e.starts_with("mem.csv: line 3, column \"a\":") && e.contains("not a finite number"), "{e}");
        }
        let e = err_str("a\n1e39\n", &CsvOptions::default());
        assert!(e.contains("line 2") && e.contains("too large"), "{e}");
        let opts = CsvOptions { allow_nonfinite: true, ..Default::default() };
        let t = read_str("a,b\nnan,inf\n", &opts).unwrap();
        assert!(t.features[0].is_nan() && t.features[1] == f32::INFINITY);
    }

    #[test]
    fn ragged_rows_are_refused() {
        let e = err_str("a,b,c\n1,2,3\n4,5\n", &CsvOptions::default());
        assert_eq!(e, "mem.csv: line 3: 2 cells, but the header has 3 columns");
        let e = err_str("a,b\n1,2,3\n", &CsvOptions::default());
        assert_eq!(e, "mem.csv: line 2: 3 cells, but the header has 2 columns");
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        assert_eq!(err_str("", &CsvOptions::default()), "mem.csv: the file is empty (a header line is needed)");
        assert_eq!(err_str("\u{feff}", &CsvOptions::default()), "mem.csv: the file is empty (a header line is needed)");
        assert_eq!(err_str("a,b\n", &CsvOptions::default()), "mem.csv: the file has a header line but no data rows");
    }

    #[test]
    fn missing_label_or_drop_column_is_named() {
        let e = err_str("a,b\n1,2\n", &CsvOptions::with_label("Class"));
        assert_eq!(e, "mem.csv: line 1: the label column \"Class\" is not in the header; the columns are \"a\", \"b\"");
        let opts = CsvOptions { drop: vec!["Time".into()], ..Default::default() };
        let e = err_str("a,b\n1,2\n", &opts);
        assert!(e.contains("the dropped column \"Time\" is not in the header"), "{e}");
    }

    #[test]
    fn duplicate_columns_and_no_features_are_refused() {
        let e = err_str("a,b,a\n1,2,3\n", &CsvOptions::default());
        assert!(e.contains("names column \"a\" twice (columns 1 and 3)"), "{e}");
        let e = err_str("a,b\n1,2\n", &CsvOptions { label_col: Some("a".into()), drop: vec!["b".into()], ..Default::default() });
        assert!(e.contains("no feature columns"), "{e}");
        let e = err_str("a,b\n1,2\n", &CsvOptions { label_col: Some("a".into()), drop: vec!["a".into()], ..Default::default() });
        assert!(e.contains("both the label column and dropped"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let bytes: &[u8] = b"a,b\n1,2\n3,\xff\n";
        let e = read_csv_from(bytes, Path::new("mem.csv"), &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("mem.csv: line 3") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn files_on_disk_plain_and_gzipped() {
        let plain = TempFile::with_bytes("plain.csv", b"x,y\n1,2\n");
        let t = read_csv(plain.path(), &CsvOptions::default()).unwrap();
        assert_eq!(t.features, [1.0, 2.0]);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, "\u{feff}x,y\r\n3,4\r\n".as_bytes()).unwrap();
        let gz = TempFile::with_bytes("zipped.csv.gz", &gz.finish().unwrap());
        let t = read_csv(gz.path(), &CsvOptions::default()).unwrap();
        assert_eq!(t.columns, ["x", "y"]);
        assert_eq!(t.features, [3.0, 4.0]);

        let bad = TempFile::with_bytes("bad.csv", b"x,y\n1,oops\n");
        let e = read_csv(bad.path(), &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: line 2, column \"y\"", bad.path().display())), "{e}");
    }

    #[test]
    fn every_error_on_disk_names_the_file() {
        let cases: [(&str, CsvOptions, &str); 7] = [
            ("", CsvOptions::default(), ": the file is empty (a header line is needed)"),
            ("a,b\r\n", CsvOptions::default(), ": the file has a header line but no data rows"),
            ("a,b\n1,2\n3\n", CsvOptions::default(), ": line 3: 1 cells, but the header has 2 columns"),
            ("a,b\n1,two\n", CsvOptions::default(), ": line 2, column \"b\": cannot read \"two\" as a number"),
            ("a,b\n1,inf\n", CsvOptions::default(), ": line 2, column \"b\": \"inf\" is not a finite number"),
            ("a,b\n1,2\n", CsvOptions::with_label("Class"), ": line 1: the label column \"Class\" is not in the header"),
            ("a,b\n1,2\n", CsvOptions { drop: vec!["Time".into()], ..Default::default() }, ": line 1: the dropped column \"Time\""),
        ];
        for (text, opts, want) in cases {
            let f = TempFile::with_bytes("case.csv", text.as_bytes());
            let e = read_csv(f.path(), &opts).unwrap_err().to_string();
            assert!(e.starts_with(&format!("{}{want}", f.path().display())), "{e}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = read_csv("/no/such/dir/x.csv", &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("/no/such/dir/x.csv: "), "{e}");
    }

    #[test]
    fn bundled_breast_cancer_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/breast_cancer.csv");
        let t = read_csv(path, &CsvOptions::with_label("target")).unwrap();
        assert_eq!((t.n_rows, t.n_features()), (569, 30));
        assert_eq!(t.feature_names[0], "mean radius");
        assert_eq!(t.feature_names[29], "worst fractal dimension");
        let labels = t.labels.as_deref().unwrap();
        assert_eq!(labels.iter().filter(|l| *l == "1").count(), 357, "benign rows");
        assert_eq!(labels.iter().filter(|l| *l == "0").count(), 212, "malignant rows");
        assert_eq!(t.row(0)[0], 17.99);
    }
}
