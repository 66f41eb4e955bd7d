//! `cargo xtask <task>`: the project's commands, in Rust so they run the same
//! everywhere a cargo runs.
//!
//! - `test`   the whole test suite: formatting, clippy (deny warnings), every
//!            crate's tests. This is what CI runs.
//! - `bench`  every benchmark under `benches/`, writing `benches/results/`.

use std::process::{exit, Command};

fn run(what: &str, cmd: &mut Command) {
    eprintln!("xtask: {what}: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("xtask: {what} failed ({s})");
            exit(1);
        }
        Err(e) => {
            eprintln!("xtask: cannot run {what}: {e}");
            exit(1);
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn test() {
    run("format check", cargo().args(["fmt", "--all", "--check"]));
    run("clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    run("tests", cargo().args(["test", "--workspace"]));
}

fn bench() {
    for bin in ["threshold", "ops"] {
        run(bin, cargo().args(["run", "--release", "-p", "recon-benches", "--bin", bin]));
    }
}

fn main() {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "test" => test(),
        "bench" => bench(),
        _ => {
            eprintln!("usage: cargo xtask <test|bench>");
            exit(2);
        }
    }
}
