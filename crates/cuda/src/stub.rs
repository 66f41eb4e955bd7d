//! The CUDA backend of a build without the `cuda` feature: the same type
//! names, so code that asks for a GPU compiles either way, but
//! [`CudaBackend::new`] always returns an error and no value of these types
//! can exist (they hold an empty enum), so every method is statically
//! unreachable: no `panic!`, no `unreachable!`.

use recon_tensor::{Backend, Binary, Matmul, Reduce, Result, TensorError, Unary, Window2d};

/// No value of this type exists.
#[derive(Debug, Clone, Copy)]
enum Never {}

/// Stands in for the CUDA backend; cannot be constructed in this build.
#[derive(Debug, Clone)]
pub struct CudaBackend {
    never: Never,
}

/// Stands in for a device buffer; has no values in this build.
#[derive(Debug)]
pub enum CudaStorage {}

impl CudaBackend {
    /// Always an error: this build has no CUDA support.
    pub fn new(ordinal: usize) -> Result<Self> {
        Err(TensorError::Backend(format!(
            "cannot open CUDA device {ordinal}: recon was built without CUDA support (rebuild with the `cuda` cargo feature)"
        )))
    }
}

impl Backend for CudaBackend {
    type Elem = f32;
    type Storage = CudaStorage;
    type Indices = CudaStorage;

    fn name(&self) -> String {
        match self.never {}
    }
    fn upload(&self, _: Vec<f32>) -> Result<CudaStorage> {
        match self.never {}
    }
    fn to_vec(&self, _: &CudaStorage) -> Result<Vec<f32>> {
        match self.never {}
    }
    fn full(&self, _: usize, _: f32) -> Result<CudaStorage> {
        match self.never {}
    }
    fn permute(&self, _: &CudaStorage, _: &[usize], _: &[usize]) -> Result<CudaStorage> {
        match self.never {}
    }
    fn broadcast_to(&self, _: &CudaStorage, _: &[usize], _: &[usize]) -> Result<CudaStorage> {
        match self.never {}
    }
    fn gather_rows(&self, _: &CudaStorage, _: usize, _: &[usize]) -> Result<CudaStorage> {
        match self.never {}
    }
    fn unary(&self, _: Unary, _: &CudaStorage) -> Result<CudaStorage> {
        match self.never {}
    }
    fn binary(&self, _: Binary, _: &CudaStorage, _: &[usize], _: &CudaStorage, _: &[usize], _: &[usize]) -> Result<CudaStorage> {
        match self.never {}
    }
    fn reduce(&self, _: Reduce, _: &CudaStorage, _: usize, _: usize, _: usize) -> Result<CudaStorage> {
        match self.never {}
    }
    fn sum_all(&self, _: &CudaStorage) -> Result<CudaStorage> {
        match self.never {}
    }
    fn softmax_rows(&self, _: &CudaStorage, _: usize, _: usize) -> Result<CudaStorage> {
        match self.never {}
    }
    fn log_softmax_rows(&self, _: &CudaStorage, _: usize, _: usize) -> Result<CudaStorage> {
        match self.never {}
    }
    fn matmul(&self, _: &CudaStorage, _: &CudaStorage, _: &Matmul) -> Result<CudaStorage> {
        match self.never {}
    }
    fn im2col(&self, _: &CudaStorage, _: &Window2d) -> Result<CudaStorage> {
        match self.never {}
    }
    fn col2im(&self, _: &CudaStorage, _: &Window2d) -> Result<CudaStorage> {
        match self.never {}
    }
    fn max_pool2d(&self, _: &CudaStorage, _: &Window2d) -> Result<(CudaStorage, CudaStorage)> {
        match self.never {}
    }
    fn max_pool2d_backward(&self, _: &CudaStorage, _: &CudaStorage, _: &Window2d) -> Result<CudaStorage> {
        match self.never {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_is_a_clear_error() {
        let e = CudaBackend::new(0).unwrap_err().to_string();
        assert!(e.contains("without CUDA support"), "{e}");
    }
}
