//! Errors of the training layer: tensor errors from below, plus what can go
//! wrong in a run (a diverging loss, a bad configuration).

use std::fmt;

use recon_tensor::TensorError;

#[derive(Debug)]
pub enum NnError {
    Tensor(TensorError),
    /// The loss became NaN or infinite.
    Diverged {
        epoch: usize,
        batch: usize,
        loss: f64,
    },
    /// The monitor asked the loop to stop (Ctrl-C) before `batch` of `epoch`
    /// was trained; the epochs before `epoch` are complete.
    Interrupted {
        epoch: usize,
        batch: usize,
    },
    /// A configuration that cannot work (a layer size of 0, an unknown preset).
    Config(String),
    Io(String),
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::Tensor(e) => write!(f, "{e}"),
            NnError::Diverged { epoch, batch, loss } => {
                write!(f, "training diverged: the loss became {loss} at epoch {epoch}, batch {batch}; try a smaller learning rate (--lr)")
            }
            NnError::Interrupted { epoch, batch } => write!(f, "interrupted at epoch {epoch}, batch {batch}"),
            NnError::Config(m) => write!(f, "invalid model configuration: {m}"),
            NnError::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for NnError {}

impl From<TensorError> for NnError {
    fn from(e: TensorError) -> Self {
        NnError::Tensor(e)
    }
}

pub type Result<T> = std::result::Result<T, NnError>;
