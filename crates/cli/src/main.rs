//! `recon`: train autoencoders on normal data and flag what they cannot
//! reconstruct. See `recon --help`, and DESIGN.md for the command-line contract.

mod alloc;
mod demo;
mod device;
mod error;
mod eval;
mod latent;
mod model;
mod prepare;
mod run_dir;
mod score;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "recon", version, about = "Autoencoder anomaly detection, from scratch")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train an autoencoder on the normal rows of a data file.
    Train(Box<train::TrainArgs>),
    /// Score every row of a file with a trained model (one score per row).
    Score(score::ScoreArgs),
    /// Evaluate a trained model on labelled data: ROC AUC, PR AUC, reports per threshold.
    Eval(eval::EvalArgs),
    /// The source articles' walk-through on the bundled data (ae, vae, conv-ae).
    Demo(demo::DemoArgs),
}

fn main() {
    alloc::keep_freed_memory();
    let cli = Cli::parse(); // usage errors exit with status 2, from clap
    let result = match cli.command {
        Command::Train(args) => train::run(*args),
        Command::Score(args) => score::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Demo(args) => demo::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
