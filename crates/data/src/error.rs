//! The one error type of the data layer.
//!
//! Everything here reads files a user chose, so every reader returns
//! `Result<_, DataError>` and nothing panics on bad input. `Display` gives one
//! readable line that names the file and, where they exist, the line and the
//! column, e.g.
//!
//! ```text
//! creditcard.csv: line 7, column "V3": cannot read "abc" as a number
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use recon_tensor::TensorError;

#[derive(Debug)]
pub enum DataError {
    /// The file could not be opened or read.
    Io { path: PathBuf, source: std::io::Error },
    /// A CSV file is malformed. `line` is 1-based and counts the header as
    /// line 1; `column` is the column's name from the header.
    Csv { path: PathBuf, line: Option<u64>, column: Option<String>, why: String },
    /// An IDX file is malformed (wrong magic number, dimensions, truncated).
    Idx { path: PathBuf, why: String },
    /// A stored text form (a scaler's JSON) could not be read back.
    Parse { what: &'static str, why: String },
    /// An argument out of range: a window of 0, a fraction above 1, a row
    /// index past the end, data whose length does not fit the feature count.
    Invalid { op: &'static str, why: String },
    /// Building a tensor failed.
    Tensor(TensorError),
}

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DataError::Io { path: path.to_path_buf(), source }
    }
    pub(crate) fn csv(path: &Path, line: Option<u64>, column: Option<&str>, why: impl Into<String>) -> Self {
        DataError::Csv { path: path.to_path_buf(), line, column: column.map(str::to_string), why: why.into() }
    }
    pub(crate) fn idx(path: &Path, why: impl Into<String>) -> Self {
        DataError::Idx { path: path.to_path_buf(), why: why.into() }
    }
    pub(crate) fn invalid(op: &'static str, why: impl Into<String>) -> Self {
        DataError::Invalid { op, why: why.into() }
    }
    pub(crate) fn parse(what: &'static str, why: impl Into<String>) -> Self {
        DataError::Parse { what, why: why.into() }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::Csv { path, line, column, why } => {
                write!(f, "{}", path.display())?;
                match (line, column) {
                    (Some(l), Some(c)) => write!(f, ": line {l}, column \"{c}\"")?,
                    (Some(l), None) => write!(f, ": line {l}")?,
                    (None, Some(c)) => write!(f, ": column \"{c}\"")?,
                    (None, None) => {}
                }
                write!(f, ": {why}")
            }
            DataError::Idx { path, why } => write!(f, "{}: {why}", path.display()),
            DataError::Parse { what, why } => write!(f, "cannot read {what}: {why}"),
            DataError::Invalid { op, why } => write!(f, "{op}: {why}"),
            DataError::Tensor(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            DataError::Tensor(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TensorError> for DataError {
    fn from(e: TensorError) -> Self {
        DataError::Tensor(e)
    }
}

pub type Result<T> = std::result::Result<T, DataError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_naming_file_line_and_column() {
        let e = DataError::csv(Path::new("a.csv"), Some(7), Some("V3"), "cannot read \"abc\" as a number");
        assert_eq!(e.to_string(), "a.csv: line 7, column \"V3\": cannot read \"abc\" as a number");
        let e = DataError::csv(Path::new("a.csv"), Some(3), None, "3 cells, the header has 4");
        assert_eq!(e.to_string(), "a.csv: line 3: 3 cells, the header has 4");
        let e = DataError::csv(Path::new("a.csv"), None, None, "the file is empty");
        assert_eq!(e.to_string(), "a.csv: the file is empty");
        assert!(!e.to_string().contains('\n'));
    }
}
