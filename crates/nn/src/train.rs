//! The training loop: epochs of shuffled mini-batches, one forward pass, one
//! backward pass and one optimizer update per batch, then a validation pass.
//!
//! Reproducibility: the batch order of epoch `e` and the noise of batch `b`
//! (denoising inputs, VAE samples) come from generators seeded with
//! `(seed, e)` and `(seed, e, b)`. Nothing depends on what ran before, so a
//! run resumed at epoch `e` draws exactly what the uninterrupted run drew, and
//! the same seed gives the same weights bit for bit.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recon_autograd::{Grads, Tape};
use recon_tensor::{Backend, Tensor};

use crate::error::{NnError, Result};
use crate::layers::Ctx;
use crate::models::Autoencoder;
use crate::optim::Optimizer;

#[derive(Debug, Clone, PartialEq)]
pub struct FitConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
    /// Stop when the validation loss has not improved for this many epochs.
    pub patience: Option<usize>,
}

impl Default for FitConfig {
    /// The source articles' settings: 20 epochs of batches of 32.
    fn default() -> Self {
        FitConfig { epochs: 20, batch_size: 32, seed: 42, patience: None }
    }
}

/// One epoch's record (also one JSON line in the run folder).
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLog {
    /// 1-based, as Keras prints it.
    pub epoch: usize,
    pub loss: f64,
    pub val_loss: Option<f64>,
    pub seconds: f64,
    pub lr: f64,
}

/// Hooks the loop calls; the command line uses them for the progress bar,
/// the logs and the checkpoints.
pub trait Monitor<B: Backend> {
    fn batch(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f64) {}
    fn epoch(&mut self, _log: &EpochLog, _model: &Autoencoder<B>, _opt: &Optimizer<B>) -> Result<()> {
        Ok(())
    }
    /// Asked before every batch: `true` ends the run with
    /// [`NnError::Interrupted`], leaving the model as the last finished batch
    /// left it (the command line keeps only whole epochs: its checkpoint).
    fn stop_requested(&self) -> bool {
        false
    }
}

/// A monitor that does nothing.
pub struct Silent;
impl<B: Backend> Monitor<B> for Silent {}

/// SplitMix64's finaliser: turns nearby integers into unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for a part of the run, e.g. `(seed, epoch, batch)`.
pub fn stream(parts: &[u64]) -> StdRng {
    StdRng::seed_from_u64(parts.iter().fold(0x5EED, |h, &p| mix(h ^ mix(p))))
}

/// The row order of one epoch (Fisher-Yates with the epoch's generator).
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut rng = stream(&[seed, epoch as u64, u64::MAX]);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    order
}

/// The mean loss over `x` in batches, without recording (validation).
/// Large batches run on rayon's pool, as in `fit` (`run_step`).
pub fn evaluate<B: Backend>(model: &Autoencoder<B>, x: &Tensor<B>, batch_size: usize, seed: u64) -> Result<f64> {
    let row_len = x.numel() / x.shape()[0].max(1);
    run_step(batch_size.saturating_mul(row_len) >= POOL_MIN_VALUES, || {
        let n = x.shape()[0];
        let (mut sum, mut count) = (0.0, 0);
        for (b, start) in (0..n).step_by(batch_size.max(1)).enumerate() {
            let end = (start + batch_size).min(n);
            let tape = Tape::no_grad();
            let mut ctx = Ctx::new(&tape, &model.params, stream(&[seed, b as u64, 0xE7A1]));
            let l = model.loss(&mut ctx, &x.slice_rows(start, end)?)?.total.value().item()?;
            sum += l * (end - start) as f64;
            count += end - start;
        }
        Ok(if count == 0 { f64::NAN } else { sum / count as f64 })
    })
}

/// Steps on batches of at least this many values run on rayon's pool
/// (`run_step`): 32 MNIST images are 25,088 values, 32 rows of a 29-column
/// table 928.
const POOL_MIN_VALUES: usize = 1 << 14;

