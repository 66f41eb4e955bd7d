//! The command line's error: one readable line and an exit status.
//! Status 2: bad input or usage (the user can fix the command or the file);
//! status 1: anything else (a diverging run, a failed write); status 130:
//! interrupted by Ctrl-C (128 + SIGINT, as shells report it).

use std::fmt;

use recon_data::DataError;
use recon_nn::NnError;

#[derive(Debug)]
pub struct CliError {
    pub message: String,
    exit_code: i32,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError { message: message.into(), exit_code: 2 }
    }
    pub fn failure(message: impl Into<String>) -> Self {
        CliError { message: message.into(), exit_code: 1 }
    }
    pub fn interrupted(message: impl Into<String>) -> Self {
        CliError { message: message.into(), exit_code: 130 }
    }
    pub fn exit_code(&self) -> i32 {
        self.exit_code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<DataError> for CliError {
    fn from(e: DataError) -> Self {
        CliError::input(e.to_string())
    }
}

impl From<NnError> for CliError {
    fn from(e: NnError) -> Self {
        match e {
            NnError::Diverged { .. } => CliError::failure(e.to_string()),
            NnError::Interrupted { .. } => CliError::interrupted(e.to_string()),
            _ => CliError::input(e.to_string()),
        }
    }
}

impl From<recon_tensor::TensorError> for CliError {
    fn from(e: recon_tensor::TensorError) -> Self {
        CliError::input(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
