//! The matrix product, with either operand transposed, batched or shared.

use recon_tensor::{smallvec, Backend, Result, Tensor};

use super::when;
use crate::tape::Var;

/// A gradient computed for a whole batch, summed over the batch when the
/// operand was one matrix shared by every batch item.
fn fold_batch<B: Backend>(grad: Tensor<B>, operand_rank: usize) -> Result<Tensor<B>> {
    if grad.rank() == 3 && operand_rank == 2 {
        grad.sum_axis(0, false)
    } else {
        Ok(grad)
    }
}

impl<'t, B: Backend> Var<'t, B> {
    /// `C = A B`.
    pub fn matmul(&self, b: &Var<'t, B>) -> Result<Var<'t, B>> {
        self.matmul_t(b, false, false)
    }

    /// `C = op(A) op(B)` where `op` transposes when its flag is set.
    ///
    /// For `C = A B`: `dA = G B^T` and `dB = A^T G`. With transposed storage the
    /// same identities are transposed back, giving for each case (`matmul_t`
    /// flags in brackets):
    ///
    /// | forward  | dA (as stored)       | dB (as stored)       |
    /// |----------|----------------------|----------------------|
    /// | A B      | G B^T   (f, t)       | A^T G   (t, f)       |
    /// | A^T B    | B G^T   (f, t)       | A G     (f, f)       |
    /// | A B^T    | G B     (f, f)       | G^T A   (t, f)       |
    /// | A^T B^T  | B^T G^T (t, t)       | G^T A^T (t, t)       |
    pub fn matmul_t(&self, b: &Var<'t, B>, ta: bool, tb: bool) -> Result<Var<'t, B>> {
        let c = self.value().matmul_t(b.value(), ta, tb)?;
        let (a_, b_) = (self.value().clone(), b.value().clone());
        self.tape().record("matmul", &[self, b], c, move |g, need| {
            let da = when(need[0], || {
                let d = match (ta, tb) {
                    (false, false) => g.matmul_t(&b_, false, true),
                    (true, false) => b_.matmul_t(g, false, true),
                    (false, true) => g.matmul_t(&b_, false, false),
                    (true, true) => b_.matmul_t(g, true, true),
                }?;
                fold_batch(d, a_.rank())
            })?;
            let db = when(need[1], || {
                let d = match (ta, tb) {
                    (false, false) => a_.matmul_t(g, true, false),
                    (true, false) => a_.matmul_t(g, false, false),
                    (false, true) => g.matmul_t(&a_, true, false),
                    (true, true) => g.matmul_t(&a_, true, true),
                }?;
                fold_batch(d, b_.rank())
            })?;
            Ok(smallvec![da, db])
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;
    use proptest::prelude::*;

    fn stored(rows: usize, cols: usize, t: bool) -> Vec<usize> {
        if t {
            vec![cols, rows]
        } else {
            vec![rows, cols]
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn all_transposes_and_batches(m in 1usize..5, k in 1usize..5, n in 1usize..5, batch in 1usize..4,
                                      ta in any::<bool>(), tb in any::<bool>(), seed in 0u64..1000) {
            let (a, b) = (stored(m, k, ta), stored(k, n, tb));
            check(&[a.clone(), b.clone()], seed, |v| v[0].matmul_t(&v[1], ta, tb));
            let with_batch = |s: &Vec<usize>| { let mut s = s.clone(); s.insert(0, batch); s };
            check(&[with_batch(&a), with_batch(&b)], seed, |v| v[0].matmul_t(&v[1], ta, tb));
            check(&[with_batch(&a), b.clone()], seed, |v| v[0].matmul_t(&v[1], ta, tb));
            check(&[a, with_batch(&b)], seed, |v| v[0].matmul_t(&v[1], ta, tb));
        }
    }
}