/// Runs a training step on a thread of rayon's pool when `on_pool`, else on
/// this thread.
///
/// A CPU kernel that splits its work hands the pieces to rayon's pool. From
/// a thread outside the pool (this one) every such call sends the work over
/// and sleeps until it is done, and the pieces run on whichever core is free,
/// away from the caches this thread just filled. Moved onto the pool, the
/// step's kernels start on a pool thread, which does its share of each split
/// itself: conv-ae's step at batch 32 went from 8.5 to 7 ms on two threads
/// (and from 16 to 8 ms with one, where every hand-over also moved the work
/// to the other core). A step without parallel kernels (the dense models at
/// batch 32: tens of microseconds) would pay the hand-over for nothing, so
/// `fit` moves only steps on batches of at least `POOL_MIN_VALUES` values.
/// (The choice depends on the batch alone, not on timing, so that a run
/// makes the same calls, and allocations, every time.) Where a step runs
/// does not change its results.
fn run_step<R: Send>(on_pool: bool, step: impl FnOnce() -> R + Send) -> R {
    if on_pool {
        rayon::scope(|_| step())
    } else {
        step()
    }
}

/// Trains `model` on the rows of `train` from epoch `start_epoch` (0 for a
/// new run) to `cfg.epochs`, validating on `val` after every epoch.
pub fn fit<B: Backend>(
    model: &mut Autoencoder<B>,
    opt: &mut Optimizer<B>,
    train: &Tensor<B>,
    val: Option<&Tensor<B>>,
    cfg: &FitConfig,
    start_epoch: usize,
    monitor: &mut dyn Monitor<B>,
) -> Result<Vec<EpochLog>> {
    let n = train.shape().first().copied().unwrap_or(0);
    if n == 0 {
        return Err(NnError::Config("there are no training rows".into()));
    }
    if cfg.batch_size == 0 {
        return Err(NnError::Config("the batch size must be positive".into()));
    }
    let batches = n.div_ceil(cfg.batch_size);
    // One tape and one set of gradient slots for the whole run: every step
    // records the same ops, so after the first one `reset` and
    // `backward_into` find all the memory they need already there.
    let (mut tape, mut grads) = (Tape::new(), Grads::new());
    let mut logs = Vec::new();
    let (mut best, mut since_best) = (f64::INFINITY, 0);
    for epoch in start_epoch..cfg.epochs {
        let started = Instant::now();
        let order = epoch_order(cfg.seed, epoch, n);
        let mut sum = 0.0;
        for (b, rows) in order.chunks(cfg.batch_size).enumerate() {
            if monitor.stop_requested() {
                return Err(NnError::Interrupted { epoch: epoch + 1, batch: b + 1 });
            }
            let xb = train.gather_rows(rows)?;
            let l = run_step(xb.numel() >= POOL_MIN_VALUES, || {
                tape.reset();
                // `backward_into` drops the tensors the tape saved, and the
                // variables end with this block, so the update below finds
                // the parameters' storage unshared and writes it in place.
                let (l, g) = {
                    let mut ctx = Ctx::new(&tape, &model.params, stream(&[cfg.seed, epoch as u64, b as u64]));
                    let loss = model.loss(&mut ctx, &xb)?;
                    let l = loss.total.value().item()?;
                    if !l.is_finite() {
                        return Err(NnError::Diverged { epoch: epoch + 1, batch: b + 1, loss: l });
                    }
                    tape.backward_into(&loss.total, &mut grads)?;
                    (l, ctx.param_grads(&grads))
                };
                opt.update(&mut model.params, g)?;
                grads.clear(); // used: free them before the next forward pass
                Ok(l)
            })?;
            sum += l * rows.len() as f64;
            monitor.batch(epoch + 1, b + 1, batches, sum / ((b * cfg.batch_size + rows.len()) as f64));
        }
        let val_loss = match val {
            Some(v) if v.shape()[0] > 0 => Some(evaluate(model, v, cfg.batch_size, cfg.seed)?),
            _ => None,
        };
        let log =
            EpochLog { epoch: epoch + 1, loss: sum / n as f64, val_loss, seconds: started.elapsed().as_secs_f64(), lr: opt.config.lr };
        monitor.epoch(&log, model, opt)?;
        logs.push(log);
        if let (Some(p), Some(v)) = (cfg.patience, val_loss) {
            if v < best {
                (best, since_best) = (v, 0);
            } else {
                since_best += 1;
                if since_best >= p {
                    break;
                }
            }
        }
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::epoch_order;

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(42, 3, 50);
        assert_eq!(a, epoch_order(42, 3, 50));
        assert_ne!(a, epoch_order(42, 4, 50), "each epoch reshuffles");
        assert_ne!(a, epoch_order(43, 3, 50), "another seed, another order");
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert!(epoch_order(1, 0, 0).is_empty());
    }
}
