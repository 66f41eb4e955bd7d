//! `Dataset`: rows of float features with an optional label per row, whatever
//! file they came from, and the step from rows to a `Tensor` mini-batch.
//!
//! A CSV [`Table`] becomes a dataset whose rows are flat (`row_shape =
//! [n_features]`); an MNIST images file becomes one whose rows are images
//! (`row_shape = [1, 28, 28]`). [`load`] opens either, telling them apart by
//! the file's first bytes.

use std::path::Path;

use recon_tensor::{Backend, Element, Tensor};

use crate::csv::{read_csv, CsvOptions, Table};
use crate::error::{DataError, Result};
use crate::idx::{load_mnist, IDX_U8_IMAGES, IDX_U8_LABELS};
use crate::open::{open, read_up_to};

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major `n_rows x row_len()` values.
    pub features: Vec<f32>,
    pub n_rows: usize,
    /// The shape of one row: `[n_features]` for a table, `[channels, height,
    /// width]` for images. A batch of rows has shape `[batch, row_shape...]`.
    pub row_shape: Vec<usize>,
    /// One name per value of a row (`row_len()` of them), for per-feature reports.
    pub feature_names: Vec<String>,
    /// Each row's label as text, when the data has labels.
    pub labels: Option<Vec<String>>,
}

impl Dataset {
    /// A dataset after checking that the parts agree in size.
    pub fn new(
        features: Vec<f32>,
        n_rows: usize,
        row_shape: Vec<usize>,
        feature_names: Vec<String>,
        labels: Option<Vec<String>>,
    ) -> Result<Self> {
        let row_len: usize = row_shape.iter().product();
        if row_len == 0 || row_shape.is_empty() {
            return Err(DataError::invalid("Dataset::new", format!("a row of shape {row_shape:?} holds no values")));
        }
        if features.len() != n_rows * row_len {
            let why = format!("{} values cannot fill {n_rows} rows of shape {row_shape:?}", features.len());
            return Err(DataError::invalid("Dataset::new", why));
        }
        if feature_names.len() != row_len {
            let why = format!("{} feature names for rows of {row_len} values", feature_names.len());
            return Err(DataError::invalid("Dataset::new", why));
        }
        if let Some(l) = &labels {
            if l.len() != n_rows {
                return Err(DataError::invalid("Dataset::new", format!("{} labels for {n_rows} rows", l.len())));
            }
        }
        Ok(Dataset { features, n_rows, row_shape, feature_names, labels })
    }

    /// The number of values in one row (the product of `row_shape`).
    pub fn row_len(&self) -> usize {
        self.row_shape.iter().product()
    }

    /// The values of row `i` (panics past the end, like slice indexing).
    pub fn row(&self, i: usize) -> &[f32] {
        let n = self.row_len();
        &self.features[i * n..(i + 1) * n]
    }

    /// For each row, whether its label equals `normal_label` (compared as
    /// text, exactly: `"0"` does not match `"0.0"`). Without labels, every row
    /// is normal.
    pub fn normal_mask(&self, normal_label: &str) -> Vec<bool> {
        match &self.labels {
            Some(labels) => labels.iter().map(|l| l == normal_label).collect(),
            None => vec![true; self.n_rows],
        }
    }

    /// The indices of the normal rows (see [`Dataset::normal_mask`]).
    pub fn normal_rows(&self, normal_label: &str) -> Vec<usize> {
        self.normal_mask(normal_label).iter().enumerate().filter(|(_, &n)| n).map(|(i, _)| i).collect()
    }

    /// The values of `rows`, in that order, row-major.
    pub fn gather(&self, rows: &[usize]) -> Result<Vec<f32>> {
        self.check_rows("Dataset::gather", rows)?;
        let mut out = Vec::with_capacity(rows.len() * self.row_len());
        for &r in rows {
            out.extend_from_slice(self.row(r));
        }
        Ok(out)
    }

    /// A new dataset of `rows` (in that order), labels included.
    pub fn select(&self, rows: &[usize]) -> Result<Dataset> {
        let features = self.gather(rows)?;
        let labels = self.labels.as_ref().map(|l| rows.iter().map(|&r| l[r].clone()).collect());
        Ok(Dataset { features, n_rows: rows.len(), row_shape: self.row_shape.clone(), feature_names: self.feature_names.clone(), labels })
    }

    /// Gathers `rows` into a tensor of shape `[rows.len(), row_shape...]` on
    /// `backend` (e.g. `[32, 30]` for a batch of table rows, `[32, 1, 28, 28]`
    /// for a batch of images).
    pub fn to_tensor<B: Backend>(&self, backend: &B, rows: &[usize]) -> Result<Tensor<B>> {
        let mut shape = vec![rows.len()];
        shape.extend_from_slice(&self.row_shape);
        self.tensor_of(backend, rows, &shape)
    }

    /// Gathers `rows` into a matrix `[rows.len(), row_len()]`, whatever the
    /// row shape: what a dense layer takes, images flattened row by row.
    pub fn to_matrix<B: Backend>(&self, backend: &B, rows: &[usize]) -> Result<Tensor<B>> {
        self.tensor_of(backend, rows, &[rows.len(), self.row_len()])
    }

    fn tensor_of<B: Backend>(&self, backend: &B, rows: &[usize], shape: &[usize]) -> Result<Tensor<B>> {
        let values = self.gather(rows)?.into_iter().map(|x| B::Elem::from_f64(f64::from(x))).collect();
        Ok(Tensor::from_vec(backend, values, shape)?)
    }

    fn check_rows(&self, op: &'static str, rows: &[usize]) -> Result<()> {
        match rows.iter().find(|&&r| r >= self.n_rows) {
            Some(r) => Err(DataError::invalid(op, format!("row {r} is past the end of a dataset of {} rows", self.n_rows))),
            None => Ok(()),
        }
    }
}

impl From<Table> for Dataset {
    fn from(t: Table) -> Self {
        let n = t.feature_names.len();
        Dataset { features: t.features, n_rows: t.n_rows, row_shape: vec![n], feature_names: t.feature_names, labels: t.labels }
    }
}

/// Loads `path` as a dataset: an IDX images file (raw or gzipped; its labels
/// file is found beside it, and `opts` is not used) or otherwise a CSV file
/// read with `opts`.
pub fn load(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let head = read_up_to(&mut open(path)?, 4).map_err(|e| DataError::io(path, e))?;
    // No text file starts with two zero bytes, as every IDX file does.
    if head == IDX_U8_IMAGES.to_be_bytes() {
        load_mnist(path)
    } else if head == IDX_U8_LABELS.to_be_bytes() {
        Err(DataError::idx(path, "this is an IDX labels file; pass the images file (its labels are found beside it)"))
    } else if head.starts_with(&[0, 0]) {
        let why = format!("an IDX file with magic number 0x{}; only unsigned-byte images (0x00000803) are loaded as data", hex(&head));
        Err(DataError::idx(path, why))
    } else {
        Ok(read_csv(path, opts)?.into())
    }
}

/// Whether `path` (gzipped or not) holds IDX data rather than CSV text: every
/// IDX file starts with two zero bytes, and no text file does.
pub fn is_idx(path: impl AsRef<Path>) -> Result<bool> {
    let path = path.as_ref();
    Ok(read_up_to(&mut open(path)?, 2).map_err(|e| DataError::io(path, e))? == [0, 0])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::write_idx_u8;
    use crate::testutil::TempFile;
    use recon_tensor::Cpu32;

    fn small() -> Dataset {
        let names = vec!["a".to_string(), "b".to_string()];
        let labels = Some(vec!["0".to_string(), "1".to_string(), "0".to_string()]);
        Dataset::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, vec![2], names, labels).unwrap()
    }

    #[test]
    fn to_tensor_gathers_rows_in_order() {
        let ds = small();
        let t = ds.to_tensor(&Cpu32::new(), &[2, 0]).unwrap();
        assert_eq!(t.shape(), [2, 2]);
        assert_eq!(t.to_vec().unwrap(), [5.0, 6.0, 1.0, 2.0]);
        let e = ds.to_tensor(&Cpu32::new(), &[3]).unwrap_err().to_string();
        assert_eq!(e, "Dataset::gather: row 3 is past the end of a dataset of 3 rows");
    }

    #[test]
    fn select_and_normal_rows() {
        let ds = small();
        assert_eq!(ds.normal_rows("0"), [0, 2]);
        let s = ds.select(&[1]).unwrap();
        assert_eq!((s.n_rows, s.features.as_slice(), s.labels.unwrap()), (1, &[3.0, 4.0][..], vec!["1".to_string()]));
    }

    #[test]
    fn new_checks_sizes() {
        let e = Dataset::new(vec![1.0; 5], 3, vec![2], vec!["a".into(), "b".into()], None).unwrap_err().to_string();
        assert_eq!(e, "Dataset::new: 5 values cannot fill 3 rows of shape [2]");
        assert!(Dataset::new(vec![1.0; 6], 3, vec![2], vec!["a".into()], None).is_err());
        assert!(Dataset::new(vec![1.0; 6], 3, vec![2], vec!["a".into(), "b".into()], Some(vec![])).is_err());
    }

    #[test]
    fn load_tells_csv_from_idx() {
        let csv = TempFile::with_bytes("load.csv", b"x,y,c\n1,2,0\n3,4,1\n");
        let ds = load(csv.path(), &CsvOptions::with_label("c")).unwrap();
        assert_eq!((ds.n_rows, ds.row_shape.as_slice()), (2, &[2][..]));

        let images = TempFile::new("load-images-idx3-ubyte.gz");
        let labels = crate::idx::labels_path_for(images.path()).unwrap();
        write_idx_u8(images.path(), &[0, 255, 51, 0, 0, 0, 0, 0], &[2, 2, 2], true).unwrap();
        write_idx_u8(&labels, &[4, 7], &[2], true).unwrap();
        let ds = load(images.path(), &CsvOptions::default());
        let _ = std::fs::remove_file(&labels);
        let ds = ds.unwrap();
        assert_eq!(ds.row_shape, [1, 2, 2]);
        assert_eq!(ds.labels.as_deref().unwrap(), ["4", "7"]);
        assert_eq!(ds.feature_names, ["r0c0", "r0c1", "r1c0", "r1c1"]);
        let t = ds.to_tensor(&Cpu32::new(), &[0]).unwrap();
        assert_eq!(t.shape(), [1, 1, 2, 2]);
        assert_eq!(t.to_vec().unwrap(), [0.0, 1.0, 0.2, 0.0]);
        assert_eq!(ds.to_matrix(&Cpu32::new(), &[0, 1]).unwrap().shape(), [2, 4]);

        let labels_only = TempFile::new("only-labels-idx1-ubyte");
        write_idx_u8(labels_only.path(), &[1, 2], &[2], false).unwrap();
        let e = load(labels_only.path(), &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.ends_with("this is an IDX labels file; pass the images file (its labels are found beside it)"), "{e}");
        let matrix = TempFile::new("matrix-idx");
        write_idx_u8(matrix.path(), &[1, 2], &[1, 2], false).unwrap();
        let e = load(matrix.path(), &CsvOptions::default()).unwrap_err().to_string();
        assert!(e.ends_with("an IDX file with magic number 0x00000802; only unsigned-byte images (0x00000803) are loaded as data"), "{e}");
    }
}
